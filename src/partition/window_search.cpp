#include "pipecut/partition/window_search.hpp"

#include <algorithm>
#include <cstdlib>
#include <numeric>

#include "pipecut/model/constraints.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/partition/downset.hpp"
#include "pipecut/util/stopwatch.hpp"

namespace pipecut {

namespace {

// The units' quotient DAG in CSR form, with a topological order.
struct UnitDag {
  int count = 0;
  std::vector<int> succ_begin, succs, pred_begin, preds, order;
};

UnitDag unit_dag(const Graph& g, const std::vector<int>& unit_of) {
  UnitDag d;
  for (int u : unit_of) d.count = std::max(d.count, u + 1);
  std::vector<std::pair<int, int>> edges;
  for (NodeId a = 0; a < g.num_nodes(); ++a)
    for (NodeId b : g.successors(a))
      if (unit_of[a] != unit_of[b]) edges.emplace_back(unit_of[a], unit_of[b]);
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  auto csr = [&](bool forward, std::vector<int>& begin, std::vector<int>& list) {
    begin.assign(d.count + 1, 0);
    for (const auto& [a, b] : edges) ++begin[(forward ? a : b) + 1];
    for (int i = 0; i < d.count; ++i) begin[i + 1] += begin[i];
    list.resize(edges.size());
    std::vector<int> fill(begin.begin(), begin.end() - 1);
    for (const auto& [a, b] : edges) list[fill[forward ? a : b]++] = forward ? b : a;
  };
  csr(true, d.succ_begin, d.succs);
  csr(false, d.pred_begin, d.preds);
  std::vector<int> indegree(d.count);
  for (int x = 0; x < d.count; ++x) indegree[x] = d.pred_begin[x + 1] - d.pred_begin[x];
  for (int x = 0; x < d.count; ++x)
    if (indegree[x] == 0) d.order.push_back(x);
  for (std::size_t i = 0; i < d.order.size(); ++i)
    for (int e = d.succ_begin[d.order[i]]; e < d.succ_begin[d.order[i] + 1]; ++e)
      if (--indegree[d.succs[e]] == 0) d.order.push_back(d.succs[e]);
  if (static_cast<int>(d.order.size()) != d.count)
    throw InputError("window search: the units are not convex");
  return d;
}

// Node-level clusters for one search: in stage s, the start_radius[s] units of least depth and
// the end_radius[s] units of least height stay free (their own cluster), the rest of the stage
// is one cluster. Returns the number of free units through `free_units`.
std::vector<int> window_clusters(const Graph& g, const std::vector<int>& unit_of, const UnitDag& d,
                                 const std::vector<int>& unit_stage,
                                 const std::vector<int>& start_radius,
                                 const std::vector<int>& end_radius, int& free_units) {
  std::vector<int> depth(d.count, 0), height(d.count, 0);
  for (int x : d.order)
    for (int e = d.pred_begin[x]; e < d.pred_begin[x + 1]; ++e)
      if (unit_stage[d.preds[e]] == unit_stage[x])
        depth[x] = std::max(depth[x], depth[d.preds[e]] + 1);
  for (auto it = d.order.rbegin(); it != d.order.rend(); ++it)
    for (int e = d.succ_begin[*it]; e < d.succ_begin[*it + 1]; ++e)
      if (unit_stage[d.succs[e]] == unit_stage[*it])
        height[*it] = std::max(height[*it], height[d.succs[e]] + 1);
  int stages = 0;
  for (int s : unit_stage) stages = std::max(stages, s + 1);
  std::vector<std::vector<int>> by_stage(stages);
  for (int x = 0; x < d.count; ++x) by_stage[unit_stage[x]].push_back(x);
  std::vector<char> free(d.count, 0);
  for (int stage = 0; stage < stages; ++stage) {
    std::vector<int>& members = by_stage[stage];
    for (const std::vector<int>* key : {&depth, &height}) {
      const int radius = key == &depth ? start_radius[stage] : end_radius[stage];
      std::stable_sort(members.begin(), members.end(),
                       [&](int a, int b) { return (*key)[a] < (*key)[b]; });
      for (std::size_t i = 0; i < members.size() && static_cast<int>(i) < radius; ++i)
        free[members[i]] = 1;
    }
  }
  // Cluster ids: one per free unit, one per stage interior.
  std::vector<int> cluster_of_unit(d.count, -1), interior(stages, -1);
  int next = 0;
  free_units = 0;
  for (int x = 0; x < d.count; ++x) {
    if (free[x]) {
      cluster_of_unit[x] = next++;
      ++free_units;
    } else {
      int& id = interior[unit_stage[x]];
      if (id < 0) id = next++;
      cluster_of_unit[x] = id;
    }
  }
  std::vector<int> cluster_of(g.num_nodes());
  for (NodeId v = 0; v < g.num_nodes(); ++v) cluster_of[v] = cluster_of_unit[unit_of[v]];
  return cluster_of;
}

}  // namespace

WindowSearchResult window_search(const Graph& g, const Partition& start,
                                 const WindowSearchOptions& options) {
  if (auto problem = partition_problem(g, start)) throw InputError("window search: " + *problem);
  const Stopwatch timer;
  const int n = g.num_nodes();
  const std::vector<int> unit_of =
      options.unit_of.empty() ? derive_constraints(g).block_of : options.unit_of;
  if (static_cast<int>(unit_of.size()) != n)
    throw InputError("window search: unit_of must have one entry per node");
  const UnitDag dag = unit_dag(g, unit_of);

  WindowSearchResult result;
  result.partition = start;
  result.bottleneck = evaluate_partition(g, start).bottleneck;
  // Narrow graphs: the exact search over every unit may well be cheaper than a series of
  // windows. Tried first with a quarter of the limits; it gives up early when it would not fit.
  if (options.exact_first) {
    DownsetSearchOptions exact;
    exact.unit_of = unit_of;
    exact.incumbent = result.bottleneck;
    exact.warm_start = result.partition;
    exact.downset_limit = options.downset_limit / 4;
    exact.pair_limit = options.pair_limit / 4;
    exact.stop = options.stop;
    exact.threads = options.threads;
    if (options.time_limit_seconds > 0)
      exact.time_limit_seconds = 0.25 * options.time_limit_seconds;
    const DownsetSearchResult found = downset_search(g, start.k, exact);
    ++result.searches;
    if (found.status == DownsetStatus::optimal) {
      if (found.partition && found.partition_bottleneck < result.bottleneck) {
        result.partition = *found.partition;
        result.bottleneck = found.partition_bottleneck;
        ++result.improvements;
      }
      result.optimal = true;
      return result;
    }
  }
  int radius = std::max(1, options.initial_radius);
  for (;;) {
    if (timer.exceeded(options.time_limit_seconds) || stop_requested(options.stop)) {
      result.hit_time_limit = true;
      break;
    }
    std::vector<int> unit_stage(dag.count, 0);
    for (NodeId v = 0; v < n; ++v) unit_stage[unit_of[v]] = result.partition.stage_of[v];
    // Windows are widest around the costliest stages, which any improvement must shrink, and
    // halve with every stage further away.
    const Evaluation e = evaluate_partition(g, result.partition);
    std::vector<int> used;  // non-empty stages in pipeline order
    for (const StageCost& stage : e.stages)
      if (!stage.nodes.empty()) used.push_back(stage.stage);
    const int m = static_cast<int>(used.size());
    std::vector<int> distance(m, m);  // stages to the nearest critical stage
    for (int i = 0; i < m; ++i)
      if (e.stages[used[i]].cost >= e.bottleneck * (1 - 1e-9))
        for (int j = 0; j < m; ++j) distance[j] = std::min(distance[j], std::abs(i - j));
    const auto stored = static_cast<std::size_t>(stored_stages(g, start));  // not O(k)
    std::vector<int> start_radius(stored, 0), end_radius(stored, 0);
    auto decayed = [&](int d) { return d >= 30 ? 0 : radius >> d; };
    for (int i = 0; i < m; ++i) {
      // A boundary is as close to the critical stages as the nearer of its two sides.
      const int before = i > 0 ? std::min(distance[i - 1], distance[i]) : distance[i];
      const int after = i + 1 < m ? std::min(distance[i], distance[i + 1]) : distance[i];
      start_radius[used[i]] = decayed(before);
      end_radius[used[i]] = decayed(after);
    }
    int free_units = 0;
    DownsetSearchOptions search;
    search.unit_of =
        window_clusters(g, unit_of, dag, unit_stage, start_radius, end_radius, free_units);
    search.incumbent = result.bottleneck;
    search.warm_start = result.partition;
    search.downset_limit = options.downset_limit;
    search.pair_limit = options.pair_limit;
    search.stop = options.stop;
    search.threads = options.threads;
    if (options.time_limit_seconds > 0)
      search.time_limit_seconds = std::max(0.001, options.time_limit_seconds - timer.seconds());
    const DownsetSearchResult found = downset_search(g, start.k, search);
    ++result.searches;
    if (found.status != DownsetStatus::optimal) {
      result.hit_time_limit = found.status == DownsetStatus::time_limit;
      break;  // the windows are as large as the limits allow
    }
    result.largest_radius = radius;
    const bool improved = found.partition && found.partition_bottleneck < result.bottleneck;
    if (improved) {
      result.partition = *found.partition;
      result.bottleneck = found.partition_bottleneck;
      ++result.improvements;
    }
    if (free_units == dag.count) {  // nothing was contracted: the search was the exact DP
      result.optimal = true;
      break;
    }
    if (improved) continue;  // new boundaries: search around them with the same radius
    radius += std::max(1, radius / 2);
  }
  return result;
}

}  // namespace pipecut
