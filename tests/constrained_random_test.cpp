// Every algorithm and bound under placement constraints (memory capacity, colour classes)
// against the exhaustive oracle on random small graphs with random capacities and classes,
// infeasible instances included: partitions satisfy the constraints and are never better than
// the constrained optimum; bounds never exceed it; exact methods equal it, and prove
// infeasibility exactly when the oracle finds no valid partition.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "pipecut/model/constraints.hpp"
#include "pipecut/partition/slicegraph.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

double slack(double value) { return 1e-9 * std::max(1.0, std::abs(value)); }

// A random instance: graph shape, k and constraint mix all vary with the seed.
struct Instance {
  Graph g;
  int k = 1;
};

Instance random_instance(std::uint64_t seed) {
  testing::RandomGraphOptions o;
  o.nodes = 3 + static_cast<int>(seed % 8);  // 3..10
  o.edge_probability = 0.15 + 0.1 * double(seed % 5);
  o.max_cost = 1 + static_cast<int>(seed % 5);
  o.fractional = seed % 3 == 0;
  Instance inst{testing::random_dag(seed, o), 1 + static_cast<int>((seed / 7) % 4)};
  testing::RandomConstraintOptions co;
  co.memory = seed % 6 != 0;                          // classes alone now and then
  co.max_classes = static_cast<int>(seed % 4);        // 0..3 classes
  co.capacity_low = seed % 2 == 0 ? 0.5 : 0.9;        // tight capacities: many infeasible
  testing::add_random_constraints(inst.g, inst.k, seed, co);
  return inst;
}

void expect_valid_under_constraints(const Graph& g, const Partition& p) {
  ASSERT_FALSE(partition_problem(g, p).has_value());
  EXPECT_TRUE(testing::satisfies_constraints(g, p));
  EXPECT_FALSE(constraint_violation(g, p).has_value());
}

TEST(ConstrainedRandom, DecodedOrdersKeepEveryHullContiguous) {
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    const Instance inst = random_instance(seed);
    const Graph& g = inst.g;
    const Constraints c = derive_constraints(g);
    std::vector<double> keys(g.num_nodes());
    for (NodeId v = 0; v < g.num_nodes(); ++v)
      keys[v] = double((v * 7919 + seed * 104729) % 1000) / 1000.0;
    const std::vector<NodeId> order = order_from_keys(g, keys);
    ASSERT_TRUE(is_topological_order(g, order)) << seed;
    // Each block occupies one run of positions.
    std::vector<int> first(c.num_blocks(), -1), last(c.num_blocks(), -1);
    for (int i = 0; i < g.num_nodes(); ++i) {
      const int b = c.block_of[order[i]];
      if (first[b] < 0) first[b] = i;
      last[b] = i;
    }
    for (int b = 0; b < c.num_blocks(); ++b)
      EXPECT_EQ(last[b] - first[b] + 1, static_cast<int>(c.members(b).size())) << seed;
  }
}

TEST(ConstrainedRandom, SliceGraphPartitionsAreValidAndNeverBelowTheOptimum) {
  int infeasible = 0, feasible = 0, found = 0, optimal = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    const Instance inst = random_instance(seed);
    const Graph& g = inst.g;
    SCOPED_TRACE("seed " + std::to_string(seed) + " k " + std::to_string(inst.k));
    const testing::BruteForceResult truth = testing::brute_force_optimum(g, inst.k);
    BrkgaConfig config = *BrkgaConfig::preset("brkga-100");
    config.seed = seed;
    config.threads = 1;
    for (const SliceGraphResult& r : {slicegraph(g, inst.k, config), slice_default_order(g, inst.k)}) {
      if (!truth.feasible) {
        EXPECT_FALSE(r.feasible);  // nothing valid exists, so nothing valid can be returned
        continue;
      }
      if (!r.feasible) continue;  // a heuristic may miss every valid partition
      expect_valid_under_constraints(g, r.partition);
      const double value = evaluate_partition(g, r.partition).bottleneck;
      EXPECT_NEAR(value, r.bottleneck, slack(value));
      EXPECT_GE(value, truth.optimum - slack(truth.optimum));
    }
    if (!truth.feasible) {
      ++infeasible;
      continue;
    }
    ++feasible;
    const SliceGraphResult r = slicegraph(g, inst.k, config);
    if (r.feasible) ++found;
    if (r.feasible && r.bottleneck <= truth.optimum + slack(truth.optimum)) ++optimal;
  }
  // The generator must produce both kinds, and SliceGraph should mostly succeed on tiny graphs.
  EXPECT_GT(infeasible, 30);
  EXPECT_GT(feasible, 150);
  EXPECT_GE(found, feasible * 95 / 100);
  EXPECT_GT(optimal, found * 8 / 10);
}

}  // namespace
}  // namespace pipecut
