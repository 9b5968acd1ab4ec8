// The option catalogues: one declaration gives the command line's options, the library's checks
// and docs/options.md, and they agree with each other.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "pipecut/io/option_groups.hpp"
#include "pipecut/pipecut.hpp"
#include "support/oracle.hpp"
#include "support/run_cli.hpp"

namespace pipecut {
namespace {

using testing::run_cli;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::string kRoot = std::string(PIPECUT_DATA_DIR) + "/..";
const std::string kBert = testing::data_path("samples/pipecut/bert_l-3_inference.json");

TEST(OptionCatalogue, DocsOptionsMdIsWhatTheCatalogueSays) {
  const auto r = run_cli("options --markdown");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_text(kRoot + "/docs/options.md"), r.out)
      << "docs/options.md is out of date: run `pipecut options --markdown > docs/options.md`";
}

// Every option of every group appears in its commands' --help with its default, and a bad value
// for it is refused on the command line naming it.
TEST(OptionCatalogue, EveryCommandTakesEveryOptionOfItsGroups) {
  for (const OptionGroupDoc& group : option_groups()) {
    for (const std::string& command : group.commands) {
      const auto help = run_cli(command + " --help");
      ASSERT_EQ(help.exit_code, 0) << command;
      for (const auto& [spec, default_text] : group.options) {
        EXPECT_NE(help.out.find("--" + spec.name), std::string::npos)
            << command << " " << spec.name;
        if (!default_text.empty() && spec.kind != OptionKind::flag) {
          EXPECT_NE(help.out.find("default " + default_text), std::string::npos)
              << command << " --" << spec.name << " default " << default_text;
        }
      }
    }
  }
}

TEST(OptionCatalogue, NamesAreUniqueWithinAGroupAndKebabCase) {
  for (const OptionGroupDoc& group : option_groups()) {
    std::set<std::string> names;
    for (const auto& [spec, default_text] : group.options) {
      EXPECT_TRUE(names.insert(spec.name).second) << group.name << ": " << spec.name;
      EXPECT_EQ(spec.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz-"), std::string::npos)
          << spec.name;
      EXPECT_FALSE(spec.help.empty()) << spec.name;
    }
  }
}

// The library's entry points check their option structs with the same rules: a C++ caller gets
// the same one-line InputError as the command line and Python, naming the option.
TEST(OptionCatalogue, LibraryEntryPointsCheckTheirOptions) {
  const Graph g = read_graph(kBert);
  auto expect_error = [](const std::function<void()>& call, const std::string& text) {
    try {
      call();
      ADD_FAILURE() << "no error; expected " << text;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
  };
  SolveOptions solve_options;
  solve_options.target_ratio = 1.5;
  expect_error([&] { solve(g, 2, solve_options); }, "target_ratio: must be in 0 .. 1");
  solve_options = {};
  solve_options.time_limit_seconds = std::numeric_limits<double>::infinity();
  expect_error([&] { solve(g, 2, solve_options); }, "time_limit: must be a finite number");
  solve_options = {};
  solve_options.bounds.mip_threads = -1;
  expect_error([&] { solve(g, 2, solve_options); }, "mip_threads: must be an integer >= 0");
  PartitionOptions partition_options;
  partition_options.algorithm = "greedy";
  expect_error([&] { partition_graph(g, 2, partition_options); }, "algorithm: must be one of");
  partition_options = {};
  partition_options.population = -3;
  expect_error([&] { partition_graph(g, 2, partition_options); },
               "population: must be an integer >= 0");
  BoundOptions bound_options;
  bound_options.threads = -1;
  expect_error([&] { compute_bounds(g, 2, {"simple"}, bound_options); }, "threads: must be");
  ReadOptions read_options;
  read_options.format = "csv";
  expect_error([&] { read_graph(kBert, read_options); }, "input_format: must be one of");
  read_options = {};
  read_options.memory_per_stage = 0.0;
  expect_error([&] { read_graph(kBert, read_options); }, "memory_per_stage: must be > 0");
}

// Text as users type it: the same parse for every front end, never clamped or wrapped.
TEST(OptionCatalogue, TextIsParsedStrictly) {
  const OptionSpec ratio = option("target-ratio", OptionKind::number, "r").at_least(0).at_most(1);
  double x = 0.5;
  set_option_from_text(ratio, &x, "0.25");
  EXPECT_EQ(x, 0.25);
  for (const char* bad : {"", " 0.5", "0.5x", "nan", "inf", "-0.1", "1.01", "1e400"})
    EXPECT_THROW(set_option_from_text(ratio, &x, bad), InputError) << bad;
  EXPECT_EQ(x, 0.25);
  const OptionSpec threads = option("threads", OptionKind::integer, "t").at_least(0);
  int n = 1;
  for (const char* bad : {"2.0", "1e3", "+-1", "-1", "2147483648", "0x10"})
    EXPECT_THROW(set_option_from_text(threads, &n, bad), InputError) << bad;
  set_option_from_text(threads, &n, "2147483647");
  EXPECT_EQ(n, std::numeric_limits<int>::max());
  const OptionSpec seed = option("seed", OptionKind::count, "s");
  std::uint64_t s = 0;
  set_option_from_text(seed, &s, "18446744073709551615");
  EXPECT_EQ(s, std::numeric_limits<std::uint64_t>::max());
  for (const char* bad : {"-1", "18446744073709551616", "1.0"})
    EXPECT_THROW(set_option_from_text(seed, &s, bad), InputError) << bad;
  try {
    set_option_from_text(threads, &n, "-1", OptionNaming::python);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "threads: must be an integer >= 0 (got '-1')");
  }
  try {
    set_option_from_text(threads, &n, "-1");
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "--threads: must be an integer >= 0 (got '-1')");
  }
}

TEST(OptionCatalogue, JsonListsEveryGroup) {
  const auto r = run_cli("options --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["format"], "pipecut.options");
  std::set<std::string> groups;
  for (const auto& g : doc["groups"]) groups.insert(g["name"].get<std::string>());
  EXPECT_EQ(groups, (std::set<std::string>{"read", "solve", "partition", "bound", "llm"}));
  EXPECT_EQ(run_cli("options --json --markdown").exit_code, 2);
}

}  // namespace
}  // namespace pipecut
