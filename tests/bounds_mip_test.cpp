// Grouped and exact MIP bounds on the BERT-3 sample.
#include <gtest/gtest.h>

#include <algorithm>

#include "pipecut/bounds/bounds.hpp"
#include "pipecut/io/graph_json.hpp"
#include "pipecut/io/read_graph.hpp"
#include "pipecut/partition/slicegraph.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

constexpr double kBert3OptimumK2 = 33.256680;

TEST(MipBounds, GroupedAndExactProveTheBert3OptimumAtTwoStages) {
  const Graph g = read_graph(testing::data_path("samples/pipecut/bert_l-3_inference.json"));
  const SliceGraphResult start = slice_default_order(g, 2);
  BoundOptions options;
  options.time_limit_seconds = 30;
  options.mip_threads = 1;
  options.incumbent = start.bottleneck;
  options.warm_start = start.partition;
  for (const char* method : {"grouped", "exact"}) {
    const BoundResult r = compute_bound(g, 2, method, options);
    EXPECT_EQ(r.status, BoundStatus::proven) << method;
    EXPECT_NEAR(r.value, kBert3OptimumK2, 4e-6 * kBert3OptimumK2) << method;
    EXPECT_LE(r.value, kBert3OptimumK2 + 1e-6) << method;
  }
  const BoundResult exact = compute_bound(g, 2, "exact", options);
  ASSERT_TRUE(exact.partition.has_value());
  EXPECT_NEAR(evaluate_partition(g, *exact.partition).bottleneck, kBert3OptimumK2, 1e-5);
}

// The solver's log reaches the callback, also from the worker process that runs the MIP.
TEST(MipBounds, VerboseLogLinesGoToTheCallback) {
  const Graph g = read_graph(testing::data_path("samples/pipecut/bert_l-3_inference.json"));
  BoundOptions options;
  options.time_limit_seconds = 2;
  options.solver_log = true;
  std::vector<std::string> lines;
  RunSignals signals;
  signals.log = [&lines](const std::string& line) { lines.push_back(line); };
  (void)compute_bound(g, 4, "exact", options, signals);
  ASSERT_FALSE(lines.empty());
  EXPECT_TRUE(std::any_of(lines.begin(), lines.end(),
                          [](const std::string& l) { return l.rfind("Cbc0", 0) == 0; }));
  for (const std::string& line : lines) EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  lines.clear();
  options.solver_log = false;
  (void)compute_bound(g, 4, "exact", options, signals);
  EXPECT_TRUE(lines.empty());
}

TEST(MipBounds, KnownLowerBoundIsKeptAndIncumbentIsRespected) {
  const Graph g = read_graph(testing::data_path("samples/pipecut/bert_l-3_inference.json"));
  const SliceGraphResult start = slice_default_order(g, 8);
  BoundOptions options;
  options.time_limit_seconds = 0.5;  // far too short to prove anything at k = 8
  options.mip_threads = 1;
  options.incumbent = start.bottleneck;
  options.warm_start = start.partition;
  options.known_lower_bound = 20.0;
  for (const char* method : {"grouped", "exact"}) {
    const BoundResult r = compute_bound(g, 8, method, options);
    EXPECT_GE(r.value, 20.0) << method;
    EXPECT_LE(r.value, 27.186146 + 1e-6) << method;
    if (r.partition) {
      EXPECT_LE(evaluate_partition(g, *r.partition).bottleneck, start.bottleneck + 1e-9);
    }
  }
}

// Regression: with an optimal warm start and no incumbent, CBC cuts the root LP off at the warm
// start's objective and calls the model infeasible. That means "nothing better than the warm
// start", so the exact MIP must prove the warm start's value, not report 0 (or infeasibility).
TEST(MipBounds, AnOptimalWarmStartIsProvenOptimalNotInfeasible) {
  int checked = 0, cut_off_at_root = 0;
  for (std::uint64_t seed = 2000; seed < 2060; ++seed) {
    testing::RandomGraphOptions o;
    o.nodes = 8;
    o.edge_probability = 0.15 + 0.1 * double(seed % 5);
    o.max_cost = 1 + static_cast<int>(seed % 5);
    const Graph g = testing::random_dag(seed, o);
    const int k = 2 + static_cast<int>(seed % 3);
    const testing::BruteForceResult truth = testing::brute_force_optimum(g, k);
    BoundOptions options;
    options.time_limit_seconds = 10;
    options.mip_threads = 1;
    options.warm_start = truth.best;
    const BoundResult r = compute_bound(g, k, "exact", options);
    ASSERT_EQ(r.status, BoundStatus::proven) << seed << ": " << r.detail;
    EXPECT_NEAR(r.value, truth.optimum, 4e-6 * std::max(1.0, truth.optimum)) << seed;
    ++checked;
    // The case this guards against must actually occur in the sample.
    if (r.detail.find("warm start is optimal") != std::string::npos) ++cut_off_at_root;
  }
  EXPECT_EQ(checked, 60);
  EXPECT_GT(cut_off_at_root, 0);
}

}  // namespace
}  // namespace pipecut

namespace pipecut {
namespace {

// Costs from 2^-30 to 2^31 in one graph: scaled to an optimum of about 1, the smallest became
// coefficients of 2^-61, and CBC then judged the model infeasible: `grouped` reported no
// partition at all and `exact` a bound above the optimum (docs/bounds.md, "Numerics").
TEST(MipBounds, CostsSixtyBinaryOrdersApartKeepTheBoundsValid) {
  const Graph g = parse_pipecut_graph(R"({"format": "pipecut.graph", "version": 1, "nodes": [
      {"id": "f3", "work": 0.0001220703125, "comm": 0, "memory": 1},
      {"id": "f1", "work": 0, "comm": 0, "memory": 4},
      {"id": "f4", "work": 0.000732421875, "comm": 0, "memory": 3},
      {"id": "f0", "work": 939538432, "comm": 0, "memory": 4},
      {"id": "o0", "work": 2147483648.000122, "comm": 0},
      {"id": "f2", "work": 40, "comm": 0, "memory": 1},
      {"id": "t2", "work": 0, "comm": 0.001220703125}, {"id": "t0", "work": 0, "comm": 16384},
      {"id": "to", "work": 0, "comm": 1.52587890625e-05}, {"id": "tp", "work": 0, "comm": 134217728}],
      "edges": [["f1", "f2"], ["f4", "f0"], ["f4", "o0"], ["f4", "f2"], ["f0", "o0"],
                ["o0", "f2"], ["t2", "f1"], ["t2", "f4"], ["t2", "o0"], ["t2", "f2"],
                ["t0", "f4"], ["t0", "f0"], ["to", "f4"], ["to", "f0"], ["to", "o0"],
                ["tp", "f4"], ["tp", "o0"]]})",
                                      "mixed.json");
  const int k = 4;
  const testing::BruteForceResult truth = testing::brute_force_optimum(g, k);
  ASSERT_TRUE(truth.feasible);
  for (const char* method : {"grouped", "exact"}) {
    BoundOptions options;
    options.time_limit_seconds = 30;
    const BoundResult r = compute_bound(g, k, method, options);
    EXPECT_NE(r.status, BoundStatus::infeasible) << method << ": " << r.detail;
    EXPECT_LE(r.value, truth.optimum) << method;
  }
}

}  // namespace
}  // namespace pipecut
