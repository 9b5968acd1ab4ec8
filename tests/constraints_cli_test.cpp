// Placement constraints end to end: the library's front door (solve, partition_graph,
// compute_bounds) and the CLI's flags, exit codes 4 and 5, JSON forms and evaluate's checks.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/constraints.hpp"
#include "pipecut/solve/api.hpp"
#include "support/io_test_util.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

using nlohmann::json;
using testing::run_cli;
using testing::TempDir;

const std::string kTarnawski = testing::data_path("samples/tarnawski/bert_l-3_inference.json");

// Three nodes of 6 bytes between a source and a sink, 10 bytes per stage: k = 2 stages cannot
// hold them (each stage fits one), although every node fits and the total (18) is below 2 * 10.
// No cheap proof applies; the exact methods settle it.
std::string packing_graph(int k_default = 2) {
  return R"({"format": "pipecut.graph", "version": 1, "name": "packing", "default_k": )" +
         std::to_string(k_default) + R"(, "memory_per_stage": 10,
    "nodes": [{"id": "s", "work": 1, "comm": 1}, {"id": "x", "work": 1, "comm": 1, "memory": 6},
              {"id": "y", "work": 1, "comm": 1, "memory": 6},
              {"id": "z", "work": 1, "comm": 1, "memory": 6}, {"id": "t", "work": 1, "comm": 0}],
    "edges": [["s", "x"], ["s", "y"], ["s", "z"], ["x", "t"], ["y", "t"], ["z", "t"]]})";
}

TEST(ConstraintsApi, SolveProvesInfeasibilityBeyondTheCheapProofs) {
  TempDir dir;
  const Graph g = read_graph(dir.write("packing.json", packing_graph()));
  ASSERT_FALSE(infeasibility_proof(g, derive_constraints(g), 2));
  EXPECT_THROW(solve(g, 2), InfeasibleError);
  // Three stages hold one 6-byte node each.
  const Solution s = solve(g, 3);
  EXPECT_TRUE(s.optimal.value_or(false));
  EXPECT_FALSE(constraint_violation(g, s.partition));
}

TEST(ConstraintsApi, NoPartitionFoundAndNothingProvenIsItsOwnError) {
  TempDir dir;
  const Graph g = read_graph(dir.write("packing.json", packing_graph()));
  // A heuristic alone cannot prove anything: partition reports "none found".
  EXPECT_THROW(partition_graph(g, 2), NoFeasiblePartitionError);
  // solve stopped before any exact method ran: nothing found, nothing proven.
  StopFlag stop;
  stop.request();
  RunControl control;
  control.stop = &stop;
  EXPECT_THROW(solve(g, 2, {}, control), NoFeasiblePartitionError);
}

TEST(ConstraintsApi, BoundsStopAtTheFirstProofOfInfeasibility) {
  TempDir dir;
  const Graph g = read_graph(dir.write("packing.json", packing_graph()));
  const BoundsReport report = compute_bounds(g, 2);
  ASSERT_TRUE(report.infeasible.has_value());
  EXPECT_EQ(report.bounds.back().status, BoundStatus::infeasible);
  EXPECT_EQ(report.bounds.back().method, "downset");  // the first exact method in the list
  EXPECT_EQ(*report.infeasible, report.bounds.back().detail);
}

TEST(ConstraintsCli, InfeasibleInstancesExitWithFourAndTheProof) {
  TempDir dir;
  const std::string graph = dir.write("packing.json", packing_graph());
  const std::string out = dir.path("result.json");
  const auto r = run_cli("solve " + graph + " --json -o " + out);
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("pipecut: infeasible: the exact downset DP found no chain of at most 2 "
                       "stages that fits the memory capacity\n"),
            std::string::npos)
      << r.err;
  const json doc = json::parse(r.out);
  EXPECT_EQ(doc["format"], "pipecut.partition");
  EXPECT_EQ(doc["version"], 1);
  EXPECT_EQ(doc["feasible"], false);
  EXPECT_EQ(doc["infeasibility_proven"], true);
  EXPECT_EQ(doc["memory_per_stage"], 10.0);
  EXPECT_NE(doc["reason"].get<std::string>().find("downset DP"), std::string::npos);
  EXPECT_EQ(json::parse(testing::read_text(out)), doc);
  // evaluate refuses a file that records no partition.
  const auto e = run_cli("evaluate " + graph + " " + out);
  EXPECT_EQ(e.exit_code, 2);
  EXPECT_NE(e.err.find("records no partition"), std::string::npos) << e.err;

  // The cheap proofs, from every command: a capacity below the heaviest node.
  for (const char* command : {"solve", "partition", "bound"}) {
    const auto cheap = run_cli(std::string(command) + " " + kTarnawski +
                               " -k 3 --memory-per-stage 200MiB --time-limit 5");
    EXPECT_EQ(cheap.exit_code, 4) << command << ": " << cheap.err;
    EXPECT_NE(cheap.err.find("node '245' needs 375128064 bytes"), std::string::npos)
        << command << ": " << cheap.err;
  }
  const auto bound = run_cli("bound " + graph + " --json");
  EXPECT_EQ(bound.exit_code, 4) << bound.err;
  const json bounds = json::parse(bound.out);
  EXPECT_EQ(bounds["format"], "pipecut.bounds");
  EXPECT_EQ(bounds["feasible"], false);
  EXPECT_EQ(bounds["bounds"].back()["status"], "infeasible");
}

