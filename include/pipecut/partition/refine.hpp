#pragma once
// Local refinement of a pipeline partition: moves of boundary units (blocks of the placement
// constraints, or coarser clusters of the multilevel scheme) between adjacent stages, into a
// new stage while fewer than k are used, and swaps of two units across a stage boundary.
//
// Every move keeps the partition valid: stages stay in pipeline order (no edge goes backwards,
// so every stage stays convex), units stay whole (colocation holds), and no stage exceeds the
// memory capacity. A move is applied only if it lowers the costliest of the stages it changes;
// the sorted vector of stage costs then decreases lexicographically, so the bottleneck never
// rises and the search ends. The cost change of a move is computed from the tensors it touches
// (the unit's outputs and inputs), O(degree), never by re-evaluating the partition.
#include <vector>

#include "pipecut/model/constraints.hpp"
#include "pipecut/model/cost.hpp"
#include "pipecut/model/graph.hpp"
#include "pipecut/util/stop.hpp"

namespace pipecut {

struct RefineOptions {
  double time_limit_seconds = 0;  // 0 = none; when hit, the partition so far is returned
  const StopFlag* stop = nullptr;
  bool swaps = true;  // also try swapping two units across a boundary
};

struct RefineResult {
  Partition partition;      // valid, same k; never costlier than the start
  double bottleneck = 0.0;  // re-evaluated with evaluate_partition
  long long moves = 0;      // moves and swaps applied
  bool hit_time_limit = false;
};

// `start` must be a valid partition satisfying `constraints` (block_of from `constraints`).
// `unit_of` (optional, one entry per node) groups nodes into the units that move together; every
// unit must be convex and a union of blocks. Empty = the blocks of `constraints`.
RefineResult refine_partition(const Graph& g, const Constraints& constraints,
                              const Partition& start, const RefineOptions& options = {},
                              const std::vector<int>& unit_of = {});

}  // namespace pipecut
