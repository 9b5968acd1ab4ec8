// The C++ API (pipecut/solve/api.hpp) called directly: solve, partition, bounds and evaluate
// against the exhaustive optimum; registries; huge k; stop requests; callbacks; JSON output.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "pipecut/io/partition_json.hpp"
#include "pipecut/pipecut.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

Graph small_random(std::uint64_t seed, int nodes = 8) {
  testing::RandomGraphOptions o;
  o.nodes = nodes;
  o.edge_probability = 0.3;
  o.fractional = seed % 2 == 0;
  return testing::random_dag(seed, o);
}

Graph chain3() {
  GraphBuilder b("chain3", "chain3");
  b.add_node(testing::node("a", 1, 1));
  b.add_node(testing::node("b", 2, 1));
  b.add_node(testing::node("c", 3, 1));
  b.add_edge("a", "b");
  b.add_edge("b", "c");
  return std::move(b).build();
}

TEST(Api, SolveWithTargetOneProvesTheExhaustiveOptimum) {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    const Graph g = small_random(seed);
    const int k = 1 + static_cast<int>(seed % 4);
    const double optimum = testing::brute_force_optimum(g, k).optimum;
    SolveOptions options;
    options.target_ratio = 1.0;
    options.time_limit_seconds = 30;
    options.partition.preset = "brkga-100";
    options.partition.threads = 1;
    const Solution s = solve(g, k, options);
    EXPECT_FALSE(partition_problem(g, s.partition).has_value()) << "seed " << seed;
    EXPECT_EQ(s.k, k);
    EXPECT_GE(s.bottleneck(), optimum - 1e-9) << "seed " << seed;
    EXPECT_LE(s.lower_bound, optimum + 1e-9) << "seed " << seed;
    ASSERT_TRUE(s.optimal.has_value());
    EXPECT_TRUE(*s.optimal) << "seed " << seed << ": small instances are always settled";
    EXPECT_NEAR(s.bottleneck(), optimum, 1e-6 * std::max(1.0, optimum)) << "seed " << seed;
    EXPECT_FALSE(s.bounds.empty() && s.lower_bound_method != "simple");
  }
}

TEST(Api, EveryRegisteredAlgorithmGivesValidPartitionsNeverBelowTheOptimum) {
  for (const PartitionAlgorithm& algorithm : partition_algorithms()) {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
      const Graph g = small_random(seed + 100);
      const int k = 1 + static_cast<int>(seed % 4);
      const double optimum = testing::brute_force_optimum(g, k).optimum;
      PartitionOptions options;
      options.algorithm = algorithm.name;
      options.preset = "brkga-100";
      const Solution s = partition_graph(g, k, options);
      EXPECT_FALSE(partition_problem(g, s.partition)) << algorithm.name << " seed " << seed;
      EXPECT_GE(s.bottleneck(), optimum - 1e-9) << algorithm.name << " seed " << seed;
      EXPECT_LE(s.lower_bound, optimum + 1e-9);
      EXPECT_EQ(s.lower_bound_method, "simple");
      EXPECT_NEAR(s.bottleneck(), evaluate_partition(g, s.partition).bottleneck, 1e-12);
    }
  }
}

TEST(Api, ComputeBoundsRunsEveryMethodInRegistryOrderAndNeverExceedsTheOptimum) {
  const Graph g = small_random(7);
  const double optimum = testing::brute_force_optimum(g, 3).optimum;
  BoundOptions options;
  options.time_limit_seconds = 10;
  std::vector<std::string> finished;
  RunControl control;
  control.bound_finished = [&](const BoundResult& r) { finished.push_back(r.method); };
  const BoundsReport report = compute_bounds(g, 3, {}, options, control);
  EXPECT_EQ(finished, bound_method_names());
  ASSERT_EQ(report.bounds.size(), bound_methods().size());
  for (const BoundResult& r : report.bounds) {
    EXPECT_LE(r.value, optimum + 1e-9) << r.method;
    EXPECT_LE(r.value, report.best.value) << r.method;
  }
  EXPECT_GE(report.incumbent, optimum - 1e-9);
}

TEST(Api, UnknownNamesAreInputErrorsListingTheKnownOnes) {
  try {
    partition_algorithm("nope");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("slicegraph"), std::string::npos) << e.what();
  }
  EXPECT_THROW(bound_method("nope"), InputError);
  EXPECT_THROW(compute_bounds(chain3(), 2, {"simple", "nope"}), InputError);
  EXPECT_THROW(partition_options_for_spec("brkga-7"), InputError);
  EXPECT_EQ(partition_options_for_spec("brkga-100").preset, "brkga-100");
  EXPECT_EQ(partition_options_for_spec("topo").algorithm, "topo");
  PartitionOptions bad;
  bad.preset = "brkga-7";
  EXPECT_THROW(partition_graph(chain3(), 2, bad), InputError);
}

TEST(Api, KBelowOneIsAnInputErrorEverywhere) {
  const Graph g = chain3();
  EXPECT_THROW(solve(g, 0), InputError);
  EXPECT_THROW(partition_graph(g, 0), InputError);
  EXPECT_THROW(compute_bounds(g, -1), InputError);
  EXPECT_THROW(stages_to_use(g, 0), InputError);
}

TEST(Api, StagesToUseTakesTheGraphsDefaultOnlyWhenKIsNotGiven) {
  Graph g = chain3();
  EXPECT_THROW(stages_to_use(g, std::nullopt), InputError);
  EXPECT_EQ(stages_to_use(g, 5), 5);
  g.default_k = 3;
  EXPECT_EQ(stages_to_use(g, std::nullopt), 3);
  EXPECT_EQ(stages_to_use(g, 2), 2);
}

