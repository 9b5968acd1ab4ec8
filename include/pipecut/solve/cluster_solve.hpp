#pragma once
// Solving on a cluster (docs/clusters.md, "Solving on a heterogeneous cluster"): pipecut chooses
// the partition, which devices its stages use and in what order, and proves a lower bound.
#include <string>
#include <vector>

#include "pipecut/bounds/bounds.hpp"
#include "pipecut/model/cluster.hpp"
#include "pipecut/model/graph.hpp"
#include "pipecut/partition/algorithms.hpp"
#include "pipecut/solve/api.hpp"
#include "pipecut/solve/solution.hpp"
#include "pipecut/solve/solve.hpp"

namespace pipecut {

// A partition of g into at most k stages on distinct devices of c, with a lower bound valid for
// every such partition. On a homogeneous cluster (Cluster::homogeneous) this is today's solve of
// graph_on_class (model/cluster_cost.hpp), exactly: same bottleneck and bound, the stages on
// the devices in listing order. Otherwise the class-multiset slicing DP and the bounds of
// docs/clusters.md. `evaluation` lists the non-empty stages, each with its device.
// InputError when k < 1, k exceeds the device count, or g does not fit c's classes;
// InfeasibleError when a node fits no device; NoFeasiblePartitionError when the slicing finds
// no partition within the devices' memory.
Solution solve_on_cluster(const Graph& g, const Cluster& c, int k, const SolveOptions& options = {},
                          const RunControl& control = {});

// A partition only, as partition_graph (solve/api.hpp) gives one. An engine's split
// (options.algorithm uniform, memory-proportional, compute-proportional) is cluster_baseline.
// Otherwise, on a homogeneous cluster options.algorithm on graph_on_class, with its simple bound,
// the stages on the devices in listing order; on a heterogeneous one the heuristics of
// solve_on_cluster without its downset DP (the algorithm option does not choose among searches
// there yet). Same errors as solve_on_cluster.
Solution partition_on_cluster(const Graph& g, const Cluster& c, int k,
                              const PartitionOptions& options = {}, const RunControl& control = {});

// The splits serving engines use, as baselines (docs/clusters.md, "Baselines"): along the
// default topological order, on the first min(k, devices, nodes) devices in listing order,
//   "uniform"               equal operator counts (the first slices one more when uneven);
//   "memory-proportional"   each device's share of the node memory in proportion to its class's
//                           memory (of the operator count when no node has memory);
//   "compute-proportional"  each device's share of the work in proportion to its speed, the
//                           inverse of the whole graph's work on its class.
// Each is evaluated on the cluster with the cluster bounds; NoFeasiblePartitionError when the
// split overflows a device's memory or splits a colour class. InputError for another name.
Solution cluster_baseline(const Graph& g, const Cluster& c, int k, const std::string& name);
const std::vector<std::string>& cluster_baseline_names();

// Lower bounds on a cluster, as compute_bounds (solve/api.hpp) gives them without one: on a
// homogeneous cluster compute_bounds of graph_on_class (valid by the reduction); otherwise the
// cluster bounds below, each method of bound_methods() asked for (all when `methods` is empty)
// reported not_applicable, since its proof assumes identical devices. `bound_finished` is
// called after each. InputError for k as in solve_on_cluster or an unknown method.
BoundsReport compute_bounds_on_cluster(const Graph& g, const Cluster& c, int k,
                                       const std::vector<std::string>& methods = {},
                                       const BoundOptions& options = {},
                                       const RunControl& control = {});

// The lower bounds of docs/clusters.md ("Lower bound"), each valid for every partition of g on
// c into at most k stages: "cluster-node" (the cheapest node) and "cluster-work" (weighted total
// work); on a chain "cluster-chain", the exact optimum ("Chains exactly"), otherwise
// "cluster-downset" (bounds/cluster_downset.hpp), run within `time_limit_seconds` (0 = none).
// Throws InfeasibleError when some node fits no device class, or when the chain DP or the
// downset DP proves that no partition fits.
std::vector<BoundResult> cluster_lower_bounds(const Graph& g, const Cluster& c, int k,
                                              double time_limit_seconds = 0,
                                              const RunSignals& signals = {});

}  // namespace pipecut
