// The downset search (partition/downset.hpp) against brute force: exact over all partitions with
// the blocks as units (with and without reductions and placement constraints), and exact over the
// partitions that keep coarser units whole.
#include <gtest/gtest.h>

#include <cmath>

#include "pipecut/model/constraints.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/partition/downset.hpp"
#include "pipecut/partition/multilevel.hpp"
#include "pipecut/partition/slicegraph.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

Graph random_instance(std::uint64_t seed, int k, bool constraints) {
  testing::RandomGraphOptions o;
  o.nodes = 5 + static_cast<int>(seed % 5);
  o.edge_probability = 0.2 + 0.1 * static_cast<double>(seed % 4);
  o.fractional = seed % 2 == 0;
  o.zero_work_sources = static_cast<int>(seed % 3);
  o.zero_work_sinks = static_cast<int>(seed % 2);
  Graph g = testing::random_dag(seed, o);
  if (constraints) {
    testing::RandomConstraintOptions c;
    c.max_memory = 3;
    c.at_least_heaviest = seed % 3 != 0;
    c.memory = seed % 4 != 1;
    testing::add_random_constraints(g, k, seed, c);
  }
  return g;
}

TEST(DownsetSearch, IsExactWithAndWithoutReductionsAndConstraints) {
  int infeasible = 0;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    const int k = 1 + static_cast<int>(seed % 4);
    const Graph g = random_instance(seed, k, seed % 2 == 0);
    const testing::BruteForceResult truth = testing::brute_force_optimum(g, k);
    for (bool reductions : {true, false}) {
      DownsetSearchOptions options;
      options.reductions = reductions;
      const DownsetSearchResult r = downset_search(g, k, options);
      if (!truth.feasible) {
        EXPECT_EQ(r.status, DownsetStatus::infeasible) << "seed " << seed;
        ++infeasible;
        continue;
      }
      ASSERT_EQ(r.status, DownsetStatus::optimal) << "seed " << seed << " " << r.reason;
      EXPECT_NEAR(r.bottleneck, truth.optimum, 1e-9) << "seed " << seed;
      ASSERT_TRUE(r.partition.has_value());
      ASSERT_FALSE(partition_problem(g, *r.partition)) << "seed " << seed;
      EXPECT_TRUE(testing::satisfies_constraints(g, *r.partition)) << "seed " << seed;
      EXPECT_NEAR(evaluate_partition(g, *r.partition).bottleneck, truth.optimum, 1e-9)
          << "seed " << seed;
      EXPECT_EQ(r.partition_bottleneck, evaluate_partition(g, *r.partition).bottleneck);
    }
  }
  EXPECT_GT(infeasible, 0);
}

TEST(DownsetSearch, AnIncumbentPrunesWithoutChangingTheOptimum) {
  for (std::uint64_t seed = 1; seed <= 100; ++seed) {
    const int k = 2 + static_cast<int>(seed % 3);
    const Graph g = random_instance(seed, k, false);
    const testing::BruteForceResult truth = testing::brute_force_optimum(g, k);
    DownsetSearchOptions options;
    options.incumbent = truth.optimum;  // the tightest valid incumbent
    options.warm_start = truth.best;
    const DownsetSearchResult r = downset_search(g, k, options);
    ASSERT_EQ(r.status, DownsetStatus::optimal) << "seed " << seed;
    EXPECT_NEAR(r.bottleneck, truth.optimum, 1e-9) << "seed " << seed;
    EXPECT_NEAR(r.partition_bottleneck, truth.optimum, 1e-9) << "seed " << seed;
  }
}

// No incumbent for odd seeds (the search slices the default order), the optimum for even ones.
DownsetSearchOptions alternate_incumbent(std::uint64_t seed,
                                         const testing::BruteForceResult& truth) {
  DownsetSearchOptions options;
  if (seed % 2 == 0) {
    options.incumbent = truth.optimum;
    options.warm_start = truth.best;
  }
  return options;
}

