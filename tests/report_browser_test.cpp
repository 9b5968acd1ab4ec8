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

}  // namespace
}  // namespace pipecut
