#pragma once
// Algorithm 2 of Archer et al. (SliceGraph): a biased random-key genetic algorithm over
// topological orders, each decoded and sliced optimally by OrderSlicer.
//
// A chromosome is n keys in [0,1). Decoding: Kahn's algorithm taking the ready node with the
// smallest key; the order is then sliced optimally into <= k stages; fitness = bottleneck.
// Determinism: the result depends only on (graph, k, config minus threads/time limit); decoding
// runs in parallel but every random number is drawn on the calling thread in a fixed sequence.
//
// Placement constraints (model/constraints.hpp) carried by the graph are honoured: decoding
// treats every hull as one super-node (keyed by its smallest member key), so hulls stay
// contiguous; an order with no valid slicing has fitness +inf; under a capacity the first
// population also holds an order that packs memory stage by stage. When no decoded order has a
// valid slicing the result is marked infeasible (which proves nothing about the instance).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pipecut/model/cost.hpp"
#include "pipecut/model/graph.hpp"
#include "pipecut/partition/slice_order.hpp"
#include "pipecut/util/stop.hpp"

namespace pipecut {

struct BrkgaConfig {
  int population = 100;
  int generations = 100;
  double elite_fraction = 0.2;    // copied unchanged to the next generation
  double mutant_fraction = 0.15;  // replaced by fresh random chromosomes
  double inherit_elite = 0.7;     // crossover: probability a key comes from the elite parent
  std::uint64_t seed = 1;
  int threads = 0;                // 0 = all hardware threads
  double time_limit_seconds = 0;  // 0 = none; when hit, the best so far is returned
  // Optional target: stop as soon as a partition with bottleneck <= stop_at is found.
  double stop_at = 0;
  // Optional cooperative stop: when set, return the best so far as if the time limit was hit.
  const StopFlag* stop = nullptr;

  // Named presets of the paper: "brkga-100" (10 x 10) and "brkga-10000" (100 x 100).
  static std::optional<BrkgaConfig> preset(const std::string& name);
};

struct SliceGraphResult {
  // false: no order tried had a valid slicing under the placement constraints; `partition` then
  // has no assignment (stage_of empty), bottleneck is +inf and order is empty.
  bool feasible = true;
  Partition partition;  // partition.k is the k asked for; stages used <= min(k, n)
  double bottleneck = 0.0;
  std::vector<NodeId> order;  // the topological order whose slicing gave the partition
  int generations_run = 0;
  long long orders_decoded = 0;  // decodes actually sliced (cache hits excluded)
  long long cache_hits = 0;
  bool hit_time_limit = false;
  double seconds = 0.0;
};

// SliceGraph: the first population holds a few deterministic orders (Kahn by index, depth-first,
// breadth-first by level, and the memory-packing order under a capacity) besides random keys.
SliceGraphResult slicegraph(const Graph& g, int k, const BrkgaConfig& config);

// The decoder's order: Kahn's algorithm taking the ready node with the smallest key (ties by
// node index), every hull as one super-node. keys has one entry per node.
std::vector<NodeId> order_from_keys(const Graph& g, std::span<const double> keys);

// The baseline: slice the default topological order (topological_order(), or the block order
// of model/constraints.hpp when the graph has hulls) optimally.
// With `stop`, the greedy slicing of that order when it fires (hit_time_limit set).
SliceGraphResult slice_default_order(const Graph& g, int k, const SliceStop& stop = {});

}  // namespace pipecut
