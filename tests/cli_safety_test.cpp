// What a demanding user hits in the first hour: results never replace inputs (every command
// that writes), writes through devices and symlinks, NaN options, huge k, a graph's own k.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "pipecut/io/file_util.hpp"
#include "pipecut/model/error.hpp"
#include "support/oracle.hpp"
#include "support/run_cli.hpp"

namespace pipecut {
namespace {

namespace fs = std::filesystem;
using testing::run_cli;

const std::string kBert = testing::data_path("samples/pipecut/bert_l-3_inference.json");
const std::string kTarnawski = testing::data_path("samples/tarnawski/bert_l-3_inference.json");

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

class CliSafety : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::make_temp_dir("cli_safety");
    graph_ = dir_ + "/g.json";
    fs::copy_file(kBert, graph_);
    original_ = read_text(graph_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_, graph_, original_;
};

TEST_F(CliSafety, NoCommandWritesOverItsInput) {
  const std::string link = dir_ + "/link.json";
  fs::create_symlink(graph_, link);
  for (const std::string& target :
       {graph_, link, dir_ + "/../" + fs::path(dir_).filename().string() + "/g.json"}) {
    for (const std::string& args :
         {"solve " + graph_ + " -k 2 --time-limit 2 --quiet -o " + target,
          "partition " + graph_ + " -k 2 --algorithm topo -o " + target,
          "convert " + graph_ + " " + target,
          "experiment " + graph_ + " --quick --quiet --results " + target}) {
      const auto r = run_cli(args);
      EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
      EXPECT_NE(r.err.find("refusing to overwrite the input file"), std::string::npos) << r.err;
      EXPECT_EQ(read_text(graph_), original_) << args;
      EXPECT_TRUE(fs::is_symlink(link));
    }
  }
}

TEST_F(CliSafety, ExperimentRefusesToAppendToAFileThatIsNotAResultsFile) {
  const std::string other = dir_ + "/other.json";
  fs::copy_file(kTarnawski, other);
  const std::string before = read_text(other);
  const auto r = run_cli("experiment " + graph_ + " --quick --quiet --results " + other);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("is not a result row"), std::string::npos) << r.err;
  EXPECT_EQ(read_text(other), before);
}

TEST_F(CliSafety, OutputThroughASymlinkReplacesItsTargetAndKeepsTheLink) {
  const std::string target = dir_ + "/result.json";
  const std::string link = dir_ + "/latest.json";
  write_text(target, "old");
  fs::create_symlink(target, link);
  const auto r = run_cli("partition " + graph_ + " -k 2 --algorithm topo -o " + link);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(nlohmann::json::parse(read_text(target))["format"], "pipecut.partition");
}

TEST_F(CliSafety, OutputToADeviceOrAFifoIsWrittenThroughNeverReplaced) {
  const auto r = run_cli("partition " + graph_ + " -k 2 --algorithm topo -o /dev/stdout");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"pipecut.partition\""), std::string::npos);
  EXPECT_TRUE(fs::is_character_file("/dev/stdout") || fs::is_symlink("/dev/stdout"));
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
  ASSERT_EQ(run_cli("convert " + graph_ + " /dev/null").exit_code, 0);
  EXPECT_TRUE(fs::is_character_file("/dev/null"));

  const std::string fifo = dir_ + "/pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // A reader drains the FIFO while the CLI writes into it.
  const auto w = run_cli("convert " + graph_ + " " + fifo + " 2>/dev/null & cat " + fifo + " > " +
                         dir_ + "/drained.json; wait");
  EXPECT_EQ(w.exit_code, 0) << w.err;
  EXPECT_TRUE(fs::is_fifo(fifo));
  EXPECT_EQ(nlohmann::json::parse(read_text(dir_ + "/drained.json"))["format"], "pipecut.graph");
}

// Runs the CLI with its stdout a pipe (popen), as `pipecut ... -o /dev/stdout | jq` does.
testing::CliRun run_cli_into_pipe(const std::string& args, const std::string& err_file) {
  testing::CliRun r;
  FILE* pipe = ::popen(
      (std::string(PIPECUT_CLI_PATH) + " " + args + " 2>" + err_file + " </dev/null").c_str(), "r");
  if (pipe == nullptr) return r;
  char buffer[4096];
  for (std::size_t got; (got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
    r.out.append(buffer, got);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = read_text(err_file);
  return r;
}

TEST_F(CliSafety, DevStdoutIntoAPipeIsWrittenThroughByEveryCommand) {
  // /dev/stdout -> /proc/self/fd/1 -> "pipe:[N]", which is not a path: it used to fail with
  // "cannot resolve symbolic link".
  const std::string partition = dir_ + "/p.json";
  ASSERT_EQ(run_cli("partition " + graph_ + " -k 2 --algorithm topo -o " + partition).exit_code, 0);
  const std::string err = dir_ + "/err.txt";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"partition " + graph_ + " -k 2 --algorithm topo -o /dev/stdout", "\"pipecut.partition\""},
      {"solve " + graph_ + " -k 2 --time-limit 5 --quiet -o /dev/stdout", "\"pipecut.partition\""},
      {"solve " + graph_ + " -k 2 --time-limit 5 --quiet --report /dev/stdout", "<!DOCTYPE html>"},
      {"report " + graph_ + " " + partition + " --quiet -o /dev/stdout", "pipecut-report-data"},
      {"convert " + graph_ + " /dev/stdout", "\"pipecut.graph\""},
      {"generate --nodes 20 -o /dev/stdout", "\"pipecut.graph\""},
      {"experiment " + graph_ + " --quick --quiet -k 2 --results /dev/stdout", "\"kind\""}};
  for (const auto& [args, expected] : cases) {
    const auto r = run_cli_into_pipe(args, err);
    EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.err;
    EXPECT_NE(r.out.find(expected), std::string::npos) << args << "\n" << r.out.substr(0, 300);
    EXPECT_EQ(r.err.find("error"), std::string::npos) << args << "\n" << r.err;
  }
  // A folder output cannot be a pipe: one line, no crash.
  const auto split =
      run_cli_into_pipe("split " + testing::data_path("samples/onnx/tiny_conv_matmul_split.onnx") +
                            " " + partition + " -o /dev/stdout",
                        err);
  EXPECT_NE(split.exit_code, 0);
  EXPECT_EQ(std::count(split.err.begin(), split.err.end(), '\n'), 1) << split.err;
}

