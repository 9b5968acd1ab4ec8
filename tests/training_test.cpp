// Training graphs (docs/training.md): reading and writing backward nodes, the forward structure,
// and every answer on random small training graphs checked against the exhaustive oracle.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include "pipecut/bounds/bounds.hpp"
#include "pipecut/io/foreign_formats.hpp"
#include "pipecut/io/graph_json.hpp"
#include "pipecut/io/partition_json.hpp"
#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/backward_pass.hpp"
#include "pipecut/model/constraints.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/model/numeric.hpp"
#include "pipecut/model/training_projection.hpp"
#include "pipecut/partition/algorithms.hpp"
#include "pipecut/partition/training.hpp"
#include "pipecut/solve/solve.hpp"
#include "support/exact_oracle.hpp"
#include "support/oracle.hpp"
#include "support/run_cli.hpp"

namespace pipecut {
namespace {

// A three-layer chain a -> b -> c, its gradients c' -> b' -> a' (reversed), and the
// activations each backward node reads. Every layer in its own colour class with its twin.
const char* kChain = R"({"format": "pipecut.graph", "version": 1, "nodes": [
  {"id": "a", "work": 4, "comm": 1, "colour_class": 1},
  {"id": "b", "work": 4, "comm": 1, "colour_class": 2},
  {"id": "c", "work": 4, "comm": 1, "colour_class": 3},
  {"id": "a'", "work": 8, "comm": 1, "colour_class": 1, "backward": true},
  {"id": "b'", "work": 8, "comm": 1, "colour_class": 2, "backward": true},
  {"id": "c'", "work": 8, "comm": 1, "colour_class": 3, "backward": true}],
 "edges": [["a", "b"], ["b", "c"], ["c", "c'"], ["c'", "b'"], ["b'", "a'"],
           ["a", "b'"], ["b", "c'"]]})";

TEST(Training, BackwardEdgesNoLongerGlueTheGraphIntoOneStage) {
  const Graph g = parse_pipecut_graph(kChain, "chain.json");
  ASSERT_TRUE(g.is_training());
  // Before: the backward edges closed a cycle through the colour classes, one block in all.
  EXPECT_EQ(derive_constraints(g).num_blocks(), 3);
  SolveOptions o;
  o.time_limit_seconds = 10;
  const Solution s = solve(g, 3, o);
  EXPECT_EQ(s.evaluation.stages_used, 3);
  // Each stage: its layer (4 + 8) plus its boundary tensors. Stage 0 = {a, a'}: a sent, b'
  // received = 12 + 2. Stage 1 = {b, b'}: a and c' received, b and b' sent = 12 + 4.
  EXPECT_DOUBLE_EQ(s.bottleneck(), 16);
  EXPECT_TRUE(s.optimal.value_or(false));
  // The twins share their forward node's stage.
  for (const char* id : {"a", "b", "c"}) {
    const std::string twin = std::string(id) + "'";
    EXPECT_EQ(s.partition.stage_of[*g.find(id)], s.partition.stage_of[*g.find(twin)]);
  }
}

TEST(Training, OnlyForwardEdgesMustGoForward) {
  const Graph g = parse_pipecut_graph(kChain, "chain.json");
  Partition p{3, std::vector<int>(6)};
  for (const char* id : {"a", "a'"}) p.stage_of[*g.find(id)] = 0;
  for (const char* id : {"b", "b'"}) p.stage_of[*g.find(id)] = 1;
  for (const char* id : {"c", "c'"}) p.stage_of[*g.find(id)] = 2;
  EXPECT_FALSE(partition_problem(g, p));  // c' -> b' -> a' run backwards: allowed
  std::swap(p.stage_of[*g.find("a")], p.stage_of[*g.find("b")]);
  const auto problem = partition_problem(g, p);
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("'a' -> 'b' goes backwards"), std::string::npos) << *problem;
  // A backward tensor sent to an earlier stage costs both stages, like any other.
  std::swap(p.stage_of[*g.find("a")], p.stage_of[*g.find("b")]);
  const Evaluation e = evaluate_partition(g, p);
  EXPECT_DOUBLE_EQ(e.stages[0].comm_in, 1);   // b' received
  EXPECT_DOUBLE_EQ(e.stages[0].comm_out, 1);  // a sent
  EXPECT_DOUBLE_EQ(e.stages[2].comm_out, 1);  // c' sent back
}

