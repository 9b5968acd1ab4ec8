#pragma once
// The `cluster-downset` bound (docs/clusters.md, "The downset DP on a cluster"): the downset DP
// over (downset, multiset of device types used, host of each open tensor), a device type being
// the devices of one class on one host. A stage receives its tensors over their true links and
// sends at the fastest link to a type that still has a free device, so every stage of every
// partition costs at least its price: the DP's optimum is a lower bound, and its partition,
// placed on devices and costed for real, is a candidate for solve. When the two agree the
// partition is proven optimal.
//
// Exponential in the width of the graph (the downsets of the block DAG of the placement
// constraints) and in the number of device types; it gives up cleanly past its limits.
#include <limits>
#include <optional>
#include <string>

#include "pipecut/bounds/bounds.hpp"
#include "pipecut/model/cluster_cost.hpp"
#include "pipecut/util/stop.hpp"

namespace pipecut {

struct ClusterDownsetOptions {
  // Bottleneck of some valid partition on the cluster (an upper bound on the optimum): stages
  // whose work on every class exceeds it are not enumerated. +inf = none (only memory prunes).
  double incumbent = std::numeric_limits<double>::infinity();
  // A lower bound on the optimum (0 = none). With an incumbent, the DP first runs at limits
  // bisecting the two: cheaper passes that either find the optimum or raise the bound, which a
  // time limit then still reports. Values below the floor count as the floor.
  double floor = 0;
  double time_limit_seconds = 0;                   // measured from the call; 0 = none
  const StopFlag* stop = nullptr;                  // stops the search (status time_limit)
  long long downset_limit = 1'000'000;             // give up past this many downsets
  double memory_limit_bytes = 1024.0 * (1 << 20);  // downsets and DP tables together
  long long multiset_limit = 20'000;  // give up past this many multisets of device types
};

struct ClusterDownsetResult {
  // proven: `value` is the optimum of the priced costs (a lower bound on the true optimum);
  // infeasible: no partition into at most k stages fits the devices (only without incumbent);
  // time_limit: `value` is the limit of the last pass that found no path (0 if none);
  // gave_up: `value` is 0.
  BoundStatus status = BoundStatus::gave_up;
  double value = 0;
  std::optional<Partition> partition;  // the DP's partition on devices, when proven
  long long downsets = 0;
  long long stages = 0;  // (downset, stage) pairs visited
  std::string detail;    // one line: counts, or why it stopped
};

// `costs` must outlive the call. InputError for k < 1.
ClusterDownsetResult cluster_downset_bound(const ClusterCosts& costs, int k,
                                           const ClusterDownsetOptions& options = {});

}  // namespace pipecut
