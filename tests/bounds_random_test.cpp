// Every bound method against the exhaustive optimum on random small DAGs (zeros and ties).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "pipecut/bounds/bounds.hpp"
#include "pipecut/bounds/simple.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/partition/slicegraph.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

double slack(double value) { return 1e-9 * std::max(1.0, std::abs(value)); }

testing::RandomGraphOptions options_for(std::uint64_t seed) {
  testing::RandomGraphOptions o;
  o.nodes = 3 + static_cast<int>(seed % 9);  // 3..11
  o.edge_probability = 0.15 + 0.1 * double(seed % 5);
  o.max_cost = 1 + static_cast<int>(seed % 5);
  o.fractional = seed % 3 == 0;
  return o;
}

// Runs every method with one of several option mixes; checks validity, and exactness of the
// exact methods when they finish.
void check_instance(std::uint64_t seed) {
  const Graph g = testing::random_dag(seed, options_for(seed));
  const int k = 1 + static_cast<int>((seed / 7) % 4);
  const testing::BruteForceResult truth = testing::brute_force_optimum(g, k);
  BoundOptions options;
  options.time_limit_seconds = 5;
  options.mip_threads = 1;
  switch (seed % 3) {
    case 0:
      break;  // no incumbent at all
    case 1:   // the optimum itself as incumbent: the tightest pruning
      options.incumbent = truth.optimum;
      options.warm_start = truth.best;
      options.known_lower_bound = simple_lower_bound(g, k);
      break;
    default: {  // a possibly suboptimal incumbent
      SliceGraphResult sliced = slice_default_order(g, k);
      options.incumbent = sliced.bottleneck;
      options.warm_start = sliced.partition;
    }
  }
  for (const std::string& method : bound_method_names()) {
    SCOPED_TRACE("seed " + std::to_string(seed) + " n=" + std::to_string(g.num_nodes()) +
                 " k=" + std::to_string(k) + " method " + method);
    const BoundResult r = compute_bound(g, k, method, options);
    EXPECT_LE(r.value, truth.optimum + slack(truth.optimum));
    EXPECT_GE(r.value, 0.0);
    if (r.partition) {
      ASSERT_FALSE(partition_problem(g, *r.partition).has_value());
      EXPECT_GE(evaluate_partition(g, *r.partition).bottleneck,
                truth.optimum - slack(truth.optimum));
    }
    if ((method == "exact" || method == "downset") && r.status == BoundStatus::proven) {
      EXPECT_NEAR(r.value, truth.optimum, 4e-6 * std::max(1.0, truth.optimum));
      ASSERT_TRUE(r.partition.has_value());
      EXPECT_NEAR(evaluate_partition(g, *r.partition).bottleneck, truth.optimum,
                  slack(truth.optimum));
    }
  }
}

TEST(BoundsRandom, EveryMethodIsValidAndExactMethodsAreExact) {
  for (std::uint64_t seed = 1; seed <= 240; ++seed) check_instance(seed);
}

TEST(BoundsRandom, ExactMethodsFinishOnSmallGraphs) {
  for (std::uint64_t seed = 1000; seed < 1030; ++seed) {
    const Graph g = testing::random_dag(seed, options_for(seed));
    BoundOptions options;
    options.time_limit_seconds = 20;
    options.mip_threads = 1;
    for (const char* method : {"exact", "downset"})
      EXPECT_EQ(compute_bound(g, 3, method, options).status, BoundStatus::proven) << method;
  }
}

TEST(BoundsRandom, WarmStartNeverMakesThePartitionWorse) {
  for (std::uint64_t seed = 2000; seed < 2040; ++seed) {
    testing::RandomGraphOptions o = options_for(seed);
    o.nodes = 12;
    const Graph g = testing::random_dag(seed, o);
    const int k = 2 + static_cast<int>(seed % 3);
    SliceGraphResult sliced = slice_default_order(g, k);
    BoundOptions options;
    options.time_limit_seconds = 0.05;  // often stops before improving: the start must survive
    options.mip_threads = 1;
    options.warm_start = sliced.partition;
    const BoundResult r = compute_bound(g, k, "exact", options);
    ASSERT_TRUE(r.partition.has_value()) << seed;
    EXPECT_LE(evaluate_partition(g, *r.partition).bottleneck,
              sliced.bottleneck + slack(sliced.bottleneck))
        << seed;
  }
}

TEST(BoundsRandom, UnknownMethodAndBadKAreInputErrors) {
  const Graph g = testing::random_dag(1, {});
  EXPECT_THROW(compute_bound(g, 2, "nonsense", {}), InputError);
  EXPECT_THROW(compute_bound(g, 0, "simple", {}), InputError);
}

}  // namespace
}  // namespace pipecut
