#include "pipecut/io/partition_json.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <optional>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "io/json_util.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/model/backward_pass.hpp"
#include "pipecut/model/cluster_cost.hpp"
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
  doc["feasible"] = true;
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
                      {"cost", stage.cost},
                      {"memory", stage.memory}});
    if (s.cluster && stage.device >= 0) {
      const ClusterDevice& d = s.cluster->devices[stage.device];
      stages.back()["device"] = d.name;
      stages.back()["class"] = s.cluster->classes[d.device_class].name;
    }
  }
  doc["stages"] = std::move(stages);
  if (s.cluster) {
    // One device per stage, null for an empty one: with the assignment, the whole partition.
    json devices = json::array();
    for (int d : s.partition.device_of_stage)
      devices.push_back(d >= 0 ? json(s.cluster->devices[d].name) : json(nullptr));
    doc["devices"] = std::move(devices);
    doc["cluster"] = {{"name", s.cluster->name}, {"digest", s.cluster->digest}};
  }
  // What --prefer weighs after the bottleneck (docs/partitioning.md, "Ties").
  doc["latency"] = s.evaluation.latency();
  doc["memory_per_stage"] = g.memory_per_stage ? json(*g.memory_per_stage) : json(nullptr);
  doc["colocation_groups"] = g.colour_labels.size();
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

std::string infeasible_to_json(const Graph& g, int k, const std::string& reason, bool proven,
                               int indent) {
  json doc = {{"format", "pipecut.partition"},
              {"version", 1},
              {"graph", g.name},
              {"k", k},
              {"feasible", false},
              {"infeasibility_proven", proven},
              {"reason", reason},
              {"memory_per_stage", g.memory_per_stage ? json(*g.memory_per_stage) : json(nullptr)},
              {"colocation_groups", g.colour_labels.size()}};
  return doc.dump(indent);
}

std::string bounds_to_json(const Graph& g, int k, const std::vector<BoundResult>& bounds,
                           const std::optional<std::string>& infeasible, int indent) {
  json list = json::array();
  const BoundResult* best = nullptr;
  for (const BoundResult& r : bounds) {
    list.push_back(bound_to_json(r));
    if (!best || r.value > best->value) best = &r;
  }
  json doc = {{"format", "pipecut.bounds"},
              {"version", 1},
              {"graph", g.name},
              {"k", k},
              {"bounds", std::move(list)}};
  doc["best"] =
      best && !infeasible ? json{{"method", best->method}, {"value", best->value}} : json(nullptr);
  if (infeasible) {
    doc["feasible"] = false;
    doc["reason"] = *infeasible;
  }
  return doc.dump(indent);
}

Partition read_partition_assignment(const Graph& g, const std::string& path,
                                    std::uint64_t max_input_bytes, const Cluster* cluster) {
  return parse_partition_assignment(g, read_file_maybe_gzip(path, max_input_bytes), path, cluster);
}

std::optional<PartitionFileCluster> partition_file_cluster(const std::string& text,
                                                           const std::string& path) {
  const json doc = parse_json_document(text, path);
  if (!doc.is_object() || !doc.contains("cluster") || doc.at("cluster").is_null())
    return std::nullopt;
  const json& c = doc.at("cluster");
  if (!c.is_object() || !c.value("name", json()).is_string() ||
      !c.value("digest", json()).is_string())
    throw InputError(path + ": \"cluster\" must be an object with string \"name\" and \"digest\"");
  return PartitionFileCluster{c.at("name").get<std::string>(), c.at("digest").get<std::string>()};
}

