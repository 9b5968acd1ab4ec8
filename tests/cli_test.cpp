// End-to-end tests of the command line: partition -> evaluate round trip, JSON on stdout,
// error handling and exit codes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/oracle.hpp"
#include "support/run_cli.hpp"

namespace pipecut {
namespace {

using testing::run_cli;

const std::string kBert = testing::data_path("samples/pipecut/bert_l-3_inference.json");

void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }
std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(Cli, PartitionThenEvaluateRoundTrip) {
  const std::string dir = testing::make_temp_dir("roundtrip");
  const std::string out = dir + "/p.json";
  auto r = run_cli("partition " + kBert + " -k 4 --preset brkga-100 --seed 3 -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("bottleneck"), std::string::npos);
  EXPECT_NE(r.out.find("ratio"), std::string::npos);
  auto doc = nlohmann::json::parse(read_text(out));
  EXPECT_EQ(doc["format"], "pipecut.partition");
  EXPECT_EQ(doc["version"], 1);
  EXPECT_EQ(doc["k"], 4);
  EXPECT_EQ(doc["assignment"].size(), 235u);
  // Non-empty stages only: BERT-3's best partitions leave a stage empty.
  EXPECT_LE(doc["stages"].size(), 4u);
  EXPECT_EQ(doc["stages"].size(), doc["stages_used"].get<std::size_t>());
  EXPECT_EQ(doc["lower_bound_method"], "simple");
  EXPECT_EQ(doc["seed"], 3);
  EXPECT_NEAR(doc["ratio"].get<double>(),
              doc["lower_bound"].get<double>() / doc["bottleneck"].get<double>(), 1e-12);
  for (const char* key : {"graph", "algorithm", "time_seconds", "bottleneck", "lower_bound"})
    EXPECT_TRUE(doc.contains(key)) << key;

  auto e = run_cli("evaluate " + kBert + " " + out + " --json");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  auto ev = nlohmann::json::parse(e.out);
  EXPECT_NEAR(ev["bottleneck"].get<double>(), doc["bottleneck"].get<double>(), 1e-12);

  // Tamper: move a consumer before its producer; evaluate must say invalid, exit 1.
  doc["assignment"]["0"] = 3;
  doc["assignment"]["6"] = 0;
  write_text(out, doc.dump());
  auto bad = run_cli("evaluate " + kBert + " " + out);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("goes backwards"), std::string::npos) << bad.err;
  std::filesystem::remove_all(dir);
}

TEST(Cli, JsonFlagPutsOnlyJsonOnStdout) {
  auto r = run_cli("partition " + kBert + " -k 2 --algorithm topo --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = nlohmann::json::parse(r.out);  // throws if anything else is on stdout
  EXPECT_EQ(doc["algorithm"], "topo");
  EXPECT_NE(r.err.find("bottleneck"), std::string::npos);  // the summary went to stderr
}

// CBC prints its log on stdout by default; with --json that would corrupt the document.
TEST(Cli, SolverLogGoesToStderrAndKeepsJsonStdoutClean) {
  for (const std::string& command : {"bound " + kBert + " -k 4 --method exact --time-limit 2",
                                     "solve " + kBert + " -k 4 --time-limit 2 --quiet"}) {
    auto r = run_cli(command + " --verbose --json");
    ASSERT_EQ(r.exit_code, 0) << command << "\n" << r.err;
    EXPECT_TRUE(nlohmann::json::accept(r.out)) << command << "\n" << r.out;
    EXPECT_EQ(r.out.find("Cbc"), std::string::npos) << command;
    if (command.rfind("bound", 0) == 0) {
      EXPECT_NE(r.err.find("Cbc0"), std::string::npos) << r.err;
    }
  }
}

TEST(Cli, SameSeedGivesTheSameAssignment) {
  auto a = run_cli("partition " + kBert + " -k 8 --preset brkga-100 --seed 11 --threads 1 --json");
  auto b = run_cli("partition " + kBert + " -k 8 --preset brkga-100 --seed 11 --threads 2 --json");
  ASSERT_EQ(a.exit_code, 0);
  ASSERT_EQ(b.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(a.out)["assignment"], nlohmann::json::parse(b.out)["assignment"]);
}

TEST(Cli, BadInputsGiveOneLineErrorsAndExitCode2) {
  const std::string dir = testing::make_temp_dir("badinput");
  write_text(dir + "/cyclic.json",
             R"({"format":"pipecut.graph","version":1,"nodes":[{"id":"a","work":1,"comm":1},)"
             R"({"id":"b","work":1,"comm":1}],"edges":[["a","b"],["b","a"]]})");
  write_text(dir + "/broken.json", "{\"format\": \"pipecut.gr");
  struct Case {
    std::string args, fragment;
  };
  const std::vector<Case> cases = {
      {"partition " + dir + "/cyclic.json -k 2", "cyclic.json: the graph has a cycle"},
      {"partition " + dir + "/broken.json -k 2", "broken.json: malformed JSON"},
      {"partition " + dir + "/missing.json -k 2", "missing.json: cannot open file"},
      {"partition " + kBert + " -k 0", "--stages: must be an integer >= 1 (got '0')"},
      {"partition " + kBert + " -k 2 --preset brkga-5", "brkga-5"},
      {"evaluate " + kBert + " " + dir + "/missing.json", "missing.json: cannot open file"},
      {"evaluate " + kBert + " " + kBert, "\"format\" must be \"pipecut.partition\""},
  };
  for (const Case& c : cases) {
    auto r = run_cli(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.fragment), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << c.args;
  }
  std::filesystem::remove_all(dir);
}

TEST(Cli, FailedRunLeavesAnExistingOutputFileUntouched) {
  const std::string dir = testing::make_temp_dir("keep");
  write_text(dir + "/result.json", "precious");
  write_text(dir + "/cyclic.json",
             R"({"format":"pipecut.graph","version":1,"nodes":[{"id":"a","work":1,"comm":1}],)"
             R"("edges":[["a","a"]]})");
  auto r = run_cli("partition " + dir + "/cyclic.json -k 2 -o " + dir + "/result.json");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(read_text(dir + "/result.json"), "precious");
  const std::string graph_copy = dir + "/graph.json";
  std::filesystem::copy_file(kBert, graph_copy);
  const std::string before = read_text(graph_copy);
  auto same = run_cli("partition " + graph_copy + " -k 2 --algorithm topo -o " + graph_copy);
  EXPECT_EQ(same.exit_code, 2);
  EXPECT_NE(same.err.find("refusing to overwrite the input"), std::string::npos) << same.err;
  EXPECT_EQ(read_text(graph_copy), before);
  std::filesystem::remove_all(dir);
}

TEST(Cli, HelpExplainsEveryOption) {
  auto r = run_cli("partition --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* opt : {"--stages", "--algorithm", "--preset", "--population", "--generations",
                          "--seed", "--threads", "--time-limit", "--output", "--json"})
    EXPECT_NE(r.out.find(opt), std::string::npos) << opt;
}

}  // namespace
}  // namespace pipecut