TEST(Training, GraphJsonKeepsBackwardNodes) {
  const Graph g = parse_pipecut_graph(kChain, "chain.json");
  const std::string text = pipecut_graph_to_json(g);
  EXPECT_NE(text.find("\"backward\":true"), std::string::npos) << text;
  const Graph back = parse_pipecut_graph(text, "again.json");
  EXPECT_EQ(back.backward, g.backward);
  // An inference graph writes no flag and reads back without one.
  const Graph inference = parse_pipecut_graph(
      R"({"format": "pipecut.graph", "version": 1, "nodes": [{"id": "x", "work": 1, "comm": 0}]})",
      "x.json");
  EXPECT_FALSE(inference.is_training());
  EXPECT_EQ(pipecut_graph_to_json(inference).find("backward"), std::string::npos);
}

void expect_input_error(const std::string& text, const std::string& expected) {
  try {
    (void)parse_pipecut_graph(text, "bad.json");
    FAIL() << "no error; expected " << expected;
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("bad.json: ", 0), 0u) << message;
    EXPECT_NE(message.find(expected), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(Training, BadTrainingInputIsAOneLineError) {
  // A backward node with no forward twin and no gradient edge to the rest of the backward pass.
  expect_input_error(R"({"format": "pipecut.graph", "version": 1, "nodes": [
      {"id": "a", "work": 1, "comm": 0}, {"id": "g", "work": 1, "comm": 0, "backward": true}]})",
                     "backward node 'g' has no forward twin");
  expect_input_error(R"({"format": "pipecut.graph", "version": 1, "nodes": [
      {"id": "a", "work": 1, "comm": 0},
      {"id": "g", "work": 1, "comm": 0, "colour_class": "x", "backward": true}]})",
                     "backward node 'g' has no forward twin");
  // Joined only to another orphan: still nothing places the pair.
  expect_input_error(R"({"format": "pipecut.graph", "version": 1, "nodes": [
      {"id": "a", "work": 1, "comm": 0, "colour_class": "a"},
      {"id": "a'", "work": 1, "comm": 0, "colour_class": "a", "backward": true},
      {"id": "g", "work": 1, "comm": 0, "backward": true},
      {"id": "h", "work": 1, "comm": 0, "backward": true}],
      "edges": [["a", "g"], ["g", "h"]]})",
                     "backward node 'g' has no forward twin");
  expect_input_error(R"({"format": "pipecut.graph", "version": 1, "nodes": [
      {"id": "a", "work": 1, "comm": 0, "backward": 1}]})",
                     "\"backward\" must be true or false");
}

TEST(Training, TarnawskiReaderKeepsIsBackwardNode) {
  const Graph g = parse_tarnawski_graph(R"({"maxFPGAs": 2, "nodes": [
      {"id": 1, "fpgaLatency": 1, "isBackwardNode": 0, "colorClass": 1},
      {"id": 2, "fpgaLatency": 1, "isBackwardNode": false, "colorClass": 2},
      {"id": 3, "fpgaLatency": 2, "isBackwardNode": true, "colorClass": 1},
      {"id": 4, "fpgaLatency": 2, "isBackwardNode": 1, "colorClass": 2}],
     "edges": [{"sourceId": 1, "destId": 2, "cost": 1}, {"sourceId": 3, "destId": 4, "cost": 1}]})",
                                        "t.json");
  EXPECT_EQ(g.backward, (std::vector<char>{0, 0, 1, 1}));
  // Tarnawski et al.'s layer graphs write backward edges in the forward direction: still two
  // blocks, one per layer with its gradient.
  EXPECT_EQ(derive_constraints(g).num_blocks(), 2);
  try {
    (void)parse_tarnawski_graph(
        R"({"nodes": [{"id": 1, "fpgaLatency": 1, "isBackwardNode": 2}], "edges": []})", "t.json");
    FAIL() << "isBackwardNode 2 accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("isBackwardNode"), std::string::npos) << e.what();
  }
}

