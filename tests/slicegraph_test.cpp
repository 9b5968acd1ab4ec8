// SliceGraph (BRKGA over orders) against the exhaustive optimum, determinism, limits.
#include <gtest/gtest.h>

#include "pipecut/bounds/simple.hpp"
#include "pipecut/io/graph_json.hpp"
#include "pipecut/partition/slicegraph.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

BrkgaConfig small_config(std::uint64_t seed) {
  BrkgaConfig c;
  c.population = 20;
  c.generations = 15;
  c.seed = seed;
  c.threads = 2;
  return c;
}

TEST(SliceGraph, ValidNeverBelowOptimumAndUsuallyOptimalOnSmallDags) {
  int instances = 0, optimal = 0;
  for (std::uint64_t seed = 1; seed <= 150; ++seed) {
    testing::RandomGraphOptions o;
    o.nodes = 4 + static_cast<int>(seed % 6);  // 4..9 nodes
    o.edge_probability = 0.2 + 0.1 * static_cast<double>(seed % 4);
    o.max_cost = 2 + static_cast<int>(seed % 4);
    o.fractional = seed % 2 == 0;
    Graph g = testing::random_dag(seed, o);
    for (int k = 2; k <= 4; ++k) {
      const double opt = testing::brute_force_optimum(g, k).optimum;
      SliceGraphResult r = slicegraph(g, k, small_config(seed));
      ASSERT_FALSE(partition_problem(g, r.partition).has_value());
      const double reported = evaluate_partition(g, r.partition).bottleneck;
      EXPECT_NEAR(reported, r.bottleneck, 1e-9);
      EXPECT_GE(r.bottleneck, opt - 1e-9) << "seed " << seed << " k " << k;
      EXPECT_LE(simple_lower_bound(g, k), opt + 1e-9);
      EXPECT_TRUE(is_topological_order(g, r.order));
      ++instances;
      if (r.bottleneck <= opt + 1e-9) ++optimal;
    }
  }
  // Slicing topological orders cannot express every partition (a stage need not be contiguous
  // in any order shared with the others), so not all instances are reachable; most are.
  EXPECT_GE(optimal, instances * 9 / 10) << optimal << " of " << instances;
}

TEST(SliceGraph, SameSeedSameResultWhateverTheThreadCount) {
  testing::RandomGraphOptions o;
  o.nodes = 120;
  o.edge_probability = 0.03;
  o.max_cost = 20;
  o.fractional = true;
  Graph g = testing::random_dag(99, o);
  BrkgaConfig c;
  c.population = 30;
  c.generations = 10;
  c.seed = 42;
  c.threads = 1;
  SliceGraphResult one = slicegraph(g, 8, c);
  c.threads = 2;
  SliceGraphResult two = slicegraph(g, 8, c);
  c.threads = 5;
  SliceGraphResult five = slicegraph(g, 8, c);
  EXPECT_EQ(one.partition.stage_of, two.partition.stage_of);
  EXPECT_EQ(one.partition.stage_of, five.partition.stage_of);
  EXPECT_EQ(one.bottleneck, five.bottleneck);
  EXPECT_EQ(one.orders_decoded, five.orders_decoded);
}

TEST(SliceGraph, NeverWorseThanTheDefaultOrderItIsSeededWith) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    testing::RandomGraphOptions o;
    o.nodes = 60;
    o.edge_probability = 0.05;
    o.max_cost = 9;
    Graph g = testing::random_dag(seed, o);
    for (int k : {2, 4, 8}) {
      const double topo = slice_default_order(g, k).bottleneck;
      BrkgaConfig c = small_config(seed);
      EXPECT_LE(slicegraph(g, k, c).bottleneck, topo + 1e-9);
    }
  }
}

TEST(SliceGraph, TimeLimitReturnsAValidPartitionMarkedAsSuch) {
  testing::RandomGraphOptions o;
  o.nodes = 2000;
  o.edge_probability = 2.0 / 2000;
  Graph g = testing::random_dag(5, o);
  BrkgaConfig c;
  c.population = 100;
  c.generations = 100000;
  c.time_limit_seconds = 0.3;
  SliceGraphResult r = slicegraph(g, 16, c);
  EXPECT_TRUE(r.hit_time_limit);
  EXPECT_LT(r.seconds, 5.0);  // generous: only checks that the limit is honoured at all
  EXPECT_FALSE(partition_problem(g, r.partition).has_value());
}

TEST(SliceGraph, PresetsMatchThePaper) {
  EXPECT_EQ(BrkgaConfig::preset("brkga-100")->population, 10);
  EXPECT_EQ(BrkgaConfig::preset("brkga-100")->generations, 10);
  EXPECT_EQ(BrkgaConfig::preset("brkga-10000")->population, 100);
  EXPECT_EQ(BrkgaConfig::preset("brkga-10000")->generations, 100);
  EXPECT_FALSE(BrkgaConfig::preset("brkga-7").has_value());
}

TEST(SliceGraph, ReachesTheKnownOptimumOfBert3AtFourStages) {
  Graph g = read_pipecut_graph(testing::data_path("samples/pipecut/bert_l-3_inference.json"));
  SliceGraphResult r = slicegraph(g, 4, *BrkgaConfig::preset("brkga-10000"));
  EXPECT_NEAR(r.bottleneck, 27.186146, 1e-5);
  EXPECT_NEAR(evaluate_partition(g, r.partition).bottleneck, 27.186146, 1e-5);
}

}  // namespace
}  // namespace pipecut

namespace pipecut {
namespace {

TEST(SliceGraph, KeysMadeFromAnOrderDecodeToThatOrder) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    testing::RandomGraphOptions o;
    o.nodes = 30;
    o.edge_probability = 0.1;
    Graph g = testing::random_dag(seed, o);
    auto order = testing::random_topological_order(g, seed);
    std::vector<double> keys(g.num_nodes());
    for (std::size_t i = 0; i < order.size(); ++i) keys[order[i]] = static_cast<double>(i) / 30.0;
    EXPECT_EQ(order_from_keys(g, keys), order);
  }
}

}  // namespace
}  // namespace pipecut
