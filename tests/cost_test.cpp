// The reference evaluator (model/cost.hpp) on hand-computed examples.
#include <gtest/gtest.h>

#include <algorithm>

#include "pipecut/model/cost.hpp"
#include "pipecut/model/error.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

// a -> b, a -> c, a -> d, b -> d, c -> d.   work: a1 b2 c3 d4; comm: a10 b20 c30 d40.
Graph diamond() {
  GraphBuilder b("diamond", "diamond");
  b.add_node(testing::node("a", 1, 10));
  b.add_node(testing::node("b", 2, 20));
  b.add_node(testing::node("c", 3, 30));
  b.add_node(testing::node("d", 4, 40));
  b.add_edge("a", "b");
  b.add_edge("a", "c");
  b.add_edge("a", "d");
  b.add_edge("b", "d");
  b.add_edge("c", "d");
  return std::move(b).build();
}

TEST(Cost, TensorConsumedByTwoNodesOfOneStageIsReceivedOnce) {
  Graph g = diamond();
  // Stage 0 = {a}, stage 1 = {b, c, d}: a's tensor is consumed by b, c and d but received once.
  Evaluation e = evaluate_partition(g, {2, {0, 1, 1, 1}});
  EXPECT_DOUBLE_EQ(e.stages[0].work, 1);
  EXPECT_DOUBLE_EQ(e.stages[0].comm_in, 0);
  EXPECT_DOUBLE_EQ(e.stages[0].comm_out, 10);  // sent once
  EXPECT_DOUBLE_EQ(e.stages[0].cost, 11);
  EXPECT_DOUBLE_EQ(e.stages[1].work, 9);
  EXPECT_DOUBLE_EQ(e.stages[1].comm_in, 10);  // received once
  EXPECT_DOUBLE_EQ(e.stages[1].comm_out, 0);  // d has no consumer
  EXPECT_DOUBLE_EQ(e.stages[1].cost, 19);
  EXPECT_DOUBLE_EQ(e.bottleneck, 19);
  EXPECT_EQ(e.bottleneck_stage, 1);
  EXPECT_EQ(e.stages_used, 2);
}

TEST(Cost, TensorConsumedBySeveralLaterStagesIsSentOnceAndReceivedByEach) {
  Graph g = diamond();
  // {a} | {b} | {c} | {d}: a's tensor goes to stages 1, 2 and 3.
  Evaluation e = evaluate_partition(g, {4, {0, 1, 2, 3}});
  EXPECT_DOUBLE_EQ(e.stages[0].cost, 1 + 10);            // a sent once
  EXPECT_DOUBLE_EQ(e.stages[1].cost, 2 + 10 + 20);       // receives a, sends b
  EXPECT_DOUBLE_EQ(e.stages[2].cost, 3 + 10 + 30);       // receives a, sends c
  EXPECT_DOUBLE_EQ(e.stages[3].cost, 4 + 10 + 20 + 30);  // receives a, b, c
  EXPECT_DOUBLE_EQ(e.bottleneck, 64);
}

TEST(Cost, ProducerWithConsumersInsideAndOutsideIsSent) {
  Graph g = diamond();
  // {a, b} | {c, d}: a is consumed inside (b) and outside (c, d): sent once; b sent to d.
  Evaluation e = evaluate_partition(g, {2, {0, 0, 1, 1}});
  EXPECT_DOUBLE_EQ(e.stages[0].comm_out, 30);
  EXPECT_DOUBLE_EQ(e.stages[0].cost, 3 + 30);
  EXPECT_DOUBLE_EQ(e.stages[1].comm_in, 30);
  EXPECT_DOUBLE_EQ(e.stages[1].cost, 7 + 30);
}

TEST(Cost, SingleStageCostsTotalWorkAndEmptyStagesCostZero) {
  Graph g = diamond();
  Evaluation e = evaluate_partition(g, {3, {1, 1, 1, 1}});
  EXPECT_DOUBLE_EQ(e.stages[0].cost, 0);
  EXPECT_DOUBLE_EQ(e.stages[1].cost, 10);
  EXPECT_DOUBLE_EQ(e.stages[2].cost, 0);
  EXPECT_EQ(e.stages_used, 1);
  EXPECT_EQ(e.bottleneck_stage, 1);
}

TEST(Cost, SetCostMatchesStageCost) {
  Graph g = diamond();
  std::vector<char> set = {0, 1, 1, 0};  // {b, c}: not convex-checked, just costed
  SetCost c = set_cost_breakdown(g, set);
  EXPECT_DOUBLE_EQ(c.work, 5);
  EXPECT_DOUBLE_EQ(c.comm_in, 10);
  EXPECT_DOUBLE_EQ(c.comm_out, 50);
  EXPECT_DOUBLE_EQ(set_cost(g, set), 65);
}