// Orphan backward nodes (docs/training.md): a loss gradient feeding the last layer's gradient
// and a gradient accumulation fed by the first layer's. A gradient edge at an orphan runs to the
// same or an earlier stage, so the loss gradient sits with or after layer b, and the accumulation
// with or before layer a.
TEST(Training, OrphanBackwardNodesArePlacedByTheirGradientEdges) {
  const Graph g = parse_pipecut_graph(R"({"format": "pipecut.graph", "version": 1,
      "nodes": [
      {"id": "a", "work": 4, "comm": 1, "colour_class": "a"},
      {"id": "b", "work": 4, "comm": 1, "colour_class": "b"},
      {"id": "a'", "work": 4, "comm": 1, "colour_class": "a", "backward": true},
      {"id": "b'", "work": 4, "comm": 1, "colour_class": "b", "backward": true},
      {"id": "loss'", "work": 9, "comm": 1, "backward": true},
      {"id": "acc", "work": 9, "comm": 0, "backward": true}],
      "edges": [["a", "b"], ["b", "loss'"], ["loss'", "b'"], ["b'", "a'"], ["a'", "acc"]]})",
                                      "orphans.json");
  ASSERT_TRUE(g.is_training());
  EXPECT_EQ(g.backward, (std::vector<char>{0, 0, 1, 1, 2, 2}));
  // Four blocks: each layer with its twin, and each orphan alone.
  EXPECT_EQ(derive_constraints(g).num_blocks(), 4);
  auto valid = [&](std::vector<int> stages) { return !partition_problem(g, Partition{3, stages}); };
  EXPECT_TRUE(valid({0, 1, 0, 1, 2, 0}));   // loss' after b, acc before a
  EXPECT_TRUE(valid({0, 1, 0, 1, 1, 0}));   // or with them
  EXPECT_FALSE(valid({0, 1, 0, 1, 0, 0}));  // loss' before b: its gradient would run forward
  EXPECT_FALSE(valid({1, 2, 1, 2, 2, 2}));  // acc after a
  const std::string problem = *partition_problem(g, Partition{3, {0, 1, 0, 1, 0, 0}});
  EXPECT_NE(problem.find("gradient edge 'loss'' -> 'b''"), std::string::npos) << problem;
  // Solved exactly, as the exhaustive oracle finds.
  SolveOptions so;
  so.target_ratio = 1.0;
  const Solution s = solve(g, 2, so);
  EXPECT_TRUE(s.optimal.value_or(false));
  EXPECT_FALSE(partition_problem(g, s.partition));
  const testing::BruteForceResult truth = testing::brute_force_optimum(g, 2);
  EXPECT_TRUE(proves_optimal(s.bottleneck(), truth.optimum)) << s.bottleneck() << " vs "
                                                             << truth.optimum;
}

TEST(Training, CliRejectsAnOrphanBackwardNodeWithExitTwo) {
  const std::string dir = testing::make_temp_dir("training-cli");
  const std::string path = dir + "/orphan.json";
  std::ofstream(path) << R"({"format": "pipecut.graph", "version": 1, "nodes": [
      {"id": "a", "work": 1, "comm": 0}, {"id": "g", "work": 1, "comm": 0, "backward": true}]})";
  const testing::CliRun r = testing::run_cli("solve '" + path + "' -k 2");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("pipecut: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("orphan.json"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  std::remove(path.c_str());
}

// Every answer on one random training graph: partitions valid and never below the optimum,
// bounds never above it (or not_applicable), claimed optima equal to it, all relative to the
// exact oracle (no absolute slack: the magnitudes run from 1e-9 to 1e9).
struct Tally {
  int instances = 0, feasible = 0, proven = 0, with_orphans = 0;
};