namespace pipecut {
namespace {

// Every partition the CLI writes, from every command that writes one and from several input
// formats, passes `pipecut evaluate` with the same bottleneck.
TEST(Cli, EveryWrittenPartitionPassesEvaluate) {
  const std::string dir = testing::make_temp_dir("evaluate_all");
  const std::vector<std::string> graphs = {
      kBert, testing::data_path("samples/pipedream/resnet18_graph.txt"),
      testing::data_path("corpus/torchvision/mobilenet_v2.onnx"),
      testing::data_path("samples/regal/tiny.pbtxt")};
  const std::vector<std::string> commands = {"partition -k 3 --algorithm topo",
                                             "partition -k 5 --preset brkga-100",
                                             "solve -k 4 --time-limit 5 --quiet"};
  int checked = 0;
  for (const std::string& graph : graphs)
    for (const std::string& command : commands) {
      const std::string out = dir + "/p" + std::to_string(checked) + ".json";
      auto written = run_cli(command.substr(0, command.find(' ')) + " " + graph +
                             command.substr(command.find(' ')) + " -o " + out);
      ASSERT_EQ(written.exit_code, 0) << command << " " << graph << "\n" << written.err;
      auto check = run_cli("evaluate " + graph + " " + out + " --json");
      ASSERT_EQ(check.exit_code, 0) << command << " " << graph << "\n" << check.err;
      const double printed = nlohmann::json::parse(read_text(out))["bottleneck"].get<double>();
      EXPECT_NEAR(nlohmann::json::parse(check.out)["bottleneck"].get<double>(), printed,
                  1e-12 * std::max(1.0, printed));
      ++checked;
    }
  EXPECT_EQ(checked, 12);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pipecut
