// The split bound (bounds/split_bound.hpp) against brute force: its formula (plain and
// two-case) never exceeds the optimum whatever node splits the graph, the method computes exactly
// that for the node it reports, and on the T5 encoder-decoder (too wide for the DP as a whole)
// it certifies what the other methods cannot.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <string>

#include "pipecut/bounds/bounds.hpp"
#include "pipecut/bounds/simple.hpp"
#include "pipecut/bounds/split_bound.hpp"
#include "pipecut/io/read_graph.hpp"
#include "pipecut/partition/slicegraph.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

// u and its ancestors (before = true), or u's descendants, ascending.
std::vector<NodeId> side_of(const Graph& g, NodeId u, bool before) {
  std::vector<char> seen(g.num_nodes(), 0);
  std::vector<NodeId> stack{u};
  seen[u] = 1;
  while (!stack.empty()) {
    const NodeId v = stack.back();
    stack.pop_back();
    for (NodeId w : before ? g.predecessors(v) : g.successors(v))
      if (!seen[w]) {
        seen[w] = 1;
        stack.push_back(w);
      }
  }
  std::vector<NodeId> nodes;
  for (NodeId v = 0; v < g.num_nodes(); ++v)
    if (seen[v] && (before || v != u)) nodes.push_back(v);
  return nodes;
}

// min over j of max(OPT(G[A], j), OPT(G[B], k + 1 - j)), every optimum by brute force. With
// `sending`, u's work in G[A] is raised by its tensor's comm (the case where u's stage sends it).
double split_formula(const Graph& g, NodeId u, int k, bool sending = false) {
  const std::vector<NodeId> before = side_of(g, u, true);
  Graph a = induced_subgraph(g, before);
  if (sending) a.work[std::find(before.begin(), before.end(), u) - before.begin()] += g.comm[u];
  const Graph b = induced_subgraph(g, side_of(g, u, false));
  double best = std::numeric_limits<double>::infinity();
  for (int j = 1; j <= k; ++j)
    best = std::min(best, std::max(testing::brute_force_optimum(a, j).optimum,
                                   testing::brute_force_optimum(b, k + 1 - j).optimum));
  return best;
}

// The other case: u's stage holds every consumer of u.
double together(const Graph& g, NodeId u) {
  double work = g.work[u];
  for (NodeId v : g.successors(u)) work += g.work[v];
  return work;
}

// What the method computes for u: the plain formula, or the two-case one when it is higher.
double split_value(const Graph& g, NodeId u, int k) {
  return std::max(split_formula(g, u, k),
                  std::min(together(g, u), split_formula(g, u, k, true)));
}

Graph instance(std::uint64_t seed, int k) {
  testing::RandomGraphOptions o;
  o.nodes = 4 + static_cast<int>(seed % 6);
  o.edge_probability = 0.25 + 0.05 * static_cast<double>(seed % 4);
  o.fractional = seed % 2 == 0;
  o.zero_work_sources = static_cast<int>(seed % 2);
  Graph g = testing::random_dag(seed, o);
  if (seed % 4 == 3) {
    testing::RandomConstraintOptions c;
    c.max_memory = 3;
    c.at_least_heaviest = true;
    testing::add_random_constraints(g, k, seed, c);
  }
  return g;
}

