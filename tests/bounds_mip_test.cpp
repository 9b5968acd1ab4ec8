// Grouped and exact MIP bounds on the BERT-3 sample.
#include <gtest/gtest.h>

#include "pipecut/bounds/bounds.hpp"
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
    EXPECT_NEAR(r.value, kBert3OptimumK2, 1e-5) << method;
    EXPECT_LE(r.value, kBert3OptimumK2 + 1e-6) << method;
  }
  const BoundResult exact = compute_bound(g, 2, "exact", options);
  ASSERT_TRUE(exact.partition.has_value());
  EXPECT_NEAR(evaluate_partition(g, *exact.partition).bottleneck, kBert3OptimumK2, 1e-5);
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

}  // namespace
}  // namespace pipecut