TEST(Cost, InvalidPartitionsAreRejectedWithAReason) {
  Graph g = diamond();
  EXPECT_NE(partition_problem(g, {2, {1, 0, 1, 1}})->find("goes backwards"), std::string::npos);
  EXPECT_NE(partition_problem(g, {2, {0, 0, 2, 2}})->find("outside 0..1"), std::string::npos);
  EXPECT_NE(partition_problem(g, {2, {0, 0, 0}})->find("assigns 3 nodes"), std::string::npos);
  EXPECT_NE(partition_problem(g, {0, {0, 0, 0, 0}})->find("k must be"), std::string::npos);
  EXPECT_FALSE(partition_problem(g, {2, {0, 0, 1, 1}}).has_value());
  EXPECT_THROW(evaluate_partition(g, {2, {1, 0, 1, 1}}), InputError);
}

TEST(Cost, BoundaryTensorsListEachCutTensorOnceWithItsReceivingStages) {
  Graph g = diamond();
  // {a} | {b} | {c, d}: a goes to stages 1 and 2 (received once by stage 2 for c and d),
  // b goes to stage 2, c and d stay inside.
  const std::vector<BoundaryTensor> cut = boundary_tensors(g, {3, {0, 1, 2, 2}});
  ASSERT_EQ(cut.size(), 2u);
  EXPECT_EQ(cut[0].producer, 0);
  EXPECT_EQ(cut[0].from_stage, 0);
  EXPECT_EQ(cut[0].to_stages, (std::vector<int>{1, 2}));
  EXPECT_DOUBLE_EQ(cut[0].comm, 10);
  EXPECT_EQ(cut[1].producer, 1);
  EXPECT_EQ(cut[1].to_stages, (std::vector<int>{2}));
  EXPECT_TRUE(boundary_tensors(g, {2, {1, 1, 1, 1}}).empty());
  EXPECT_THROW(boundary_tensors(g, {2, {1, 0, 1, 1}}), InputError);
}

// The per-tensor evaluator against the per-set definition (set_cost) on random partitions.
TEST(Cost, EvaluatePartitionAgreesWithSetCostOnRandomPartitions) {
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    testing::RandomGraphOptions o;
    o.nodes = 3 + static_cast<int>(seed % 9);
    o.fractional = seed % 2 == 0;
    const Graph g = testing::random_dag(seed, o);
    const int k = 1 + static_cast<int>(seed % 5);
    const std::vector<NodeId> order = testing::random_topological_order(g, seed);
    std::vector<int> cuts = {0};
    for (int b = 1; b < k; ++b)
      cuts.push_back(std::max(cuts.back(),
                              static_cast<int>((seed * 7919 + b * 104729) % (g.num_nodes() + 1))));
    cuts.push_back(g.num_nodes());
    std::sort(cuts.begin(), cuts.end());
    const Partition p = partition_from_cuts(g, order, cuts);
    const Evaluation e = evaluate_partition(g, p);
    // k entries, or (k > n) up to the last non-empty stage
    const int last_used = *std::max_element(p.stage_of.begin(), p.stage_of.end());
    ASSERT_EQ(e.stages.size(), static_cast<std::size_t>(k <= g.num_nodes() ? k : last_used + 1));
    double worst = 0;
    for (int b = 0; b < k; ++b) {
      std::vector<char> in(g.num_nodes(), 0);
      for (NodeId v = 0; v < g.num_nodes(); ++v) in[v] = p.stage_of[v] == b;
      const SetCost c = set_cost_breakdown(g, in);
      if (b >= static_cast<int>(e.stages.size())) {  // a trailing stage not stored is empty
        EXPECT_EQ(c.total(), 0.0) << "seed " << seed << " stage " << b;
        continue;
      }
      EXPECT_NEAR(e.stages[b].work, c.work, 1e-9) << "seed " << seed << " stage " << b;
      EXPECT_NEAR(e.stages[b].comm_in, c.comm_in, 1e-9) << "seed " << seed << " stage " << b;
      EXPECT_NEAR(e.stages[b].comm_out, c.comm_out, 1e-9) << "seed " << seed << " stage " << b;
      worst = std::max(worst, c.total());
    }
    EXPECT_NEAR(e.bottleneck, worst, 1e-9) << "seed " << seed;
  }
}

TEST(Cost, SingleNodeCostIsTheSetCostOfTheNodeAlone) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    testing::RandomGraphOptions o;
    o.nodes = 2 + static_cast<int>(seed % 10);
    o.fractional = seed % 2 == 0;
    const Graph g = testing::random_dag(seed, o);
    for (NodeId v = 0; v < g.num_nodes(); ++v) {
      std::vector<char> alone(g.num_nodes(), 0);
      alone[v] = 1;
      EXPECT_NEAR(single_node_cost(g, v), set_cost(g, alone), 1e-12) << "seed " << seed;
    }
  }
}

TEST(Cost, PartitionFromCutsPlacesSegmentsInOrder) {
  Graph g = diamond();
  std::vector<NodeId> order = {0, 2, 1, 3};
  std::vector<int> cuts = {0, 2, 2, 4};
  Partition p = partition_from_cuts(g, order, cuts);
  EXPECT_EQ(p.k, 3);
  EXPECT_EQ(p.stage_of, (std::vector<int>{0, 2, 0, 2}));
}

}  // namespace
}  // namespace pipecut