// `every_bound`: run every bound method alone; otherwise simple and downset only (the others run
// on the projection, which solve also exercises, and are slow under the sanitizers).
void check_graph(const Graph& g, int k, Tally& tally, bool every_bound = true) {
  ASSERT_TRUE(g.is_training());
  const testing::ExactBruteForce truth = testing::exact_brute_force_optimum(g, k);
  const testing::ExactCostTable table(g);
  ++tally.instances;
  if (std::count(g.backward.begin(), g.backward.end(), Graph::kBackwardOrphan) > 0)
    ++tally.with_orphans;
  const long double tolerance = 1.0L / (1.0L - kOptimalityTolerance);
  auto expect_valid = [&](const Partition& p, const std::string& who) {
    ASSERT_FALSE(partition_problem(g, p)) << who << ": " << *partition_problem(g, p);
    ASSERT_TRUE(testing::satisfies_constraints(g, p)) << who;
    ASSERT_TRUE(truth.feasible) << who << " found a partition of an infeasible instance";
    // Exactly: the evaluator's own sum of tiny and huge terms may round below the optimum.
    EXPECT_TRUE(testing::at_most_scaled(truth.optimum, table.bottleneck(p), 1)) << who;
  };
  // Bounds: every method, run alone.
  for (const std::string& method : bound_method_names()) {
    if (!every_bound && method != "simple" && method != "downset") continue;
    BoundOptions bo;
    bo.time_limit_seconds = 5;
    const BoundResult r = compute_bound(g, k, method, bo);
    if (r.status == BoundStatus::infeasible) {
      EXPECT_FALSE(truth.feasible) << method << " claims infeasibility: " << r.detail;
      continue;
    }
    // Every method runs: simple and downset on the graph, the others on its projection.
    EXPECT_NE(r.status, BoundStatus::not_applicable) << method;
    if (r.partition) expect_valid(*r.partition, method);
    if (truth.feasible) {
      EXPECT_LE(testing::compare(r.value, truth.optimum), 0) << method;
    }
    if (method == "downset" && truth.feasible) {
      ASSERT_EQ(r.status, BoundStatus::proven) << r.detail;
      // The DP's optimum, on the exact-cost view, is the optimum to within the tolerance.
      const double optimum =
          std::ldexp(static_cast<double>(truth.optimum.units), truth.optimum.exponent);
      EXPECT_TRUE(proves_optimal(r.value, optimum))
          << "downset " << r.value << " below the optimum " << testing::to_string(truth.optimum);
      if (r.partition) expect_valid(*r.partition, "downset");
    }
  }
  // The partition algorithms (a training graph gets the forward slicing from each).
  for (const std::string& name : partition_algorithm_names()) {
    PartitionOptions po;
    po.time_limit_seconds = 5;
    const PartitionRun run = partition_algorithm(name).run(g, k, po, {});
    if (run.feasible) expect_valid(run.partition, name);
  }
  SolveOptions so;
  so.target_ratio = 1.0;
  so.time_limit_seconds = 10;
  try {
    const Solution s = solve(g, k, so);
    expect_valid(s.partition, "solve");
    EXPECT_LE(testing::compare(s.lower_bound, truth.optimum), 0) << "lower bound " << s.lower_bound;
    ++tally.feasible;
    // Small instances: the DP always finishes, so every answer is proven, and proven means
    // within the relative tolerance of the true optimum.
    EXPECT_TRUE(s.optimal.value_or(false));
    if (s.optimal.value_or(false)) {
      ++tally.proven;
      EXPECT_TRUE(testing::at_most_scaled(table.bottleneck(s.partition), truth.optimum, tolerance))
          << "claimed optimal at " << s.bottleneck() << ", optimum "
          << testing::to_string(truth.optimum);
    }
  } catch (const InfeasibleError& e) {
    EXPECT_FALSE(truth.feasible) << "solve claims infeasibility: " << e.what();
  }
}

void check_instance(std::uint64_t seed, const testing::RandomTrainingOptions& options, int k,
                    Tally& tally) {
  SCOPED_TRACE("seed " + std::to_string(seed) + ", k " + std::to_string(k));
  check_graph(testing::random_training_graph(seed, options), k, tally, seed % 5 == 0);
}

