// Every algorithm and bound under placement constraints (memory capacity, colour classes)
// against the exhaustive oracle on random small graphs with random capacities and classes,
// infeasible instances included: partitions satisfy the constraints and are never better than
// the constrained optimum; bounds never exceed it; exact methods equal it, and prove
// infeasibility exactly when the oracle finds no valid partition.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "pipecut/bounds/bounds.hpp"
#include "pipecut/io/graph_json.hpp"
#include "pipecut/model/constraints.hpp"
#include "pipecut/model/numeric.hpp"
#include "pipecut/partition/slicegraph.hpp"
#include "pipecut/solve/api.hpp"
#include "support/io_test_util.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

double slack(double value) { return 1e-9 * std::max(1.0, std::abs(value)); }

// A random instance: graph shape, k and constraint mix all vary with the seed.
struct Instance {
  Graph g;
  int k = 1;
};

Instance random_instance(std::uint64_t seed) {
  testing::RandomGraphOptions o;
  o.nodes = 3 + static_cast<int>(seed % 8);  // 3..10
  o.edge_probability = 0.15 + 0.1 * double(seed % 5);
  o.max_cost = 1 + static_cast<int>(seed % 5);
  o.fractional = seed % 3 == 0;
  Instance inst{testing::random_dag(seed, o), 1 + static_cast<int>((seed / 7) % 4)};
  testing::RandomConstraintOptions co;
  co.memory = seed % 6 != 0;                    // classes alone now and then
  co.max_classes = static_cast<int>(seed % 4);  // 0..3 classes
  // Tight capacities: many infeasible instances, some beyond the cheap proofs.
  co.capacity_low = seed % 2 == 0 ? 0.7 : 1.0;
  co.capacity_high = 1.6;
  if (seed % 3 == 2) {  // capacities just above the heaviest node and total / k
    co.at_least_heaviest = true;
    co.capacity_low = 1.0;
    co.capacity_high = 1.3;
  }
  testing::add_random_constraints(inst.g, inst.k, seed, co);
  return inst;
}

void expect_valid_under_constraints(const Graph& g, const Partition& p) {
  ASSERT_FALSE(partition_problem(g, p).has_value());
  EXPECT_TRUE(testing::satisfies_constraints(g, p));
  EXPECT_FALSE(constraint_violation(g, p).has_value());
}

TEST(ConstrainedRandom, DecodedOrdersKeepEveryHullContiguous) {
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    const Instance inst = random_instance(seed);
    const Graph& g = inst.g;
    const Constraints c = derive_constraints(g);
    std::vector<double> keys(g.num_nodes());
    for (NodeId v = 0; v < g.num_nodes(); ++v)
      keys[v] = double((v * 7919 + seed * 104729) % 1000) / 1000.0;
    const std::vector<NodeId> order = order_from_keys(g, keys);
    ASSERT_TRUE(is_topological_order(g, order)) << seed;
    // Each block occupies one run of positions.
    std::vector<int> first(c.num_blocks(), -1), last(c.num_blocks(), -1);
    for (int i = 0; i < g.num_nodes(); ++i) {
      const int b = c.block_of[order[i]];
      if (first[b] < 0) first[b] = i;
      last[b] = i;
    }
    for (int b = 0; b < c.num_blocks(); ++b)
      EXPECT_EQ(last[b] - first[b] + 1, static_cast<int>(c.members(b).size())) << seed;
  }
}