namespace {

// The file's "devices" as device_of_stage on `cluster` (see read_partition_assignment).
std::vector<int> read_devices(const json& doc, int k, const Cluster* cluster,
                              const std::string& path) {
  const bool has = doc.contains("devices") && !doc.at("devices").is_null();
  if (!cluster) {
    if (has)
      throw InputError(path +
                       ": the partition places its stages on devices of a cluster: "
                       "give that cluster (--cluster) to evaluate it");
    return {};
  }
  if (!has)
    throw PartitionMismatchError(path,
                                 "the partition gives no \"devices\" for cluster " + cluster->name);
  const json& devices = doc.at("devices");
  if (!devices.is_array()) throw InputError(path + ": \"devices\" must be an array");
  if (static_cast<long long>(devices.size()) != k)
    throw PartitionMismatchError(path, "\"devices\" lists " + std::to_string(devices.size()) +
                                           " devices for k = " + std::to_string(k) + " stages");
  std::vector<int> out;
  for (std::size_t b = 0; b < devices.size(); ++b) {
    const json& name = devices[b];
    if (name.is_null()) {
      out.push_back(-1);
      continue;
    }
    if (!name.is_string())
      throw InputError(path + ": devices[" + std::to_string(b) + "] must be a device name or null");
    int index = -1;
    for (int d = 0; d < cluster->num_devices(); ++d)
      if (cluster->devices[d].name == name.get<std::string>()) index = d;
    if (index < 0)
      throw PartitionMismatchError(path, "stage " + std::to_string(b) + " is on device '" +
                                             name.get<std::string>() + "', which cluster " +
                                             cluster->name + " does not have");
    out.push_back(index);
  }
  return out;
}

}  // namespace

namespace {

// A human-expert split of Tarnawski et al.'s repository (docs/formats.md, "Tarnawski et al.
// expert splits"): {"fpgas": [{"nodes": [id, ...]}, ...], "cpus": [...]}, device i = stage i.
// Backward nodes it leaves out go to the stage of their colour class, as their tool infers the
// backward split from the forward one (docs/training.md).
Partition parse_expert_split(const Graph& g, const json& doc, const std::string& path) {
  const json& fpgas = doc.at("fpgas");
  if (!fpgas.is_array() || fpgas.empty())
    throw InputError(path + ": \"fpgas\" must be a non-empty array of devices");
  if (doc.contains("cpus") && doc.at("cpus").is_array())
    for (const json& cpu : doc.at("cpus"))
      if (cpu.is_object() && cpu.contains("nodes") && cpu.at("nodes").is_array() &&
          !cpu.at("nodes").empty())
        throw InputError(path + ": the split places nodes on a CPU, which pipecut does not model");
  Partition p;
  p.k = static_cast<int>(fpgas.size());
  p.stage_of.assign(g.num_nodes(), -1);
  std::unordered_map<std::string, NodeId> index;
  for (NodeId v = 0; v < g.num_nodes(); ++v) index.emplace(g.ids[v], v);
  for (std::size_t b = 0; b < fpgas.size(); ++b) {
    const std::string where = "fpgas[" + std::to_string(b) + "]";
    if (!fpgas[b].is_object() || !fpgas[b].contains("nodes") || !fpgas[b].at("nodes").is_array())
      throw InputError(path + ": " + where + " needs a \"nodes\" array");
    for (const json& id_value : fpgas[b].at("nodes")) {
      const auto id = json_integer_label(id_value, path, where + ": node id");
      if (!id) throw InputError(path + ": " + where + ": node ids must be integers");
      auto it = index.find(*id);
      if (it == index.end())
        throw PartitionMismatchError(path, "unknown node id '" + *id + "' in " + where);
      if (p.stage_of[it->second] >= 0 && p.stage_of[it->second] != static_cast<int>(b))
        throw InputError(path + ": node '" + *id + "' is on two devices");
      p.stage_of[it->second] = static_cast<int>(b);
    }
  }
  // Backward nodes left out follow their class's forward node.
  std::vector<int> class_stage(g.colour_labels.size(), -1);
  for (NodeId v = 0; v < g.num_nodes(); ++v)
    if (!g.is_backward(v) && p.stage_of[v] >= 0 && !g.colour_class.empty() &&
        g.colour_class[v] >= 0)
      class_stage[g.colour_class[v]] = p.stage_of[v];
  for (NodeId v = 0; v < g.num_nodes(); ++v)
    if (p.stage_of[v] < 0 && g.is_backward(v)) p.stage_of[v] = class_stage[g.colour_class[v]];
  for (NodeId v = 0; v < g.num_nodes(); ++v)
    if (p.stage_of[v] < 0) throw PartitionMismatchError(path, "node '" + g.ids[v] + "' is not assigned");
  return p;
}

}  // namespace

