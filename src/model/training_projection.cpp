#include "pipecut/model/training_projection.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <unordered_set>
#include <utility>

#include "pipecut/model/constraints.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/model/numeric.hpp"

namespace pipecut {

TrainingProjection project_training_graph(const Graph& training) {
  if (!training.is_training())
    throw InputError("the projection is of a training graph (with backward nodes): " +
                     training.name + " has none");
  // Sums of the exact-cost view's costs never round (model/numeric.hpp), and its costs are at
  // most the graph's: the projection's stage costs are exact sums of them.
  const ExactCosts exact(training);
  const Graph& g = exact.graph();
  const NodeId n = g.num_nodes();
  // Units are the blocks (docs/training.md, "The forward structure"): every valid partition
  // keeps each whole, and the order constraints between them form a DAG.
  const Constraints constraints = derive_constraints(g);
  const auto units = static_cast<NodeId>(constraints.num_blocks());
  TrainingProjection p;
  p.node_of.assign(constraints.block_of.begin(), constraints.block_of.end());
  std::vector<double> work(static_cast<std::size_t>(units), 0.0),
      memory(static_cast<std::size_t>(units), 0.0);
  for (NodeId v = 0; v < n; ++v) {
    work[p.node_of[v]] += g.work[v];
    memory[p.node_of[v]] += g.memory[v];
  }
  std::vector<std::set<NodeId>> order_successors(static_cast<std::size_t>(units));
  for (NodeId u = 0; u < n; ++u)
    for (NodeId w : g.successors(u))
      if (const auto c = g.order_constraint(u, w)) {
        const NodeId a = p.node_of[c->first], b = p.node_of[c->second];
        if (a != b) order_successors[a].insert(b);
      }
  // Tensors as sets of units; identical sets are one hyperedge with the summed comm (exact on
  // the view).
  std::map<std::vector<NodeId>, std::pair<double, NodeId>> tensors;  // units -> (comm, producer)
  for (NodeId u = 0; u < n; ++u) {
    if (g.comm[u] == 0 || g.successors(u).empty()) continue;
    std::vector<NodeId> members{p.node_of[u]};
    for (NodeId w : g.successors(u)) members.push_back(p.node_of[w]);
    std::sort(members.begin(), members.end());
    members.erase(std::unique(members.begin(), members.end()), members.end());
    if (members.size() < 2) continue;  // inside one unit: never crosses
    auto [it, added] = tensors.emplace(std::move(members), std::pair{g.comm[u], p.node_of[u]});
    if (!added) it->second.first += g.comm[u];
  }

  // A tensor rides on its producer's unit when that unit's order successors are exactly its
  // other members (its edges then carry nothing else); otherwise on a node of its own, free to
  // sit with the earliest of its members, which crosses exactly when the members are split.
  std::vector<double> unit_comm(static_cast<std::size_t>(units), 0.0);
  std::vector<char> carries(static_cast<std::size_t>(units), 0);
  std::vector<const std::pair<const std::vector<NodeId>, std::pair<double, NodeId>>*> own_node;
  for (const auto& entry : tensors) {
    const auto& [members, value] = entry;
    const NodeId producer = value.second;
    std::vector<NodeId> others;
    for (NodeId x : members)
      if (x != producer) others.push_back(x);
    const std::set<NodeId>& succ = order_successors[producer];
    if (!carries[producer] && std::equal(others.begin(), others.end(), succ.begin(), succ.end())) {
      carries[producer] = 1;
      unit_comm[producer] = value.first;
    } else {
      own_node.push_back(&entry);
    }
  }

  GraphBuilder b(g.name, g.name);
  std::unordered_set<std::string> ids;
  // A unit is named after its first forward node (or first node).
  std::vector<NodeId> name_of(static_cast<std::size_t>(units), -1);
  for (NodeId x = 0; x < units; ++x) {
    for (NodeId v : constraints.members(x))
      if (name_of[x] < 0 || (g.is_backward(name_of[x]) && !g.is_backward(v))) name_of[x] = v;
    NodeSpec s;
    s.id = g.ids[name_of[x]];
    s.work = work[x];
    s.comm = unit_comm[x];
    s.memory = memory[x];
    s.op = g.op[name_of[x]];
    ids.insert(s.id);
    b.add_node(std::move(s));
  }
  for (NodeId a = 0; a < units; ++a)
    for (NodeId c : order_successors[a]) b.add_edge(a, c);
  for (const auto* entry : own_node) {
    const auto& [members, value] = *entry;
    NodeSpec s;
    s.id = g.ids[name_of[value.second]] + " (tensor)";
    while (!ids.insert(s.id).second) s.id += "'";
    s.comm = value.first;
    const NodeId t = b.add_node(std::move(s));
    for (NodeId x : members) b.add_edge(t, x);
  }
  if (g.memory_per_stage) b.set_memory_per_stage(*g.memory_per_stage);
  if (g.default_k) b.set_default_k(*g.default_k);
  p.graph = std::move(b).build();
  return p;
}

Partition lift_partition(const TrainingProjection& projection, const Partition& projected) {
  Partition p;
  p.k = projected.k;
  p.stage_of.resize(projection.node_of.size());
  for (std::size_t v = 0; v < projection.node_of.size(); ++v)
    p.stage_of[v] = projected.stage_of[projection.node_of[v]];
  return p;
}

}  // namespace pipecut
