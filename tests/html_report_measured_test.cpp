// The report's "Predicted against measured" section (`report --measured FILE`): the bench data
// embedded and drawn, refused when it belongs to another partition, well-formed page.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "pipecut/io/partition_json.hpp"
#include "pipecut/io/pipeline_bench.hpp"
#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/partition/slicegraph.hpp"
#include "pipecut/report/html_report.hpp"
#include "pipecut/solve/api.hpp"
#include "support/oracle.hpp"
#include "support/report_test_util.hpp"
#include "support/run_cli.hpp"

namespace pipecut {
namespace {

using nlohmann::json;
using testing::run_cli;

const std::string kBert = testing::data_path("samples/pipecut/bert_l-3_inference.json");

Solution solution_of(const Graph& g, const Partition& p) {
  Solution r;
  r.graph_name = g.name;
  r.k = p.k;
  r.partition = p;
  r.evaluation = evaluate(g, p);
  return r;
}

// A bench of `s`'s non-empty stages: predictions are the evaluation's, measured times 1.5 times
// them plus a copy, the last stage slower still; pipelined when asked.
BenchResult bench_of(const Solution& s, bool pipelined) {
  BenchResult b;
  b.pipeline = "stages";
  b.model = "bert";
  b.k = s.partition.k;
  b.runtime = "test runtime";
  b.prediction_source = "pipeline.json";
  b.runs = 7;
  b.warmup = 2;
  int position = 0;
  for (const StageCost& st : s.evaluation.stages) {
    if (st.nodes.empty()) continue;
    BenchStage m;
    m.stage = position++;
    m.partition_stage = st.stage;
    m.file = "stage_" + std::to_string(m.stage) + ".onnx";
    m.operators = static_cast<int>(st.nodes.size());
    m.predicted = st;
    m.predicted.nodes.clear();
    const double run = 1.5 * st.cost;
    m.run_ms = {run, 0.9 * run, 1.2 * run, 0.05 * run, run, 0.8 * run, 1.3 * run};
    m.copy_in_ms = st.comm_in;
    m.copy_out_ms = st.comm_out;
    b.stages.push_back(m);
  }
  b.stages.back().run_ms.median *= 1.2;
  b.stages.back().run_ms.p90 *= 1.2;
  b.stages.back().run_ms.max *= 1.2;
  if (pipelined) {
    BenchPipelined p;
    p.microbatches = 20;
    p.skipped_microbatches = 4;
    p.steady_microbatches = 15;
    p.window_ms = 100;
    p.throughput_per_s = 150;
    p.period_ms = 100.0 / 15;
    for (const BenchStage& m : b.stages) p.stages.push_back({m.stage, 0.5, 0, m.run_ms, m.stage});
    b.pipelined = p;
  }
  finish_bench(b);
  return b;
}

TEST(HtmlReportMeasured, SectionDrawsAndEmbedsTheBench) {
  const Graph g = read_graph(kBert);
  const Solution s = solution_of(g, slice_default_order(g, 4).partition);
  HtmlReportOptions options;
  options.measured = bench_of(s, true);
  options.measured_file = "bench.json";
  const std::string page = html_report(g, s, options);
  const json data = testing::report_data_of(page);
  ASSERT_TRUE(data.contains("measured"));
  EXPECT_EQ(data["measured"], json::parse(bench_to_json(*options.measured)));
  EXPECT_NE(page.find("<h2>Predicted against measured</h2>"), std::string::npos);
  // One table row per measured stage, with its error.
  for (const BenchStage& m : options.measured->stages) {
    char error[32];
    std::snprintf(error, sizeof error, "%+.1f%%", 100 * m.error);
    EXPECT_NE(page.find(std::string("<td>") + error + "</td>"), std::string::npos) << error;
  }
  EXPECT_NE(page.find("microbatches/s measured"), std::string::npos);
  EXPECT_NE(page.find("data from bench.json"), std::string::npos);
  EXPECT_EQ(page, html_report(g, s, options)) << "the page must be deterministic";
  const testing::TempDir tmp;
  std::ofstream(tmp.path("r.html")) << page;
  const testing::CommandRun check = testing::check_report_html(
      tmp.path("r.html"),
      {"stage-chart", "memory-chart", "timeline-chart", "graph-view", "measured-chart"});
  EXPECT_EQ(check.exit_code, 0) << check.out;
  // Without a bench the page has neither the section nor the data.
  const std::string plain = html_report(g, s);
  EXPECT_FALSE(testing::report_data_of(plain).contains("measured"));
  EXPECT_EQ(plain.find("measured-chart"), std::string::npos);
}

TEST(HtmlReportMeasured, ABenchOfAnotherPartitionIsRefused) {
  const Graph g = read_graph(kBert);
  const Solution s = solution_of(g, slice_default_order(g, 4).partition);
  auto message = [&](const BenchResult& b) {
    HtmlReportOptions options;
    options.measured = b;
    options.measured_file = "bench.json";
    try {
      html_report(g, s, options);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const BenchResult good = bench_of(s, false);
  EXPECT_EQ(message(good), "no error");
  BenchResult other = good;
  other.k = 5;
  EXPECT_NE(message(other).find("bench.json: measured a partition into 5 stages"),
            std::string::npos);
  other = good;
  other.stages[1].operators += 1;
  EXPECT_NE(message(other).find("was it measured on another partition?"), std::string::npos);
  other = good;
  other.stages.pop_back();
  EXPECT_NE(message(other).find("stage(s) measured, the partition has"), std::string::npos);
}

TEST(HtmlReportMeasured, ReportCommandTakesTheBenchFile) {
  const Graph g = read_graph(kBert);
  const Solution s = solution_of(g, slice_default_order(g, 3).partition);
  const testing::TempDir tmp;
  const std::string partition = tmp.write("p.json", solution_to_json(g, s));
  const std::string bench = tmp.write("bench.json", bench_to_json(bench_of(s, false)));
  const std::string out = tmp.path("r.html");
  auto r = run_cli("report '" + kBert + "' '" + partition + "' --measured '" + bench + "' -o '" +
                   out + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json data = testing::report_data_of(testing::read_text(out));
  EXPECT_EQ(data["measured"]["stages"].size(), 3u);
  // Not a bench file: one line naming it, exit 2, nothing written.
  const std::string not_bench = tmp.write("nb.json", "{\"format\": \"pipecut.partition\"}");
  r = run_cli("report '" + kBert + "' '" + partition + "' --measured '" + not_bench + "' -o '" +
              tmp.path("x.html") + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "pipecut: error: " + not_bench +
                ": not a pipecut.bench document (write one with pipecut bench --json or -o)\n");
  EXPECT_FALSE(std::filesystem::exists(tmp.path("x.html")));
  // A bench of another partition.
  const Solution s4 = solution_of(g, slice_default_order(g, 4).partition);
  const std::string other = tmp.write("other.json", bench_to_json(bench_of(s4, false)));
  r = run_cli("report '" + kBert + "' '" + partition + "' --measured '" + other + "' -o '" +
              tmp.path("x.html") + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("another partition"), std::string::npos) << r.err;
  // The output never replaces the bench file.
  const std::string before = testing::read_text(bench);
  r = run_cli("report '" + kBert + "' '" + partition + "' --measured '" + bench + "' -o '" + bench +
              "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(testing::read_text(bench), before);
}

}  // namespace
}  // namespace pipecut
