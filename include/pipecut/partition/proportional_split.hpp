#pragma once
// The splits serving engines compute, as partition algorithms to compare against
// (docs/partitioning.md, "Baselines"; on a cluster docs/clusters.md, "Baselines"): the default
// topological order cut into consecutive slices, one per device.
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "pipecut/model/graph.hpp"

namespace pipecut {

// Cut positions (0 first, order.size() last) of `shares.size()` slices of `order`, every slice
// non-empty (so at most order.size() slices). With `equal_counts`, the slices take equal
// operator counts, the first ones one more when uneven. Otherwise slice b takes nodes while
// their `amount(v, b)` stays within its part shares[b] / sum(shares) of the whole amount (the
// whole measured with amount(·, b), that is on slice b's own device), keeping at least one node
// and leaving one for each later slice; the last slice takes the rest.
std::vector<int> proportional_cuts(std::span<const NodeId> order, std::span<const double> shares,
                                   const std::function<double(NodeId, int)>& amount,
                                   bool equal_counts);

// The names of the engines' splits: "uniform" (equal operator counts), "memory-proportional"
// (shares of the node memory, of the operator count when no node has memory) and
// "compute-proportional" (shares of the work).
const std::vector<std::string>& engine_split_names();

}  // namespace pipecut