TEST(SplitBound, TheFormulaNeverExceedsTheOptimumForAnyNode) {
  int splits = 0, tight = 0, above_simple = 0, stronger = 0;
  for (std::uint64_t seed = 1; seed <= 150; ++seed) {
    const int k = 1 + static_cast<int>(seed % 4);
    const Graph g = instance(seed, k);
    const testing::BruteForceResult truth = testing::brute_force_optimum(g, k);
    if (!truth.feasible) continue;
    for (NodeId u = 0; u < g.num_nodes(); ++u) {
      if (g.predecessors(u).empty() || g.successors(u).empty()) continue;
      const double value = split_formula(g, u, k);
      EXPECT_LE(value, truth.optimum + 1e-9) << "seed " << seed << " node " << g.ids[u];
      // Either u's stage sends u's tensor (A's last stage pays it) or it holds all of u's
      // consumers.
      const double two_cases = std::min(together(g, u), split_formula(g, u, k, true));
      EXPECT_LE(two_cases, truth.optimum + 1e-9) << "seed " << seed << " node " << g.ids[u];
      stronger += two_cases > value + 1e-9;
      ++splits;
      tight += value >= truth.optimum - 1e-9;
      above_simple += value > simple_lower_bound(g, k) + 1e-9;
    }
  }
  EXPECT_GT(splits, 200);
  EXPECT_GT(tight, 0);
  EXPECT_GT(above_simple, splits / 4);  // it sees communication
  EXPECT_GT(stronger, 10);                // the two-case form adds something
}

TEST(SplitBound, ComputesTheFormulaForTheNodeItReports) {
  int proven = 0;
  for (std::uint64_t seed = 1; seed <= 120; ++seed) {
    const int k = 1 + static_cast<int>(seed % 4);
    const Graph g = instance(seed, k);
    const testing::BruteForceResult truth = testing::brute_force_optimum(g, k);
    if (!truth.feasible) continue;
    BoundOptions options;
    options.time_limit_seconds = 10;
    if (seed % 2 == 0) {  // the optimum as incumbent caps every entry at it
      options.incumbent = truth.optimum;
      options.warm_start = truth.best;
    }
    const BoundResult r = split_bound(g, k, options);
    EXPECT_LE(r.value, truth.optimum + 1e-9) << "seed " << seed;
    if (r.partition) {
      ASSERT_FALSE(partition_problem(g, *r.partition)) << "seed " << seed;
      EXPECT_TRUE(testing::satisfies_constraints(g, *r.partition)) << "seed " << seed;
    }
    if (r.status != BoundStatus::proven) continue;
    ++proven;
    const std::string prefix = "split at '";
    ASSERT_EQ(r.detail.rfind(prefix, 0), 0u) << r.detail;
    const auto u = g.find(r.detail.substr(prefix.size(), r.detail.find('\'', prefix.size()) -
                                                             prefix.size()));
    ASSERT_TRUE(u.has_value()) << r.detail;
    const double formula = split_value(g, *u, k);
    if (seed % 2 == 0)
      EXPECT_NEAR(r.value, std::min(formula, truth.optimum), 1e-6) << "seed " << seed;
    else
      EXPECT_LE(r.value, formula + 1e-9) << "seed " << seed;
  }
  EXPECT_GT(proven, 60);
}

// T5: the encoder output feeds every decoder layer's cross-attention, so the downset DP on the
// whole graph gives up; split at that output, both sides are narrow.
TEST(SplitBound, CertifiesTheEncoderDecoderThatTheWholeDpCannot) {
  const Graph g = read_graph(testing::data_path("corpus/transformers/t5_large.onnx.gz"));
  const int k = 32;
  const SliceGraphResult sliced = slice_default_order(g, k);
  BoundOptions options;
  options.time_limit_seconds = 120;
  options.incumbent = sliced.bottleneck;
  options.warm_start = sliced.partition;
  options.downset_limit = 250'000;
  EXPECT_NE(compute_bound(g, k, "downset", options).status, BoundStatus::proven);
  const BoundResult r = compute_bound(g, k, "split", options);
  ASSERT_EQ(r.status, BoundStatus::proven) << r.detail;
  EXPECT_NE(r.detail.find("ln_encoder"), std::string::npos) << r.detail;
  EXPECT_GE(r.value, 0.97 * sliced.bottleneck);  // simple: W/k is 0.74 of it
  EXPECT_GE(r.value, 1.3 * simple_lower_bound(g, k));
  ASSERT_TRUE(r.partition.has_value());
  EXPECT_FALSE(partition_problem(g, *r.partition));
}

}  // namespace
}  // namespace pipecut
