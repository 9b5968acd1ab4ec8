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
  for (NodeId u = 0; u < g.num_nodes(); ++u)
    for (NodeId v : g.successors(u))
      if (p.stage_of[u] > p.stage_of[v])
        return "edge '" + g.ids[u] + "' -> '" + g.ids[v] + "' goes backwards (stage " +
               std::to_string(p.stage_of[u]) + " to stage " + std::to_string(p.stage_of[v]) + ")";
  return std::nullopt;
}

Evaluation evaluate_partition(const Graph& g, const Partition& p) {
  if (auto problem = partition_problem(g, p)) throw InputError("invalid partition: " + *problem);
  Evaluation e;
  e.stages.resize(p.k);
  std::vector<char> in_stage(g.num_nodes(), 0);
  for (int b = 0; b < p.k; ++b) {
    StageCost& s = e.stages[b];
    s.stage = b;
    for (NodeId v = 0; v < g.num_nodes(); ++v) {
      in_stage[v] = p.stage_of[v] == b;
      if (in_stage[v]) s.nodes.push_back(v);
    }
    SetCost c = set_cost_breakdown(g, in_stage);
    s.work = c.work;
    s.comm_in = c.comm_in;
    s.comm_out = c.comm_out;
    s.cost = c.total();
    if (!s.nodes.empty()) ++e.stages_used;
    if (b == 0 || s.cost > e.bottleneck) {
      e.bottleneck = s.cost;
      e.bottleneck_stage = b;
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
