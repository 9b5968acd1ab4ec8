#pragma once
// Exact search in windows around the stage boundaries of a partition (a large-neighbourhood
// search; docs/partitioning.md). Within each stage, the units close to its start (few units on
// any path back to the stage's entry) and close to its end (few on any path to its exit) are
// left free; the rest of the stage is contracted into one cluster. The downset search
// (partition/downset.hpp) then finds the best partition that keeps those clusters whole, which
// is never worse than the start (the start keeps them whole). Windows grow while the search
// finishes within its limits; once they cover every unit, the result is optimal.
//
// Why the contraction is sound: the interior of a stage, {x : depth(x) > d and height(x) > h}
// with depth and height the longest paths inside the stage to x and from x, is convex (a path
// between two interior units stays in the stage and only gets deeper and higher inside), and no
// path leaves a stage and comes back, so the clusters' quotient is acyclic.
#include <cstdint>
#include <vector>

#include "pipecut/model/cost.hpp"
#include "pipecut/model/graph.hpp"
#include "pipecut/util/stop.hpp"

namespace pipecut {

struct WindowSearchOptions {
  double time_limit_seconds = 0;  // 0 = none; when hit, the best partition so far is returned
  const StopFlag* stop = nullptr;
  int initial_radius = 4;             // free units per side of each stage boundary, to start
  long long downset_limit = 200'000;  // per search: past it the windows shrink back
  long long pair_limit = 40'000'000;
  // First try the exact search over every unit, with a quarter of the limits (and of the time):
  // on narrow graphs it settles the question at once.
  bool exact_first = true;
  int threads = 1;  // for the downset searches (0 = all cores); never changes a result
  // Units that move together (one id per node, each a convex union of blocks); empty = the
  // blocks of the placement constraints.
  std::vector<int> unit_of;
};

struct WindowSearchResult {
  Partition partition;      // valid, satisfies the constraints, never worse than the start
  double bottleneck = 0.0;  // evaluate_partition of `partition`
  bool optimal = false;     // a window covered every unit: the optimum over partitions that
                            // keep the units whole (the true optimum with the default units)
  int searches = 0;         // downset searches run
  int improvements = 0;
  int largest_radius = 0;  // largest radius whose search finished
  bool hit_time_limit = false;
};

// `start` must be a valid partition that satisfies the placement constraints and keeps the
// units whole.
WindowSearchResult window_search(const Graph& g, const Partition& start,
                                 const WindowSearchOptions& options);

}  // namespace pipecut
