// The placement-constraint model: blocks (colour classes closed under convexity), infeasibility
// proofs and the validity check of a partition.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "pipecut/bounds/bounds.hpp"
#include "pipecut/model/constraints.hpp"
#include "pipecut/model/error.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

using testing::node;

NodeSpec coloured(std::string id, const char* label, double memory = 0) {
  NodeSpec s = node(std::move(id), 1.0, 1.0);
  if (label) s.colour_class = ColourLabel{label, false};
  s.memory = memory;
  return s;
}

std::vector<std::vector<std::string>> block_ids(const Graph& g, const Constraints& c) {
  std::vector<std::vector<std::string>> blocks;
  for (int b = 0; b < c.num_blocks(); ++b) {
    std::vector<std::string> ids;
    for (NodeId v : c.members(b)) ids.push_back(g.ids[v]);
    std::sort(ids.begin(), ids.end());
    blocks.push_back(ids);
  }
  std::sort(blocks.begin(), blocks.end());
  return blocks;
}

// a -> b -> c and a -> d: the class {a, c} forces b (on the path a -> b -> c) into its stage.
TEST(Constraints, AClassForcesItsConvexHull) {
  GraphBuilder builder("hull");
  builder.add_node(coloured("a", "x"));
  builder.add_node(coloured("b", nullptr));
  builder.add_node(coloured("c", "x"));
  builder.add_node(coloured("d", nullptr));
  builder.add_edge("a", "b");
  builder.add_edge("b", "c");
  builder.add_edge("a", "d");
  const Graph g = std::move(builder).build();
  const Constraints c = derive_constraints(g);
  EXPECT_EQ(c.colour_classes, 1);
  EXPECT_EQ(c.hulls, 1);
  EXPECT_EQ(block_ids(g, c), (std::vector<std::vector<std::string>>{{"a", "b", "c"}, {"d"}}));
  EXPECT_FALSE(c.capacity.has_value());
}

// x1 -> y1 and y2 -> x2 with classes X = {x1, x2} and Y = {y1, y2}: both classes are convex on
// their own, but stage(X) <= stage(Y) <= stage(X), so they must share one stage.
TEST(Constraints, ClassesTiedByEdgesInBothDirectionsFormOneBlock) {
  GraphBuilder builder("tied");
  builder.add_node(coloured("x1", "X"));
  builder.add_node(coloured("x2", "X"));
  builder.add_node(coloured("y1", "Y"));
  builder.add_node(coloured("y2", "Y"));
  builder.add_node(coloured("z", nullptr));
  builder.add_edge("x1", "y1");
  builder.add_edge("y2", "x2");
  builder.add_edge("x2", "z");
  const Graph g = std::move(builder).build();
  const Constraints c = derive_constraints(g);
  EXPECT_EQ(c.hulls, 1);
  EXPECT_EQ(block_ids(g, c),
            (std::vector<std::vector<std::string>>{{"x1", "x2", "y1", "y2"}, {"z"}}));
}

// Blocks are sound and tight on random graphs: every class lies in one block, block numbers
// never decrease along an edge, every member list is in topological order, and two nodes share
// a block exactly when no class-respecting 2-stage pipeline separates them. (If any valid
// partition separated them, merging its stages into "up to u's stage" and "after" would give
// such a 2-stage partition.) Two-stage partitions are the downsets, enumerated here by brute
// force over subsets.
TEST(Constraints, BlocksAreExactlyTheForcedGroupsOnRandomGraphs) {
  for (std::uint64_t seed = 1; seed <= 150; ++seed) {
    testing::RandomGraphOptions o;
    o.nodes = 3 + static_cast<int>(seed % 8);
    o.edge_probability = 0.2 + 0.1 * double(seed % 4);
    Graph g = testing::random_dag(seed, o);
    testing::RandomConstraintOptions co;
    co.max_classes = 3;
    testing::add_random_constraints(g, 2, seed, co);
    const Constraints c = derive_constraints(g);
    const int n = g.num_nodes();
    SCOPED_TRACE("seed " + std::to_string(seed));
    for (NodeId u = 0; u < n; ++u)
      for (NodeId v : g.successors(u)) EXPECT_LE(c.block_of[u], c.block_of[v]);
    std::vector<int> position(n);
    for (int i = 0; i < n; ++i) position[c.block_nodes[i]] = i;
    for (NodeId u = 0; u < n; ++u)
      for (NodeId v : g.successors(u)) EXPECT_LT(position[u], position[v]);
    for (NodeId u = 0; u < n; ++u)
      for (NodeId v = 0; v < n; ++v) {
        if (!g.colour_class.empty() && g.colour_class[u] >= 0 &&
            g.colour_class[u] == g.colour_class[v]) {
          EXPECT_EQ(c.block_of[u], c.block_of[v]);
        }
      }
    std::vector<std::vector<char>> separable(n, std::vector<char>(n, 0));
    for (unsigned mask = 0; mask < (1u << n); ++mask) {
      Partition p{2, std::vector<int>(n)};
      for (NodeId v = 0; v < n; ++v) p.stage_of[v] = (mask >> v) & 1;
      if (partition_problem(g, p)) continue;
      Graph free_memory = g;
      free_memory.memory_per_stage.reset();
      if (!testing::satisfies_constraints(free_memory, p)) continue;
      for (NodeId u = 0; u < n; ++u)
        for (NodeId v = 0; v < n; ++v)
          if (p.stage_of[u] != p.stage_of[v]) separable[u][v] = 1;
    }
    for (NodeId u = 0; u < n; ++u)
      for (NodeId v = 0; v < n; ++v)
        EXPECT_EQ(c.block_of[u] == c.block_of[v], !separable[u][v]) << u << " " << v;
  }
}