TEST(ConstraintsCli, NothingFoundAndNothingProvenExitsWithFive) {
  TempDir dir;
  const std::string graph = dir.write("packing.json", packing_graph());
  const auto r = run_cli("partition " + graph + " --json --preset brkga-100");
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("pipecut: no feasible partition found: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("infeasibility is not proven"), std::string::npos) << r.err;
  const json doc = json::parse(r.out);
  EXPECT_EQ(doc["feasible"], false);
  EXPECT_EQ(doc["infeasibility_proven"], false);
}

TEST(ConstraintsCli, FlagsOverrideAndDropTheFileConstraints) {
  TempDir dir;
  const std::string graph = dir.write("packing.json", packing_graph());
  // With 12 bytes per stage two of the nodes share a stage: feasible at k = 2.
  const std::string out = dir.path("p.json");
  auto r = run_cli("solve " + graph + " --memory-per-stage 12 --quiet -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json doc = json::parse(testing::read_text(out));
  EXPECT_EQ(doc["feasible"], true);
  EXPECT_EQ(doc["memory_per_stage"], 12.0);
  EXPECT_EQ(doc["colocation_groups"], 0);
  double most = 0;
  for (const json& stage : doc["stages"]) most = std::max(most, stage["memory"].get<double>());
  EXPECT_EQ(most, 12.0);
  EXPECT_NE(r.out.find("constraints memory <= 12 B per stage"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("activations not counted"), std::string::npos) << r.out;
  // --ignore-memory: no capacity at all.
  r = run_cli("solve " + graph + " --ignore-memory --json --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  doc = json::parse(r.out);
  EXPECT_TRUE(doc["memory_per_stage"].is_null());
  // Bad sizes and contradictory flags are input errors.
  for (const char* bad : {"--memory-per-stage 0", "--memory-per-stage -3", "--memory-per-stage nan",
                          "--memory-per-stage 16XB", "--memory-per-stage 12 --ignore-memory"}) {
    const auto e = run_cli("partition " + graph + " " + bad);
    EXPECT_EQ(e.exit_code, 2) << bad << ": " << e.err;
    EXPECT_NE(e.err.find("--memory-per-stage"), std::string::npos) << bad << ": " << e.err;
  }
}

TEST(ConstraintsCli, TarnawskiColourClassesAreEnforcedByDefault) {
  TempDir dir;
  const std::string out = dir.path("p.json");
  auto r = run_cli("solve " + kTarnawski + " -k 3 --time-limit 30 --quiet -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("117 colour classes kept in one stage each"), std::string::npos) << r.out;
  const json doc = json::parse(testing::read_text(out));
  EXPECT_EQ(doc["colocation_groups"], 117);
  EXPECT_EQ(doc["memory_per_stage"], 17185374208.0);
  const Graph g = read_graph(kTarnawski);
  Partition p{3, std::vector<int>(g.num_nodes())};
  for (const auto& [id, stage] : doc["assignment"].items()) p.stage_of[*g.find(id)] = stage;
  EXPECT_FALSE(constraint_violation(g, p));
  // Converting keeps the classes and the capacity (and --ignore-colocation drops them).
  const std::string converted = dir.path("bert.json");
  ASSERT_EQ(run_cli("convert " + kTarnawski + " " + converted).exit_code, 0);
  const Graph back = read_graph(converted);
  EXPECT_EQ(back.colour_labels.size(), 117u);
  EXPECT_EQ(back.memory_per_stage, g.memory_per_stage);
  ASSERT_EQ(run_cli("convert " + kTarnawski + " " + dir.path("free.json") + " --ignore-colocation")
                .exit_code,
            0);
  EXPECT_TRUE(read_graph(dir.path("free.json")).colour_labels.empty());
}

TEST(ConstraintsCli, EvaluateReportsOverflowingStagesAndSplitClasses) {
  TempDir dir;
  const std::string graph =
      dir.write("g.json", R"({"format": "pipecut.graph", "version": 1, "memory_per_stage": 10,
        "nodes": [{"id": "a", "work": 1, "comm": 1, "memory": 6, "colour_class": "pair"},
                  {"id": "b", "work": 1, "comm": 1, "memory": 3, "colour_class": "pair"},
                  {"id": "c", "work": 1, "comm": 0, "memory": 6}],
        "edges": [["a", "b"], ["b", "c"]]})");
  auto partition = [&](int a, int b, int c) {
    return dir.write("p.json", R"({"format": "pipecut.partition", "version": 1, "k": 2,
        "assignment": {"a": )" + std::to_string(a) +
                                   R"(, "b": )" + std::to_string(b) + R"(, "c": )" +
                                   std::to_string(c) + "}}");
  };
  auto ok = run_cli("evaluate " + graph + " " + partition(0, 0, 1) + " --json");
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  const json doc = json::parse(ok.out);
  EXPECT_EQ(doc["stages"][0]["memory"], 9.0);
  EXPECT_EQ(doc["memory_per_stage"], 10.0);
  EXPECT_EQ(doc["colocation_groups"], 1);
  auto split = run_cli("evaluate " + graph + " " + partition(0, 1, 1));
  EXPECT_EQ(split.exit_code, 1);
  EXPECT_NE(split.err.find("invalid partition: colour class 'pair' is split: node 'a' is in "
                           "stage 0 and node 'b' in stage 1"),
            std::string::npos)
      << split.err;
  auto full = run_cli("evaluate " + graph + " " + partition(0, 0, 0));
  EXPECT_EQ(full.exit_code, 1);
  EXPECT_NE(full.err.find("stage 0 holds 15 bytes of node memory, more than the capacity of 10 "
                          "bytes per stage"),
            std::string::npos)
      << full.err;
  // A partition file missing a node, or naming one the graph lacks, is invalid (exit 1, as
  // documented; it used to be an input error, exit 2); a malformed file stays an input error.
  const std::string missing =
      dir.write("missing.json", R"({"format": "pipecut.partition", "version": 1, "k": 2,
      "assignment": {"a": 0, "b": 0}})");
  auto r = run_cli("evaluate " + graph + " " + missing);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find(missing + ": invalid partition: node 'c' is not assigned"),
            std::string::npos)
      << r.err;
  const std::string unknown =
      dir.write("unknown.json", R"({"format": "pipecut.partition", "version": 1, "k": 2,
      "assignment": {"a": 0, "b": 0, "c": 1, "d": 1}})");
  r = run_cli("evaluate " + graph + " " + unknown);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("invalid partition: unknown node id 'd'"), std::string::npos) << r.err;
  const std::string out_of_range =
      dir.write("range.json", R"({"format": "pipecut.partition", "version": 1, "k": 2,
      "assignment": {"a": 0, "b": 0, "c": 2}})");
  EXPECT_EQ(run_cli("evaluate " + graph + " " + out_of_range).exit_code, 1);
  EXPECT_EQ(run_cli("evaluate " + graph + " " + dir.write("bad.json", "{\"format\": ")).exit_code,
            2);
  // The same partitions are valid once the constraints are dropped.
  EXPECT_EQ(run_cli("evaluate " + graph + " " + partition(0, 0, 0) + " --ignore-memory").exit_code,
            0);
  EXPECT_EQ(
      run_cli("evaluate " + graph + " " + partition(0, 1, 1) + " --ignore-colocation").exit_code,
      0);
}

