// Single-stage bounds: floors against exhaustive enumeration of node sets, and the BERT-3 proof.
#include <gtest/gtest.h>

#include <chrono>

#include "pipecut/bounds/single_stage.hpp"
#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/cost.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

bool is_convex(const Graph& g, const std::vector<char>& set) {
  // Convex iff no path leaves the set and comes back: search outward from the set's exits.
  std::vector<char> outside_reached(g.num_nodes(), 0);
  std::vector<NodeId> stack;
  for (NodeId v = 0; v < g.num_nodes(); ++v)
    if (set[v])
      for (NodeId s : g.successors(v))
        if (!set[s] && !outside_reached[s]) {
          outside_reached[s] = 1;
          stack.push_back(s);
        }
  while (!stack.empty()) {
    NodeId v = stack.back();
    stack.pop_back();
    for (NodeId s : g.successors(v)) {
      if (set[s]) return false;
      if (!outside_reached[s]) {
        outside_reached[s] = 1;
        stack.push_back(s);
      }
    }
  }
  return true;
}

// Exhaustive floors: min f(S) over all S (or all convex S) containing v.
std::vector<double> brute_floors(const Graph& g, bool convex_only) {
  const int n = g.num_nodes();
  std::vector<double> best(n, std::numeric_limits<double>::infinity());
  std::vector<char> set(n);
  for (unsigned mask = 1; mask < (1u << n); ++mask) {
    for (int v = 0; v < n; ++v) set[v] = (mask >> v) & 1;
    if (convex_only && !is_convex(g, set)) continue;
    const double cost = set_cost(g, set);
    for (int v = 0; v < n; ++v)
      if (set[v]) best[v] = std::min(best[v], cost);
  }
  return best;
}

testing::RandomGraphOptions small(std::uint64_t seed) {
  testing::RandomGraphOptions o;
  o.nodes = 2 + static_cast<int>(seed % 9);
  o.edge_probability = 0.2 + 0.1 * double(seed % 4);
  o.fractional = seed % 2 == 0;
  return o;
}

TEST(SingleStage, MinCutFloorIsTheMinimumOverAllSetsContainingTheNode) {
  for (std::uint64_t seed = 1; seed <= 120; ++seed) {
    const Graph g = testing::random_dag(seed, small(seed));
    const std::vector<double> truth = brute_floors(g, false);
    for (NodeId v = 0; v < g.num_nodes(); ++v) {
      const MinCutFloor cut = min_cut_floor(g, v);
      EXPECT_NEAR(cut.value, truth[v], 1e-9) << "seed " << seed << " node " << v;
      EXPECT_TRUE(cut.source_side[v]);
      EXPECT_NEAR(set_cost(g, cut.source_side), truth[v], 1e-9) << "seed " << seed;
    }
  }
}

TEST(SingleStage, ConvexBoundIsTheLargestConvexFloor) {
  for (std::uint64_t seed = 1; seed <= 120; ++seed) {
    const Graph g = testing::random_dag(seed, small(seed));
    const std::vector<double> truth = brute_floors(g, true);
    const double expected = *std::max_element(truth.begin(), truth.end());
    BoundOptions options;
    options.time_limit_seconds = 10;
    const SingleStageResult r = single_stage_convex_bound(g, options);
    EXPECT_EQ(r.status, BoundStatus::proven);
    EXPECT_NEAR(r.value, expected, 4e-6 * std::max(1.0, expected)) << "seed " << seed;
    EXPECT_LE(r.value, expected + 1e-12) << "seed " << seed;
    for (NodeId v = 0; v < g.num_nodes(); ++v) EXPECT_LE(r.floor[v], truth[v] + 1e-12);
    const SingleStageResult mincut = single_stage_mincut_bound(g);
    EXPECT_LE(mincut.value, r.value + 1e-9);
  }
}

TEST(SingleStage, ProvesTheBert3OptimumAtFourAndEightStages) {
  const Graph g = read_graph(testing::data_path("samples/pipecut/bert_l-3_inference.json"));
  for (int k : {4, 8}) {
    BoundOptions options;
    options.time_limit_seconds = 20;
    options.mip_threads = 1;
    const auto start = std::chrono::steady_clock::now();
    const BoundResult r = compute_bound(g, k, "single", options);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_NEAR(r.value, 27.186146, 4e-6 * 27.186146) << "k=" << k;
    EXPECT_LE(r.value, 27.186146 + 1e-6);
    EXPECT_EQ(r.status, BoundStatus::proven);
    EXPECT_LT(seconds, 5.0);
  }
  // The min-cut version alone is weaker: 20.84 (docs/bounds.md, "single-mincut").
  EXPECT_NEAR(compute_bound(g, 4, "single-mincut", {}).value, 20.84, 0.01);
}

}  // namespace
}  // namespace pipecut
