#include "pipecut/model/reductions.hpp"

#include <algorithm>
#include <limits>

namespace pipecut {

namespace {

// A node may move alone only if it is a block of its own (no colour class binds it to other
// nodes) and its memory cannot overflow the stage it moves into.
bool movable_alone(const Graph& g, const Constraints& c, std::span<const int> unit_size,
                   std::span<const int> unit_of, NodeId v) {
  if (c.members(c.block_of[v]).size() != 1) return false;
  if (!unit_of.empty() && unit_size[unit_of[v]] != 1) return false;
  return !c.capacity || g.memory[v] == 0;
}

}  // namespace

LeafReductions find_leaf_reductions(const Graph& g, const Constraints& c,
                                    std::span<const int> unit_of) {
  const int n = g.num_nodes();
  std::vector<int> unit_size;
  for (int u : unit_of) {
    if (u >= static_cast<int>(unit_size.size())) unit_size.resize(u + 1, 0);
    ++unit_size[u];
  }
  LeafReductions r;
  r.floating_source.assign(n, 0);
  r.sink_producer.assign(n, -1);
  r.island.assign(n, 0);
  for (NodeId v = 0; v < n; ++v) {
    if (g.work[v] != 0 || !movable_alone(g, c, unit_size, unit_of, v)) continue;
    const auto preds = g.predecessors(v);
    const auto succs = g.successors(v);
    if (preds.empty() && succs.empty()) {
      r.island[v] = 1;
      ++r.islands;
    } else if (succs.empty() && preds.size() == 1) {
      r.sink_producer[v] = preds[0];
      ++r.reducible_sinks;
    }
  }
  for (NodeId v = 0; v < n; ++v) {
    if (g.work[v] != 0 || !g.predecessors(v).empty() || !movable_alone(g, c, unit_size, unit_of, v))
      continue;
    // Floating only if some consumer stays behind when v's own reducible sinks follow it.
    for (NodeId w : g.successors(v))
      if (r.sink_producer[w] != v) {
        r.floating_source[v] = 1;
        ++r.floating_sources;
        break;
      }
  }
  // Keep a graph of nothing but islands as it is: there is no first stage to join.
  if (r.islands == n) {
    r.island.assign(n, 0);
    r.islands = 0;
  }
  return r;
}

Partition apply_leaf_reductions(const Graph& g, const LeafReductions& r, const Partition& p) {
  if (r.empty()) return p;
  Partition out = p;
  const int n = g.num_nodes();
  for (NodeId s = 0; s < n; ++s) {
    if (!r.floating_source[s]) continue;
    int earliest = std::numeric_limits<int>::max();
    for (NodeId w : g.successors(s))
      if (r.sink_producer[w] != s) earliest = std::min(earliest, p.stage_of[w]);
    out.stage_of[s] = earliest;
  }
  for (NodeId t = 0; t < n; ++t)
    if (r.sink_producer[t] >= 0) out.stage_of[t] = out.stage_of[r.sink_producer[t]];
  if (r.islands > 0) {
    int first = std::numeric_limits<int>::max();
    for (NodeId v = 0; v < n; ++v)
      if (!r.island[v]) first = std::min(first, out.stage_of[v]);
    for (NodeId v = 0; v < n; ++v)
      if (r.island[v]) out.stage_of[v] = first;
  }
  return out;
}

std::vector<NodeId> apply_leaf_reductions(const Graph& g, const LeafReductions& r,
                                          std::span<const NodeId> order) {
  std::vector<NodeId> out;
  if (r.empty()) {
    out.assign(order.begin(), order.end());
    return out;
  }
  const int n = g.num_nodes();
  out.reserve(n);
  std::vector<char> placed(n, 0);
  auto place_with_sinks = [&](NodeId v) {
    out.push_back(v);
    placed[v] = 1;
    for (NodeId w : g.successors(v))
      if (r.sink_producer[w] == v && !placed[w]) {
        out.push_back(w);
        placed[w] = 1;
      }
  };
  for (NodeId v = 0; v < n; ++v)
    if (r.island[v]) place_with_sinks(v);
  for (NodeId v : order) {
    if (placed[v] || r.floating_source[v] || r.sink_producer[v] >= 0) continue;
    for (NodeId s : g.predecessors(v))
      if (r.floating_source[s] && !placed[s]) place_with_sinks(s);
    place_with_sinks(v);
  }
  return out;
}

std::vector<int> light_source_units(const Graph& g, const Constraints& c, int max_unit_size) {
  const int n = g.num_nodes();
  const int blocks = c.num_blocks();
  std::vector<int> parent(blocks);
  std::vector<std::vector<NodeId>> members(blocks);
  std::vector<double> memory(c.block_memory);
  for (int b = 0; b < blocks; ++b) {
    parent[b] = b;
    const auto m = c.members(b);
    members[b].assign(m.begin(), m.end());
  }
  auto root = [&](NodeId v) {
    int b = c.block_of[v];
    while (parent[b] != b) b = parent[b] = parent[parent[b]];
    return b;
  };
  // Fixed point: a merge can make another unit a source (its producers joined it) or leave it
  // one consumer unit (two of its consumers merged), so passes repeat until nothing moves.
  for (bool merged = true; merged;) {
    merged = false;
    for (int u = 0; u < blocks; ++u) {
      if (parent[u] != u || (c.capacity && memory[u] > 0)) continue;
      bool source = true;
      int target = -1;
      for (NodeId v : members[u]) {
        for (NodeId p : g.predecessors(v)) source = source && root(p) == u;
        for (NodeId w : g.successors(v)) {
          const int t = root(w);
          if (t == u) continue;
          if (target == -1) target = t;
          if (t != target) source = false;
        }
        if (!source) break;
      }
      if (!source || target < 0) continue;
      if (static_cast<int>(members[u].size() + members[target].size()) > max_unit_size) continue;
      double work = 0, saved = 0;
      for (NodeId v : members[u]) {
        work += g.work[v];
        for (NodeId w : g.successors(v))
          if (root(w) == target) {
            saved += g.comm[v];
            break;
          }
      }
      if (work > saved) continue;
      parent[u] = target;
      members[target].insert(members[target].end(), members[u].begin(), members[u].end());
      members[u].clear();
      memory[target] += memory[u];
      merged = true;
    }
  }
  std::vector<int> unit_of(n, -1), id_of_root(blocks, -1);
  int units = 0;
  for (NodeId v = 0; v < n; ++v) {
    int& id = id_of_root[root(v)];
    if (id < 0) id = units++;
    unit_of[v] = id;
  }
  return unit_of;
}

}  // namespace pipecut
