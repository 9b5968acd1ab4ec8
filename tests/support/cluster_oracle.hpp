#pragma once
// The brute-force oracle of the cluster model (docs/clusters.md), written from the definition
// without the library's cluster code: stage costs, and the exact optimum over every assignment
// of nodes to stages and of stages to distinct devices. For tiny instances (n <= 7, D <= 4).
#include <cstdint>
#include <limits>
#include <optional>

#include "pipecut/model/cluster.hpp"
#include "pipecut/model/cost.hpp"
#include "pipecut/model/graph.hpp"

namespace pipecut::testing {

// The bottleneck of p (with p.device_of_stage) on c, recomputed from the definition; nullopt
// when p breaks a rule (an edge backwards, a non-empty stage without a device of its own, a
// stage above its device's memory, a split colour class).
std::optional<double> cluster_oracle_bottleneck(const Graph& g, const Cluster& c,
                                                const Partition& p);

// The sum of p's non-empty stage costs (its latency), from the definition; nullopt as above.
std::optional<double> cluster_oracle_latency(const Graph& g, const Cluster& c, const Partition& p);

struct ClusterOptimum {
  bool feasible = false;
  double bottleneck = 0;  // +inf when infeasible
  // Among the partitions whose bottleneck is exactly the optimum: the fewest non-empty stages,
  // then the least latency among those with that many.
  int fewest_devices = std::numeric_limits<int>::max();
  double least_latency = std::numeric_limits<double>::infinity();
  // The least latency of any optimal partition, whatever its device count.
  double least_latency_overall = std::numeric_limits<double>::infinity();
  Partition best;
  long long candidates = 0;  // (stage assignment, device sequence) pairs costed
};
// The optimum over every partition into at most k stages on distinct devices of c.
ClusterOptimum cluster_brute_force(const Graph& g, const Cluster& c, int k);

// A random tiny instance: 1-3 classes (speeds, memories), 1-2 hosts, 1-4 devices, per-pair
// links, and a graph of 2..max_nodes nodes with integer memory, some work maps, some bytes;
// with `chain`, the graph is the path of its nodes in index order.
struct ClusterInstance {
  Graph graph;
  Cluster cluster;
};
ClusterInstance random_cluster_instance(std::uint64_t seed, int max_nodes = 7, bool chain = false);

// g with node v's costs multiplied by factor[v]: its work, its class times, its comm and its
// bytes (so the time of its tensor over every link), for sweeps over the scale of numbers.
Graph with_node_cost_factors(Graph g, const std::vector<double>& factor);

// a and b within a relative 1e-12 of the larger: the same quantity computed by two sums of
// the same non-negative terms in another order (the library's and the oracle's), which round
// differently at most by a few units in the last place per term.
bool same_cost(double a, double b);
// a <= b, or the same cost as b (as above).
bool at_most_cost(double a, double b);

}  // namespace pipecut::testing
