// Exact reductions of zero-work leaves (model/reductions.hpp) against brute force: applying them
// never raises a stage's cost, and the best partition that obeys them is optimal, with and
// without placement constraints.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <random>

#include "pipecut/bounds/downset_dp.hpp"
#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/constraints.hpp"
#include "pipecut/model/reductions.hpp"
#include "pipecut/partition/downset.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

Graph leafy_graph(std::uint64_t seed) {
  testing::RandomGraphOptions o;
  o.nodes = 4 + static_cast<int>(seed % 4);
  o.edge_probability = 0.35;
  o.fractional = seed % 3 == 0;
  o.zero_work_sources = 1 + static_cast<int>(seed % 3);
  o.zero_work_sinks = static_cast<int>(seed % 3);
  return testing::random_dag(seed, o);
}

// Every valid partition of g into k stages that satisfies its constraints, by brute force.
void for_each_partition(const Graph& g, int k, const std::function<void(const Partition&)>& f) {
  const std::vector<NodeId> order = topological_order(g);
  Partition p{k, std::vector<int>(g.num_nodes(), 0)};
  auto rec = [&](auto&& self, std::size_t i) -> void {
    if (i == order.size()) {
      if (testing::satisfies_constraints(g, p)) f(p);
      return;
    }
    const NodeId v = order[i];
    int lowest = 0;
    for (NodeId u : g.predecessors(v)) lowest = std::max(lowest, p.stage_of[u]);
    for (int s = lowest; s < k; ++s) {
      p.stage_of[v] = s;
      self(self, i + 1);
    }
  };
  rec(rec, 0);
}

// Whether p already obeys the rules (applying them changes nothing).
bool obeys(const Graph& g, const LeafReductions& r, const Partition& p) {
  return apply_leaf_reductions(g, r, p).stage_of == p.stage_of;
}

void add_constraints(Graph& g, int k, std::uint64_t seed) {
  testing::RandomConstraintOptions c;
  c.max_memory = 3;  // zeros are common: leaves without memory stay reducible
  c.capacity_low = 1.0;
  c.at_least_heaviest = true;
  c.memory = seed % 2 == 0;
  testing::add_random_constraints(g, k, seed, c);
}

TEST(Reductions, NeverRaiseAStageCostAndKeepPartitionsValid) {
  int moved = 0, checked = 0;
  for (std::uint64_t seed = 1; seed <= 80; ++seed) {
    Graph g = leafy_graph(seed);
    const int k = 2 + static_cast<int>(seed % 3);
    if (seed % 3 == 0) add_constraints(g, k, seed);
    const LeafReductions r = find_leaf_reductions(g, derive_constraints(g));
    for_each_partition(g, k, [&](const Partition& p) {
      const Partition q = apply_leaf_reductions(g, r, p);
      ASSERT_FALSE(partition_problem(g, q)) << "seed " << seed;
      ASSERT_TRUE(testing::satisfies_constraints(g, q)) << "seed " << seed;
      const Evaluation before = evaluate_partition(g, p), after = evaluate_partition(g, q);
      for (int b = 0; b < k; ++b)
        ASSERT_LE(after.stages[b].cost, before.stages[b].cost + 1e-9) << "seed " << seed;
      ASSERT_TRUE(obeys(g, r, q)) << "seed " << seed;  // applying twice changes nothing
      moved += q.stage_of != p.stage_of;
      ++checked;
    });
  }
  EXPECT_GT(moved, checked / 10);  // the rules do move nodes on these graphs
}

TEST(Reductions, TheBestPartitionThatObeysThemIsOptimal) {
  int reduced = 0;
  for (std::uint64_t seed = 1; seed <= 100; ++seed) {
    Graph g = leafy_graph(seed);
    const int k = 2 + static_cast<int>(seed % 3);
    if (seed % 3 == 1) add_constraints(g, k, seed);
    const LeafReductions r = find_leaf_reductions(g, derive_constraints(g));
    reduced += !r.empty();
    const testing::BruteForceResult truth = testing::brute_force_optimum(g, k);
    double best = std::numeric_limits<double>::infinity();
    for_each_partition(g, k, [&](const Partition& p) {
      if (obeys(g, r, p)) best = std::min(best, evaluate_partition(g, p).bottleneck);
    });
    if (!truth.feasible) {
      EXPECT_EQ(best, std::numeric_limits<double>::infinity()) << "seed " << seed;
      continue;
    }
    EXPECT_NEAR(best, truth.optimum, 1e-9) << "seed " << seed;
  }
  EXPECT_GT(reduced, 80);
}