TEST(TrainingOracle, ThousandRandomTinyInstances) {
  Tally tally;
  for (std::uint64_t seed = 1; seed <= 1000; ++seed) {
    testing::RandomTrainingOptions o;
    o.forward_nodes = 2 + static_cast<int>(seed % 4);  // 2..5, with twins up to 10 nodes
    const int k = 1 + static_cast<int>(seed % 4);
    o.k = k;
    o.memory = seed % 3 == 0;
    switch (seed % 4) {
      case 0: o.min_exponent = o.max_exponent = 0; break;     // small integers: many ties
      case 1: o.min_exponent = o.max_exponent = -9; break;    // everything tiny
      case 2: o.min_exponent = o.max_exponent = 9; break;     // everything huge
      default:  // mixed magnitudes, 2^-30 to 2^30 in one graph
        o.binary_magnitudes = true;
        o.min_exponent = -30;
        o.max_exponent = 30;
        break;
    }
    o.fractional = seed % 2 == 1;
    o.orphans = seed % 5 < 2 ? 2 : 0;  // two in five with up to two orphan backward nodes
    check_instance(seed, o, k, tally);
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_EQ(tally.instances, 1000);
  EXPECT_GT(tally.with_orphans, 200);
  EXPECT_GT(tally.feasible, 600);  // capacities are mostly generous
  EXPECT_EQ(tally.proven, tally.feasible);
}

// Random small inference DAGs (with placement constraints now and then) made training graphs by
// the synthesised backward pass (docs/training.md, "Synthesising a backward pass"), the table's
// or a uniform factor, costs scaled from 1e-9 to 1e9: every answer against the oracle.
TEST(TrainingOracle, SynthesisedBackwardPassesOfRandomInferenceGraphs) {
  Tally tally;
  for (std::uint64_t seed = 1; seed <= 400; ++seed) {
    std::mt19937_64 rng(seed * 7919 + 3);
    testing::RandomGraphOptions o;
    o.nodes = 2 + static_cast<int>(seed % 4);  // 2..5, with twins up to 10 nodes
    o.edge_probability = 0.5;
    o.fractional = seed % 2 == 1;
    Graph g = testing::random_dag(seed, o);
    const int k = 1 + static_cast<int>(seed % 4);
    if (seed % 3 == 0) {
      testing::RandomConstraintOptions c;
      c.max_classes = static_cast<int>(seed % 2) + 1;
      testing::add_random_constraints(g, k, seed, c);
    }
    // Magnitudes: all tiny, all huge, all small integers, or mixed 2^-30 .. 2^30 per node.
    const int mode = static_cast<int>((seed / 4) % 4);
    for (NodeId v = 0; v < g.num_nodes(); ++v) {
      const double scale = mode == 0   ? 1e-9
                           : mode == 1 ? 1e9
                           : mode == 2 ? 1.0
                                       : std::ldexp(1.0, static_cast<int>(rng() % 61) - 30);
      g.work[v] *= scale;
      g.comm[v] *= scale;
      g.op[v] = rng() % 2 == 0 ? "Conv" : "Relu";
    }
    BackwardPassModel model;
    if (seed % 5 == 0) model.factor = 0.5 * static_cast<double>(rng() % 6);  // 0 .. 2.5
    const Graph t = add_backward_pass(g, model);
    SCOPED_TRACE("seed " + std::to_string(seed) + ", k " + std::to_string(k));
    for (NodeId v = 0; v < g.num_nodes(); ++v)
      ASSERT_EQ(t.work[g.num_nodes() + v], backward_factor(model, g.op[v]) * g.work[v]);
    check_graph(t, k, tally, seed % 5 == 0);
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_EQ(tally.instances, 400);
  EXPECT_GT(tally.feasible, 300);  // a third have capacities, mostly generous
  EXPECT_EQ(tally.proven, tally.feasible);
}

// The oracle's own memory model (docs/training.md, "Memory"): stage memory = weights + the
// stash of its forward nodes that feed a backward node, times the microbatches in flight at its
// rank r among the u used stages (gpipe: N; 1f1b: min(u - r, N)).
bool fits_with_stash(const Graph& g, const Partition& p, const std::string& schedule, int n) {
  std::vector<double> weights(p.k, 0.0), stash(p.k, 0.0);
  std::vector<char> used(p.k, 0);
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    const int s = p.stage_of[v];
    used[s] = 1;
    weights[s] += g.memory[v];
    bool feeds_backward = false;
    for (NodeId w : g.successors(v)) feeds_backward = feeds_backward || g.is_backward(w);
    if (!g.is_backward(v) && feeds_backward && !g.bytes.empty() && g.bytes[v] > 0)
      stash[s] += g.bytes[v];
  }
  const int count = static_cast<int>(std::count(used.begin(), used.end(), 1));
  int rank = 0;
  for (int s = 0; s < p.k; ++s) {
    if (!used[s]) continue;
    const int in_flight = schedule == "gpipe" ? n : std::min(count - rank, n);
    ++rank;
    if (g.memory_per_stage && weights[s] + stash[s] * in_flight > *g.memory_per_stage)
      return false;
  }
  return true;
}

// One graph under one schedule against the oracle's stash model: the solve's partition fits,
// is optimal among those that fit, and infeasibility is claimed only when none fits.
struct StashTally {
  int feasible = 0, infeasible = 0, differs = 0;
};

void check_stash(const Graph& g, int k, const std::string& schedule, int microbatches,
                 StashTally& tally) {
  const testing::ExactCostTable table(g);
  testing::ExactValue best;
  best.infinite = true;
  bool found = false, weights_only_feasible = false;
  testing::for_each_valid_partition(g, k, [&](const Partition& p) {
    weights_only_feasible = true;
    if (!fits_with_stash(g, p, schedule, microbatches)) return;
    const testing::ExactValue b = table.bottleneck(p);
    if (!found || !testing::at_most_scaled(best, b, 1)) best = b;
    found = true;
  });
  tally.differs += weights_only_feasible && !found;
  SolveOptions so;
  so.target_ratio = 1.0;
  so.time_limit_seconds = 10;
  so.schedule = schedule;
  so.microbatches = microbatches;
  try {
    const Solution s = solve(g, k, so);
    ASSERT_TRUE(found) << "solve found a partition the stash does not allow";
    ASSERT_FALSE(partition_problem(g, s.partition));
    EXPECT_TRUE(testing::satisfies_constraints(g, s.partition));
    EXPECT_TRUE(fits_with_stash(g, s.partition, schedule, microbatches));
    EXPECT_LE(testing::compare(s.lower_bound, best), 0);
    EXPECT_TRUE(s.optimal.value_or(false));
    EXPECT_TRUE(testing::at_most_scaled(table.bottleneck(s.partition), best,
                                        1.0L / (1.0L - kOptimalityTolerance)))
        << s.bottleneck() << " against " << testing::to_string(best);
    ++tally.feasible;
  } catch (const InfeasibleError& e) {
    EXPECT_FALSE(found) << "solve claims infeasibility: " << e.what();
    // When the weights alone fit, the stash decides, and the proof names the stage count.
    if (weights_only_feasible) {
      EXPECT_NE(std::string(e.what()).find("k = " + std::to_string(k)), std::string::npos)
          << e.what();
    }
    ++tally.infeasible;
  }
}

TEST(TrainingOracle, StashMemoryUnderEverySchedule) {
  StashTally tally;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    testing::RandomTrainingOptions o;
    o.forward_nodes = 2 + static_cast<int>(seed % 4);
    const int k = 1 + static_cast<int>(seed % 4);
    o.k = k;
    o.memory = true;
    o.binary_magnitudes = seed % 2 == 0;
    o.min_exponent = seed % 2 == 0 ? -30 : 0;
    o.max_exponent = seed % 2 == 0 ? 30 : 0;
    const Graph g = testing::random_training_graph(seed, o);
    const std::string schedule = seed % 3 == 0 ? "gpipe" : "1f1b";
    const int microbatches = 1 + static_cast<int>(seed % 4);
    SCOPED_TRACE("seed " + std::to_string(seed) + ", k " + std::to_string(k) + ", " + schedule +
                 " x" + std::to_string(microbatches));
    check_stash(g, k, schedule, microbatches, tally);
    if (::testing::Test::HasFatalFailure()) return;
  }
  // Deterministic seeds: 60 feasible, the rest proven infeasible, and the stash (not the
  // weights) decides some of those.
  EXPECT_GT(tally.feasible, 40);
  EXPECT_EQ(tally.feasible + tally.infeasible, 300);
  EXPECT_GT(tally.differs, 5);
}

