#include "pipecut/model/cluster_cost.hpp"

#include <algorithm>
#include <cmath>

#include "pipecut/model/constraints.hpp"
#include "pipecut/model/error.hpp"

namespace pipecut {

namespace {

// Which classes have devices: only those must appear in a node's work map.
std::vector<char> classes_in_use(const Cluster& c) {
  std::vector<char> used(c.classes.size(), 0);
  for (const ClusterDevice& d : c.devices) used[d.device_class] = 1;
  return used;
}

}  // namespace

void check_graph_on_cluster(const Graph& g, const Cluster& c, const std::string& graph_source) {
  if (g.work_classes.empty()) return;
  for (const std::string& name : g.work_classes)
    if (!c.class_index(name)) {
      NodeId v = 0;  // the first node that names it, for the message
      const auto k = static_cast<std::size_t>(
          std::find(g.work_classes.begin(), g.work_classes.end(), name) - g.work_classes.begin());
      while (std::isnan(g.class_work[static_cast<std::size_t>(v) * g.work_classes.size() + k])) ++v;
      throw InputError(graph_source + ": node '" + g.ids[v] + "': \"work\": unknown class '" +
                       name + "' (cluster " + c.name + " has no such device class)");
    }
  const std::vector<char> used = classes_in_use(c);
  const std::size_t classes = g.work_classes.size();
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    const double* row = g.class_work.data() + static_cast<std::size_t>(v) * classes;
    if (std::all_of(row, row + classes, [](double x) { return std::isnan(x); })) continue;
    for (std::size_t k = 0; k < c.classes.size(); ++k) {
      if (!used[k]) continue;
      const auto at = std::find(g.work_classes.begin(), g.work_classes.end(), c.classes[k].name);
      if (at == g.work_classes.end() || std::isnan(row[at - g.work_classes.begin()]))
        throw InputError(graph_source + ": node '" + g.ids[v] + "': \"work\": no time for class '" +
                         c.classes[k].name + "' of cluster " + c.name);
    }
  }
}

ClusterCosts::ClusterCosts(const Graph& g, const Cluster& c, const std::string& graph_source)
    : g_(&g), c_(&c), classes_(c.classes.size()) {
  check_graph_on_cluster(g, c, graph_source);
  const std::size_t given = g.work_classes.size();
  std::vector<int> column(classes_, -1);  // the graph's column of each cluster class
  for (std::size_t k = 0; k < classes_; ++k) {
    const auto at = std::find(g.work_classes.begin(), g.work_classes.end(), c.classes[k].name);
    if (at != g.work_classes.end()) column[k] = static_cast<int>(at - g.work_classes.begin());
  }
  work_.resize(static_cast<std::size_t>(g.num_nodes()) * classes_);
  for (NodeId v = 0; v < g.num_nodes(); ++v)
    for (std::size_t k = 0; k < classes_; ++k) {
      double time = std::nan("");
      if (column[k] >= 0) time = g.class_work[static_cast<std::size_t>(v) * given + column[k]];
      // A number is the time on a class of speed 1 (docs/clusters.md, "Work per class").
      if (std::isnan(time)) time = g.work[v] / c.classes[k].speed;
      work_[static_cast<std::size_t>(v) * classes_ + k] = time;
    }
}

double ClusterCosts::transfer(NodeId v, double gbps) const {
  if (g_->bytes.empty() || g_->bytes[v] < 0) return g_->comm[v];
  return g_->bytes[v] / (gbps * 1e6);  // bytes / (GB/s) in ms
}