Partition parse_partition_assignment(const Graph& g, const std::string& text,
                                     const std::string& path, const Cluster* cluster) {
  const json doc = parse_json_document(text, path);
  if (doc.is_object() && !doc.contains("format") && doc.contains("fpgas")) {
    if (cluster) throw InputError(path + ": an expert split has no devices of a cluster");
    return parse_expert_split(g, doc, path);
  }
  if (!doc.is_object() || doc.value("format", json()) != "pipecut.partition")
    throw InputError(path + ": \"format\" must be \"pipecut.partition\"");
  if (doc.contains("feasible") && doc.at("feasible") == json(false)) {
    const json reason = doc.value("reason", json());
    throw InputError(path + ": records no partition (\"feasible\": false): " +
                     (reason.is_string() ? reason.get<std::string>() : "no reason given"));
  }
  if (!doc.contains("k") || !doc.at("k").is_number())
    throw InputError(path + ": missing integer \"k\"");
  Partition p;
  p.k = static_cast<int>(json_integer(doc.at("k"), 1, INT_MAX, path, "\"k\""));
  if (!doc.contains("assignment") || !doc.at("assignment").is_object())
    throw InputError(path + ": missing \"assignment\" object (node id -> stage)");
  p.stage_of.assign(g.num_nodes(), -1);
  std::vector<char> assigned(g.num_nodes(), 0);
  std::unordered_map<std::string, NodeId> index;
  for (NodeId v = 0; v < g.num_nodes(); ++v) index.emplace(g.ids[v], v);
  // The file's own graph name, to say "partition is for graph X" when the ids do not match.
  const json file_graph = doc.value("graph", json());
  const std::string other = file_graph.is_string() && file_graph.get<std::string>() != g.name
                                ? file_graph.get<std::string>()
                                : "";
  auto for_another_graph = [&](const std::string& detail) {
    throw PartitionMismatchError(
        path, "partition is for graph " + other + ", not " + g.name + " (" + detail + ")");
  };
  std::string first_unknown;
  std::size_t unknown = 0;
  for (const auto& [id, stage] : doc.at("assignment").items()) {
    auto it = index.find(id);
    if (it == index.end()) {
      if (unknown++ == 0) first_unknown = id;
      continue;
    }
    // Kept exactly when it fits a stage index (a negative one is then reported by
    // partition_problem); never wrapped into range.
    p.stage_of[it->second] =
        static_cast<int>(json_integer(stage, INT_MIN, INT_MAX, path, "stage of node '" + id + "'"));
    assigned[it->second] = 1;
  }
  if (unknown > 0) {
    if (!other.empty())
      for_another_graph(std::to_string(unknown) + " of its " +
                        std::to_string(doc.at("assignment").size()) + " node ids are not in " +
                        g.name);
    // A twin of a synthesised backward pass (docs/training.md): the graph was read without it.
    const std::string suffix(kBackwardIdSuffix);
    const bool twin = !g.is_training() && first_unknown.size() > suffix.size() &&
                      first_unknown.compare(first_unknown.size() - suffix.size(), suffix.size(),
                                            suffix) == 0 &&
                      index.count(first_unknown.substr(0, first_unknown.size() - suffix.size()));
    throw PartitionMismatchError(
        path, "unknown node id '" + first_unknown + "' in assignment" +
                  (twin ? " (a backward twin: read the graph with the --backward-pass the "
                          "partition was solved with)"
                        : ""));
  }
  for (NodeId v = 0; v < g.num_nodes(); ++v)
    if (!assigned[v]) {
      if (!other.empty())
        for_another_graph("node '" + g.ids[v] + "' of " + g.name + " is not assigned");
      throw PartitionMismatchError(path, "node '" + g.ids[v] + "' is not assigned");
    }
  // At most n stages hold nodes, and the evaluator keeps one entry per stage up to the last
  // non-empty one (stored_stages, model/cost.hpp): a stage index far beyond n, possible when k
  // is huge, would cost memory in proportion to it. Such a file is renumbered by hand.
  p.device_of_stage = read_devices(doc, p.k, cluster, path);
  const int n = g.num_nodes();
  if (p.k > n && !cluster)
    for (NodeId v = 0; v < n; ++v)
      if (p.stage_of[v] >= n && p.stage_of[v] < p.k)
        throw InputError(path + ": node '" + g.ids[v] + "' is in stage " +
                         std::to_string(p.stage_of[v]) + ", but at most " + std::to_string(n) +
                         " stages can hold nodes: with k above the node count, number the "
                         "stages below " +
                         std::to_string(n));
  return p;
}