TEST(Reductions, ReducedOrdersSliceNoWorse) {
  int better = 0;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    Graph g = leafy_graph(seed);
    const int k = 2 + static_cast<int>(seed % 3);
    if (seed % 4 == 0) add_constraints(g, k, seed);
    const LeafReductions r = find_leaf_reductions(g, derive_constraints(g));
    const std::vector<NodeId> order = testing::random_topological_order(g, seed);
    const std::vector<NodeId> reduced = apply_leaf_reductions(g, r, order);
    ASSERT_TRUE(is_topological_order(g, reduced)) << "seed " << seed;
    const double before = testing::brute_force_order_optimum(g, order, k);
    const double after = testing::brute_force_order_optimum(g, reduced, k);
    EXPECT_LE(after, before + 1e-9) << "seed " << seed;
    better += after < before - 1e-9;
  }
  EXPECT_GT(better, 20);
}

// Under a capacity a leaf that carries memory must not move: here moving the source s next to
// its consumer b would overflow b's stage. find_leaf_reductions leaves it alone, and the
// downset search (which applies the reductions) still finds the optimum.
TEST(Reductions, LeavesWithMemoryStayPutUnderACapacity) {
  GraphBuilder b("capacity", "capacity");
  NodeSpec a = testing::node("a", 4, 1), c = testing::node("b", 4, 1), s = testing::node("s", 0, 1);
  a.memory = 0;
  c.memory = 3;
  s.memory = 2;
  b.add_node(a);
  b.add_node(c);
  b.add_node(s);
  b.add_edge("a", "b");
  b.add_edge("s", "b");
  b.set_memory_per_stage(4);
  const Graph g = std::move(b).build();
  const LeafReductions r = find_leaf_reductions(g, derive_constraints(g));
  EXPECT_EQ(r.floating_sources, 0);
  const testing::BruteForceResult truth = testing::brute_force_optimum(g, 2);
  ASSERT_TRUE(truth.feasible);
  const DownsetSearchResult found = downset_search(g, 2, {});
  ASSERT_EQ(found.status, DownsetStatus::optimal);
  EXPECT_NEAR(found.partition_bottleneck, truth.optimum, 1e-9);
  // Without the capacity the same source is reducible.
  Graph free = g;
  free.memory_per_stage.reset();
  EXPECT_EQ(find_leaf_reductions(free, derive_constraints(free)).floating_sources, 1);
}

TEST(Reductions, ClassMembersAreNotReduced) {
  GraphBuilder b("class", "class");
  NodeSpec s = testing::node("s", 0, 1), t = testing::node("t", 0, 1);
  s.colour_class = ColourLabel{"g", false};
  b.add_node(testing::node("x", 2, 1));
  b.add_node(testing::node("y", 2, 1));
  b.add_node(s);
  b.add_node(t);
  NodeSpec z = testing::node("z", 1, 1);
  z.colour_class = ColourLabel{"g", false};
  b.add_node(z);
  b.add_edge("x", "y");
  b.add_edge("s", "y");
  b.add_edge("x", "t");
  const Graph g = std::move(b).build();
  const LeafReductions r = find_leaf_reductions(g, derive_constraints(g));
  EXPECT_EQ(r.floating_sources, 0);  // s shares a class with z
  EXPECT_EQ(r.reducible_sinks, 1);   // t, reading x only
}

// The regression behind the reductions: BERT-3's 62 zero-work parameter sources made the DP give
// up past a million downsets; with them placed by the rules it proves the optimum quickly.
// Random DAGs whose sources (and the nodes they feed, one time in two) do little work next to
// their tensor, so that some are light sources and some just miss: work up to 1.3 x comm.
Graph light_source_graph(std::uint64_t seed) {
  testing::RandomGraphOptions o;
  o.nodes = 5 + static_cast<int>(seed % 4);
  o.edge_probability = 0.3;
  o.fractional = true;
  Graph g = testing::random_dag(seed, o);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> fraction(0.0, 1.3);
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    const bool source = g.predecessors(v).empty();
    const bool fed_by_source = g.predecessors(v).size() == 1 &&
                               g.predecessors(g.predecessors(v)[0]).empty() && rng() % 2 == 0;
    if (source || fed_by_source) g.work[v] = fraction(rng) * g.comm[v];
  }
  return g;
}