std::optional<std::string> cluster_partition_problem(const Graph& g, const Cluster& c,
                                                     const Partition& p) {
  if (auto problem = partition_problem(g, p)) return problem;
  if (p.k > c.num_devices())
    return "k = " + std::to_string(p.k) + " stages, but cluster " + c.name + " has only " +
           std::to_string(c.num_devices()) + " devices";
  if (static_cast<int>(p.device_of_stage.size()) != p.k)
    return "the partition gives " + std::to_string(p.device_of_stage.size()) +
           " stage devices for k = " + std::to_string(p.k) + " stages";
  std::vector<char> nonempty(p.k, 0);
  for (int s : p.stage_of) nonempty[s] = 1;
  std::vector<int> stage_on(c.num_devices(), -1);
  for (int b = 0; b < p.k; ++b) {
    const int d = p.device_of_stage[b];
    if (d == -1 && !nonempty[b]) continue;
    if (d < 0 || d >= c.num_devices())
      return "stage " + std::to_string(b) + " has no device of cluster " + c.name;
    if (!nonempty[b]) continue;  // an empty stage's device holds nothing
    if (stage_on[d] >= 0)
      return "stages " + std::to_string(stage_on[d]) + " and " + std::to_string(b) +
             " are both on device " + c.devices[d].name;
    stage_on[d] = b;
  }
  return std::nullopt;
}

std::optional<std::string> cluster_constraint_violation(const Graph& g, const Cluster& c,
                                                        const Partition& p) {
  // Colour classes as without a cluster; the capacity is each device's, not the graph's.
  if (auto split = colour_class_violation(g, p)) return split;
  std::vector<double> memory(p.k, 0.0);
  for (NodeId v = 0; v < g.num_nodes(); ++v) memory[p.stage_of[v]] += g.memory[v];
  for (int b = 0; b < p.k; ++b) {
    if (memory[b] == 0 && p.device_of_stage[b] < 0) continue;
    const ClusterDevice& d = c.devices[p.device_of_stage[b]];
    const DeviceClass& k = c.classes[d.device_class];
    if (!fits_capacity(memory[b], k.memory))
      return "stage " + std::to_string(b) + " holds " + describe_bytes(memory[b]) +
             " of node memory, more than the " + describe_bytes(k.memory) + " of device " + d.name +
             " (class " + k.name + ")";
  }
  return std::nullopt;
}

Evaluation evaluate_on_cluster(const ClusterCosts& costs, const Partition& p) {
  const Graph& g = costs.graph();
  const Cluster& c = costs.cluster();
  if (auto problem = cluster_partition_problem(g, c, p))
    throw InputError("invalid partition: " + *problem);
  const std::vector<BoundaryTensor> cut = boundary_tensors(g, p);
  Evaluation e;
  e.stages.resize(p.k);
  for (int b = 0; b < p.k; ++b) {
    e.stages[b].stage = b;
    e.stages[b].device = p.device_of_stage[b];
  }
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    StageCost& s = e.stages[p.stage_of[v]];
    s.nodes.push_back(v);
    s.work += costs.work(v, c.devices[s.device].device_class);
    s.memory += g.memory[v];
  }
  for (const BoundaryTensor& t : cut) {
    const int from = p.device_of_stage[t.from_stage];
    // Sent once, at the pace of the slowest receiving link (docs/clusters.md, "Sending").
    double slowest = 0;
    for (int b : t.to_stages) {
      const double time = costs.transfer(t.producer, from, p.device_of_stage[b]);
      slowest = std::max(slowest, time);
      e.stages[b].comm_in += time;
    }
    e.stages[t.from_stage].comm_out += slowest;
  }
  for (StageCost& s : e.stages) {
    s.cost = s.work + s.comm_in + s.comm_out;
    if (!s.nodes.empty()) ++e.stages_used;
    if (s.stage == 0 || s.cost > e.bottleneck) {
      e.bottleneck = s.cost;
      e.bottleneck_stage = s.stage;
    }
  }
  return e;
}

Graph graph_on_class(const ClusterCosts& costs, int device_class, double gbps) {
  Graph out = costs.graph();
  for (NodeId v = 0; v < out.num_nodes(); ++v) {
    out.work[v] = costs.work(v, device_class);
    out.comm[v] = costs.transfer(v, gbps);
  }
  out.work_classes.clear();
  out.class_work.clear();
  out.bytes.clear();
  out.memory_per_stage = costs.cluster().classes[device_class].memory;
  return out;
}

}  // namespace pipecut
