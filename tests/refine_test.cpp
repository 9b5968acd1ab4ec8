// Refinement against the exhaustive oracle: every refined partition is valid, satisfies the
// placement constraints, is never costlier than where it started and never below the optimum.
#include <gtest/gtest.h>

#include "pipecut/model/constraints.hpp"
#include "pipecut/partition/refine.hpp"
#include "pipecut/partition/slice_order.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

// A valid starting partition: a random order cut at random positions that satisfy the
// constraints (found by trying cut vectors; nullopt when none of the tries is feasible).
std::optional<Partition> random_start(const Graph& g, int k, std::uint64_t seed) {
  const std::vector<NodeId> order = testing::random_topological_order(g, seed);
  std::uint64_t state = seed * 6364136223846793005ULL + 1442695040888963407ULL;
  for (int attempt = 0; attempt < 200; ++attempt) {
    std::vector<int> cuts = {0};
    for (int b = 1; b < k; ++b) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      cuts.push_back(static_cast<int>((state >> 33) % (g.num_nodes() + 1)));
    }
    cuts.push_back(g.num_nodes());
    std::sort(cuts.begin(), cuts.end());
    Partition p = partition_from_cuts(g, order, cuts);
    if (testing::satisfies_constraints(g, p)) return p;
  }
  return std::nullopt;
}

TEST(Refine, NeverRaisesTheBottleneckAndKeepsEveryConstraint) {
  int refined = 0, improved = 0, reached_optimum = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    testing::RandomGraphOptions o;
    o.nodes = 5 + static_cast<int>(seed % 6);
    o.fractional = seed % 3 == 0;
    Graph g = testing::random_dag(seed, o);
    const int k = 2 + static_cast<int>(seed % 3);
    if (seed % 2 == 0) {
      testing::RandomConstraintOptions c;
      c.capacity_low = 1.0;
      c.memory = seed % 4 == 0;
      testing::add_random_constraints(g, k, seed, c);
    }
    const auto start = random_start(g, k, seed);
    if (!start) continue;
    const double start_value = evaluate_partition(g, *start).bottleneck;
    const double optimum = testing::brute_force_optimum(g, k).optimum;
    const Constraints constraints = derive_constraints(g);
    RefineOptions options;
    options.swaps = seed % 5 != 0;
    const RefineResult r = refine_partition(g, constraints, *start, options);
    ASSERT_FALSE(partition_problem(g, r.partition)) << "seed " << seed;
    EXPECT_EQ(r.partition.k, k);
    EXPECT_TRUE(testing::satisfies_constraints(g, r.partition)) << "seed " << seed;
    EXPECT_LE(r.bottleneck, start_value + 1e-9) << "seed " << seed;
    EXPECT_GE(r.bottleneck, optimum - 1e-9) << "seed " << seed;
    EXPECT_DOUBLE_EQ(r.bottleneck, evaluate_partition(g, r.partition).bottleneck);
    ++refined;
    improved += r.bottleneck < start_value - 1e-9;
    reached_optimum += r.bottleneck <= optimum + 1e-9;
  }
  EXPECT_GT(refined, 200);
  // Refinement must actually do something: most random cuts are far from optimal.
  EXPECT_GT(improved, refined / 3);
  RecordProperty("reached_optimum", reached_optimum);
}

TEST(Refine, ShiftsABoundaryOfAnUnbalancedChainToTheOptimum) {
  // a-b-c-d-e-f, work 1 each, free transfers: {a} | {b..f} costs 5; the optimum 3 | 3.
  GraphBuilder b("chain", "chain");
  for (const char* id : {"a", "b", "c", "d", "e", "f"}) b.add_node(testing::node(id, 1, 0));
  for (const auto& [from, to] : std::vector<std::pair<const char*, const char*>>{
           {"a", "b"}, {"b", "c"}, {"c", "d"}, {"d", "e"}, {"e", "f"}})
    b.add_edge(from, to);
  const Graph g = std::move(b).build();
  const RefineResult r = refine_partition(g, derive_constraints(g), {2, {0, 1, 1, 1, 1, 1}});
  EXPECT_DOUBLE_EQ(r.bottleneck, 3);
  EXPECT_GE(r.moves, 2);
}

TEST(Refine, OpensAnUnusedStageWhenThatHelps) {
  GraphBuilder b("chain", "chain");
  for (const char* id : {"a", "b", "c", "d"}) b.add_node(testing::node(id, 1, 0));
  b.add_edge("a", "b");
  b.add_edge("b", "c");
  b.add_edge("c", "d");
  const Graph g = std::move(b).build();
  // Everything in stage 1 of 4: refinement may spread over the unused stages.
  const RefineResult r = refine_partition(g, derive_constraints(g), {4, {1, 1, 1, 1}});
  EXPECT_DOUBLE_EQ(r.bottleneck, 1);
  EXPECT_FALSE(partition_problem(g, r.partition));
}

}  // namespace
}  // namespace pipecut
