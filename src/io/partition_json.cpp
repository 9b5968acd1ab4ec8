#include "pipecut/io/partition_json.hpp"

#include <nlohmann/json.hpp>

#include "pipecut/io/file_util.hpp"
#include "io/json_util.hpp"
#include "pipecut/model/error.hpp"

namespace pipecut {

using nlohmann::json;

namespace {

json bound_to_json(const BoundResult& r) {
  json j = {{"method", r.method},
            {"value", r.value},
            {"status", to_string(r.status)},
            {"seconds", r.seconds}};
  if (!r.detail.empty()) j["detail"] = r.detail;
  return j;
}

}  // namespace

std::string solution_to_json(const Graph& g, const Solution& s, int indent) {
  json doc;
  doc["format"] = "pipecut.partition";
  doc["version"] = 1;
  doc["graph"] = s.graph_name;
  doc["k"] = s.k;
  json assignment = json::object();
  for (NodeId v = 0; v < g.num_nodes(); ++v) assignment[g.ids[v]] = s.partition.stage_of[v];
  doc["assignment"] = std::move(assignment);
  json stages = json::array();
  for (const StageCost& stage : s.evaluation.stages) {
    json nodes = json::array();
    for (NodeId v : stage.nodes) nodes.push_back(g.ids[v]);
    stages.push_back({{"stage", stage.stage},
                      {"nodes", std::move(nodes)},
                      {"work", stage.work},
                      {"comm_in", stage.comm_in},
                      {"comm_out", stage.comm_out},
                      {"cost", stage.cost}});
  }
  doc["stages"] = std::move(stages);
  doc["stages_used"] = s.evaluation.stages_used;
  doc["bottleneck"] = s.bottleneck();
  doc["lower_bound"] = s.lower_bound;
  doc["lower_bound_method"] = s.lower_bound_method;
  doc["ratio"] = s.ratio();
  if (s.optimal) doc["optimal"] = *s.optimal;
  doc["algorithm"] = s.algorithm;
  doc["seed"] = s.seed;
  doc["time_seconds"] = s.seconds;
  doc["hit_time_limit"] = s.hit_time_limit;
  if (s.stopped) doc["stopped"] = true;
  if (!s.bounds.empty()) {
    json bounds = json::array();
    for (const BoundResult& r : s.bounds) bounds.push_back(bound_to_json(r));
    doc["bounds"] = std::move(bounds);
  }
  return doc.dump(indent);
}

std::string bounds_to_json(const Graph& g, int k, const std::vector<BoundResult>& bounds,
                           int indent) {
  json list = json::array();
  const BoundResult* best = nullptr;
  for (const BoundResult& r : bounds) {
    list.push_back(bound_to_json(r));
    if (!best || r.value > best->value) best = &r;
  }
  json doc = {{"format", "pipecut.bounds"}, {"version", 1}, {"graph", g.name}, {"k", k},
              {"bounds", std::move(list)}};
  doc["best"] = best ? json{{"method", best->method}, {"value", best->value}} : json(nullptr);
  return doc.dump(indent);
}

Partition read_partition_assignment(const Graph& g, const std::string& path) {
  return parse_partition_assignment(g, read_file_maybe_gzip(path), path);
}

Partition parse_partition_assignment(const Graph& g, const std::string& text,
                                     const std::string& path) {
  const json doc = parse_json_document(text, path);
  if (!doc.is_object() || doc.value("format", json()) != "pipecut.partition")
    throw InputError(path + ": \"format\" must be \"pipecut.partition\"");
  if (!doc.contains("k") || !doc.at("k").is_number_integer())
    throw InputError(path + ": missing integer \"k\"");
  Partition p;
  p.k = doc.at("k").get<int>();
  if (p.k < 1) throw InputError(path + ": k must be at least 1");
  if (!doc.contains("assignment") || !doc.at("assignment").is_object())
    throw InputError(path + ": missing \"assignment\" object (node id -> stage)");
  p.stage_of.assign(g.num_nodes(), -1);
  std::unordered_map<std::string, NodeId> index;
  for (NodeId v = 0; v < g.num_nodes(); ++v) index.emplace(g.ids[v], v);
  for (const auto& [id, stage] : doc.at("assignment").items()) {
    auto it = index.find(id);
    if (it == index.end()) throw InputError(path + ": unknown node id '" + id + "' in assignment");
    if (!stage.is_number_integer())
      throw InputError(path + ": stage of node '" + id + "' must be an integer");
    p.stage_of[it->second] = stage.get<int>();
  }
  for (NodeId v = 0; v < g.num_nodes(); ++v)
    if (p.stage_of[v] == -1) throw InputError(path + ": node '" + g.ids[v] + "' is not assigned");
  return p;
}

}  // namespace pipecut