TEST(FileUtil, WriteKeepsAnExistingFilesPermissions) {
  const std::string dir = testing::make_temp_dir("file_util_mode");
  const std::string path = dir + "/out.json";
  write_text(path, "x");
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  write_file_atomic(path, "new", false);
  EXPECT_EQ(read_text(path), "new");
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  EXPECT_THROW(write_file_atomic(dir + "/no/such/folder.json", "x", false), OutputError);
  EXPECT_THROW(write_file_atomic(dir, "x", false), OutputError);
  // No temporary files are left behind.
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) files += entry.is_regular_file();
  EXPECT_EQ(files, 1);
  fs::remove_all(dir);
}

TEST_F(CliSafety, NanAndInfiniteOptionsAreRejected) {
  for (const std::string& args :
       {"solve " + graph_ + " -k 2 --time-limit nan",
        "solve " + graph_ + " -k 2 --target-ratio nan",
        "solve " + graph_ + " -k 2 --time-limit inf", "bound " + graph_ + " -k 2 --time-limit nan",
        "partition " + graph_ + " -k 2 --time-limit NaN",
        "partition " + testing::data_path("samples/pipedream/resnet18_graph.txt") +
            " -k 2 --link-bandwidth nan",
        "generate -o " + dir_ + "/x.json --work-mean nan",
        "experiment " + graph_ + " --results " + dir_ + "/r.jsonl --time-limit nan"}) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_NE(r.err.find("finite"), std::string::npos) << args << "\n" << r.err;
  }
}

TEST_F(CliSafety, HugeKIsAnsweredQuicklyPrintingOnlyNonEmptyStages) {
  const std::string small = dir_ + "/small.json";
  ASSERT_EQ(run_cli("generate --nodes 12 --seed 4 -o " + small).exit_code, 0);
  for (const char* k : {"1000000000", "2147483647"}) {
    const auto r = run_cli("solve " + small + " -k " + k + " --json --quiet --time-limit 20");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["k"].get<long long>(), std::stoll(k));
    EXPECT_LE(doc["stages"].size(), doc["assignment"].size());
    for (const auto& stage : doc["stages"]) EXPECT_FALSE(stage["nodes"].empty());
    const std::string out = dir_ + "/huge.json";
    write_text(out, r.out);
    const auto check = run_cli("evaluate " + small + " " + out);
    EXPECT_EQ(check.exit_code, 0) << check.err;
    EXPECT_LE(std::count(check.out.begin(), check.out.end(), '\n'), 20);
  }
  const auto too_big = run_cli("solve " + small + " -k 2147483648");
  EXPECT_EQ(too_big.exit_code, 2);
}

TEST_F(CliSafety, TheGraphsOwnStageCountIsTheDefaultK) {
  // Tarnawski files carry maxFPGAs; the bundled sample's is used when -k is not given.
  const auto r = run_cli("partition " + kTarnawski + " --algorithm topo --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const int max_fpgas = nlohmann::json::parse(read_text(kTarnawski))["maxFPGAs"].get<int>();
  EXPECT_EQ(nlohmann::json::parse(r.out)["k"].get<int>(), max_fpgas);
  // A graph without one needs -k, and says so.
  const auto missing = run_cli("solve " + graph_);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("-k"), std::string::npos) << missing.err;
  EXPECT_EQ(std::count(missing.err.begin(), missing.err.end(), '\n'), 1) << missing.err;
}

TEST_F(CliSafety, HelpShowsTheLibraryDefaults) {
  const auto r = run_cli("solve --help");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("0.99"), std::string::npos) << r.out;  // SolveOptions::target_ratio
  EXPECT_NE(r.out.find("brkga-10000"), std::string::npos);    // PartitionOptions::preset
  const auto b = run_cli("bound --help");
  for (const char* method :
       {"simple", "single-mincut", "single", "downset", "split", "grouped", "exact"})
    EXPECT_NE(b.out.find(method), std::string::npos) << method;
}

}  // namespace
}  // namespace pipecut
