// --prefer without a cluster (docs/partitioning.md, "Ties"): the bottleneck and the certificate
// never change; merging gives at most the stages and the latency of --prefer none; with
// `devices`, when the downset DP finishes (always on these tiny graphs) the stage count is the
// fewest of any partition whose bottleneck is at most the one returned, checked by brute force.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>

#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/cost.hpp"
#include "pipecut/model/numeric.hpp"
#include "pipecut/solve/api.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

Solution solve_with(const Graph& g, int k, const std::string& prefer) {
  SolveOptions options;
  options.prefer = prefer;
  options.target_ratio = 1;
  options.time_limit_seconds = 20;
  options.partition.threads = 1;
  options.partition.preset = "brkga-100";
  return solve(g, k, options);
}

TEST(SolveTies, AgainstBruteForceOnTinyGraphs) {
  int fewer_than_none = 0, compared = 0;
  for (std::uint64_t seed = 1; seed <= 150; ++seed) {
    testing::RandomGraphOptions o;
    o.nodes = 3 + static_cast<int>(seed % 6);  // 3..8
    o.edge_probability = 0.2 + 0.1 * double(seed % 4);
    Graph g = testing::random_dag(seed, o);
    const int k = 2 + static_cast<int>(seed % 4);  // 2..5
    if (seed % 3 == 0) testing::add_random_constraints(g, k, seed, {});
    SCOPED_TRACE("seed " + std::to_string(seed) + " n=" + std::to_string(g.num_nodes()) +
                 " k=" + std::to_string(k));
    Solution none, devices, latency;
    try {
      none = solve_with(g, k, "none");
    } catch (const Error&) {
      continue;  // infeasible: no ties to break
    }
    devices = solve_with(g, k, "devices");
    latency = solve_with(g, k, "latency");
    ++compared;
    // The certificate is the same, and the bottleneck never rises.
    for (const Solution* s : {&devices, &latency}) {
      EXPECT_EQ(s->lower_bound, none.lower_bound);
      EXPECT_LE(s->bottleneck(), none.bottleneck());
      EXPECT_EQ(s->optimal, proves_optimal(s->lower_bound, s->bottleneck()));
      EXPECT_LE(s->evaluation.stages_used, none.evaluation.stages_used);
      EXPECT_EQ(s->partition.k, k);
      EXPECT_TRUE(testing::satisfies_constraints(g, s->partition));
      EXPECT_EQ(evaluate(g, s->partition).bottleneck, s->bottleneck());
    }
    // `latency` merges only where the latency does not rise.
    EXPECT_LE(latency.evaluation.latency(), none.evaluation.latency());
    if (devices.evaluation.stages_used == none.evaluation.stages_used) {
      EXPECT_LE(devices.evaluation.latency(), none.evaluation.latency());
    }
    if (devices.evaluation.stages_used < none.evaluation.stages_used) ++fewer_than_none;
    // The fewest stages of any partition at most as costly, by brute force (the same evaluator).
    int fewest = std::numeric_limits<int>::max();
    testing::for_each_valid_partition(g, k, [&](const Partition& p) {
      const Evaluation e = evaluate_partition(g, p);
      if (e.bottleneck <= devices.bottleneck()) fewest = std::min(fewest, e.stages_used);
    });
    ASSERT_TRUE(devices.optimal.value_or(false));  // tiny graphs: solve proves
    EXPECT_EQ(devices.evaluation.stages_used, fewest);
  }
  EXPECT_GT(compared, 100);
  EXPECT_GT(fewer_than_none, 5);  // the step does something on these instances
}

// A chain whose first node alone sets the optimum (5): three stages reach it, and so do two
// ({5} and the rest); `devices` returns two, however the search split the rest.
TEST(SolveTies, FewestStagesOnAChain) {
  GraphBuilder b("chain");
  const double work[] = {5, 1, 1, 1};
  for (int i = 0; i < 4; ++i) {
    b.add_node(testing::node(std::string("n").append(std::to_string(i)), work[i], 0));
    if (i > 0) b.add_edge(i - 1, i);
  }
  const Graph g = std::move(b).build();
  const Solution s = solve_with(g, 3, "devices");
  EXPECT_EQ(s.bottleneck(), 5.0);
  EXPECT_EQ(s.evaluation.stages_used, 2);
  EXPECT_TRUE(*s.optimal);
  const Solution none = solve_with(g, 3, "none");
  EXPECT_EQ(none.bottleneck(), 5.0);
  EXPECT_LE(s.evaluation.stages_used, none.evaluation.stages_used);
}

// docs/partitioning.md, "Ties": gpt2_small at k = 8 is proven optimal with a stage of two
// operators beside the layers; `devices` merges it away at the same bottleneck and certificate.
TEST(SolveTies, Gpt2SmallAtEightStages) {
  const Graph g = read_graph(testing::data_path("corpus/transformers/gpt2_small.onnx.gz"));
  SolveOptions options;
  options.partition.threads = 1;
  options.prefer = "none";
  const Solution none = solve(g, 8, options);
  options.prefer = "devices";
  const Solution devices = solve(g, 8, options);
  ASSERT_TRUE(none.optimal.value_or(false));
  ASSERT_TRUE(devices.optimal.value_or(false));
  EXPECT_EQ(devices.bottleneck(), none.bottleneck());
  EXPECT_EQ(devices.lower_bound, none.lower_bound);
  EXPECT_LT(devices.evaluation.stages_used, none.evaluation.stages_used);
  EXPECT_LT(devices.evaluation.latency(), none.evaluation.latency());
}

}  // namespace
}  // namespace pipecut
