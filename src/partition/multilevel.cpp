#include "pipecut/partition/multilevel.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <tuple>

#include "pipecut/model/error.hpp"
#include "pipecut/partition/downset.hpp"
#include "pipecut/partition/refine.hpp"
#include "pipecut/partition/slice_order.hpp"
#include "pipecut/partition/slicegraph.hpp"
#include "pipecut/partition/window_search.hpp"
#include "pipecut/util/stopwatch.hpp"

namespace pipecut {

namespace {

struct ClusterEdge {
  int from, to;
  double comm;  // transfer cost on the cut between the two clusters
};

// One round of matching on the cluster DAG of `level`. Two clusters merge only when one is the
// other's single successor or single predecessor cluster: no path can then leave one and come
// back into the other, so the union is convex, and that stays true whatever other pairs merge in
// the same round (merging adds no edge between clusters).
ClusterLevel match_once(const Graph& g, const ClusterLevel& level, double max_work,
                        double max_memory) {
  const int count = level.clusters;
  std::vector<double> work(count, 0.0), memory(count, 0.0);
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    work[level.cluster_of[v]] += g.work[v];
    memory[level.cluster_of[v]] += g.memory[v];
  }
  // Edges between clusters with the comm of the tensors crossing them (a tensor is counted
  // once per consuming cluster, as a stage boundary would count it).
  std::vector<ClusterEdge> edges;
  std::vector<int> seen_for(count, -1);
  for (NodeId u = 0; u < g.num_nodes(); ++u) {
    const int a = level.cluster_of[u];
    for (NodeId v : g.successors(u)) {
      const int b = level.cluster_of[v];
      if (a == b || seen_for[b] == u) continue;
      seen_for[b] = u;
      edges.push_back({a, b, g.comm[u]});
    }
  }
  std::sort(edges.begin(), edges.end(), [](const ClusterEdge& x, const ClusterEdge& y) {
    return std::tie(x.from, x.to) < std::tie(y.from, y.to);
  });
  // Merge parallel edges (several tensors between the same two clusters).
  std::vector<ClusterEdge> merged;
  for (const ClusterEdge& e : edges) {
    if (!merged.empty() && merged.back().from == e.from && merged.back().to == e.to)
      merged.back().comm += e.comm;
    else
      merged.push_back(e);
  }
  std::vector<int> successors(count, 0), predecessors(count, 0);
  for (const ClusterEdge& e : merged) {
    ++successors[e.from];
    ++predecessors[e.to];
  }
  std::vector<ClusterEdge> candidates;
  for (const ClusterEdge& e : merged)
    if ((successors[e.from] == 1 || predecessors[e.to] == 1) &&
        work[e.from] + work[e.to] <= max_work && memory[e.from] + memory[e.to] <= max_memory)
      candidates.push_back(e);
  // Heaviest transfers first (cutting them is what costs); among equals, the lightest pair.
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](const ClusterEdge& x, const ClusterEdge& y) {
                     if (x.comm != y.comm) return x.comm > y.comm;
                     return work[x.from] + work[x.to] < work[y.from] + work[y.to];
                   });
  std::vector<int> partner(count, -1);
  for (const ClusterEdge& e : candidates)
    if (partner[e.from] < 0 && partner[e.to] < 0) {
      partner[e.from] = e.to;
      partner[e.to] = e.from;
    }
  std::vector<int> renamed(count, -1);
  ClusterLevel next;
  for (int x = 0; x < count; ++x) {
    if (renamed[x] >= 0) continue;
    renamed[x] = next.clusters;
    if (partner[x] >= 0) renamed[partner[x]] = next.clusters;
    ++next.clusters;
  }
  next.cluster_of.resize(g.num_nodes());
  for (NodeId v = 0; v < g.num_nodes(); ++v) next.cluster_of[v] = renamed[level.cluster_of[v]];
  return next;
}

}  // namespace

std::vector<ClusterLevel> coarsen(const Graph& g, const Constraints& constraints, int k,
                                  const CoarsenOptions& options) {
  if (k < 1) throw InputError("k must be at least 1 (got " + std::to_string(k) + ")");
  std::vector<ClusterLevel> levels(1);
  levels[0].cluster_of = constraints.block_of;
  levels[0].clusters = constraints.num_blocks();
  const int target = options.target_clusters > 0 ? options.target_clusters : std::max(64, 8 * k);
  const double total = g.total_work();
  const double max_work =
      total > 0 ? options.max_cluster_share * total / k : std::numeric_limits<double>::infinity();
  // Keep clusters at most half a device, so that packing them into stages stays possible.
  const double max_memory =
      constraints.capacity ? 0.5 * *constraints.capacity : std::numeric_limits<double>::infinity();
  while (levels.back().clusters > target) {
    ClusterLevel next = match_once(g, levels.back(), max_work, max_memory);
    // Stop when a round barely shrinks the graph: further levels would cost more than they give.
    if (next.clusters > 0.95 * levels.back().clusters) break;
    levels.push_back(std::move(next));
  }
  return levels;
}

