// `pipecut solve` and `pipecut bound` end to end, through the CLI binary.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <array>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "support/oracle.hpp"

namespace {

struct CliRun {
  int exit_code = -1;
  std::string out;
};

CliRun run_cli(const std::string& arguments) {
  const std::string command = std::string(PIPECUT_CLI_PATH) + " " + arguments + " 2>/dev/null";
  CliRun run;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return run;
  std::array<char, 4096> buffer{};
  std::size_t got;
  while ((got = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    run.out.append(buffer.data(), got);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

std::string bert3() {
  return pipecut::testing::data_path("samples/pipecut/bert_l-3_inference.json");
}

TEST(SolveCli, ProvesTheBert3OptimumAtFourStages) {
  const CliRun run = run_cli("solve " + bert3() + " -k 4 --json --quiet --time-limit 60");
  ASSERT_EQ(run.exit_code, 0);
  const nlohmann::json doc = nlohmann::json::parse(run.out);
  EXPECT_EQ(doc["format"], "pipecut.partition");
  EXPECT_NEAR(doc["bottleneck"].get<double>(), 27.186146, 1e-5);
  EXPECT_TRUE(doc["optimal"].get<bool>());
  EXPECT_NEAR(doc["lower_bound"].get<double>(), 27.186146, 4e-6 * 27.186146);
  EXPECT_LE(doc["lower_bound"].get<double>(), doc["bottleneck"].get<double>());
  EXPECT_GE(doc["ratio"].get<double>(), 0.99999);
  EXPECT_FALSE(doc["lower_bound_method"].get<std::string>().empty());
  EXPECT_FALSE(doc["hit_time_limit"].get<bool>());
}

TEST(SolveCli, BoundJsonFollowsTheSchema) {
  const CliRun run =
      run_cli("bound " + bert3() + " -k 8 --method single --json --time-limit 20 --mip-threads 1");
  ASSERT_EQ(run.exit_code, 0);
  const nlohmann::json doc = nlohmann::json::parse(run.out);
  EXPECT_EQ(doc["format"], "pipecut.bounds");
  EXPECT_EQ(doc["version"], 1);
  EXPECT_EQ(doc["k"], 8);
  ASSERT_EQ(doc["bounds"].size(), 1u);
  const nlohmann::json& b = doc["bounds"][0];
  EXPECT_EQ(b["method"], "single");
  EXPECT_EQ(b["status"], "proven");
  EXPECT_NEAR(b["value"].get<double>(), 27.186146, 4e-6 * 27.186146);
  EXPECT_GE(b["seconds"].get<double>(), 0.0);
  EXPECT_EQ(doc["best"]["method"], "single");
  EXPECT_EQ(doc["best"]["value"], b["value"]);
}

TEST(SolveCli, RejectsAnUnknownMethodAndBadK) {
  EXPECT_NE(run_cli("bound " + bert3() + " -k 4 --method nonsense").exit_code, 0);
  EXPECT_EQ(run_cli("solve " + bert3() + " -k 0 --quiet").exit_code, 2);
}

}  // namespace

namespace {

TEST(SolveCli, BoundAllRunsEveryMethodAndBestIsTheMaximum) {
  const std::string graph = pipecut::testing::data_path("samples/pipecut/bert_l-3_inference.json");
  const CliRun run = run_cli("bound " + graph + " -k 2 --json --time-limit 2 --mip-threads 1");
  ASSERT_EQ(run.exit_code, 0);
  const nlohmann::json doc = nlohmann::json::parse(run.out);
  ASSERT_EQ(doc["bounds"].size(), 7u);
  double best = 0;
  for (const nlohmann::json& b : doc["bounds"]) {
    EXPECT_LE(b["value"].get<double>(), 33.256680 + 1e-9) << b["method"];
    best = std::max(best, b["value"].get<double>());
  }
  EXPECT_EQ(doc["best"]["value"].get<double>(), best);
}

TEST(SolveCli, ATinyTimeLimitStillReturnsAValidPartition) {
  const std::string graph = pipecut::testing::data_path("samples/pipecut/bert_l-3_inference.json");
  const CliRun run =
      run_cli("solve " + graph + " -k 2 --json --quiet --time-limit 0.05 --target-ratio 1");
  ASSERT_EQ(run.exit_code, 0);
  const nlohmann::json doc = nlohmann::json::parse(run.out);
  EXPECT_GE(doc["bottleneck"].get<double>(), 33.256680 - 1e-6);
  EXPECT_LE(doc["lower_bound"].get<double>(), doc["bottleneck"].get<double>());
  EXPECT_LE(doc["lower_bound"].get<double>(), 33.256680 + 1e-9);
  if (!doc["optimal"].get<bool>()) {
    EXPECT_TRUE(doc["hit_time_limit"].get<bool>());
  }
  EXPECT_EQ(doc["assignment"].size(), 235u);
}

}  // namespace

namespace {

TEST(SolveCli, SameSeedSameResult) {
  const std::string graph = pipecut::testing::data_path("samples/pipecut/bert_l-3_inference.json");
  const std::string args = "solve " + graph + " -k 4 --json --quiet --seed 3 --preset brkga-100";
  nlohmann::json first = nlohmann::json::parse(run_cli(args).out);
  nlohmann::json second = nlohmann::json::parse(run_cli(args).out);
  for (nlohmann::json* doc : {&first, &second}) {
    doc->erase("time_seconds");
    for (nlohmann::json& bound : (*doc)["bounds"]) bound.erase("seconds");
  }
  EXPECT_EQ(first, second);
}

}  // namespace