// The same for synthesised backward passes: random inference DAGs with weights, output bytes
// (the stash of every node with a consumer) and a capacity between the weights alone and
// weights plus stash, made training graphs by add_backward_pass.
TEST(TrainingOracle, StashOfSynthesisedBackwardPasses) {
  StashTally tally;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    std::mt19937_64 rng(seed * 104729 + 11);
    testing::RandomGraphOptions o;
    o.nodes = 2 + static_cast<int>(seed % 4);
    o.edge_probability = 0.5;
    Graph g = testing::random_dag(seed, o);
    const int k = 1 + static_cast<int>(seed % 4);
    g.bytes.assign(static_cast<std::size_t>(g.num_nodes()), -1.0);
    double weights = 0, stash = 0;
    for (NodeId v = 0; v < g.num_nodes(); ++v) {
      g.memory[v] = static_cast<double>(rng() % 7);
      g.bytes[v] = static_cast<double>(rng() % 7);
      weights += g.memory[v];
      if (!g.successors(v).empty()) stash += g.bytes[v];
      if (seed % 2 == 0) {  // mixed magnitudes, 2^-30 .. 2^30
        const double scale = std::ldexp(1.0, static_cast<int>(rng() % 61) - 30);
        g.work[v] *= scale;
        g.comm[v] *= scale;
      }
    }
    g.memory_per_stage = std::max(
        1.0, std::floor((weights + stash * static_cast<double>(1 + rng() % 3)) *
                        (0.6 + 0.4 * static_cast<double>(rng() % 4)) / k + 1));
    const Graph t = add_backward_pass(g, {});
    const std::string schedule = seed % 3 == 0 ? "gpipe" : "1f1b";
    const int microbatches = 1 + static_cast<int>(seed % 4);
    SCOPED_TRACE("seed " + std::to_string(seed) + ", k " + std::to_string(k) + ", " + schedule +
                 " x" + std::to_string(microbatches));
    check_stash(t, k, schedule, microbatches, tally);
    if (::testing::Test::HasFatalFailure()) return;
  }
  // Deterministic seeds: 156 feasible, 144 proven infeasible, the stash deciding most of those.
  EXPECT_GT(tally.feasible, 100);
  EXPECT_GT(tally.infeasible, 100);
  EXPECT_EQ(tally.feasible + tally.infeasible, 300);
  EXPECT_GT(tally.differs, 50);
}