namespace {

// doc[key] as a string; missing or null: empty.
std::string optional_string(const json& doc, const char* key, const std::string& path) {
  if (!doc.contains(key) || doc.at(key).is_null()) return {};
  if (!doc.at(key).is_string()) throw InputError(path + ": \"" + key + "\" must be a string");
  return doc.at(key).get<std::string>();
}

// doc[key] as a boolean; missing or null: nullopt.
std::optional<bool> optional_bool(const json& doc, const char* key, const std::string& path) {
  if (!doc.contains(key) || doc.at(key).is_null()) return std::nullopt;
  if (!doc.at(key).is_boolean()) throw InputError(path + ": \"" + key + "\" must be true or false");
  return doc.at(key).get<bool>();
}

// doc[key] as a number >= 0; missing or null: 0.
double optional_non_negative(const json& doc, const char* key, const std::string& path,
                             const std::string& where) {
  const double value = json_number(doc, key, path, where, false);
  if (!(value >= 0)) throw InputError(path + ": " + where + ": \"" + key + "\" must be >= 0");
  return value;
}

BoundStatus bound_status_from(const json& entry, const std::string& path,
                              const std::string& where) {
  const std::string text = optional_string(entry, "status", path);
  for (BoundStatus s : {BoundStatus::proven, BoundStatus::time_limit, BoundStatus::gave_up,
                        BoundStatus::infeasible, BoundStatus::not_applicable})
    if (text == to_string(s)) return s;
  throw InputError(path + ": " + where + ": unknown \"status\" '" + text + "'");
}

}  // namespace

Solution read_solution(const Graph& g, const std::string& path, std::uint64_t max_input_bytes,
                       const Cluster* cluster) {
  return parse_solution(g, read_file_maybe_gzip(path, max_input_bytes), path, cluster);
}

Solution parse_solution(const Graph& g, const std::string& text, const std::string& path,
                        const Cluster* cluster) {
  Solution s;
  s.partition = parse_partition_assignment(g, text, path, cluster);
  if (cluster) s.cluster = *cluster;
  s.k = s.partition.k;
  const json doc = parse_json_document(text, path);
  s.graph_name = optional_string(doc, "graph", path);
  if (s.graph_name.empty()) s.graph_name = g.name;
  s.lower_bound = optional_non_negative(doc, "lower_bound", path, "the partition");
  s.lower_bound_method = optional_string(doc, "lower_bound_method", path);
  if (s.lower_bound_method.empty() && s.lower_bound > 0) s.lower_bound_method = "unnamed";
  s.optimal = optional_bool(doc, "optimal", path);
  s.algorithm = optional_string(doc, "algorithm", path);
  if (doc.contains("seed") && !doc.at("seed").is_null()) {
    s.seed = json_unsigned(doc.at("seed"), path, "\"seed\"");
  }
  s.seconds = optional_non_negative(doc, "time_seconds", path, "the partition");
  s.hit_time_limit = optional_bool(doc, "hit_time_limit", path).value_or(false);
  s.stopped = optional_bool(doc, "stopped", path).value_or(false);
  if (doc.contains("bounds") && !doc.at("bounds").is_null()) {
    if (!doc.at("bounds").is_array()) throw InputError(path + ": \"bounds\" must be an array");
    int index = 0;
    for (const json& entry : doc.at("bounds")) {
      const std::string where = "bounds[" + std::to_string(index++) + "]";
      if (!entry.is_object()) throw InputError(path + ": " + where + " must be an object");
      BoundResult r;
      r.method = optional_string(entry, "method", path);
      r.value = optional_non_negative(entry, "value", path, where);
      r.status = bound_status_from(entry, path, where);
      r.seconds = optional_non_negative(entry, "seconds", path, where);
      r.detail = optional_string(entry, "detail", path);
      s.bounds.push_back(std::move(r));
    }
  }
  return s;
}

