// The report's "Predicted against measured" section (docs/report.md).
#include "report/html_report_measured.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "pipecut/model/error.hpp"
#include "report/html_text.hpp"

namespace pipecut::detail {

namespace {

std::string fmt_error(double error) { return printf_string("%+.1f%%", 100 * error); }

std::string px(double v) {
  std::string s = printf_string("%.1f", v);
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s == "-0" ? "0" : s;
}

std::string rect(double x, double y, double w, double h, const std::string& attributes) {
  return "<rect x=\"" + px(x) + "\" y=\"" + px(y) + "\" width=\"" + px(std::max(0.0, w)) +
         "\" height=\"" + px(std::max(0.0, h)) + "\" " + attributes + "/>";
}

std::string line(double x1, double y1, double x2, double y2, const std::string& attributes) {
  return "<line x1=\"" + px(x1) + "\" y1=\"" + px(y1) + "\" x2=\"" + px(x2) + "\" y2=\"" + px(y2) +
         "\" " + attributes + "/>";
}

std::string text(double x, double y, const std::string& content, const std::string& attributes) {
  return "<text x=\"" + px(x) + "\" y=\"" + px(y) + "\" " + attributes + ">" + escape(content) +
         "</text>";
}

// The stage colours of the rest of the page (html_report.cpp), by partition stage.
std::string stage_colour(int stage) {
  static const char* const colours[] = {"#3366cc", "#e8a33d", "#d9534f", "#2fa39a", "#6a9f3a",
                                        "#8e5ec9", "#e377b0", "#7f8c99", "#b7791f", "#3aa0d8"};
  return colours[stage % 10];
}

double tick_step(double top, int count) {
  if (top <= 0) return 1;
  const double raw = top / count;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * power) return m * power;
  return 10 * power;
}

std::string chart(const BenchResult& b) {
  constexpr double kWidth = 1100, kLeft = 70, kRight = 150, kHeight = 300, kTop = 30, kBottom = 36;
  double top_value = 1e-12;
  for (const BenchStage& s : b.stages)
    top_value = std::max(
        {top_value, s.predicted.cost, s.measured_ms, s.run_ms.p90 + s.copy_in_ms + s.copy_out_ms});
  const double y_max = top_value * 1.08;
  const double step = tick_step(y_max, 5);
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  const double slot = plot_w / static_cast<double>(std::max<std::size_t>(1, b.stages.size()));
  const double bar_w = std::min(40.0, slot * 0.36);
  auto y = [&](double v) { return kTop + plot_h * (1 - v / y_max); };
  std::string s = "<svg id=\"measured-chart\" class=\"chart\" viewBox=\"0 0 " + px(kWidth) + " " +
                  px(kHeight) + "\" role=\"img\" aria-label=\"Predicted against measured\">";
  s += "<defs><pattern id=\"hatch-measured\" width=\"5\" height=\"5\" "
       "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"1.6\" "
       "height=\"5\" fill=\"#1d2430\" fill-opacity=\"0.55\"/></pattern></defs>";
  s += "<g class=\"axis\">";
  const int decimals = std::clamp(-static_cast<int>(std::floor(std::log10(step) + 1e-9)), 0, 9);
  for (double v = 0; v <= y_max * (1 + 1e-9); v += step) {
    s += line(kLeft, y(v), kLeft + plot_w, y(v), "class=\"gridline\"");
    s += text(kLeft - 6, y(v) + 4, printf_string("%.*f", decimals, v), "text-anchor=\"end\"");
  }
  const double middle = kTop + plot_h / 2;
  s += text(14, middle, "stage time (ms)",
            "text-anchor=\"middle\" transform=\"rotate(-90 14 " + px(middle) + ")\"");
  s += line(kLeft, kTop + plot_h, kLeft + plot_w, kTop + plot_h, "class=\"axisline\"");
  s += "</g>";
  s += text(kLeft + plot_w / 2, kHeight - 4, "stage (left: predicted, right: measured)",
            "text-anchor=\"middle\" class=\"muted\"");
  std::string labels;
  for (std::size_t i = 0; i < b.stages.size(); ++i) {
    const BenchStage& st = b.stages[i];
    const std::string colour = stage_colour(st.partition_stage);
    const double centre = kLeft + slot * (static_cast<double>(i) + 0.5);
    const double copy = st.copy_in_ms + st.copy_out_ms;
    s += "<g class=\"hover\"><title>stage " + std::to_string(st.partition_stage) + " (" +
         escape(st.file) + ")\npredicted " + fmt(st.predicted.cost) + " ms (work " +
         fmt(st.predicted.work) + ", comm " + fmt(st.predicted.comm_in + st.predicted.comm_out) +
         ")\nmeasured " + fmt(st.measured_ms) + " ms (run " + fmt(st.run_ms.median) + ", p10 " +
         fmt(st.run_ms.p10) + ", p90 " + fmt(st.run_ms.p90) + "; copy " + fmt(copy) + ")\nerror " +
         fmt_error(st.error) + "</title>";
    s += rect(kLeft + slot * static_cast<double>(i), kTop, slot, plot_h, "fill=\"transparent\"");
    // Predicted: light, compute and comm as in the stage chart.
    const double px0 = centre - bar_w - 1;
    s += rect(px0, y(st.predicted.work), bar_w, y(0) - y(st.predicted.work),
              "fill=\"" + colour + "\" fill-opacity=\"0.42\"");
    s += rect(px0, y(st.predicted.cost), bar_w, y(st.predicted.work) - y(st.predicted.cost),
              "fill=\"" + colour + "\" fill-opacity=\"0.2\" stroke=\"" + colour + "\"");
    // Measured: solid run, hatched copy, whisker from p10 to p90 of the run (plus copy).
    const double mx0 = centre + 1;
    s += rect(mx0, y(st.run_ms.median), bar_w, y(0) - y(st.run_ms.median),
              "fill=\"" + colour + "\"");
    if (copy > 0) {
      s += rect(mx0, y(st.measured_ms), bar_w, y(st.run_ms.median) - y(st.measured_ms),
                "fill=\"" + colour + "\" fill-opacity=\"0.6\"");
      s += rect(mx0, y(st.measured_ms), bar_w, y(st.run_ms.median) - y(st.measured_ms),
                "fill=\"url(#hatch-measured)\"");
    }
    const double wx = mx0 + bar_w / 2;
    s += line(wx, y(st.run_ms.p10 + copy), wx, y(st.run_ms.p90 + copy),
              "stroke=\"#1d2430\" stroke-width=\"1.5\"");
    s += line(wx - 5, y(st.run_ms.p90 + copy), wx + 5, y(st.run_ms.p90 + copy),
              "stroke=\"#1d2430\" stroke-width=\"1.5\"");
    s += line(wx - 5, y(st.run_ms.p10 + copy), wx + 5, y(st.run_ms.p10 + copy),
              "stroke=\"#1d2430\" stroke-width=\"1.5\"");
    s += "</g>";
    labels += text(centre, kTop + plot_h + 15, std::to_string(st.partition_stage),
                   "text-anchor=\"middle\"");
    if (slot >= 60)
      labels +=
          text(centre, y(std::max({st.predicted.cost, st.measured_ms, st.run_ms.p90 + copy})) - 6,
               fmt_error(st.error), "text-anchor=\"middle\" font-size=\"11\" class=\"halo\"");
  }
  s += labels + "</svg>";
  return s;
}

}  // namespace

