#include "pipecut/io/partition_json.hpp"

#include <nlohmann/json.hpp>

#include "pipecut/io/file_util.hpp"
#include "pipecut/io/json_util.hpp"
#include "pipecut/model/error.hpp"

namespace pipecut {

using nlohmann::json;

double PartitionReport::ratio() const {
  const double b = evaluation.bottleneck;
  if (b <= 0) return 1.0;  // all-zero costs: any partition is optimal
  return lower_bound / b;
}

json partition_report_to_json(const Graph& g, const PartitionReport& r) {
  json doc;
  doc["format"] = "pipecut.partition";
  doc["version"] = 1;
  doc["graph"] = r.graph_name;
  doc["k"] = r.partition.k;
  json assignment = json::object();
  for (NodeId v = 0; v < g.num_nodes(); ++v) assignment[g.ids[v]] = r.partition.stage_of[v];
  doc["assignment"] = std::move(assignment);
  json stages = json::array();
  for (const StageCost& s : r.evaluation.stages) {
    json nodes = json::array();
    for (NodeId v : s.nodes) nodes.push_back(g.ids[v]);
    stages.push_back({{"stage", s.stage},
                      {"nodes", std::move(nodes)},
                      {"work", s.work},
                      {"comm_in", s.comm_in},
                      {"comm_out", s.comm_out},
                      {"cost", s.cost}});
  }
  doc["stages"] = std::move(stages);
  doc["stages_used"] = r.evaluation.stages_used;
  doc["bottleneck"] = r.evaluation.bottleneck;
  doc["lower_bound"] = r.lower_bound;
  doc["lower_bound_method"] = r.lower_bound_method;
  doc["ratio"] = r.ratio();
  if (r.optimal) doc["optimal"] = *r.optimal;
  doc["algorithm"] = r.algorithm;
  doc["seed"] = r.seed;
  doc["time_seconds"] = r.time_seconds;
  doc["hit_time_limit"] = r.hit_time_limit;
  return doc;
}

Partition read_partition_assignment(const Graph& g, const std::string& path) {
  const json doc = parse_json_document(read_file_maybe_gzip(path), path);
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
