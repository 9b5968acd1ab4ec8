// solve_on_cluster at every scale of numbers (docs/bounds.md, "Numerics"; docs/clusters.md):
// the random tiny cluster instances of the brute-force oracle with every cost (work, class
// times, comm, bytes and so the time of a tensor over a link) multiplied by 1e-9 .. 1e9, or
// with magnitudes mixed within one instance (1e-6 .. 1e6), checked with relative tolerances
// only: every partition valid and never better than the optimum, every bound at most the
// optimum, every claimed optimum within kOptimalityTolerance of it, chains always proven.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "pipecut/model/cluster_cost.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/model/numeric.hpp"
#include "pipecut/solve/api.hpp"
#include "pipecut/solve/cluster_solve.hpp"
#include "support/cluster_oracle.hpp"

namespace pipecut {
namespace {

struct Tally {
  int instances = 0, solved = 0, proven = 0, infeasible = 0, missed = 0, chains = 0;
};

// `factor[v]` multiplies node v's costs. Every assertion is relative: an absolute tolerance
// would accept anything below 1e-9 and nothing near 1e9.
void check_instance(const testing::ClusterInstance& base, const std::vector<double>& factor,
                    bool chain, std::uint64_t seed, Tally& tally) {
  const Graph g = testing::with_node_cost_factors(base.graph, factor);
  const Cluster& c = base.cluster;
  const int k = 1 + static_cast<int>(seed % static_cast<std::uint64_t>(c.num_devices()));
  const testing::ClusterOptimum best = testing::cluster_brute_force(g, c, k);
  ++tally.instances;
  SolveOptions options;
  options.target_ratio = 1;  // a homogeneous cluster is today's solve, which stops at 0.99
  options.time_limit_seconds = 10;
  options.partition.threads = 1;
  Solution s;
  try {
    s = solve_on_cluster(g, c, k, options);
  } catch (const InfeasibleError&) {
    EXPECT_FALSE(best.feasible) << "infeasibility claimed, optimum " << best.bottleneck;
    ++tally.infeasible;
    return;
  } catch (const NoFeasiblePartitionError&) {
    EXPECT_FALSE(chain) << "a chain's DP is exact";
    if (best.feasible) ++tally.missed;
    return;
  }
  ASSERT_TRUE(best.feasible) << "a partition of an infeasible instance";
  ++tally.solved;
  const double optimum = best.bottleneck;
  const std::optional<double> oracle = testing::cluster_oracle_bottleneck(g, c, s.partition);
  ASSERT_TRUE(oracle) << "invalid partition";
  EXPECT_TRUE(testing::same_cost(s.bottleneck(), *oracle))
      << s.bottleneck() << " reported, " << *oracle << " by the definition";
  // Never better than the optimum (the oracle's sums may round the other way).
  EXPECT_TRUE(testing::at_most_cost(optimum, *oracle))
      << *oracle << " below the optimum " << optimum;
  EXPECT_TRUE(testing::at_most_cost(s.lower_bound, optimum))
      << "lower bound " << s.lower_bound << " above the optimum " << optimum;
  for (const BoundResult& r : s.bounds)
    EXPECT_TRUE(testing::at_most_cost(r.value, optimum))
        << r.method << " " << r.value << " above the optimum " << optimum;
  ASSERT_TRUE(s.optimal.has_value());
  EXPECT_EQ(*s.optimal, proves_optimal(s.lower_bound, s.bottleneck()));
  if (*s.optimal) {
    ++tally.proven;
    // Proven optimal: within the relative tolerance of the true optimum.
    EXPECT_LE(*oracle, optimum / (1 - kOptimalityTolerance) * (1 + 1e-12))
        << "claimed optimal at " << *oracle << ", optimum " << optimum;
  }
  if (chain) {
    ++tally.chains;
    EXPECT_TRUE(*s.optimal) << "the chain DP is exact: " << s.bottleneck() << " against bound "
                            << s.lower_bound << ", optimum " << optimum;
  }
  // The engines' splits: valid, never better than the optimum, and never better than solve.
  for (const std::string& name : cluster_baseline_names()) {
    Solution b;
    try {
      b = cluster_baseline(g, c, k, name);
    } catch (const NoFeasiblePartitionError&) {
      continue;
    }
    const auto split = testing::cluster_oracle_bottleneck(g, c, b.partition);
    ASSERT_TRUE(split) << name;
    EXPECT_TRUE(testing::same_cost(b.bottleneck(), *split)) << name;
    EXPECT_TRUE(testing::at_most_cost(optimum, *split)) << name;
    EXPECT_TRUE(testing::at_most_cost(b.lower_bound, optimum)) << name;
    // On a heterogeneous cluster solve tries the splits; a homogeneous one is today's solve,
    // which stops at any partition within kOptimalityTolerance of its bound.
    if (!c.homogeneous()) {
      EXPECT_TRUE(testing::at_most_cost(s.bottleneck(), b.bottleneck()))
          << name << " " << b.bottleneck() << " beats solve's " << s.bottleneck();
    } else if (*s.optimal) {
      EXPECT_LE(s.bottleneck(), b.bottleneck() / (1 - kOptimalityTolerance)) << name;
    }
  }
}

void expect_sane(const Tally& t, int at_least) {
  EXPECT_EQ(t.instances, at_least);
  EXPECT_GT(t.solved, at_least / 2);
  EXPECT_GT(t.proven, t.solved / 4);
  EXPECT_GT(t.infeasible, 0);
  EXPECT_GT(t.chains, at_least / 8);  // solved chains (a third of the instances are chains)
  EXPECT_LE(t.missed, at_least / 100 + 1);
}

TEST(ClusterScale, EveryAnswerIsRightAtEveryUniformScale) {
  std::vector<Tally> tallies;
  for (const double scale : {1e-9, 1e-3, 1.0, 1e3, 1e9}) {
    SCOPED_TRACE("scale " + std::to_string(scale));
    Tally tally;
    for (std::uint64_t seed = 1; seed <= 400; ++seed) {
      const bool chain = seed % 3 == 0;
      SCOPED_TRACE("seed " + std::to_string(seed) + (chain ? " (chain)" : ""));
      const testing::ClusterInstance x = testing::random_cluster_instance(seed, 7, chain);
      check_instance(x, std::vector<double>(static_cast<std::size_t>(x.graph.num_nodes()), scale),
                     chain, seed, tally);
    }
    expect_sane(tally, 400);
    tallies.push_back(tally);
  }
  // Scaling changes nothing but the unit: the same instances are solved, proven optimal and
  // proven infeasible at every scale.
  for (const Tally& t : tallies) {
    EXPECT_EQ(t.solved, tallies[0].solved);
    EXPECT_EQ(t.proven, tallies[0].proven);
    EXPECT_EQ(t.infeasible, tallies[0].infeasible);
  }
}

TEST(ClusterScale, EveryAnswerIsRightWithMixedMagnitudes) {
  Tally tally;
  for (std::uint64_t seed = 1; seed <= 800; ++seed) {
    const bool chain = seed % 3 == 0;
    SCOPED_TRACE("seed " + std::to_string(seed) + (chain ? " (chain)" : ""));
    const testing::ClusterInstance x = testing::random_cluster_instance(seed + 5000, 7, chain);
    // Each node's costs at its own power of ten, 1e-6 .. 1e6.
    std::mt19937_64 rng(seed);
    std::vector<double> factor;
    for (NodeId v = 0; v < x.graph.num_nodes(); ++v)
      factor.push_back(std::pow(10.0, std::uniform_int_distribution<int>(-6, 6)(rng)));
    check_instance(x, factor, chain, seed, tally);
  }
  expect_sane(tally, 800);
}

}  // namespace
}  // namespace pipecut
