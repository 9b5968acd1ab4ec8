#pragma once
// The exact method for chains on a cluster (docs/clusters.md, "Chains exactly"): a DP over the
// chain's prefixes, the device types of the two stages around each cut, and the multiset of
// device types used. Internal to src/solve.
#include <optional>
#include <span>
#include <vector>

#include "pipecut/model/cluster_cost.hpp"
#include "pipecut/util/run_signals.hpp"
#include "pipecut/util/stopwatch.hpp"

namespace pipecut {

// The nodes of g in path order when g is a chain (one source; every node has at most one
// predecessor and one successor; all connected), else nullopt.
std::optional<std::vector<NodeId>> chain_order(const Graph& g);

// Which optimal partition the chain DP returns.
enum class ChainTies {
  devices,  // the fewest devices, then the least latency
  latency,  // the least latency, then the fewest devices
  none,     // the first the minimax pass found
};

struct ChainPlan {
  // The DP ran to the end: `optimum` is the least bottleneck over every partition of the chain
  // into at most k stages on distinct devices within their memory (infinite: none exists), up
  // to the rounding of its sums (certify() covers it: docs/bounds.md, "Numerics").
  bool complete = false;
  double optimum = 0;
  // A partition that reaches `optimum`, chosen among them by the ChainTies rule (latency: the
  // sum of its stage costs). device_of_stage set; stages 0.. in pipeline order.
  std::optional<Partition> partition;
};

// `incumbent`: the bottleneck of a known partition (or infinity), which prunes the search;
// the result is exact all the same. Incomplete when the state space is too large, or on a stop
// request or the time limit (counted by `clock`).
ChainPlan solve_chain_on_cluster(const ClusterCosts& costs, std::span<const NodeId> chain, int k,
                                 double incumbent, const Stopwatch& clock,
                                 double time_limit_seconds, const RunSignals& signals,
                                 ChainTies ties = ChainTies::devices);

}  // namespace pipecut