int count_units(const std::vector<int>& unit_of) {
  return unit_of.empty() ? 0 : 1 + *std::max_element(unit_of.begin(), unit_of.end());
}

TEST(LightSources, TheBestPartitionThatKeepsTheUnitsWholeIsOptimal) {
  int merged = 0;
  for (std::uint64_t seed = 1; seed <= 150; ++seed) {
    Graph g = light_source_graph(seed);
    const int k = 2 + static_cast<int>(seed % 3);
    if (seed % 3 == 1) add_constraints(g, k, seed);
    const Constraints c = derive_constraints(g);
    const std::vector<int> units = light_source_units(g, c);
    ASSERT_EQ(units.size(), static_cast<std::size_t>(g.num_nodes()));
    merged += count_units(units) < c.num_blocks();
    for (NodeId v = 0; v < g.num_nodes(); ++v)  // unions of blocks
      for (NodeId w : c.members(c.block_of[v])) ASSERT_EQ(units[v], units[w]) << "seed " << seed;
    const testing::BruteForceResult truth = testing::brute_force_optimum(g, k);
    double best = std::numeric_limits<double>::infinity();
    for_each_partition(g, k, [&](const Partition& p) {
      for (NodeId v = 0; v < g.num_nodes(); ++v)
        for (NodeId w = 0; w < g.num_nodes(); ++w)
          if (units[v] == units[w] && p.stage_of[v] != p.stage_of[w]) return;
      best = std::min(best, evaluate_partition(g, p).bottleneck);
    });
    if (!truth.feasible) {
      EXPECT_EQ(best, std::numeric_limits<double>::infinity()) << "seed " << seed;
      continue;
    }
    EXPECT_NEAR(best, truth.optimum, 1e-9) << "seed " << seed;
    // The units are valid downset-search units (convex, acyclic quotient): it accepts them and
    // finds the optimum.
    DownsetSearchOptions options;
    options.unit_of = units;
    const DownsetSearchResult r = downset_search(g, k, options);
    ASSERT_EQ(r.status, DownsetStatus::optimal) << "seed " << seed;
    EXPECT_NEAR(r.bottleneck, truth.optimum, 1e-9) << "seed " << seed;
  }
  EXPECT_GT(merged, 50);
}

// A chain a -> b -> c feeding t, with a a source: it merges step by step while the unit's work
// stays within the tensor its consumer would no longer receive.
TEST(LightSources, ChainsMergeStepByStepWhileTheyStayLight) {
  GraphBuilder b("chain", "chain");
  b.add_node(testing::node("x", 5, 1));    // a source heavier than its tensor: stays apart
  b.add_node(testing::node("a", 1, 2));    // {a}: 1 <= 2, joins b
  b.add_node(testing::node("b", 0.5, 2));  // {a, b}: 1.5 <= 2, joins c
  b.add_node(testing::node("c", 1, 2));    // {a, b, c}: 2.5 > 2, stays apart from t
  b.add_node(testing::node("t", 3, 1));
  b.add_edge("x", "t");
  b.add_edge("a", "b");
  b.add_edge("b", "c");
  b.add_edge("c", "t");
  const Graph g = std::move(b).build();
  const std::vector<int> units = light_source_units(g, derive_constraints(g));
  EXPECT_EQ(units[1], units[2]);
  EXPECT_EQ(units[2], units[3]);
  EXPECT_NE(units[3], units[4]);
  EXPECT_NE(units[0], units[4]);
  EXPECT_EQ(count_units(units), 3);
}

TEST(Reductions, LetTheDownsetSearchSolveBert3) {
  const Graph g = read_graph(testing::data_path("samples/pipecut/bert_l-3_inference.json"));
  DownsetSearchOptions options;
  options.downset_limit = 20'000;
  const DownsetSearchResult reduced = downset_search(g, 4, options);
  ASSERT_EQ(reduced.status, DownsetStatus::optimal);
  EXPECT_NEAR(reduced.bottleneck, 27.186146, 1e-6);
  EXPECT_NEAR(reduced.partition_bottleneck, reduced.bottleneck, 1e-9);
  EXPECT_GE(reduced.floating_sources, 50);
  options.reductions = false;
  EXPECT_EQ(downset_search(g, 4, options).status, DownsetStatus::gave_up);
}

}  // namespace
}  // namespace pipecut
