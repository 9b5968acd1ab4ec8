#pragma once
// Multilevel partitioning (as in multilevel hypergraph partitioners): coarsen the graph by
// merging units (blocks of the placement constraints to start with) into convex clusters, find a
// partition that keeps the coarsest clusters whole (SliceGraph, then the exact downset search
// over the clusters when they are few), then improve it level by level down to single blocks:
// local moves (partition/refine.hpp), an optimal re-slicing of the order the partition induces,
// and an exact search in windows around the stage boundaries (partition/window_search.hpp).
//
// Costs are never approximated: a coarse level is the original graph with its clusters added as
// colocation groups, so every partition found at any level is a valid partition of the original
// graph, costed exactly; coarsening only restricts where the search looks.
#include <cstdint>
#include <vector>

#include "pipecut/model/constraints.hpp"
#include "pipecut/model/cost.hpp"
#include "pipecut/model/graph.hpp"
#include "pipecut/util/stop.hpp"

namespace pipecut {

// One coarsening level: a cluster per node; every cluster is convex and a union of the blocks of
// the placement constraints.
struct ClusterLevel {
  std::vector<int> cluster_of;  // per node
  int clusters = 0;
};

struct CoarsenOptions {
  int target_clusters = 0;         // stop at this many clusters (0 = 8 per stage, at least 64)
  double max_cluster_share = 0.5;  // a cluster's work stays below this share of W / k
};

// Levels from fine to coarse; levels[0] has the blocks as its clusters. Deterministic.
std::vector<ClusterLevel> coarsen(const Graph& g, const Constraints& constraints, int k,
                                  const CoarsenOptions& options = {});

// The graph with `level`'s clusters as its colour classes (each class a cluster), so that the
// constrained algorithms keep clusters whole. Costs, memory and capacity are unchanged.
Graph with_clusters_as_classes(const Graph& g, const ClusterLevel& level);

struct MultilevelOptions {
  std::uint64_t seed = 1;
  int threads = 0;
  int population = 30;  // SliceGraph on the coarsest level
  int generations = 30;
  double time_limit_seconds = 0;  // 0 = none
  const StopFlag* stop = nullptr;
  CoarsenOptions coarsen;
  long long coarse_downset_limit = 50'000;  // exact search on the coarsest level up to this
};

struct MultilevelResult {
  bool feasible = true;  // false: no partition satisfying the constraints was found
  Partition partition;   // valid; satisfies the constraints when feasible
  double bottleneck = 0.0;
  int levels = 0;  // coarsening levels used
  int coarsest_clusters = 0;
  int window_searches = 0;  // exact window searches run over all levels
  bool optimal = false;     // the last window search covered every block: proven optimal
  bool hit_time_limit = false;
};

MultilevelResult multilevel_partition(const Graph& g, int k, const MultilevelOptions& options);

}  // namespace pipecut
