// The solve portfolio's use of its budget and of the partition improvements (docs/partitioning.md,
// "In solve").
#include <gtest/gtest.h>

#include "pipecut/gen/synthetic.hpp"
#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/constraints.hpp"
#include "pipecut/model/reductions.hpp"
#include "pipecut/solve/solve.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

// A wide, communication-heavy REGAL-like graph on which no bound closes the gap within a few
// seconds at k = 8. Solve used to return as soon as every bound method had finished or given up;
// the time left must go to the partition and to bounds that can still progress instead.
TEST(SolvePortfolio, UsesItsWholeBudgetWhileTheGapIsOpen) {
  SyntheticGraphOptions o = synthetic_preset("regal");
  o.seed = 3;
  o.nodes = 800;
  const Graph g = generate_synthetic_graph(o, "wide");
  SolveOptions options;
  options.time_limit_seconds = 3;
  options.target_ratio = 1;
  options.partition.threads = 1;
  const Solution s = solve(g, 8, options);
  ASSERT_FALSE(*s.optimal) << "the instance got easy: pick a harder one";
  EXPECT_GE(s.seconds, options.time_limit_seconds);
  EXPECT_TRUE(s.hit_time_limit);
}

TEST(SolvePortfolio, ProvesBert3OptimalWithTheExactDp) {
  const Graph g = read_graph(testing::data_path("samples/pipecut/bert_l-3_inference.json"));
  for (int k : {2, 4, 8}) {
    SolveOptions options;
    options.target_ratio = 1;
    options.time_limit_seconds = 30;
    const Solution s = solve(g, k, options);
    EXPECT_TRUE(*s.optimal) << "k = " << k;
  }
}

TEST(SolvePortfolio, ReturnsPartitionsThatObeyTheLeafRules) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    testing::RandomGraphOptions o;
    o.nodes = 8;
    o.zero_work_sources = 2;
    o.zero_work_sinks = 2;
    const Graph g = testing::random_dag(seed, o);
    SolveOptions options;
    options.time_limit_seconds = 5;
    const Solution s = solve(g, 3, options);
    const LeafReductions r = find_leaf_reductions(g, derive_constraints(g));
    EXPECT_EQ(apply_leaf_reductions(g, r, s.partition).stage_of, s.partition.stage_of)
        << "seed " << seed;
    EXPECT_NEAR(s.bottleneck(), testing::brute_force_optimum(g, 3).optimum, 1e-9)
        << "seed " << seed;
  }
}

}  // namespace
}  // namespace pipecut