TEST(ConstrainedRandom, SliceGraphPartitionsAreValidAndNeverBelowTheOptimum) {
  int infeasible = 0, feasible = 0, found = 0, optimal = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    const Instance inst = random_instance(seed);
    const Graph& g = inst.g;
    SCOPED_TRACE("seed " + std::to_string(seed) + " k " + std::to_string(inst.k));
    const testing::BruteForceResult truth = testing::brute_force_optimum(g, inst.k);
    BrkgaConfig config = *BrkgaConfig::preset("brkga-100");
    config.seed = seed;
    config.threads = 1;
    for (const SliceGraphResult& r :
         {slicegraph(g, inst.k, config), slice_default_order(g, inst.k)}) {
      if (!truth.feasible) {
        EXPECT_FALSE(r.feasible);  // nothing valid exists, so nothing valid can be returned
        continue;
      }
      if (!r.feasible) continue;  // a heuristic may miss every valid partition
      expect_valid_under_constraints(g, r.partition);
      const double value = evaluate_partition(g, r.partition).bottleneck;
      EXPECT_NEAR(value, r.bottleneck, slack(value));
      EXPECT_GE(value, truth.optimum - slack(truth.optimum));
    }
    if (!truth.feasible) {
      ++infeasible;
      continue;
    }
    ++feasible;
    const SliceGraphResult r = slicegraph(g, inst.k, config);
    if (r.feasible) ++found;
    if (r.feasible && r.bottleneck <= truth.optimum + slack(truth.optimum)) ++optimal;
  }
  // The generator must produce both kinds, and SliceGraph should mostly succeed on tiny graphs.
  EXPECT_GT(infeasible, 30);
  EXPECT_GT(feasible, 150);
  EXPECT_GE(found, feasible * 95 / 100);
  EXPECT_GT(optimal, found * 8 / 10);
}

}  // namespace
}  // namespace pipecut

namespace pipecut {
namespace {

// Every bound method under one of several option mixes: valid bounds, valid partitions, exact
// methods exact, and infeasibility reported exactly when the oracle finds nothing.
void check_bounds(std::uint64_t seed, const std::vector<std::string>& methods) {
  const Instance inst = random_instance(seed);
  const Graph& g = inst.g;
  const int k = inst.k;
  const testing::BruteForceResult truth = testing::brute_force_optimum(g, k);
  BoundOptions options;
  options.time_limit_seconds = 5;
  options.mip_threads = 1;
  if (truth.feasible) {
    switch (seed % 3) {
      case 0:
        break;  // no incumbent
      case 1:   // the optimum itself: the tightest pruning
        options.incumbent = truth.optimum;
        options.warm_start = truth.best;
        break;
      default: {  // whatever the default order gives, if anything
        SliceGraphResult sliced = slice_default_order(g, k);
        if (sliced.feasible) {
          options.incumbent = sliced.bottleneck;
          options.warm_start = sliced.partition;
        }
      }
    }
  }
  for (const std::string& method : methods) {
    SCOPED_TRACE("seed " + std::to_string(seed) + " n=" + std::to_string(g.num_nodes()) + " k=" +
                 std::to_string(k) + " method " + method + (truth.feasible ? "" : " (infeasible)"));
    const BoundResult r = compute_bound(g, k, method, options);
    if (r.status == BoundStatus::infeasible) {
      EXPECT_FALSE(truth.feasible) << r.detail;
      EXPECT_FALSE(r.detail.empty());
      EXPECT_EQ(r.detail.find('\n'), std::string::npos);
      continue;
    }
    if (truth.feasible) {
      EXPECT_LE(r.value, truth.optimum + slack(truth.optimum));
    }
    EXPECT_GE(r.value, 0.0);
    if (r.partition) {
      ASSERT_TRUE(truth.feasible);
      expect_valid_under_constraints(g, *r.partition);
      EXPECT_GE(evaluate_partition(g, *r.partition).bottleneck,
                truth.optimum - slack(truth.optimum));
    }
    if ((method == "exact" || method == "downset") && r.status == BoundStatus::proven) {
      ASSERT_TRUE(truth.feasible) << "an exact method missed the infeasibility";
      EXPECT_NEAR(r.value, truth.optimum, kOptimalityTolerance * std::max(1.0, truth.optimum));
      ASSERT_TRUE(r.partition.has_value());
      EXPECT_NEAR(evaluate_partition(g, *r.partition).bottleneck, truth.optimum,
                  slack(truth.optimum));
    }
  }
}

TEST(ConstrainedRandom, DownsetDpIsExactAndProvesInfeasibility) {
  int infeasible = 0, beyond_cheap_proofs = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    check_bounds(seed, {"simple", "downset"});
    const Instance inst = random_instance(seed);
    const testing::BruteForceResult truth = testing::brute_force_optimum(inst.g, inst.k);
    BoundOptions options;
    options.mip_threads = 1;
    const BoundResult r = compute_bound(inst.g, inst.k, "downset", options);
    // Without an incumbent the DP always finishes on these sizes: exact or infeasible.
    EXPECT_EQ(r.status, truth.feasible ? BoundStatus::proven : BoundStatus::infeasible)
        << "seed " << seed << ": " << r.detail;
    infeasible += truth.feasible ? 0 : 1;
    if (!truth.feasible && !infeasibility_proof(inst.g, derive_constraints(inst.g), inst.k))
      ++beyond_cheap_proofs;  // proved by the DP's search, not by a node, hull or total
  }
  EXPECT_GT(infeasible, 30);
  EXPECT_GT(beyond_cheap_proofs, 10);
}

TEST(ConstrainedRandom, EveryBoundIsValidAndExactMethodsAreExact) {
  for (std::uint64_t seed = 1; seed <= 240; ++seed) check_bounds(seed, bound_method_names());
}

// The exact MIP proves infeasibility without the cheap proofs' help: on instances whose
// infeasibility no node, hull or total shows, it finishes with status infeasible.
TEST(ConstrainedRandom, ExactMipProvesInfeasibilityBeyondTheCheapProofs) {
  int proved = 0;
  for (std::uint64_t seed = 1; seed <= 300 && proved < 8; ++seed) {
    const Instance inst = random_instance(seed);
    if (infeasibility_proof(inst.g, derive_constraints(inst.g), inst.k)) continue;
    const testing::BruteForceResult truth = testing::brute_force_optimum(inst.g, inst.k);
    BoundOptions options;
    options.time_limit_seconds = 20;
    options.mip_threads = 1;
    const BoundResult r = compute_bound(inst.g, inst.k, "exact", options);
    EXPECT_EQ(r.status, truth.feasible ? BoundStatus::proven : BoundStatus::infeasible)
        << "seed " << seed << ": " << r.detail;
    if (!truth.feasible) ++proved;
  }
  EXPECT_EQ(proved, 8);
}

}  // namespace
}  // namespace pipecut

