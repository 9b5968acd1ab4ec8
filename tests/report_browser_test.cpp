// The HTML report in a real browser: Debian's Chromium (installed by scripts/install-deps.sh)
// renders the page of the BERT-3 sample headless. The screenshot must not be blank and must show
// the bottleneck stage's colour (the charts were drawn); the DOM after the page's script ran must
// hold the title and the bottleneck value, and the script's ready mark (it ran without error).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/oracle.hpp"
#include "support/report_test_util.hpp"

namespace pipecut {
namespace {

using nlohmann::json;

// Flags that keep Chromium from reaching for the network (it hangs on a closed one otherwise)
// and from needing a sandbox or a GPU; a fresh profile folder per run.
std::string chromium(const std::string& profile) {
  return "timeout -k 10 120 chromium --headless --no-sandbox --disable-gpu --disable-quic "
         "--no-first-run --disable-background-networking --disable-component-update "
         "--disable-sync --hide-scrollbars --user-data-dir=" +
         profile;
}

TEST(ReportBrowser, ChromiumRendersTheBertReport) {
  ASSERT_EQ(testing::run_command("command -v chromium").exit_code, 0)
      << "chromium is not installed: run scripts/install-deps.sh";
  const testing::TempDir tmp;
  const std::string bert = testing::data_path("samples/pipecut/bert_l-3_inference.json");
  const auto solved = testing::run_cli("solve " + bert + " -k 4 --preset brkga-100 --quiet -o " +
                                       tmp.path("p.json") + " --report " + tmp.path("r.html"));
  ASSERT_EQ(solved.exit_code, 0) << solved.err;
  const json partition = json::parse(testing::read_text(tmp.path("p.json")));
  const json data = testing::report_data_of(testing::read_text(tmp.path("r.html")));
  const int bottleneck_stage = data["partition"]["bottleneck_stage"].get<int>();
  const std::string colour = data["stages"][bottleneck_stage]["colour"].get<std::string>();
  const std::string url = "file://" + tmp.path("r.html");

  const testing::CommandRun shot =
      testing::run_command(chromium(tmp.path("profile-shot")) + " --window-size=1280,1100 " +
                           "--screenshot=" + tmp.path("shot.png") + " " + url);
  ASSERT_EQ(shot.exit_code, 0) << shot.out;
  const testing::CommandRun stats =
      testing::run_command("/usr/bin/python3 " + testing::support_path("png_stats.py") + " " +
                           tmp.path("shot.png") + " '" + colour + "'");
  ASSERT_EQ(stats.exit_code, 0) << stats.out;
  const json image = json::parse(stats.out);
  EXPECT_EQ(image["width"], 1280);
  EXPECT_EQ(image["height"], 1100);
  EXPECT_GT(image["distinct_colours"].get<int>(), 50) << "the page looks blank";
  EXPECT_GT(image["non_white_fraction"].get<double>(), 0.05) << "the page looks blank";
  // The bottleneck bar of the stage chart alone is thousands of pixels of this colour.
  EXPECT_GT(image["colour_pixels"][colour].get<int>(), 1000) << "no chart in the stage colour";

  const testing::CommandRun dom = testing::run_command(chromium(tmp.path("profile-dom")) +
                                                       " --dump-dom " + url + " 2>/dev/null");
  ASSERT_EQ(dom.exit_code, 0) << dom.out.substr(0, 2000);
  EXPECT_NE(dom.out.find("<title>pipecut report: bert_l-3_inference, k = 4</title>"),
            std::string::npos);
  const std::string bottleneck = testing::exact_number(partition["bottleneck"].get<double>());
  EXPECT_NE(dom.out.find(">" + bottleneck + " ms<"), std::string::npos)
      << "bottleneck " << bottleneck << " not in the DOM";
  EXPECT_NE(dom.out.find("data-report-ready=\"1\""), std::string::npos)
      << "the page's script did not finish";
}

// A report on a cluster (docs/report.md): the page's script runs, and the DOM shows each stage's
// device and class and the boundary tensors' links with their bandwidth.
TEST(ReportBrowser, ChromiumRendersAClusterReport) {
  ASSERT_EQ(testing::run_command("command -v chromium").exit_code, 0)
      << "chromium is not installed: run scripts/install-deps.sh";
  const testing::TempDir tmp;
  const std::string cluster = tmp.write("c.json", R"({"format": "pipecut.cluster", "version": 1,
    "name": "mixed", "device_classes": {"fast": {"memory": 100}, "slow": {"memory": 60, "speed": 0.5}},
    "hosts": [{"name": "h0", "devices": [{"class": "fast"}, {"class": "slow"}], "bandwidth": 8},
              {"name": "h1", "devices": [{"class": "slow"}], "bandwidth": 8}],
    "network_bandwidth": 0.5})");
  const std::string graph = tmp.write("g.json", R"({"format": "pipecut.graph", "version": 1,
    "name": "diamond", "nodes": [{"id": "a", "work": 4, "comm": 1, "bytes": 4e6},
      {"id": "b", "work": 6, "comm": 1, "bytes": 2e6}, {"id": "c", "work": 3, "comm": 1},
      {"id": "d", "work": 5, "comm": 1}],
    "edges": [["a", "b"], ["a", "c"], ["b", "c"], ["b", "d"], ["c", "d"]]})");
  const std::string partition = tmp.write("p.json", R"({"format": "pipecut.partition",
    "version": 1, "k": 3, "assignment": {"a": 0, "b": 1, "c": 2, "d": 2},
    "devices": ["h0:0", "h1:0", "h0:1"]})");
  const auto made = testing::run_cli("report '" + graph + "' '" + partition + "' --cluster '" +
                                     cluster + "' -o '" + tmp.path("r.html") + "'");
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const testing::CommandRun dom =
      testing::run_command(chromium(tmp.path("profile-dom")) + " --dump-dom file://" +
                           tmp.path("r.html") + " 2>/dev/null");
  ASSERT_EQ(dom.exit_code, 0) << dom.out.substr(0, 2000);
  EXPECT_NE(dom.out.find("data-report-ready=\"1\""), std::string::npos)
      << "the page's script did not finish";
  EXPECT_NE(dom.out.find("<td class=\"l\">h1:0</td><td class=\"l\">slow</td>"), std::string::npos)
      << "no device and class cells in the stage table";
  EXPECT_NE(dom.out.find("h0:0 → h1:0 (stage 1), 0.5 GB/s, 8.0000 ms"), std::string::npos)
      << "no link row in the boundary table";
}

}  // namespace
}  // namespace pipecut
