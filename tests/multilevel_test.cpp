// Multilevel partitioning and the window search against the exhaustive oracle: every partition
// is valid, satisfies the placement constraints and is never below the optimum; the window
// search never makes its start worse, and when it reports a proof of optimality the oracle
// agrees.
#include <gtest/gtest.h>

#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/constraints.hpp"
#include "pipecut/partition/multilevel.hpp"
#include "pipecut/partition/slice_order.hpp"
#include "pipecut/partition/slicegraph.hpp"
#include "pipecut/partition/window_search.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

Graph instance(std::uint64_t seed, int k) {
  testing::RandomGraphOptions o;
  o.nodes = 6 + static_cast<int>(seed % 5);
  o.edge_probability = 0.2 + 0.1 * static_cast<double>(seed % 3);
  o.fractional = seed % 2 == 1;
  o.zero_work_sources = static_cast<int>(seed % 2);
  Graph g = testing::random_dag(seed, o);
  if (seed % 3 == 0) {
    testing::RandomConstraintOptions c;
    c.capacity_low = 1.0;
    c.at_least_heaviest = true;
    c.memory = seed % 2 == 0;
    testing::add_random_constraints(g, k, seed, c);
  }
  return g;
}

TEST(Multilevel, PartitionsAreValidAndNeverBelowTheOptimum) {
  int checked = 0, optimal = 0;
  for (std::uint64_t seed = 1; seed <= 120; ++seed) {
    const int k = 2 + static_cast<int>(seed % 3);
    const Graph g = instance(seed, k);
    const testing::BruteForceResult truth = testing::brute_force_optimum(g, k);
    MultilevelOptions options;
    options.threads = 1;
    options.seed = seed;
    options.coarsen.target_clusters = 3;  // force coarsening on these small graphs
    options.coarsen.max_cluster_share = 2;
    const MultilevelResult r = multilevel_partition(g, k, options);
    if (!r.feasible) {
      EXPECT_FALSE(truth.feasible && derive_constraints(g).hulls == 0 && !g.memory_per_stage)
          << "seed " << seed;  // without constraints a partition always exists
      continue;
    }
    ASSERT_FALSE(partition_problem(g, r.partition)) << "seed " << seed;
    EXPECT_TRUE(testing::satisfies_constraints(g, r.partition)) << "seed " << seed;
    EXPECT_DOUBLE_EQ(r.bottleneck, evaluate_partition(g, r.partition).bottleneck);
    EXPECT_GE(r.bottleneck, truth.optimum - 1e-9) << "seed " << seed;
    if (r.optimal) {
      EXPECT_NEAR(r.bottleneck, truth.optimum, 1e-9) << "seed " << seed;
    }
    ++checked;
    optimal += r.bottleneck <= truth.optimum + 1e-9;
  }
  EXPECT_GT(checked, 100);
  // On graphs this small the finest window search covers everything: it proves the optimum.
  EXPECT_EQ(optimal, checked);
}

TEST(WindowSearch, NeverWorseThanItsStartAndOptimalWhenItSaysSo) {
  int improved = 0, proven = 0, runs = 0;
  for (std::uint64_t seed = 1; seed <= 150; ++seed) {
    const int k = 2 + static_cast<int>(seed % 3);
    const Graph g = instance(seed, k);
    const SliceGraphResult start = slice_default_order(g, k);
    if (!start.feasible) continue;
    const testing::BruteForceResult truth = testing::brute_force_optimum(g, k);
    WindowSearchOptions options;
    options.initial_radius = 1;
    options.exact_first = seed % 5 == 0;  // mostly the windows themselves
    // Small limits on some runs: the search must stop with a valid, no worse partition.
    if (seed % 4 == 0) options.downset_limit = 20;
    const WindowSearchResult r = window_search(g, start.partition, options);
    ASSERT_FALSE(partition_problem(g, r.partition)) << "seed " << seed;
    EXPECT_TRUE(testing::satisfies_constraints(g, r.partition)) << "seed " << seed;
    EXPECT_DOUBLE_EQ(r.bottleneck, evaluate_partition(g, r.partition).bottleneck);
    EXPECT_LE(r.bottleneck, start.bottleneck + 1e-12) << "seed " << seed;
    EXPECT_GE(r.bottleneck, truth.optimum - 1e-9) << "seed " << seed;
    if (r.optimal) {
      EXPECT_NEAR(r.bottleneck, truth.optimum, 1e-9) << "seed " << seed;
      ++proven;
    }
    improved += r.bottleneck < start.bottleneck - 1e-9;
    ++runs;
  }
  EXPECT_GT(improved, runs / 4);
  EXPECT_GT(proven, runs / 2);
}

TEST(Multilevel, FindsTheOptimumOfBert3) {
  const Graph g = read_graph(testing::data_path("samples/pipecut/bert_l-3_inference.json"));
  MultilevelOptions options;
  options.threads = 1;
  const MultilevelResult r = multilevel_partition(g, 4, options);
  EXPECT_NEAR(r.bottleneck, 27.186146, 1e-6);  // the optimum (docs/bounds.md)
}

}  // namespace
}  // namespace pipecut