// A floor (a lower bound on the optimum) settles layers early and skips stages, yet the optimum,
// its partition and the capped optimum for every number of stages stay exact.
TEST(DownsetSearch, AFloorSkipsStagesWithoutChangingTheResult) {
  long long with_floor = 0, without_floor = 0;
  for (std::uint64_t seed = 1; seed <= 150; ++seed) {
    const int k = 2 + static_cast<int>(seed % 3);
    const Graph g = random_instance(seed, k, seed % 3 == 0);
    const testing::BruteForceResult truth = testing::brute_force_optimum(g, k);
    if (!truth.feasible) continue;
    DownsetSearchOptions options = alternate_incumbent(seed, truth);
    const DownsetSearchResult plain = downset_search(g, k, options);
    ASSERT_EQ(plain.status, DownsetStatus::optimal) << "seed " << seed;
    for (double fraction : {1.0, 0.97, 0.8}) {
      options.floor = fraction * truth.optimum;
      const DownsetSearchResult r = downset_search(g, k, options);
      ASSERT_EQ(r.status, DownsetStatus::optimal) << "seed " << seed;
      EXPECT_NEAR(r.bottleneck, truth.optimum, 1e-9) << "seed " << seed << " floor " << fraction;
      ASSERT_TRUE(r.partition.has_value());
      ASSERT_FALSE(partition_problem(g, *r.partition));
      EXPECT_TRUE(testing::satisfies_constraints(g, *r.partition)) << "seed " << seed;
      EXPECT_NEAR(r.partition_bottleneck, truth.optimum, 1e-9) << "seed " << seed;
      // Equal up to the order of the sums (another stage may attain the same value).
      ASSERT_EQ(r.capped_optimum_by_stages.size(), plain.capped_optimum_by_stages.size());
      for (std::size_t j = 1; j < r.capped_optimum_by_stages.size(); ++j)
        EXPECT_NEAR(r.capped_optimum_by_stages[j], plain.capped_optimum_by_stages[j], 1e-9)
            << "seed " << seed << " j=" << j;
      if (fraction == 1.0) {
        with_floor += r.pairs;
        without_floor += plain.pairs;
      }
    }
  }
  EXPECT_LT(with_floor, without_floor * 9 / 10);  // it does skip stages
}

// One search gives the optimum for every number of stages up to k, capped at its incumbent: with
// no incumbent (the sliced default order), a suboptimal one, and the optimum itself.
TEST(DownsetSearch, GivesTheCappedOptimumForEveryNumberOfStages) {
  int below_cap = 0, at_cap = 0;
  for (std::uint64_t seed = 1; seed <= 120; ++seed) {
    const int k = 2 + static_cast<int>(seed % 3);
    const Graph g = random_instance(seed, k, seed % 3 == 0);
    const testing::BruteForceResult truth = testing::brute_force_optimum(g, k);
    if (!truth.feasible) continue;
    DownsetSearchOptions options = alternate_incumbent(seed, truth);
    const DownsetSearchResult r = downset_search(g, k, options);
    ASSERT_EQ(r.status, DownsetStatus::optimal) << "seed " << seed;
    ASSERT_GE(r.capped_optimum_by_stages.size(), 2u);
    EXPECT_GE(r.cap, truth.optimum - 1e-9) << "seed " << seed;
    for (int j = 1; j <= k; ++j) {
      const std::size_t at = std::min<std::size_t>(j, r.capped_optimum_by_stages.size() - 1);
      const testing::BruteForceResult with_j = testing::brute_force_optimum(g, j);
      const double expected = with_j.feasible ? std::min(with_j.optimum, r.cap) : r.cap;
      EXPECT_NEAR(r.capped_optimum_by_stages[at], expected, 1e-9) << "seed " << seed << " j=" << j;
      (expected < r.cap ? below_cap : at_cap) += 1;
    }
  }
  EXPECT_GT(below_cap, 30);
  EXPECT_GT(at_cap, 20);  // fewer stages than k often cost more than the incumbent
}

// Without an incumbent (the default order has no slicing within the capacity) the rows are the
// exact optima, +inf where no partition into that many stages fits: callers such as the split
// bound combine them, and must never find them empty.
TEST(DownsetSearch, WithoutAnIncumbentGivesTheExactOptimumForEveryNumberOfStages) {
  int checked = 0, infinite = 0;
  for (std::uint64_t seed = 1; seed <= 400 && checked < 20; ++seed) {
    const int k = 2 + static_cast<int>(seed % 3);
    Graph g = random_instance(seed, k, false);
    testing::RandomConstraintOptions c;
    c.max_classes = 0;
    c.capacity_low = 0.8;
    c.capacity_high = 1.2;
    c.at_least_heaviest = true;
    testing::add_random_constraints(g, k, seed, c);
    if (!g.memory_per_stage || slice_default_order(g, k).feasible) continue;
    const testing::BruteForceResult truth = testing::brute_force_optimum(g, k);
    if (!truth.feasible) continue;
    ++checked;
    const DownsetSearchResult r = downset_search(g, k, {});
    ASSERT_EQ(r.status, DownsetStatus::optimal) << "seed " << seed;
    EXPECT_TRUE(std::isinf(r.cap));
    ASSERT_GE(r.capped_optimum_by_stages.size(), 2u);
    for (int j = 1; j <= k; ++j) {
      const std::size_t at = std::min<std::size_t>(j, r.capped_optimum_by_stages.size() - 1);
      const testing::BruteForceResult with_j = testing::brute_force_optimum(g, j);
      if (!with_j.feasible) {
        EXPECT_TRUE(std::isinf(r.capped_optimum_by_stages[at])) << "seed " << seed << " j=" << j;
        ++infinite;
      } else {
        // The optimum of the exact-cost view: at most the graph's, and within its rounding.
        EXPECT_LE(r.capped_optimum_by_stages[at], with_j.optimum) << "seed " << seed << " j=" << j;
        EXPECT_GE(r.capped_optimum_by_stages[at], with_j.optimum * (1 - 1e-12));
      }
    }
  }
  EXPECT_GE(checked, 20);
  EXPECT_GT(infinite, 0);
}