// The experiment runner takes the same constraint options as every other command.
TEST(ConstraintsCli, ExperimentTakesTheConstraintOptions) {
  TempDir dir;
  const std::string graph = dir.write("packing.json", packing_graph());
  const std::string results = dir.path("rows.jsonl");
  auto rows = [&] {
    std::vector<json> out;
    std::istringstream in(testing::read_text(results));
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
    return out;
  };
  // The file's 10-byte capacity makes k = 2 infeasible; 12 bytes per stage makes it feasible.
  auto r = run_cli("experiment " + graph +
                   " -k 2 --algorithms topo --bounds simple --quiet "
                   "--memory-per-stage 12B --results " +
                   results);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const json& row : rows()) {
    EXPECT_EQ(row["capacity"], 12.0) << row.dump();
    if (row["kind"] == "partition") {
      EXPECT_EQ(row["status"], "done") << row.dump();
    }
  }
  std::filesystem::remove(results);
  r = run_cli("experiment " + graph +
              " -k 2 --algorithms topo --bounds simple --quiet "
              "--ignore-memory --results " +
              results);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const json& row : rows()) EXPECT_FALSE(row.contains("capacity")) << row.dump();
  for (const char* contradiction :
       {"--memory-per-stage 1GiB --ignore-memory", "--memory-per-stage 1GiB --capacity-factor 1.1",
        "--memory-per-stage 16XB"}) {
    r = run_cli("experiment " + graph + " -k 2 --quiet --results " + dir.path("x.jsonl") + " " +
                contradiction);
    EXPECT_EQ(r.exit_code, 2) << contradiction;
    EXPECT_NE(r.err.find("--memory-per-stage"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace pipecut