Graph chain_with_memory(std::vector<double> memory, std::optional<double> capacity,
                        std::vector<const char*> labels = {}) {
  GraphBuilder builder("memory.json", "memory");
  for (std::size_t i = 0; i < memory.size(); ++i)
    builder.add_node(coloured(std::string("n").append(std::to_string(i)),
                              i < labels.size() ? labels[i] : nullptr, memory[i]));
  for (std::size_t i = 0; i + 1 < memory.size(); ++i)
    builder.add_edge(static_cast<NodeId>(i), static_cast<NodeId>(i + 1));
  if (capacity) builder.set_memory_per_stage(*capacity);
  return std::move(builder).build();
}

TEST(Constraints, ProofsOfInfeasibility) {
  {
    const Graph g = chain_with_memory({1, 12, 1}, 10.0);
    const auto proof = infeasibility_proof(g, derive_constraints(g), 3);
    ASSERT_TRUE(proof);
    EXPECT_NE(proof->find("node 'n1' needs 12 bytes"), std::string::npos) << *proof;
  }
  {
    // The class {n0, n2} forces n1 in too: 4 + 4 + 4 > 10 although each node fits.
    const Graph g = chain_with_memory({4, 4, 4, 1}, 10.0, {"g", nullptr, "g"});
    const auto proof = infeasibility_proof(g, derive_constraints(g), 3);
    ASSERT_TRUE(proof);
    EXPECT_NE(proof->find("3 nodes that colour class 'g' force"), std::string::npos) << *proof;
    EXPECT_NE(proof->find("12 bytes"), std::string::npos) << *proof;
  }
  {
    const Graph g = chain_with_memory({6, 6, 6, 6}, 10.0);
    EXPECT_FALSE(infeasibility_proof(g, derive_constraints(g), 4));
    const auto proof = infeasibility_proof(g, derive_constraints(g), 2);
    ASSERT_TRUE(proof);
    EXPECT_NE(proof->find("total memory 24 bytes exceeds k = 2"), std::string::npos) << *proof;
  }
  const Graph free = chain_with_memory({6, 6}, std::nullopt);
  EXPECT_FALSE(infeasibility_proof(free, derive_constraints(free), 1));
}

TEST(Constraints, ViolationsNameTheClassOrTheStage) {
  const Graph g = chain_with_memory({4, 4, 4, 1}, 9.0, {"g", "g"});
  EXPECT_FALSE(constraint_violation(g, Partition{2, {0, 0, 1, 1}}));
  const auto split = constraint_violation(g, Partition{2, {0, 1, 1, 1}});
  ASSERT_TRUE(split);
  EXPECT_EQ(*split, "colour class 'g' is split: node 'n0' is in stage 0 and node 'n1' in stage 1");
  const auto full = constraint_violation(g, Partition{2, {0, 0, 0, 1}});
  ASSERT_TRUE(full);
  EXPECT_EQ(*full,
            "stage 0 holds 12 bytes of node memory, more than the capacity of 9 bytes per stage");
  EXPECT_EQ(stage_memory(g, Partition{3, {0, 0, 2, 2}}), (std::vector<double>{8, 0, 5}));
  EXPECT_EQ(evaluate_partition(g, Partition{3, {0, 0, 2, 2}}).stages[2].memory, 5.0);
}

TEST(Constraints, MessagesNameOnlyTheConstraintsInForce) {
  EXPECT_EQ(constraints_phrase(chain_with_memory({1, 1}, 10.0)), "fits the memory capacity");
  EXPECT_EQ(constraints_phrase(chain_with_memory({1, 1}, std::nullopt, {"g", "g"})),
            "keeps every colour class together");
  EXPECT_EQ(constraints_phrase(chain_with_memory({1, 1}, 10.0, {"g", "g"})),
            "fits the memory capacity and keeps every colour class together");
}