Graph with_clusters_as_classes(const Graph& g, const ClusterLevel& level) {
  Graph coarse = g;
  std::vector<int> size(level.clusters, 0);
  for (int c : level.cluster_of) ++size[c];
  std::vector<int> class_of(level.clusters, -1);
  coarse.colour_labels.clear();
  for (int c = 0; c < level.clusters; ++c)
    if (size[c] > 1) {
      class_of[c] = static_cast<int>(coarse.colour_labels.size());
      coarse.colour_labels.push_back({"cluster " + std::to_string(c), false});
    }
  coarse.colour_class.assign(g.num_nodes(), -1);
  for (NodeId v = 0; v < g.num_nodes(); ++v) coarse.colour_class[v] = class_of[level.cluster_of[v]];
  if (coarse.colour_labels.empty()) coarse.colour_class.clear();
  return coarse;
}

MultilevelResult multilevel_partition(const Graph& g, int k, const MultilevelOptions& options) {
  if (k < 1) throw InputError("k must be at least 1 (got " + std::to_string(k) + ")");
  const Stopwatch timer;
  const double limit = options.time_limit_seconds;
  // Seconds for a step that may take `share` of what is left (0 = no limit).
  auto budget = [&](double share) {
    return limit > 0 ? std::max(0.001, share * (limit - timer.seconds())) : 0.0;
  };
  auto out_of_time = [&] { return timer.exceeded(limit) || stop_requested(options.stop); };
  const Constraints constraints = derive_constraints(g);
  const std::vector<ClusterLevel> levels = coarsen(g, constraints, k, options.coarsen);
  MultilevelResult result;
  result.levels = static_cast<int>(levels.size());
  result.coarsest_clusters = levels.back().clusters;

  // The coarsest level: SliceGraph over orders that keep every cluster whole, then the exact
  // downset search over the clusters when they are few enough. If clusters make the constraints
  // unsatisfiable there, try finer levels.
  BrkgaConfig search;
  search.population = options.population;
  search.generations = options.generations;
  search.seed = options.seed;
  search.threads = options.threads;
  search.stop = options.stop;
  search.time_limit_seconds = budget(0.2);
  std::optional<Partition> start;
  double value = 0;
  int level = static_cast<int>(levels.size()) - 1;
  for (; level >= 0 && !start; --level) {
    const SliceGraphResult found =
        slicegraph(level == 0 ? g : with_clusters_as_classes(g, levels[level]), k, search);
    result.hit_time_limit = result.hit_time_limit || found.hit_time_limit;
    if (!found.feasible) continue;
    start = found.partition;
    value = evaluate_partition(g, *start).bottleneck;
    DownsetSearchOptions exact;
    exact.unit_of = levels[level].cluster_of;
    exact.incumbent = value;
    exact.warm_start = start;
    exact.downset_limit = options.coarse_downset_limit;
    exact.pair_limit = 20 * options.coarse_downset_limit;
    exact.time_limit_seconds = budget(0.15);
    exact.stop = options.stop;
    const DownsetSearchResult dp = downset_search(g, k, exact);
    if (dp.status == DownsetStatus::optimal && dp.partition && dp.partition_bottleneck < value) {
      start = dp.partition;
      value = dp.partition_bottleneck;
    }
  }
  if (!start) {
    result.feasible = false;
    return result;
  }
  // From the coarsest level that gave a partition down to single blocks: alternate local moves
  // of the level's clusters with an optimal re-slicing of the order the partition induces
  // (stages in pipeline order, each in topological order: the partition itself is one slicing
  // of it, so re-slicing never makes it worse) until neither improves; then search windows
  // around the stage boundaries exactly, with the level's clusters as units.
  Partition current = *start;
  const std::vector<NodeId> topological = topological_order(g);
  const int finest_kept = level + 1;
  for (int l = finest_kept; l >= 0; --l) {
    const Graph at_level = l == 0 ? g : with_clusters_as_classes(g, levels[l]);
    for (;;) {
      if (out_of_time()) {
        result.hit_time_limit = true;
        break;
      }
      RefineOptions refine;
      refine.stop = options.stop;
      refine.time_limit_seconds = budget(1.0);
      const RefineResult refined =
          refine_partition(g, constraints, current, refine, levels[l].cluster_of);
      const double before = value;
      current = refined.partition;
      value = refined.bottleneck;
      std::vector<NodeId> order = topological;
      std::stable_sort(order.begin(), order.end(), [&](NodeId a, NodeId b) {
        return current.stage_of[a] < current.stage_of[b];
      });
      // Stopped by the time limit, the slicer gives its greedy slicing: kept only if better.
      const SliceResult sliced = slice_order(at_level, order, k, out_of_time);
      if (sliced.feasible && sliced.bottleneck < value * (1 - 1e-9)) {
        current = partition_from_cuts(g, order, sliced.cuts);
        current.k = k;  // the slicer works with min(k, n) segments
        value = evaluate_partition(g, current).bottleneck;
      }
      if (!(value < before * (1 - 1e-9))) break;
    }
    if (out_of_time()) break;
    WindowSearchOptions windows;
    windows.unit_of = levels[l].cluster_of;
    windows.stop = options.stop;
    // Coarse levels get a slice of the time; the finest level what is left.
    windows.time_limit_seconds = budget(l == 0 ? 1.0 : 0.25);
    const WindowSearchResult searched = window_search(g, current, windows);
    if (searched.bottleneck < value) {
      current = searched.partition;
      value = searched.bottleneck;
    }
    if (l == 0) result.optimal = searched.optimal;
    result.window_searches += searched.searches;
  }
  result.hit_time_limit = result.hit_time_limit || out_of_time();
  result.partition = current;
  result.bottleneck = value;
  return result;
}

}  // namespace pipecut