TEST(Training, InferenceScheduleChangesNothingAndTheOthersNeedMicrobatches) {
  const Graph g = parse_pipecut_graph(kChain, "chain.json");
  SolveOptions o;
  o.time_limit_seconds = 10;
  const Solution plain = solve(g, 3, o);
  o.schedule = "inference";
  o.microbatches = 8;
  EXPECT_EQ(solve(g, 3, o).partition.stage_of, plain.partition.stage_of);
  o.microbatches = 0;
  for (const char* schedule : {"gpipe", "1f1b"}) {
    o.schedule = schedule;
    EXPECT_THROW(solve(g, 3, o), InputError) << schedule;
  }
}

TEST(Training, StashThatCannotFitIsExitFourNamingTheStageCount) {
  // Each forward layer stashes 100 bytes for its gradient; weights 10 each; cap 200. Under 1f1b
  // with 4 microbatches the first of u stages holds min(u, 4) in flight: 3 stages 310, 2 stages
  // at least 210, 1 stage 330, all above 200.
  const std::string dir = testing::make_temp_dir("training-stash");
  const std::string path = dir + "/stash.json";
  std::string text = kChain;
  for (const char* id : {"\"a\"", "\"b\"", "\"c\""}) {
    const std::string from = "{\"id\": " + std::string(id) + ", \"work\": 4, \"comm\": 1,";
    const std::string to = from + " \"bytes\": 100, \"memory\": 10,";
    text.replace(text.find(from), from.size(), to);
  }
  text.insert(text.rfind('}'), ", \"memory_per_stage\": 200");
  std::ofstream(path) << text;
  testing::CliRun ok = testing::run_cli("solve '" + path + "' -k 3");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  testing::CliRun r = testing::run_cli("solve '" + path + "' -k 3 --schedule 1f1b --microbatches 4");
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  EXPECT_EQ(r.err.rfind("pipecut: infeasible: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("k = 3"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  // One microbatch in flight fits: 10 + 100 per stage.
  r = testing::run_cli("solve '" + path + "' -k 3 --schedule 1f1b --microbatches 1");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = testing::run_cli("solve '" + path + "' -k 3 --schedule gpipe");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("microbatches"), std::string::npos) << r.err;
  std::remove(path.c_str());
}

TEST(TrainingExpertSplit, ReadsTarnawskiSplitsWithBackwardNodesFollowingTheirClass) {
  const Graph g = parse_tarnawski_graph(R"({"maxFPGAs": 2, "nodes": [
      {"id": 1, "fpgaLatency": 1, "isBackwardNode": 0, "colorClass": 1},
      {"id": 2, "fpgaLatency": 1, "isBackwardNode": 0, "colorClass": 2},
      {"id": 3, "fpgaLatency": 2, "isBackwardNode": 1, "colorClass": 1},
      {"id": 4, "fpgaLatency": 2, "isBackwardNode": 1, "colorClass": 2}],
     "edges": [{"sourceId": 1, "destId": 2, "cost": 1}, {"sourceId": 4, "destId": 3, "cost": 1}]})",
                                        "t.json");
  // The forward split only: the backward nodes follow their class.
  const Partition p = parse_partition_assignment(
      g, R"({"cpus": [{"load": 0, "nodes": []}], "fpgas": [{"nodes": [1]}, {"nodes": [2]}]})",
      "split.json");
  EXPECT_EQ(p.k, 2);
  EXPECT_EQ(p.stage_of, (std::vector<int>{0, 1, 0, 1}));
  EXPECT_FALSE(partition_problem(g, p));
  auto expect_error = [&](const std::string& text, const std::string& expected) {
    try {
      (void)parse_partition_assignment(g, text, "split.json");
      FAIL() << "no error; expected " << expected;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).rfind("split.json: ", 0), 0u) << e.what();
    }
  };
  expect_error(R"({"fpgas": [{"nodes": [1, 9]}, {"nodes": [2]}]})", "unknown node id '9'");
  expect_error(R"({"fpgas": [{"nodes": [1]}]})", "node '2' is not assigned");
  expect_error(R"({"fpgas": [{"nodes": [1, 2]}, {"nodes": [2]}]})", "node '2' is on two devices");
  expect_error(R"({"cpus": [{"nodes": [2]}], "fpgas": [{"nodes": [1]}]})", "CPU");
}