TEST(Api, HugeKIsAnsweredQuicklyWithTheKAskedFor) {
  const Graph g = chain3();
  for (int k : {3, 1000, 1'000'000'000, 2147483647}) {
    SolveOptions options;
    options.target_ratio = 1;
    const Solution s = solve(g, k, options);
    EXPECT_EQ(s.k, k);
    EXPECT_EQ(s.partition.k, k);
    EXPECT_FALSE(partition_problem(g, s.partition));
    EXPECT_DOUBLE_EQ(s.bottleneck(), 4);  // {a, b} | {c}: 3 + 1 sent, 3 + 1 received
    EXPECT_TRUE(s.optimal.value_or(false));
    EXPECT_LE(s.evaluation.stages.size(), 3u);  // non-empty stages only
    for (const StageCost& stage : s.evaluation.stages) EXPECT_FALSE(stage.nodes.empty());
    const nlohmann::json doc = nlohmann::json::parse(solution_to_json(g, s));
    EXPECT_EQ(doc["k"], k);
    EXPECT_EQ(doc["stages"].size(), s.evaluation.stages.size());
    const Solution p = partition_graph(g, k);
    EXPECT_EQ(p.k, k);
    EXPECT_FALSE(partition_problem(g, p.partition));
    EXPECT_FALSE(compute_bounds(g, k).bounds.empty());
  }
}

TEST(Api, EvaluateListsNonEmptyStagesWithTheirIndicesForAnyK) {
  const Graph g = chain3();
  const Partition p{2'000'000'000, {0, 1'999'999'999, 1'999'999'999}};
  const Evaluation e = evaluate(g, p);
  ASSERT_EQ(e.stages.size(), 2u);
  EXPECT_EQ(e.stages[0].stage, 0);
  EXPECT_EQ(e.stages[1].stage, 1'999'999'999);
  EXPECT_DOUBLE_EQ(e.stages[0].cost, 1 + 1);
  EXPECT_DOUBLE_EQ(e.stages[1].cost, 5 + 1);
  EXPECT_EQ(e.bottleneck_stage, 1'999'999'999);
  EXPECT_EQ(e.stages_used, 2);
  EXPECT_THROW(evaluate(g, {2, {1, 0, 1}}), InputError);  // backward edge
}

TEST(Api, ARequestedStopReturnsAValidPartitionMarkedStopped) {
  testing::RandomGraphOptions o;
  o.nodes = 60;
  const Graph g = testing::random_dag(11, o);
  StopFlag stop;
  stop.request();
  RunControl control;
  control.stop = &stop;
  SolveOptions options;
  options.target_ratio = 1;
  const Solution s = solve(g, 8, options, control);
  EXPECT_TRUE(s.stopped);
  EXPECT_FALSE(partition_problem(g, s.partition));
  EXPECT_LE(s.lower_bound, s.bottleneck());
  const Solution p = partition_graph(g, 8, {}, control);
  EXPECT_TRUE(p.stopped);
  EXPECT_FALSE(partition_problem(g, p.partition));
}

TEST(Api, ProgressIsReportedWithNonDecreasingBoundsAndNonIncreasingBottlenecks) {
  testing::RandomGraphOptions o;
  o.nodes = 30;
  const Graph g = testing::random_dag(5, o);
  std::vector<Progress> seen;
  RunControl control;
  control.progress = [&](const Progress& p) { seen.push_back(p); };
  SolveOptions options;
  options.target_ratio = 1;
  options.partition.preset = "brkga-100";
  const Solution s = solve(g, 4, options, control);
  ASSERT_FALSE(seen.empty());
  for (std::size_t i = 1; i < seen.size(); ++i) {
    EXPECT_LE(seen[i].bottleneck, seen[i - 1].bottleneck + 1e-12);
    EXPECT_GE(seen[i].lower_bound, seen[i - 1].lower_bound - 1e-12);
    EXPECT_GE(seen[i].seconds, seen[i - 1].seconds);
  }
  EXPECT_NEAR(seen.back().bottleneck, s.bottleneck(), 1e-9);
}

TEST(Api, SolutionJsonFollowsThePartitionSchema) {
  const Graph g = small_random(3);
  SolveOptions options;
  options.partition.preset = "brkga-100";
  const Solution s = solve(g, 3, options);
  const nlohmann::json doc = nlohmann::json::parse(solution_to_json(g, s));
  EXPECT_EQ(doc["format"], "pipecut.partition");
  EXPECT_EQ(doc["version"], 1);
  EXPECT_EQ(doc["k"], 3);
  EXPECT_EQ(doc["assignment"].size(), static_cast<std::size_t>(g.num_nodes()));
  EXPECT_DOUBLE_EQ(doc["bottleneck"].get<double>(), s.bottleneck());
  EXPECT_DOUBLE_EQ(doc["lower_bound"].get<double>(), s.lower_bound);
  EXPECT_EQ(doc["optimal"].get<bool>(), *s.optimal);
  EXPECT_EQ(doc["bounds"].size(), s.bounds.size());
  // The document reads back into the same partition.
  EXPECT_EQ(parse_partition_assignment(g, doc.dump(), "doc").stage_of, s.partition.stage_of);
}

TEST(Api, VersionComesFromTheBuild) {
  EXPECT_STREQ(kVersion, PIPECUT_VERSION);
  EXPECT_EQ(std::string(kVersion).find('.') != std::string::npos, true);
}

}  // namespace
}  // namespace pipecut
