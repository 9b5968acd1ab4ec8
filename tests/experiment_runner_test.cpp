// The experiment runner: rows, resumption and sharding.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>

#include "pipecut/experiment/runner.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/io/graph_json.hpp"
#include "pipecut/model/error.hpp"
#include "support/oracle.hpp"
#include "support/run_cli.hpp"  // make_temp_dir

namespace pipecut {
namespace {

std::vector<nlohmann::json> read_rows(const std::string& path) {
  std::vector<nlohmann::json> rows;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) rows.push_back(nlohmann::json::parse(line));
  return rows;
}

class ExperimentRunner : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::make_temp_dir("experiment_runner");
    for (std::uint64_t seed : {3, 4, 5}) {
      testing::RandomGraphOptions o;
      o.nodes = 7;
      o.edge_probability = 0.35;
      const std::string path = dir_ + "/g" + std::to_string(seed) + ".json";
      write_pipecut_graph(testing::random_dag(seed, o), path);
      config_.graphs.push_back(path);
    }
    config_.ks = {2, 3};
    config_.algorithms = {"topo", "brkga-100"};
    config_.bounds = {"simple", "downset"};
    config_.time_limit_seconds = 5;
    config_.threads = 1;
    config_.testbed = "unit";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_;
  ExperimentConfig config_;
};

TEST_F(ExperimentRunner, RowsAreCompleteAndValuesAgreeWithTheOptimum) {
  config_.results_path = dir_ + "/results.jsonl";
  EXPECT_EQ(run_experiment(config_), 3 * 2 * 4);
  const auto rows = read_rows(config_.results_path);
  ASSERT_EQ(rows.size(), 24u);
  for (const auto& r : rows) {
    const Graph g = read_pipecut_graph(dir_ + "/" + r["graph"].get<std::string>() + ".json");
    const double opt = testing::brute_force_optimum(g, r["k"].get<int>()).optimum;
    EXPECT_EQ(r["testbed"], "unit");
    EXPECT_EQ(r["nodes"], 7);
    if (r["kind"] == "partition") {
      EXPECT_GE(r["value"].get<double>(), opt - 1e-9) << r;
    } else {
      EXPECT_LE(r["value"].get<double>(), opt + 1e-9) << r;
    }
    if (r["method"] == "downset") {  // exact on 7 nodes: its partition is optimal
      EXPECT_EQ(r["status"], "proven");
      EXPECT_NEAR(r["partition_value"].get<double>(), opt, 1e-9);
    }
  }
}

// A constrained testbed: random memory and classes in the files, a capacity from the factor.
// Every row agrees with the oracle on the constrained instance, infeasible ones included.
TEST_F(ExperimentRunner, ConstrainedRowsAgreeWithTheConstrainedOptimum) {
  config_.graphs.clear();
  for (std::uint64_t seed = 10; seed < 16; ++seed) {
    testing::RandomGraphOptions o;
    o.nodes = 7;
    o.edge_probability = 0.35;
    Graph g = testing::random_dag(seed, o);
    testing::RandomConstraintOptions co;
    co.max_classes = 2;
    testing::add_random_constraints(g, 3, seed, co);
    const std::string path = dir_ + "/c" + std::to_string(seed) + ".json";
    write_pipecut_graph(g, path);
    config_.graphs.push_back(path);
  }
  config_.ks = {2, 3};
  config_.capacity_factor = 1.05;
  config_.bounds = {"simple", "downset", "exact"};
  config_.results_path = dir_ + "/constrained.jsonl";
  run_experiment(config_);
  int infeasible = 0, feasible = 0;
  for (const auto& r : read_rows(config_.results_path)) {
    Graph g = read_pipecut_graph(dir_ + "/" + r["graph"].get<std::string>() + ".json");
    const int k = r["k"].get<int>();
    ASSERT_TRUE(r.contains("capacity")) << r;
    g.memory_per_stage = r["capacity"].get<double>();  // the runner's capacity for this k
    // The capacity follows the rule: the factor times total / k, or the heaviest block.
    double total = 0;
    for (double m : g.memory) total += m;
    EXPECT_GE(r["capacity"].get<double>(), 1.05 * total / k - 1e-9) << r;
    const testing::BruteForceResult truth = testing::brute_force_optimum(g, k);
    if (!truth.feasible) {
      ++infeasible;
      EXPECT_TRUE(r["value"].is_null() || r["kind"] == "bound") << r;
      if (r["method"] == "downset" || r["method"] == "exact") {
        EXPECT_EQ(r["status"], "infeasible") << r;
      }
      continue;
    }
    ++feasible;
    if (r["kind"] == "partition") {
      if (r["value"].is_null()) {
        EXPECT_EQ(r["status"], "no_feasible") << r;  // a heuristic may miss
      } else {
        EXPECT_GE(r["value"].get<double>(), truth.optimum - 1e-9) << r;
      }
    } else {
      EXPECT_NE(r["status"], "infeasible") << r;
      EXPECT_LE(r["value"].get<double>(), truth.optimum + 1e-9) << r;
      if (r["method"] == "downset") {
        EXPECT_EQ(r["status"], "proven") << r;
        EXPECT_NEAR(r["partition_value"].get<double>(), truth.optimum, 1e-9) << r;
      }
    }
  }
  EXPECT_GT(feasible, 0);
  EXPECT_GT(infeasible, 0);
}