void check_bench_matches(const Graph& g, const Evaluation& e, int k, const BenchResult& bench,
                         const std::string& source) {
  const std::string hint = "; was it measured on another partition?";
  if (bench.k != k)
    throw InputError(source + ": measured a partition into " + std::to_string(bench.k) +
                     " stages, this one has k = " + std::to_string(k) + hint);
  std::vector<const StageCost*> used;
  for (const StageCost& st : e.stages)
    if (!st.nodes.empty()) used.push_back(&st);
  std::sort(used.begin(), used.end(),
            [](const StageCost* a, const StageCost* b) { return a->stage < b->stage; });
  if (used.size() != bench.stages.size())
    throw InputError(source + ": " + std::to_string(bench.stages.size()) +
                     " stage(s) measured, the partition has " + std::to_string(used.size()) +
                     " non-empty" + hint);
  for (std::size_t i = 0; i < used.size(); ++i) {
    const BenchStage& b = bench.stages[i];
    int operators = 0;
    for (NodeId v : used[i]->nodes) operators += g.op[v] != "output_port";
    if (b.partition_stage != used[i]->stage || b.operators != operators)
      throw InputError(source + ": measured stage " + std::to_string(b.stage) +
                       " is partition "
                       "stage " +
                       std::to_string(b.partition_stage) + " with " + std::to_string(b.operators) +
                       " operators, the partition's is stage " + std::to_string(used[i]->stage) +
                       " with " + std::to_string(operators) + hint);
  }
}

