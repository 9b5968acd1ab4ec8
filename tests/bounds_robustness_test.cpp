// Bound methods on adversarial instances: very long models, time limits that must hold, and
// stage counts far beyond the number of nodes.
#include <gtest/gtest.h>

#include "pipecut/bounds/bounds.hpp"
#include "pipecut/bounds/single_stage.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

// A chain a0 -> a1 -> ... whose nodes have no work except the last: the min-cut flow from a0
// must run down the whole chain (three flow nodes per operator) to reach the sink.
Graph long_chain(int n) {
  GraphBuilder b("chain");
  for (int i = 0; i < n; ++i) {
    std::string id = "a";
    id += std::to_string(i);
    b.add_node(testing::node(id, i + 1 == n ? 1.0 : 0.0, 1.0));
  }
  for (int i = 0; i + 1 < n; ++i) b.add_edge(i, i + 1);
  return std::move(b).build();
}

TEST(BoundRobustness, MinCutFloorOnAVeryLongChainNeedsNoDeepRecursion) {
  // 200 000 operators: a path of 600 000 flow nodes, deeper than a recursive augmenting path
  // can go on an 8 MB stack.
  const Graph g = long_chain(200'000);
  const MinCutFloor first = min_cut_floor(g, 0);
  // {a0} alone costs its output tensor (1); every other set containing a0 costs at least that.
  EXPECT_NEAR(first.value, 1.0, 1e-9);
  EXPECT_TRUE(first.source_side[0]);
  EXPECT_NEAR(set_cost(g, first.source_side), 1.0, 1e-9);
  BoundOptions options;
  options.time_limit_seconds = 1;
  const BoundResult r = compute_bound(g, 8, "single-mincut", options);
  EXPECT_EQ(r.status, BoundStatus::time_limit);  // one flow per node does not fit in 1 s
  EXPECT_GE(r.value, 1.0 - 1e-6);                // every floor here is 1 (the last node's: 2)
  EXPECT_LE(r.value, 2.0);
}

}  // namespace
}  // namespace pipecut