namespace pipecut {
namespace {

// The whole portfolio: on every random instance solve either proves the constrained optimum
// (the exact methods finish on these sizes) or raises InfeasibleError exactly when the oracle
// finds no valid partition; the CLI turns that into exit code 4.
TEST(ConstrainedRandom, SolveIsExactOrProvesInfeasibility) {
  testing::TempDir dir;
  int cli_checks = 0;
  for (std::uint64_t seed = 1; seed <= 160; ++seed) {
    const Instance inst = random_instance(seed);
    SCOPED_TRACE("seed " + std::to_string(seed) + " k " + std::to_string(inst.k));
    const testing::BruteForceResult truth = testing::brute_force_optimum(inst.g, inst.k);
    SolveOptions options;
    options.partition.preset = "brkga-100";
    options.partition.threads = 1;
    options.target_ratio = 1.0;
    options.time_limit_seconds = 20;
    if (!truth.feasible) {
      EXPECT_THROW(solve(inst.g, inst.k, options), InfeasibleError);
      if (cli_checks < 12) {  // a sample through the command line
        const std::string path = dir.write("g.json", pipecut_graph_to_json(inst.g));
        const auto r = testing::run_cli("solve " + path + " -k " + std::to_string(inst.k) +
                                        " --preset brkga-100 --quiet");
        EXPECT_EQ(r.exit_code, 4) << r.err;
        EXPECT_EQ(r.err.rfind("pipecut: infeasible: ", 0), 0u) << r.err;
        ++cli_checks;
      }
      continue;
    }
    const Solution s = solve(inst.g, inst.k, options);
    expect_valid_under_constraints(inst.g, s.partition);
    EXPECT_NEAR(s.bottleneck(), truth.optimum, slack(truth.optimum));
    EXPECT_TRUE(s.optimal.value_or(false));
    EXPECT_LE(s.lower_bound, truth.optimum + slack(truth.optimum));
  }
  EXPECT_EQ(cli_checks, 12);
}

}  // namespace
}  // namespace pipecut