TEST(TrainingExpertSplit, BundledExpertSplitsAreValidPartitions) {
  for (const char* name : {"bert24", "gnmt"}) {
    const std::string dir = testing::data_path("tarnawski-training/");
    const Graph g = read_graph(dir + name + "_training.json");
    const std::string split = dir + name + "_training_expert.json";
    const Partition p = read_partition_assignment(g, split);
    EXPECT_EQ(p.k, 6) << name;
    EXPECT_FALSE(partition_problem(g, p)) << name << ": " << *partition_problem(g, p);
    EXPECT_FALSE(constraint_violation(g, p)) << name;
    // pipecut's optimum (or its best partition) is never worse than the expert's split.
    SolveOptions o;
    o.time_limit_seconds = 20;
    const Solution s = solve(g, p.k, o);
    EXPECT_LE(s.bottleneck(), evaluate_partition(g, p).bottleneck) << name;
    const testing::CliRun r = testing::run_cli("evaluate '" + dir + name + "_training.json' '" +
                                               split + "' --json");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("\"valid\": true"), std::string::npos) << r.out;
  }
}

}  // namespace
}  // namespace pipecut

namespace pipecut {
namespace {

// The projection's claim (docs/training.md, "The projection"), stage by stage: every training
// partition maps to a partition of the projection with the same stage costs on the exact-cost
// view, and every partition of the projection lifts to a valid training partition whose stages
// cost at most the projection's. The view's sums are exact, so both comparisons are exact.
TEST(TrainingProjection, EveryPartitionKeepsItsStageCostsBothWays) {
  int training_partitions = 0, projected_partitions = 0;
  for (std::uint64_t seed = 1; seed <= 150; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    testing::RandomTrainingOptions o;
    o.forward_nodes = 2 + static_cast<int>(seed % 3);
    o.orphans = seed % 3 == 0 ? 2 : 0;
    o.binary_magnitudes = seed % 2 == 0;
    o.min_exponent = seed % 2 == 0 ? -30 : 0;
    o.max_exponent = seed % 2 == 0 ? 30 : 0;
    const int k = 1 + static_cast<int>(seed % 3);
    const Graph g = testing::random_training_graph(seed, o);
    const ExactCosts view(g);
    const TrainingProjection projection = project_training_graph(g);
    const Graph& p = projection.graph;
    ASSERT_FALSE(p.is_training());
    auto stage_costs = [](const Graph& graph, const Partition& part) {
      std::vector<double> costs;
      for (const StageCost& s : evaluate_partition(graph, part).stages) costs.push_back(s.cost);
      costs.resize(static_cast<std::size_t>(part.k), 0.0);
      return costs;
    };
    testing::for_each_valid_partition(g, k, [&](const Partition& training) {
      ++training_partitions;
      Partition mapped{k, std::vector<int>(static_cast<std::size_t>(p.num_nodes()), k)};
      for (NodeId v = 0; v < g.num_nodes(); ++v)
        mapped.stage_of[projection.node_of[v]] = training.stage_of[v];
      // A tensor node (no predecessors) sits with the earliest of its members.
      for (NodeId t = 0; t < p.num_nodes(); ++t)
        if (mapped.stage_of[t] == k)
          for (NodeId member : p.successors(t))
            mapped.stage_of[t] = std::min(mapped.stage_of[t], mapped.stage_of[member]);
      for (int& s : mapped.stage_of)
        if (s == k) s = 0;
      ASSERT_FALSE(partition_problem(p, mapped)) << *partition_problem(p, mapped);
      EXPECT_EQ(stage_costs(p, mapped), stage_costs(view.graph(), training));
    });
    testing::for_each_valid_partition(p, k, [&](const Partition& projected) {
      ++projected_partitions;
      const Partition lifted = lift_partition(projection, projected);
      ASSERT_FALSE(partition_problem(g, lifted)) << *partition_problem(g, lifted);
      const std::vector<double> lifted_costs = stage_costs(view.graph(), lifted),
                                projected_costs = stage_costs(p, projected);
      for (int s = 0; s < k; ++s) EXPECT_LE(lifted_costs[s], projected_costs[s]) << "stage " << s;
    });
  }
  EXPECT_GT(training_partitions, 1000);
  EXPECT_GT(projected_partitions, 1000);
}

}  // namespace
}  // namespace pipecut
