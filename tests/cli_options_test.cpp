// Every numeric option of every command: a bad value is one `pipecut: error:` line naming the
// option, exit 2; never clamped, wrapped or answered with CLI11's own (multi-line) text.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/oracle.hpp"
#include "support/run_cli.hpp"

namespace pipecut {
namespace {

using testing::run_cli;

const std::string kBert = testing::data_path("samples/pipecut/bert_l-3_inference.json");
const std::string kOnnx = testing::data_path("samples/onnx/tiny_conv_matmul_split.onnx");

// The one line a bad option value must give.
void expect_option_error(const std::string& args, const std::string& option) {
  const auto r = run_cli(args);
  EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
  EXPECT_EQ(r.err.rfind("pipecut: error: ", 0), 0u) << args << "\n" << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << "\n" << r.err;
  EXPECT_NE(r.err.find(option), std::string::npos) << args << "\n" << r.err;
  EXPECT_LT(r.err.size(), 300u) << args << "\n" << r.err;
  EXPECT_TRUE(r.out.empty()) << args << "\n" << r.out;
}

struct Command {
  std::string base;                   // a valid command line without the option
  std::vector<std::string> integers;  // integer options
  std::vector<std::string> numbers;   // finite-number options (all have a lower end)
};

std::vector<Command> commands(const std::string& dir) {
  const std::vector<std::string> graph_input_ints = {"--profile-warmup"};
  const std::vector<std::string> graph_input_numbers = {"--link-bandwidth"};
  auto with_graph_input = [&](Command c) {
    c.integers.insert(c.integers.end(), graph_input_ints.begin(), graph_input_ints.end());
    c.numbers.insert(c.numbers.end(), graph_input_numbers.begin(), graph_input_numbers.end());
    return c;
  };
  return {
      with_graph_input({"solve " + kBert + " -k 2 --time-limit 1 --quiet",
                        {"-k", "--population", "--generations", "--threads", "--mip-threads"},
                        {"--time-limit", "--target-ratio"}}),
      with_graph_input({"partition " + kBert + " -k 2 --algorithm topo",
                        {"-k", "--population", "--generations", "--threads"},
                        {"--time-limit"}}),
      with_graph_input(
          {"bound " + kBert + " -k 2 --method simple", {"-k", "--mip-threads"}, {"--time-limit"}}),
      with_graph_input({"evaluate " + kBert + " " + kBert, {}, {}}),
      with_graph_input({"convert " + kBert + " " + dir + "/c.json", {}, {}}),
      with_graph_input({"report " + kBert + " " + kBert + " -o " + dir + "/r.html", {}, {}}),
      with_graph_input({"split " + kOnnx + " " + kBert + " -o " + dir + "/stages", {}, {}}),
      {"generate -o " + dir + "/g.json",
       {"--count", "--max-nodes", "--nodes", "--min-chain-ops", "--max-chain-ops", "--max-branches",
        "--downsample-every"},
       {"--branch-probability", "--skip-probability", "--long-skip-probability", "--work-mean",
        "--work-sigma", "--tensor-mean-mb", "--tensor-sigma", "--link-bandwidth",
        "--cross-branch-probability"}},
      {"experiment " + kBert + " --quick --quiet --results " + dir + "/r.jsonl",
       {"--threads", "--max-graphs"},
       {"--time-limit", "--solve-time-limit", "--solve-target-ratio", "--capacity-factor"}},
  };
}

TEST(CliOptions, EveryBadNumericValueIsOneLineNamingTheOption) {
  const std::string dir = testing::make_temp_dir("cli_options");
  for (const Command& c : commands(dir)) {
    for (const std::string& option : c.integers)
      for (const char* value : {"abc", "-1", "1.5", "2147483648", "99999999999999999999999", "''"})
        expect_option_error(c.base + " " + option + " " + value,
                            option == "-k" ? "--stages" : option);  // CLI11 names the long form
    for (const std::string& option : c.numbers)
      for (const char* value : {"abc", "-1", "nan", "inf", "1e999", "0x", "''"})
        expect_option_error(c.base + " " + option + " " + value, option);
    if (c.base.rfind("generate", 0) != 0 && c.base.rfind("experiment", 0) != 0)
      for (const char* value : {"abc", "-1", "1.5", "18446744073709551616"})
        expect_option_error(c.base + " --max-input-size " + value, "--max-input-size");
  }
  // experiment takes a list of k.
  for (const char* ks : {"2,x", "0", "2,-4", "99999999999", "2,3.5"})
    expect_option_error(
        "experiment " + kBert + " --quick --quiet --results " + dir + "/r.jsonl -k " + ks,
        "--stages: every k must be an integer in 1 .. 2147483647");
  // CLI11's range text was 309 digits long; its conversion error did not say what was wanted.
  const auto limit = run_cli("solve " + kBert + " -k 2 --time-limit -1");
  EXPECT_NE(limit.err.find("--time-limit: must be >= 0 (got '-1')"), std::string::npos)
      << limit.err;
  const auto k = run_cli("solve " + kBert + " -k abc");
  EXPECT_NE(k.err.find("--stages: must be an integer >= 1 (got 'abc')"), std::string::npos)
      << k.err;
  const auto big_k = run_cli("solve " + kBert + " -k 2147483648");
  EXPECT_NE(big_k.err.find("in 1 .. 2147483647"), std::string::npos) << big_k.err;
  std::filesystem::remove_all(dir);
}

TEST(CliOptions, SeedsOutside64BitsAreRangeErrorsNotClamped) {
  const std::string dir = testing::make_temp_dir("cli_seed");
  for (const std::string& base :
       {"partition " + kBert + " -k 2 --algorithm topo", "solve " + kBert + " -k 2 --time-limit 1",
        "generate -o " + dir + "/g.json",
        "experiment " + kBert + " --quick --quiet --results " + dir + "/r.jsonl"})
    for (const char* seed : {"-1", "18446744073709551616", "99999999999999999999999", "1.5", "x"})
      expect_option_error(base + " --seed " + seed, "--seed");
  // The largest seed is kept exactly.
  const auto r = run_cli("partition " + kBert +
                         " -k 2 --algorithm topo --json --quiet --seed 18446744073709551615");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["seed"].get<std::uint64_t>(), 18446744073709551615ull);
  std::filesystem::remove_all(dir);
}

// The cap the error messages and README promised an option for (it did not exist).
TEST(CliOptions, MaxInputSizeCapsEveryInputFile) {
  const auto capped = run_cli("bound " + kBert + " -k 2 --method simple --max-input-size 1000");
  EXPECT_EQ(capped.exit_code, 2);
  EXPECT_NE(capped.err.find(kBert + ": input is larger than the cap of 1000 bytes"),
            std::string::npos)
      << capped.err;
  EXPECT_EQ(run_cli("bound " + kBert + " -k 2 --method simple --max-input-size 0").exit_code, 0);
  const std::string dir = testing::make_temp_dir("cli_max_input");
  const std::string partition = dir + "/p.json";
  ASSERT_EQ(run_cli("partition " + kBert + " -k 2 --algorithm topo -o " + partition).exit_code, 0);
  // The graph (22 KB) fits 50 000 bytes, the partition file padded to 100 KB does not.
  std::ofstream(partition, std::ios::app) << std::string(100000, ' ');
  const auto r = run_cli("evaluate " + kBert + " " + partition + " --max-input-size 50000");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(partition + ": input is larger than the cap of 50000 bytes"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(run_cli("evaluate " + kBert + " " + partition).exit_code, 0);
  std::filesystem::remove_all(dir);
}

TEST(CliOptions, OtherUsageErrorsAreOneLineToo) {
  for (const std::string& args :
       {std::string("solve"), std::string("nosuchcommand"), std::string(""),
        "solve " + kBert + " -k 2 --no-such-option", "solve " + kBert + " -k",
        "partition " + kBert + " -k 2 --algorithm nope",
        std::string("generate -o /dev/null --split-branch-tensors maybe")}) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_EQ(r.err.rfind("pipecut: error: ", 0), 0u) << args << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << "\n" << r.err;
  }
  // --help still prints the help text, exit 0.
  const auto help = run_cli("solve --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--time-limit"), std::string::npos);
}

}  // namespace
}  // namespace pipecut