std::string measured_section(const BenchResult& b, const std::string& source) {
  std::string s = "<section class=\"measured\" id=\"measured\"><h2>Predicted against measured</h2>";
  s += "<p class=\"lead\">Each stage's predicted cost (left, light: compute below, transfers "
       "outlined above) next to its time measured on this machine (right, solid: one run of the "
       "stage alone, median of " +
       std::to_string(b.runs) + " runs after " + std::to_string(b.warmup) +
       " warm-up; hatched: copying the tensors it receives and "
       "sends; the whisker spans the 10th to 90th percentile). " +
       escape(b.runtime.empty() ? std::string("unknown runtime") : b.runtime) + ", " +
       std::to_string(b.threads) + " thread per stage" +
       (b.cpu.empty() ? std::string() : ", " + escape(b.cpu)) +
       (b.cores > 0 ? ", " + std::to_string(b.cores) + " cores" : std::string()) +
       printf_string(", load average %.2f at the start", b.load_average) + ". Predictions from " +
       escape(b.prediction_source.empty() ? std::string("?") : b.prediction_source) +
       (b.device.empty() ? std::string() : ", device " + escape(b.device)) +
       (b.profile.empty() ? std::string() : ", profile " + escape(b.profile)) + "; data from " +
       escape(source) + ".</p>";
  s += "<p>Bottleneck: predicted <b>" + fmt(b.predicted_bottleneck_ms) + " ms</b> (stage " +
       std::to_string(
           b.stages[static_cast<std::size_t>(b.predicted_bottleneck_stage)].partition_stage) +
       "), measured <b>" + fmt(b.measured_bottleneck_ms) + " ms</b> (stage " +
       std::to_string(
           b.stages[static_cast<std::size_t>(b.measured_bottleneck_stage)].partition_stage) +
       "), error <b>" + fmt_error(b.bottleneck_error) + "</b>.";
  if (b.pipelined) {
    const BenchPipelined& p = *b.pipelined;
    s += " Run as a pipeline (one worker per stage" +
         std::string(p.pinned ? ", each pinned to its own core" : ", not pinned") + ", " +
         std::to_string(p.steady_microbatches) + " microbatches in the steady state): <b>" +
         fmt(p.throughput_per_s) + "</b> microbatches/s measured, " +
         fmt(p.predicted_throughput_per_s) + " predicted (error " + fmt_error(p.error) + ").";
  }
  s += "</p>";
  s += chart(b);
  s += "<table class=\"data\"><thead><tr><th class=\"l\">stage</th><th>operators</th><th>predicted "
       "ms</th>"
       "<th>measured ms</th><th>run ms (p10–p90)</th><th>copy ms</th><th>error</th>";
  if (b.pipelined) s += "<th>busy (predicted)</th>";
  s += "</tr></thead><tbody>";
  for (std::size_t i = 0; i < b.stages.size(); ++i) {
    const BenchStage& st = b.stages[i];
    s += "<tr><td class=\"l\"><span class=\"chip\" style=\"background:" +
         stage_colour(st.partition_stage) + "\"></span>" + std::to_string(st.partition_stage) +
         "</td><td>" + std::to_string(st.operators) + "</td><td>" + fmt(st.predicted.cost) +
         "</td><td>" + fmt(st.measured_ms) + "</td><td>" + fmt(st.run_ms.median) + " (" +
         fmt(st.run_ms.p10) + "–" + fmt(st.run_ms.p90) + ")</td><td>" +
         fmt(st.copy_in_ms + st.copy_out_ms) + "</td><td>" + fmt_error(st.error) + "</td>";
    if (b.pipelined)
      s += "<td>" +
           printf_string("%.2f (%.2f)", b.pipelined->stages[i].busy_fraction,
                         b.pipelined->stages[i].predicted_busy_fraction) +
           "</td>";
    s += "</tr>";
  }
  s += "</tbody></table></section>";
  return s;
}

}  // namespace pipecut::detail
