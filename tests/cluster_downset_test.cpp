// The cluster downset DP (docs/clusters.md, "The downset DP on a cluster") against the
// brute-force oracle: its value never above the optimum at any scale of costs, its partition
// valid and costed at least at its value, and exact when every link is one host's.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "pipecut/bounds/cluster_downset.hpp"
#include "pipecut/model/cluster_cost.hpp"
#include "pipecut/model/numeric.hpp"
#include "support/cluster_oracle.hpp"

namespace pipecut {
namespace {

// Every time in the instance multiplied by `factor`: work, comm and work maps, and the links
// divided by it (a tensor's bytes then take `factor` times as long).
void scale_times(testing::ClusterInstance& x, double factor) {
  for (double& w : x.graph.work) w *= factor;
  for (double& w : x.graph.comm) w *= factor;
  for (double& w : x.graph.class_work) w *= factor;  // NaN stays NaN
  for (ClusterHost& h : x.cluster.hosts) h.bandwidth_gbps /= factor;
  x.cluster.network_bandwidth_gbps /= factor;
  for (auto& row : x.cluster.link_gbps)
    for (double& l : row) l /= factor;
}

// Each node's work and comm multiplied by its own power of ten in 1e-6..1e6.
void mix_magnitudes(testing::ClusterInstance& x, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> exponent(-6, 6);
  const std::size_t classes = x.graph.work_classes.size();
  for (NodeId v = 0; v < x.graph.num_nodes(); ++v) {
    const double f = std::pow(10.0, exponent(rng));
    x.graph.work[v] *= f;
    x.graph.comm[v] *= f;
    for (std::size_t c = 0; c < classes; ++c) x.graph.class_work[v * classes + c] *= f;
  }
}

// All devices on the first host: every link is that host's.
void one_host(Cluster& c) {
  for (ClusterDevice& d : c.devices) {
    d.host = 0;
    d.name = "h0:" + std::to_string(d.index_on_host);
  }
  for (int i = 0; i < c.num_devices(); ++i) c.devices[i].index_on_host = i;
  c.hosts.resize(1);
  c.link_gbps.clear();
}

struct Tally {
  int feasible = 0, exact = 0, infeasible = 0;
};

// One instance: the DP without incumbent against brute force.
void check_instance(const testing::ClusterInstance& x, int k, bool expect_exact,
                    const std::string& label, Tally& tally) {
  const testing::ClusterOptimum best = testing::cluster_brute_force(x.graph, x.cluster, k);
  const ClusterCosts costs(x.graph, x.cluster, x.graph.name);
  const ClusterDownsetResult r = cluster_downset_bound(costs, k);
  if (!best.feasible) {
    EXPECT_EQ(r.status, BoundStatus::infeasible) << label;
    ++tally.infeasible;
    return;
  }
  ASSERT_EQ(r.status, BoundStatus::proven) << label << ": " << r.detail;
  ++tally.feasible;
  EXPECT_LE(r.value, best.bottleneck) << label;
  ASSERT_TRUE(r.partition) << label;
  const std::optional<double> cost =
      testing::cluster_oracle_bottleneck(x.graph, x.cluster, *r.partition);
  ASSERT_TRUE(cost) << label << ": the DP's partition breaks a rule";
  EXPECT_GE(*cost, best.bottleneck * (1 - 1e-12)) << label;
  EXPECT_LE(r.value, *cost) << label;
  if (proves_optimal(r.value, best.bottleneck)) ++tally.exact;
  if (expect_exact) {
    EXPECT_TRUE(proves_optimal(r.value, best.bottleneck))
        << label << ": " << r.value << " against " << best.bottleneck;
    EXPECT_TRUE(proves_optimal(r.value, *cost)) << label;
  }
}

TEST(ClusterDownset, NeverAboveTheOptimumAtEveryScale) {
  Tally tally;
  const double scales[] = {1e-9, 1e-3, 1, 1e3, 1e9};
  for (std::uint64_t seed = 1; seed <= 1000; ++seed) {
    testing::ClusterInstance x = testing::random_cluster_instance(seed);
    const int k = 1 + static_cast<int>(seed % static_cast<std::uint64_t>(x.cluster.num_devices()));
    if (seed % 7 == 0)
      mix_magnitudes(x, seed);
    else
      scale_times(x, scales[seed % 5]);
    check_instance(x, k, false, "seed " + std::to_string(seed), tally);
  }
  EXPECT_GT(tally.feasible, 600);
  EXPECT_GT(tally.infeasible, 0);
  // Most tiny instances are solved exactly: the pricing only errs on links between hosts.
  EXPECT_GT(tally.exact, tally.feasible / 2);
}

TEST(ClusterDownset, ExactWhenEveryLinkIsOneHosts) {
  Tally tally;
  for (std::uint64_t seed = 1; seed <= 400; ++seed) {
    testing::ClusterInstance x = testing::random_cluster_instance(seed);
    one_host(x.cluster);
    if (seed % 3 == 0) scale_times(x, seed % 2 == 0 ? 1e-9 : 1e9);
    const int k = 1 + static_cast<int>(seed % static_cast<std::uint64_t>(x.cluster.num_devices()));
    check_instance(x, k, true, "seed " + std::to_string(seed), tally);
  }
  EXPECT_GT(tally.feasible, 200);
}

TEST(ClusterDownset, IncumbentPrunesWithoutChangingTheValue) {
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    const testing::ClusterInstance x = testing::random_cluster_instance(seed);
    const int k = 1 + static_cast<int>(seed % static_cast<std::uint64_t>(x.cluster.num_devices()));
    const testing::ClusterOptimum best = testing::cluster_brute_force(x.graph, x.cluster, k);
    if (!best.feasible) continue;
    const ClusterCosts costs(x.graph, x.cluster, x.graph.name);
    const ClusterDownsetResult free = cluster_downset_bound(costs, k);
    ClusterDownsetOptions options;
    options.incumbent = best.bottleneck;
    const ClusterDownsetResult pruned = cluster_downset_bound(costs, k, options);
    ASSERT_EQ(pruned.status, BoundStatus::proven) << seed;
    EXPECT_EQ(pruned.value, free.value) << seed;
    EXPECT_LE(pruned.stages, free.stages) << seed;
    // Passes rising from a lower bound to a loose incumbent end at the same optimum, or at the
    // lower bound when that is higher (values below it are clamped to it).
    options.incumbent = 3 * best.bottleneck + 1e-3;
    options.floor = best.bottleneck * (seed % 2 == 0 ? 0.25 : 0.999);
    const ClusterDownsetResult rising = cluster_downset_bound(costs, k, options);
    ASSERT_EQ(rising.status, BoundStatus::proven) << seed;
    const double expected = std::max(free.value, options.floor);
    EXPECT_NEAR(rising.value, expected, 1e-9 * expected) << seed;
    EXPECT_LE(rising.value, best.bottleneck) << seed;
  }
}

TEST(ClusterDownset, StopsCleanlyPastItsLimits) {
  const testing::ClusterInstance x = testing::random_cluster_instance(3);
  const ClusterCosts costs(x.graph, x.cluster, x.graph.name);
  ClusterDownsetOptions options;
  options.downset_limit = 1;
  const ClusterDownsetResult r = cluster_downset_bound(costs, 1, options);
  EXPECT_EQ(r.status, BoundStatus::gave_up);
  EXPECT_EQ(r.value, 0.0);
  EXPECT_NE(r.detail.find("downsets"), std::string::npos) << r.detail;
  StopFlag stop;
  stop.request();
  options = {};
  options.stop = &stop;
  const ClusterDownsetResult stopped = cluster_downset_bound(costs, 1, options);
  EXPECT_NE(stopped.status, BoundStatus::proven);
  EXPECT_EQ(stopped.value, 0.0);
}

}  // namespace
}  // namespace pipecut