TEST_F(ExperimentRunner, RerunSkipsFinishedRowsAndRedoesOnlyWhatIsMissing) {
  config_.results_path = dir_ + "/results.jsonl";
  EXPECT_EQ(run_experiment(config_), 24);
  EXPECT_EQ(run_experiment(config_), 0);
  config_.ks = {2, 3, 4};  // one more k: only its rows are new
  EXPECT_EQ(run_experiment(config_), 3 * 4);
  EXPECT_EQ(read_rows(config_.results_path).size(), 36u);
}

TEST_F(ExperimentRunner, ShardsSplitTheSweepWithoutOverlap) {
  std::set<std::tuple<std::string, int, std::string>> seen;
  for (int shard = 0; shard < 2; ++shard) {
    config_.shard_index = shard;
    config_.shard_count = 2;
    config_.results_path = dir_ + "/shard" + std::to_string(shard) + ".jsonl";
    run_experiment(config_);
    for (const auto& r : read_rows(config_.results_path))
      EXPECT_TRUE(seen.emplace(r["graph"], r["k"], r["method"]).second) << r;
  }
  EXPECT_EQ(seen.size(), 24u);
}

TEST_F(ExperimentRunner, GraphsWithTheSameNameInDifferentFoldersAreBothRun) {
  std::filesystem::create_directories(dir_ + "/a");
  std::filesystem::create_directories(dir_ + "/b");
  testing::RandomGraphOptions o;
  o.nodes = 6;
  write_pipecut_graph(testing::random_dag(21, o), dir_ + "/a/model.json");
  write_pipecut_graph(testing::random_dag(22, o), dir_ + "/b/model.json");
  config_.graphs = {dir_ + "/a/model.json", dir_ + "/b/model.json"};
  config_.ks = {2};
  config_.results_path = dir_ + "/results.jsonl";
  EXPECT_EQ(run_experiment(config_), 2 * 4);
  std::set<std::string> paths;
  for (const auto& r : read_rows(config_.results_path)) paths.insert(r["path"]);
  EXPECT_EQ(paths.size(), 2u);
  EXPECT_EQ(run_experiment(config_), 0);  // and both are recognised as done
}

TEST_F(ExperimentRunner, SolveRowsCarryThePortfoliosPartitionAndBound) {
  config_.algorithms = {"solve"};
  config_.bounds = {};
  config_.solve_time_limit_seconds = 20;
  config_.results_path = dir_ + "/results.jsonl";
  EXPECT_EQ(run_experiment(config_), 3 * 2 * 2);
  for (const auto& r : read_rows(config_.results_path)) {
    EXPECT_EQ(r["method"], "solve");
    const Graph g = read_pipecut_graph(r["path"].get<std::string>());
    const double opt = testing::brute_force_optimum(g, r["k"].get<int>()).optimum;
    EXPECT_EQ(r["status"], "optimal") << r;  // tiny graphs are always settled
    EXPECT_NEAR(r["value"].get<double>(), opt, 1e-5 * std::max(1.0, opt)) << r;
  }
}

// A corpus folder of gzip-compressed files (the transformer corpus ships .onnx.gz) is swept
// like one of plain files; its README, LICENSE and models.json are not graphs.
TEST(ExperimentCli, FolderOfGzipCompressedGraphsIsSwept) {
  const std::string dir = testing::make_temp_dir("experiment_gz");
  const auto copy_gzipped = [&](const std::string& sample, const std::string& name) {
    std::ifstream in(std::string(PIPECUT_DATA_DIR) + "/samples/" + sample, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    write_file_atomic(dir + "/" + name, bytes, /*gzip=*/true);
  };
  copy_gzipped("onnx/tiny_conv_matmul_split.onnx", "tiny.onnx.gz");
  copy_gzipped("regal/tiny.pbtxt", "regal.pbtxt.gz");
  for (const char* doc : {"README.md", "LICENSE-x.txt", "models.json"})
    std::ofstream(dir + "/" + doc) << "{}\n";
  const std::string results = dir + "/results.jsonl";
  const auto r =
      testing::run_cli("experiment '" + dir + "' -k 2 --algorithms topo --bounds simple " +
                       "--quiet --results '" + results + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> graphs;
  for (const auto& row : read_rows(results)) graphs.insert(row["graph"].get<std::string>());
  EXPECT_EQ(graphs, (std::set<std::string>{"tiny", "regal"}));
  std::filesystem::remove_all(dir);
}

TEST(ExperimentShard, ParsesOneBasedIndexAndRejectsNonsense) {
  int index = -1, count = -1;
  parse_shard("3/8", index, count);
  EXPECT_EQ(index, 2);
  EXPECT_EQ(count, 8);
  for (const char* bad : {"0/4", "5/4", "1/0", "x", "1/2/3", "2"})
    EXPECT_THROW(parse_shard(bad, index, count), InputError) << bad;
}

}  // namespace
}  // namespace pipecut