// Coarse units (convex clusters from the multilevel coarsening): the search returns the best
// partition that keeps every cluster whole, which brute force finds with the clusters as colour
// classes.
TEST(DownsetSearch, IsExactOverPartitionsThatKeepUnitsWhole) {
  int coarse = 0;
  for (std::uint64_t seed = 1; seed <= 150; ++seed) {
    const int k = 2 + static_cast<int>(seed % 3);
    const Graph g = random_instance(seed, k, false);
    const Constraints c = derive_constraints(g);
    CoarsenOptions co;
    co.target_clusters = 3;
    co.max_cluster_share = 10;
    const std::vector<ClusterLevel> levels = coarsen(g, c, k, co);
    const ClusterLevel& level = levels.back();
    coarse += level.clusters < g.num_nodes();
    const testing::BruteForceResult truth =
        testing::brute_force_optimum(with_clusters_as_classes(g, level), k);
    DownsetSearchOptions options;
    options.unit_of = level.cluster_of;
    const DownsetSearchResult r = downset_search(g, k, options);
    ASSERT_EQ(r.status, DownsetStatus::optimal) << "seed " << seed;
    EXPECT_NEAR(r.bottleneck, truth.optimum, 1e-9) << "seed " << seed;
    ASSERT_TRUE(r.partition.has_value());
    for (NodeId v = 0; v < g.num_nodes(); ++v) {
      for (NodeId w = 0; w < g.num_nodes(); ++w) {
        if (level.cluster_of[v] == level.cluster_of[w]) {
          ASSERT_EQ(r.partition->stage_of[v], r.partition->stage_of[w]) << "seed " << seed;
        }
      }
    }
  }
  EXPECT_GT(coarse, 100);
}

TEST(DownsetSearch, ThreadsDoNotChangeTheResult) {
  testing::RandomGraphOptions o;
  o.nodes = 18;
  o.edge_probability = 0.1;  // wide enough for size classes of many downsets
  o.fractional = true;
  o.zero_work_sources = 2;
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    const Graph g = testing::random_dag(seed, o);
    DownsetSearchOptions one, two;
    two.threads = 2;
    const DownsetSearchResult a = downset_search(g, 4, one), b = downset_search(g, 4, two);
    ASSERT_EQ(a.status, DownsetStatus::optimal);
    ASSERT_EQ(b.status, DownsetStatus::optimal);
    EXPECT_GT(a.downsets, 1000) << "seed " << seed;  // several threads per size
    EXPECT_EQ(a.bottleneck, b.bottleneck);
    EXPECT_EQ(a.partition->stage_of, b.partition->stage_of);
    EXPECT_EQ(a.pairs, b.pairs);
  }
}

TEST(DownsetSearch, RejectsUnitsThatAreNotConvex) {
  GraphBuilder b("path", "path");
  for (const char* id : {"a", "b", "c"}) b.add_node(testing::node(id, 1, 1));
  b.add_edge("a", "b");
  b.add_edge("b", "c");
  const Graph g = std::move(b).build();
  DownsetSearchOptions options;
  options.unit_of = {0, 1, 0};  // {a, c} without b in between
  EXPECT_THROW(downset_search(g, 2, options), InputError);
}

TEST(DownsetSearch, GivesUpCleanlyPastItsLimits) {
  testing::RandomGraphOptions o;
  o.nodes = 14;
  o.edge_probability = 0.05;  // wide: thousands of downsets
  const Graph g = testing::random_dag(3, o);
  DownsetSearchOptions options;
  options.downset_limit = 100;
  DownsetSearchResult r = downset_search(g, 3, options);
  EXPECT_EQ(r.status, DownsetStatus::gave_up);
  EXPECT_FALSE(r.partition.has_value());
  EXPECT_NE(r.reason.find("downsets"), std::string::npos);
  options.downset_limit = 1'000'000;
  options.pair_limit = 50;
  r = downset_search(g, 3, options);
  EXPECT_EQ(r.status, DownsetStatus::gave_up);
  EXPECT_NE(r.reason.find("pairs"), std::string::npos);
}

}  // namespace
}  // namespace pipecut