std::optional<PartitionFileBound> partition_file_bound(const Graph& g, const Partition& p,
                                                       const std::string& path, std::string* why,
                                                       const Cluster* cluster) {
  auto no = [why](const std::string& reason) -> std::optional<PartitionFileBound> {
    if (why) *why = reason;
    return std::nullopt;
  };
  const json doc = parse_json_document(read_file_maybe_gzip(path), path);
  const json bound = doc.value("lower_bound", json());
  const json method = doc.value("lower_bound_method", json());
  if (!bound.is_number() || !(bound.get<double>() > 0) || !method.is_string() ||
      method.get<std::string>().empty())
    return no("");  // nothing to say
  // Costs written by solution_to_json round-trip exactly; a relative 1e-12 allows for a file
  // that went through another JSON tool.
  auto same = [](const json& written, double value) {
    return written.is_number() &&
           std::fabs(written.get<double>() - value) <= 1e-12 * std::max(1.0, std::fabs(value));
  };
  if (cluster) {
    // A bound is proven for one cluster: another cluster (or none) proves nothing here.
    const json recorded = doc.value("cluster", json());
    if (!recorded.is_object() || recorded.value("digest", json()) != cluster->digest)
      return no("it was bounded on another cluster than " + cluster->name);
  } else if (doc.contains("cluster") && !doc.at("cluster").is_null()) {
    return no("it was bounded on a cluster");
  }
  const Evaluation e =
      cluster ? evaluate_on_cluster(ClusterCosts(g, *cluster, path), p) : evaluate_partition(g, p);
  if (!same(doc.value("bottleneck", json()), e.bottleneck))
    return no(
        "its bottleneck differs from this graph's for the same partition: it was costed "
        "with other options (device, dtype, profile, bandwidth)");
  const json stages = doc.value("stages", json());
  std::vector<const StageCost*> used;
  for (const StageCost& st : e.stages)
    if (!st.nodes.empty()) used.push_back(&st);
  if (!stages.is_array() || stages.size() != used.size())
    return no("its stage list differs from this graph's for the same partition");
  for (std::size_t i = 0; i < used.size(); ++i) {
    const json& st = stages[i];
    if (!st.is_object() || st.value("stage", json()) != used[i]->stage ||
        !same(st.value("work", json()), used[i]->work) ||
        !same(st.value("comm_in", json()), used[i]->comm_in) ||
        !same(st.value("comm_out", json()), used[i]->comm_out) ||
        !same(st.value("cost", json()), used[i]->cost))
      return no("its cost of stage " + std::to_string(used[i]->stage) +
                " differs from this graph's: it was costed with other options");
  }
  const json capacity = doc.value("memory_per_stage", json());
  if (!cluster && (g.memory_per_stage ? !same(capacity, *g.memory_per_stage) : !capacity.is_null()))
    return no("it was bounded under another memory capacity");
  if (doc.value("colocation_groups", json()) != g.colour_labels.size())
    return no("it was bounded with other colour classes");
  if (bound.get<double>() > e.bottleneck * (1 + 1e-12))
    return no("its lower bound exceeds the partition's bottleneck");
  return PartitionFileBound{bound.get<double>(), method.get<std::string>()};
}

}  // namespace pipecut