// Node memory is whole bits and a graph holds at most 2^50 bytes, so sums are exact and the
// capacity test has no tolerance: one bit over is over, at any size.
TEST(Constraints, CapacityComparisonIsExact) {
  EXPECT_TRUE(fits_capacity(10.0, 10.0));
  EXPECT_TRUE(fits_capacity(0.125 + 0.25, 0.375));
  EXPECT_FALSE(fits_capacity(17185374209.0, 17185374208.0));              // one byte over 16 GiB
  EXPECT_FALSE(fits_capacity((0x1p50 - 0.125) + 0.125, 0x1p50 - 0.125));  // one bit over
  GraphBuilder bits("g.json");
  EXPECT_THROW(bits.add_node({"a", 1, 0, 0.1, "", {}}), InputError);  // not a whole bit
  GraphBuilder huge("g.json");
  huge.add_node({"a", 1, 0, 0x1p49, "", {}});
  huge.add_node({"b", 1, 0, 0x1p49 + 1, "", {}});
  try {
    const Graph g = std::move(huge).build();
    ADD_FAILURE() << g.num_nodes() << "a total above 2^50 bytes must be refused";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("g.json: total memory"), std::string::npos) << e.what();
  }
  // 2^53 + 1 bytes (as an 8 PiB node) can no longer pass a 2^53 capacity: it is refused.
  GraphBuilder beyond("g.json");
  beyond.add_node({"a", 1, 0, 9007199254740993.0, "", {}});
  EXPECT_THROW((void)std::move(beyond).build(), InputError);
}

TEST(Constraints, DescribesBytes) {
  EXPECT_EQ(describe_bytes(12), "12 bytes");
  EXPECT_EQ(describe_bytes(17179869184.0), "17179869184 bytes (16 GiB)");
  EXPECT_EQ(describe_bytes(1536), "1536 bytes (1.5 KiB)");
}

TEST(Constraints, CapacityMustBePositive) {
  GraphBuilder builder("g.json");
  EXPECT_THROW(builder.set_memory_per_stage(0), InputError);
  EXPECT_THROW(builder.set_memory_per_stage(-1), InputError);
  EXPECT_THROW(builder.set_memory_per_stage(std::nan("")), InputError);
}

}  // namespace
}  // namespace pipecut

namespace pipecut {
namespace {

// a -> b -> c -> d, unit work, tiny tensors, and the class {a, d}: its hull is the whole chain,
// so one stage holds everything and costs 4 whatever k is. The simple bound sees the block's
// work, and both single-stage bounds see the hull.
TEST(ConstrainedBounds, HullsRaiseTheSimpleAndSingleStageBounds) {
  GraphBuilder b("hull-chain");
  for (const char* id : {"a", "b", "c", "d"}) {
    NodeSpec s = node(id, 1.0, 0.01);
    if (id[0] == 'a' || id[0] == 'd') s.colour_class = ColourLabel{"7", true};
    b.add_node(s);
  }
  b.add_edge("a", "b");
  b.add_edge("b", "c");
  b.add_edge("c", "d");
  const Graph g = std::move(b).build();
  BoundOptions options;
  options.mip_threads = 1;
  for (const char* method : {"simple", "single-mincut", "single", "downset", "exact"}) {
    const BoundResult r = compute_bound(g, 4, method, options);
    EXPECT_EQ(r.status, BoundStatus::proven) << method;
    EXPECT_NEAR(r.value, 4.0, 4e-6 * 4.0) << method;
  }
}

// a -> b with a 10 ms tensor; 6 bytes each and 10 bytes per stage: they cannot share a stage, so
// the tensor is always paid: 1 + 10 on each side. The min-cut bound cannot see memory (it stays
// at the unconstrained 2); the convex single-stage MIP and the grouped relaxation carry the
// knapsack row and reach the constrained optimum 11.
TEST(ConstrainedBounds, KnapsackRowsRaiseTheMipBounds) {
  GraphBuilder b("split.json", "split");
  NodeSpec a = node("a", 1.0, 10.0);
  a.memory = 6;
  NodeSpec c = node("b", 1.0, 0.0);
  c.memory = 6;
  b.add_node(a);
  b.add_node(c);
  b.add_edge("a", "b");
  b.set_memory_per_stage(10);
  const Graph g = std::move(b).build();
  BoundOptions options;
  options.mip_threads = 1;
  EXPECT_NEAR(compute_bound(g, 2, "single-mincut", options).value, 2.0, 1e-6);
  for (const char* method : {"single", "grouped", "downset", "exact"}) {
    const BoundResult r = compute_bound(g, 2, method, options);
    EXPECT_EQ(r.status, BoundStatus::proven) << method;
    EXPECT_NEAR(r.value, 11.0, 4e-6 * 11.0) << method;
  }
  // One stage cannot hold both: every method reports the proof instead of a bound.
  const BoundResult one = compute_bound(g, 1, "simple", options);
  EXPECT_EQ(one.status, BoundStatus::infeasible);
  EXPECT_NE(one.detail.find("total memory 12 bytes exceeds k = 1"), std::string::npos)
      << one.detail;
}

}  // namespace
}  // namespace pipecut
