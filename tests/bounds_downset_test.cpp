// Downset DP: exactness on chains (closed form) and clean give-up past its limits.
#include <gtest/gtest.h>

#include "pipecut/bounds/downset_dp.hpp"
#include "pipecut/io/read_graph.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

TEST(DownsetDp, GivesUpCleanlyPastTheDownsetLimit) {
  testing::RandomGraphOptions o;
  o.nodes = 14;
  o.edge_probability = 0.05;  // wide: thousands of downsets
  const Graph g = testing::random_dag(3, o);
  BoundOptions options;
  options.downset_limit = 100;
  const DownsetDpResult r = downset_dp(g, 4, options);
  EXPECT_EQ(r.status, BoundStatus::gave_up);
  EXPECT_EQ(r.optimum, 0.0);
  EXPECT_FALSE(r.partition.has_value());
  EXPECT_NE(r.reason.find("downsets"), std::string::npos);
}

TEST(DownsetDp, GivesUpCleanlyPastThePairLimit) {
  testing::RandomGraphOptions o;
  o.nodes = 12;
  o.edge_probability = 0.1;  // wide: many downsets and pairs
  const Graph g = testing::random_dag(7, o);
  BoundOptions options;
  options.downset_pair_limit = 50;
  const DownsetDpResult r = downset_dp(g, 3, options);
  EXPECT_EQ(r.status, BoundStatus::gave_up);
  EXPECT_FALSE(r.partition.has_value());
}

// A chain a -> b -> c -> d with unit work and comm: every stage is a contiguous run; with
// k = 2 the best split is {a, b} | {c, d}: 2 work + 1 out (b's tensor) = 3.
TEST(DownsetDp, SolvesAChainExactly) {
  GraphBuilder b("chain");
  for (const char* id : {"a", "b", "c", "d"}) b.add_node(testing::node(id, 1.0, 1.0));
  b.add_edge("a", "b");
  b.add_edge("b", "c");
  b.add_edge("c", "d");
  const Graph g = std::move(b).build();
  const DownsetDpResult r = downset_dp(g, 2, {});
  ASSERT_EQ(r.status, BoundStatus::proven);
  EXPECT_NEAR(r.optimum, 3.0, 1e-8);
  EXPECT_LE(r.optimum, 3.0);
  EXPECT_EQ(r.downsets, 5);
  ASSERT_TRUE(r.partition.has_value());
  EXPECT_NEAR(evaluate_partition(g, *r.partition).bottleneck, 3.0, 1e-12);
  EXPECT_NEAR(downset_dp(g, 1, {}).optimum, 4.0, 1e-8);  // one stage: all work, no comm
}

}  // namespace
}  // namespace pipecut
