#include "pipecut/model/cost.hpp"

#include <algorithm>

#include "pipecut/model/error.hpp"

namespace pipecut {

// Written for obviousness, not speed: every tensor is inspected once per call.
SetCost set_cost_breakdown(const Graph& g, std::span<const char> in_set) {
  SetCost c;
  for (NodeId u = 0; u < g.num_nodes(); ++u) {
    if (in_set[u]) c.work += g.work[u];
    bool consumer_inside = false;
    bool consumer_outside = false;
    for (NodeId v : g.successors(u)) (in_set[v] ? consumer_inside : consumer_outside) = true;
    if (in_set[u] && consumer_outside) c.comm_out += g.comm[u];  // sent once
    if (!in_set[u] && consumer_inside) c.comm_in += g.comm[u];   // received once
  }
  return c;
}

double set_cost(const Graph& g, std::span<const char> in_set) {
  return set_cost_breakdown(g, in_set).total();
}

double single_node_cost(const Graph& g, NodeId v) {
  double cost = g.work[v] + (g.successors(v).empty() ? 0.0 : g.comm[v]);
  for (NodeId p : g.predecessors(v)) cost += g.comm[p];  // predecessors are distinct
  return cost;
}

std::optional<std::string> partition_problem(const Graph& g, const Partition& p) {
  if (p.k < 1) return "k must be at least 1 (got " + std::to_string(p.k) + ")";
  if (static_cast<int>(p.stage_of.size()) != g.num_nodes())
    return "partition assigns " + std::to_string(p.stage_of.size()) + " nodes but the graph has " +
           std::to_string(g.num_nodes());
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    int s = p.stage_of[v];
    if (s < 0 || s >= p.k)
      return "node '" + g.ids[v] + "' is in stage " + std::to_string(s) + ", outside 0.." +
             std::to_string(p.k - 1);
  }
  // On a training graph only edges between forward nodes go forward, and gradient edges at an
  // orphan backward node go back (docs/training.md).
  for (NodeId u = 0; u < g.num_nodes(); ++u)
    for (NodeId v : g.successors(u)) {
      if (p.stage_of[u] > p.stage_of[v] && g.orders(u, v))
        return "edge '" + g.ids[u] + "' -> '" + g.ids[v] + "' goes backwards (stage " +
               std::to_string(p.stage_of[u]) + " to stage " + std::to_string(p.stage_of[v]) + ")";
      if (p.stage_of[u] < p.stage_of[v] && g.orders_reversed(u, v))
        return "gradient edge '" + g.ids[u] + "' -> '" + g.ids[v] +
               "' at an orphan backward node goes forward (stage " +
               std::to_string(p.stage_of[u]) + " to stage " + std::to_string(p.stage_of[v]) +
               "); gradients must flow to the same or an earlier stage";
    }
  return std::nullopt;
}

// One pass over the tensors (the hyperedge view: docs/bounds.md, "Notation"): a tensor whose
// consumers sit in other stages is paid once by its producer's stage and once by each distinct
// consuming stage. O(n + m + k) time, so a huge k with few nodes stays cheap.
std::vector<BoundaryTensor> boundary_tensors(const Graph& g, const Partition& p) {
  if (auto problem = partition_problem(g, p)) throw InputError("invalid partition: " + *problem);
  std::vector<BoundaryTensor> out;
  std::vector<int> consumer_stages;
  for (NodeId u = 0; u < g.num_nodes(); ++u) {
    consumer_stages.clear();
    for (NodeId v : g.successors(u))
      if (p.stage_of[v] != p.stage_of[u]) consumer_stages.push_back(p.stage_of[v]);
    if (consumer_stages.empty()) continue;
    std::sort(consumer_stages.begin(), consumer_stages.end());
    consumer_stages.erase(std::unique(consumer_stages.begin(), consumer_stages.end()),
                          consumer_stages.end());
    out.push_back({u, p.stage_of[u], consumer_stages, g.comm[u]});
  }
  return out;
}

int stored_stages(const Graph& g, const Partition& p) {
  if (p.k <= g.num_nodes()) return p.k;
  int last = 0;
  for (int s : p.stage_of) last = std::max(last, s);
  return last + 1;
}

Evaluation evaluate_partition(const Graph& g, const Partition& p) {
  const std::vector<BoundaryTensor> cut = boundary_tensors(g, p);  // validates p
  Evaluation e;
  e.stages.resize(stored_stages(g, p));
  for (int b = 0; b < static_cast<int>(e.stages.size()); ++b) e.stages[b].stage = b;
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    StageCost& s = e.stages[p.stage_of[v]];
    s.nodes.push_back(v);
    s.work += g.work[v];
    s.memory += g.memory[v];
  }
  for (const BoundaryTensor& t : cut) {
    e.stages[t.from_stage].comm_out += t.comm;
    for (int b : t.to_stages) e.stages[b].comm_in += t.comm;
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

Partition partition_from_cuts(const Graph& g, std::span<const NodeId> order,
                              std::span<const int> cuts) {
  Partition p;
  p.k = static_cast<int>(cuts.size()) - 1;
  p.stage_of.assign(g.num_nodes(), -1);
  for (int b = 0; b < p.k; ++b)
    for (int i = cuts[b]; i < cuts[b + 1]; ++i) p.stage_of[order[i]] = b;
  return p;
}

}  // namespace pipecut
