#include "pipecut/report/html_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipecut/model/cluster_cost.hpp"
#include "pipecut/model/constraints.hpp"
#include "pipecut/model/cost.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/model/numeric.hpp"
#include "report/html_report_assets.hpp"
#include "report/html_report_measured.hpp"
#include "report/html_text.hpp"

namespace pipecut {

namespace {

using nlohmann::json;

// ---------------------------------------------------------------- text and numbers

using detail::escape;
using detail::fmt;
using detail::printf_string;

// The value as the command line prints it (8 significant digits), for the headline numbers.
std::string fmt_exact(double x) { return printf_string("%.8g", x); }

std::string fmt_bytes(double bytes) {
  static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (std::fabs(bytes) >= 1024 && u < 5) {
    bytes /= 1024;
    ++u;
  }
  if (u == 0) return printf_string("%.0f B", bytes);
  return printf_string(std::fabs(bytes) >= 100 ? "%.0f %s" : "%.3g %s", bytes, units[u]);
}

std::string fmt_percent(double fraction) { return printf_string("%.1f%%", 100 * fraction); }

// An axis tick: as many decimals as the step needs, no more ("0, 10, 20" or "0, 0.05, 0.1").
std::string fmt_tick(double v, double step) {
  const int decimals = std::clamp(-static_cast<int>(std::floor(std::log10(step) + 1e-9)), 0, 9);
  return printf_string("%.*f", decimals, v);
}

// SVG coordinates: one decimal is plenty.
std::string px(double v) {
  std::string s = printf_string("%.1f", v);
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s == "-0" ? "0" : s;
}

// ---------------------------------------------------------------- colours and axes

// Qualitative colours, neighbours far apart so that adjacent stages never look alike.
constexpr const char* kStageColours[] = {"#3366cc", "#e8a33d", "#d9534f", "#2fa39a", "#6a9f3a",
                                         "#8e5ec9", "#e377b0", "#7f8c99", "#b7791f", "#3aa0d8"};
std::string stage_colour(int stage) { return kStageColours[stage % 10]; }

// A "nice" tick step (1, 2 or 5 times a power of ten) giving about `count` ticks up to `top`.
double tick_step(double top, int count) {
  if (top <= 0) return 1;
  const double raw = top / count;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * power) return m * power;
  return 10 * power;
}

// Same for bytes: powers of two times 1, 2 or 5 of a binary unit are not nicer to read than
// decimal steps of that unit, so ticks are decimal steps within the unit of `top`.
double byte_tick_step(double top, int count) {
  double unit = 1;
  while (top / unit >= 1024) unit *= 1024;
  return tick_step(top / unit, count) * unit;
}

// The hatch overlay drawn on "send" segments (one pattern per SVG; ids must be unique per page).
std::string hatch_pattern(const std::string& id) {
  return "<defs><pattern id=\"" + id +
         "\" width=\"5\" height=\"5\" patternUnits=\"userSpaceOnUse\" "
         "patternTransform=\"rotate(45)\"><rect width=\"1.6\" height=\"5\" "
         "fill=\"#1d2430\" fill-opacity=\"0.55\"/></pattern></defs>";
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

// One part of a stage's time: receive (kind 0, tinted), compute (1, solid) or send (2, tinted
// and hatched), in the stage's colour.
std::string segment_rect(double x, double y, double w, double h, int kind,
                         const std::string& colour, const std::string& hatch_id) {
  if (w <= 0 || h <= 0) return {};
  std::string out =
      rect(x, y, w, h, "fill=\"" + colour + "\"" + (kind == 1 ? "" : " fill-opacity=\"0.42\""));
  if (kind == 2) out += rect(x, y, w, h, "fill=\"url(#" + hatch_id + ")\"");
  return out;
}

// ---------------------------------------------------------------- facts shared by the sections

// The page draws the non-empty stages only (as the CLI's tables do), so a partition file with a
// huge k stays small; `k` is still the number of stages asked for.
struct Facts {
  Facts(const Graph& graph, const Solution& solution)
      : g(graph), r(solution), e(solution.evaluation) {}
  const Graph& g;
  const Solution& r;
  const Evaluation& e;
  // On a cluster (docs/clusters.md): its costs, and for every cut tensor (aligned with `cut`)
  // the link to each receiving stage. Null/empty without one.
  const Cluster* cluster = nullptr;
  std::optional<ClusterCosts> costs;
  struct Link {
    int to_stage = 0, from_device = 0, to_device = 0;
    double gbps = 0, time = 0;
  };
  std::vector<std::vector<Link>> links;
  // Per node: its work as costed (on its stage's device class on a cluster), and the time of
  // its output tensor (on a cluster: its send time when it is cut).
  std::vector<double> node_work, tensor_time;
  int k = 1;
  std::vector<const StageCost*> used;           // the non-empty stages, in pipeline order
  std::vector<double> memory;                   // resident memory of each stage of `used`
  std::vector<std::optional<double>> capacity;  // memory capacity of each stage of `used`
  const StageCost* bottleneck = nullptr;
  int bottleneck_index = 0;  // its position in `used`
  std::vector<BoundaryTensor> cut;
  ColocationCheck colocation;
  // The first placement constraint the partition breaks (constraint_violation), if any: then no
  // bound applies to it, so the page makes no certificate claim (docs/report.md).
  std::optional<std::string> violation;
  bool has_bound = false;
  bool proven = false;
  std::string name;
  std::string title;
};

// Whether the partition is certified optimal: the file says so, or the bound meets the
// bottleneck within the one relative tolerance solve uses (model/numeric.hpp). Never for a
// partition that breaks a constraint: the bound is over the partitions that satisfy them.
bool is_proven(const Solution& r, bool has_bound, bool valid) {
  if (!valid) return false;
  if (r.optimal) return *r.optimal;
  return has_bound && proves_optimal(r.lower_bound, r.evaluation.bottleneck);
}

std::string stage_chip(int stage) {
  return "<span class=\"chip\" style=\"background:" + stage_colour(stage) + "\"></span>";
}

// "h0:1 (A100-80)": a stage's device and class on a cluster.
std::string device_text(const Cluster& c, int device) {
  const ClusterDevice& d = c.devices[device];
  return d.name + " (" + c.classes[d.device_class].name + ")";
}

std::string fmt_gbps(double gbps) { return printf_string("%.4g GB/s", gbps); }

// ---------------------------------------------------------------- summary

std::string summary_section(const Facts& f, const HtmlReportOptions& options) {
  const Evaluation& e = f.e;
  const StageCost& b = *f.bottleneck;
  const double transfers = b.comm_in + b.comm_out;
  std::string s = "<section class=\"summary\" id=\"summary\">";
  s += "<div class=\"cards\">";
  // Bottleneck.
  s += "<div class=\"card key\"><div class=\"label\">Bottleneck (max stage time)</div>";
  s += "<div class=\"value\" id=\"bottleneck-value\">" + fmt_exact(e.bottleneck) + " ms</div>";
  s += "<div class=\"note\">" + stage_chip(b.stage) + "stage " + std::to_string(b.stage) +
       ": compute " + fmt(b.work) + " + transfers " + fmt(transfers) + " ms</div></div>";
  // Lower bound.
  s += "<div class=\"card\"><div class=\"label\">Lower bound (every partition)</div>";
  if (f.has_bound && f.violation) {
    s += "<div class=\"value\" id=\"lower-bound-value\">" + fmt_exact(f.r.lower_bound) +
         " ms</div><div class=\"note\">method: " + escape(f.r.lower_bound_method) +
         "; holds for the partitions that satisfy the constraints, which this one does not"
         "</div></div>";
  } else if (f.has_bound) {
    s += "<div class=\"value\" id=\"lower-bound-value\">" + fmt_exact(f.r.lower_bound) +
         " ms</div><div class=\"note\">method: " + escape(f.r.lower_bound_method) + "; no " +
         std::to_string(f.k) + "-stage partition is faster</div></div>";
  } else {
    s += "<div class=\"value\" id=\"lower-bound-value\">—</div><div class=\"note\">the "
         "partition file carries no lower bound</div></div>";
  }
  // Ratio.
  s += "<div class=\"card\"><div class=\"label\">Ratio bound / bottleneck</div>";
  if (f.violation) {
    s += "<div class=\"value\">—</div><div class=\"note\"><span class=\"badge bad\">invalid "
         "partition</span> it breaks a placement constraint</div></div>";
  } else if (f.has_bound) {
    s +=
        "<div class=\"value\">" + printf_string("%.4f", f.r.ratio()) + "</div><div class=\"note\">";
    if (f.proven) {
      s += "<span class=\"badge ok\">proven optimal</span>";
    } else if (f.r.lower_bound > 0) {
      s += "<span class=\"badge warn\">not proven</span> at most " +
           fmt_percent(e.bottleneck / f.r.lower_bound - 1) + " above the optimum";
    } else {
      s += "<span class=\"badge warn\">not proven</span>";
    }
    s += "</div></div>";
  } else {
    s += "<div class=\"value\">—</div><div class=\"note\"><span class=\"badge warn\">no "
         "certificate</span></div></div>";
  }
  // Throughput.
  s += "<div class=\"card\"><div class=\"label\">Throughput</div>";
  if (e.bottleneck > 0) {
    s += "<div class=\"value\">" + fmt(1000.0 / e.bottleneck) + " /s</div>";
    s += "<div class=\"note\">microbatches per second; ";
    s += "one every " + fmt(e.bottleneck) + " ms; latency " + std::to_string(e.stages_used) +
         " × " + fmt(e.bottleneck) + " = " + fmt(e.stages_used * e.bottleneck) + " ms</div></div>";
  } else {
    s += "<div class=\"value\">—</div><div class=\"note\">every stage costs 0</div></div>";
  }
  s += "</div>";

  // Why: one sentence an engineer can act on.
  s += "<p class=\"verdict\">";
  if (e.bottleneck > 0) {
    s += "Stage " + std::to_string(b.stage) + " sets the pace: it spends " +
         fmt_percent(b.work / e.bottleneck) + " of its time computing and " +
         fmt_percent(transfers / e.bottleneck) + " on transfers (receives " + fmt(b.comm_in) +
         ", sends " + fmt(b.comm_out) + " ms). ";
  }
  if (f.violation) {
    s += "The partition breaks a placement constraint of the graph (" + escape(*f.violation) +
         "), so it cannot be deployed as it is and no bound certifies it.";
  } else if (f.has_bound && f.proven) {
    s += "The lower bound (" + escape(f.r.lower_bound_method) + ") proves that no partition into " +
         std::to_string(f.k) + " stages has a smaller bottleneck.";
  } else if (f.has_bound) {
    s += "A better partition may exist, but its bottleneck is at least " +
         fmt_exact(f.r.lower_bound) + " ms (" + escape(f.r.lower_bound_method) + " bound).";
  } else {
    s += "Run <code>pipecut solve</code> for a partition with a certificate.";
  }
  s += "</p>";

  // Facts table.
  auto fact = [](const std::string& key, const std::string& value) {
    return "<tr><th>" + key + "</th><td>" + value + "</td></tr>";
  };
  s += "<table class=\"facts\">";
  s += fact("model", escape(f.name) + " — " + std::to_string(f.g.num_nodes()) + " operators, " +
                         std::to_string(f.g.num_edges()) + " edges, total work " +
                         fmt(f.g.total_work()) + " ms");
  s += fact("stages", std::to_string(e.stages_used) + " of k = " + std::to_string(f.k) + " used" +
                          (e.stages_used < f.k ? " (the others are empty)" : "") + "; " +
                          std::to_string(f.cut.size()) + " tensors cross a stage boundary");
  std::string found = f.r.algorithm.empty() ? std::string("(not recorded)") : escape(f.r.algorithm);
  if (!f.r.algorithm.empty()) {
    found +=
        " (seed " + std::to_string(f.r.seed) + "), " + printf_string("%.3f", f.r.seconds) + " s";
    if (f.r.hit_time_limit)
      found += " <span class=\"badge warn\">stopped at the time limit: best found so far</span>";
    if (f.r.stopped) found += " <span class=\"badge warn\">interrupted: best found so far</span>";
  }
  s += fact("found by", found);
  if (f.cluster) {
    const Cluster& c = *f.cluster;
    std::string devices;
    for (const StageCost* st : f.used)
      if (st->device >= 0)
        devices += (devices.empty() ? "" : " → ") + stage_chip(st->stage) +
                   escape(device_text(c, st->device));
    s += fact("cluster", escape(c.name) + " — " + std::to_string(c.num_devices()) + " devices, " +
                             std::to_string(c.classes.size()) + " classes, " +
                             std::to_string(c.hosts.size()) + " hosts; digest " +
                             escape(c.digest.substr(0, 12)) + "…");
    s += fact("devices", devices);
  }
  if (!f.r.bounds.empty()) {
    std::string run;
    for (const BoundResult& bound : f.r.bounds) {
      if (!run.empty()) run += " · ";
      run += escape(bound.method) + " " + fmt(bound.value) + " (" + to_string(bound.status) + ", " +
             printf_string("%.2f", bound.seconds) + " s)";
    }
    s += fact("bounds run", run);
  }
  // Constraints the graph carries, checked against this partition (docs/report.md, "What the
  // page shows", 1. Summary).
  std::string constraints;
  if (f.cluster) {
    // Each device's class gives its capacity (docs/clusters.md, "Stage cost").
    int over = 0;
    for (std::size_t i = 0; i < f.used.size(); ++i)
      if (f.capacity[i] && f.memory[i] > *f.capacity[i]) ++over;
    constraints += "memory of each stage within its device's class capacity: " +
                   (over == 0 ? std::string("<span class=\"badge ok\">fits</span>")
                              : "<span class=\"badge bad\">" + std::to_string(over) +
                                    " stage(s) exceed their device</span>");
  } else if (f.g.memory_per_stage) {
    const double peak = *std::max_element(f.memory.begin(), f.memory.end());
    constraints +=
        "memory capacity " + fmt_bytes(*f.g.memory_per_stage) + " per stage: largest stage holds " +
        fmt_bytes(peak) + " " +
        (peak <= *f.g.memory_per_stage ? "<span class=\"badge ok\">fits</span>"
                                       : "<span class=\"badge bad\">exceeds the capacity</span>");
  }
  if (f.colocation.classes > 0) {
    if (!constraints.empty()) constraints += "<br/>";
    constraints += std::to_string(f.colocation.classes) + " colocation groups: " +
                   (f.colocation.split == 0
                        ? std::string("<span class=\"badge ok\">all kept together</span>")
                        : "<span class=\"badge bad\">" + std::to_string(f.colocation.split) +
                              " split across stages</span>");
  }
  s += fact("constraints", constraints.empty() ? "none in the graph" : constraints);
  if (!options.graph_file.empty() || !options.partition_file.empty())
    s += fact("inputs",
              escape(options.graph_file) +
                  (options.partition_file.empty() ? "" : ", " + escape(options.partition_file)));
  s += "</table></section>";
  return s;
}

// ---------------------------------------------------------------- stage and memory charts

constexpr double kChartWidth = 1100;
constexpr double kChartLeft = 70;
constexpr double kChartRight = 150;  // room for the lower-bound label

// One bar per non-empty stage over a value axis from 0 to y_max, ticks every `step`: the frame
// both stage charts share. Bar i is the stage f.used[i].
struct StageBarFrame {
  int bars = 1;
  double height = 0, top = 0, plot_w = 0, plot_h = 0, step = 1, y_max = 1, slot = 1, bar_w = 1;
  [[nodiscard]] double y(double v) const { return top + plot_h * (1 - v / y_max); }
  [[nodiscard]] double centre(int bar) const { return kChartLeft + slot * (bar + 0.5); }
};

StageBarFrame stage_bar_frame(const Facts& f, double height, double top, double bottom, double step,
                              double y_max) {
  StageBarFrame fr;
  fr.bars = std::max(1, static_cast<int>(f.used.size()));
  fr.height = height;
  fr.top = top;
  fr.plot_w = kChartWidth - kChartLeft - kChartRight;
  fr.plot_h = height - top - bottom;
  fr.step = step;
  fr.y_max = y_max;
  fr.slot = fr.plot_w / fr.bars;
  fr.bar_w = std::min(64.0, fr.slot * 0.72);
  return fr;
}

// Grid, tick labels (`tick_label` formats them), axis titles and stage numbers (every stage when
// they fit, else every few, always the bottleneck).
template <typename TickLabel>
std::string stage_bar_axes(const StageBarFrame& fr, const Facts& f, const std::string& y_title,
                           TickLabel tick_label) {
  std::string s = "<g class=\"axis\">";
  // Ticks at multiples of the step up to the top of the axis (which need not be one).
  for (double v = 0; v <= fr.y_max * (1 + 1e-9); v += fr.step) {
    s += line(kChartLeft, fr.y(v), kChartLeft + fr.plot_w, fr.y(v), "class=\"gridline\"");
    s += text(kChartLeft - 6, fr.y(v) + 4, tick_label(v), "text-anchor=\"end\"");
  }
  const double middle = fr.top + fr.plot_h / 2;
  s += text(14, middle, y_title,
            "text-anchor=\"middle\" transform=\"rotate(-90 14 " + px(middle) + ")\"");
  s += line(kChartLeft, fr.top + fr.plot_h, kChartLeft + fr.plot_w, fr.top + fr.plot_h,
            "class=\"axisline\"");
  const int label_every = std::max(1, static_cast<int>(std::ceil(22 / fr.slot)));
  for (int i = 0; i < static_cast<int>(f.used.size()); ++i)
    if (i % label_every == 0 || i == f.bottleneck_index)
      s += text(fr.centre(i), fr.top + fr.plot_h + 15, std::to_string(f.used[i]->stage),
                "text-anchor=\"middle\"");
  return s + "</g>";
}

std::string stage_chart(const Facts& f) {
  const Evaluation& e = f.e;
  const int bars = static_cast<int>(f.used.size());
  const double top_value = std::max({e.bottleneck, f.has_bound ? f.r.lower_bound : 0.0, 1e-12});
  const double step = tick_step(top_value * 1.06, 5);
  const StageBarFrame fr = stage_bar_frame(f, 300, 30, 36, step, top_value * 1.06);
  auto y = [&](double v) { return fr.y(v); };
  const double top = fr.top, plot_w = fr.plot_w, plot_h = fr.plot_h, slot = fr.slot,
               bar_w = fr.bar_w;

  std::string s = "<svg id=\"stage-chart\" class=\"chart\" viewBox=\"0 0 " + px(kChartWidth) + " " +
                  px(fr.height) + "\" role=\"img\" aria-label=\"Stage costs\">";
  s += hatch_pattern("hatch-stages");
  s += stage_bar_axes(fr, f, "stage time (ms)", [&](double v) { return fmt_tick(v, step); });
  s += text(kChartLeft + plot_w / 2, fr.height - 4, "stage",
            "text-anchor=\"middle\" class=\"muted\"");

  std::string labels;  // drawn last, above the lower-bound line
  for (int i = 0; i < bars; ++i) {
    const StageCost& st = *f.used[i];
    const double x = fr.centre(i) - bar_w / 2;
    const std::string colour = stage_colour(st.stage);
    s += "<g class=\"hover\"><title>stage " + std::to_string(st.stage) + ": " +
         std::to_string(st.nodes.size()) + " operators\nreceive " + fmt(st.comm_in) +
         " ms\ncompute " + fmt(st.work) + " ms\nsend " + fmt(st.comm_out) + " ms\ncost " +
         fmt(st.cost) + " ms (" + fmt_percent(e.bottleneck > 0 ? st.cost / e.bottleneck : 0) +
         " of the bottleneck)</title>";
    // A transparent full-height target so that thin bars are easy to hover.
    s += rect(kChartLeft + slot * i, top, slot, plot_h, "fill=\"transparent\"");
    double base = 0;
    const double parts[3] = {st.comm_in, st.work, st.comm_out};
    for (int kind = 0; kind < 3; ++kind) {
      s += segment_rect(x, y(base + parts[kind]), bar_w, y(base) - y(base + parts[kind]), kind,
                        colour, "hatch-stages");
      base += parts[kind];
    }
    if (st.stage == e.bottleneck_stage && e.bottleneck > 0)
      s += rect(x - 1.5, y(st.cost) - 1.5, bar_w + 3, y(0) - y(st.cost) + 1.5,
                "fill=\"none\" stroke=\"#1d2430\" stroke-width=\"2\"");
    s += "</g>";
    if (slot >= 34)
      labels += text(fr.centre(i), y(st.cost) - 5, fmt(st.cost),
                     "text-anchor=\"middle\" font-size=\"11\" class=\"halo\"");
  }
  if (e.bottleneck > 0) {
    const double bx = fr.centre(f.bottleneck_index);
    const double label_y = y(e.bottleneck) - (slot >= 34 ? 19 : 6);
    labels += text(bx, std::max(11.0, label_y), "bottleneck",
                   "text-anchor=\"middle\" font-size=\"12\" font-weight=\"700\" class=\"halo\"");
  }
  if (f.has_bound) {
    s += line(kChartLeft, y(f.r.lower_bound), kChartLeft + plot_w + 6, y(f.r.lower_bound),
              "stroke=\"#1d2430\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"");
    s += text(kChartLeft + plot_w + 10, y(f.r.lower_bound) + 4,
              "lower bound " + fmt(f.r.lower_bound), "font-size=\"12\" font-weight=\"600\"");
  }
  s += labels + "</svg>";
  return s;
}

std::string memory_chart(const Facts& f) {
  const double peak = *std::max_element(f.memory.begin(), f.memory.end());
  // Without a cluster one capacity for every stage (a line across); on a cluster each stage's
  // device class has its own (a mark over each bar).
  const bool one_capacity = !f.cluster && f.g.memory_per_stage.has_value();
  const double capacity = one_capacity ? *f.g.memory_per_stage : 0.0;
  double largest_capacity = capacity;
  for (const auto& c : f.capacity) largest_capacity = std::max(largest_capacity, c.value_or(0.0));
  if (peak <= 0 && largest_capacity <= 0)
    return "<p class=\"lead\">The graph carries no memory figures (node <code>memory</code> "
           "is 0 everywhere).</p>";
  const double top_value = std::max({peak, largest_capacity, 1.0});
  const double step = byte_tick_step(top_value * 1.1, 4);
  const StageBarFrame fr = stage_bar_frame(f, 170, 14, 24, step, top_value * 1.1);
  auto y = [&](double v) { return fr.y(v); };
  const double top = fr.top, plot_w = fr.plot_w, plot_h = fr.plot_h, slot = fr.slot,
               bar_w = fr.bar_w;
  std::string s = "<svg id=\"memory-chart\" class=\"chart\" viewBox=\"0 0 " + px(kChartWidth) +
                  " " + px(fr.height) + "\" role=\"img\" aria-label=\"Memory per stage\">";
  s += stage_bar_axes(fr, f, "memory", [](double v) { return fmt_bytes(v); });
  for (int i = 0; i < static_cast<int>(f.used.size()); ++i) {
    const int stage = f.used[i]->stage;
    const double x = fr.centre(i) - bar_w / 2;
    const std::optional<double> own = f.capacity[i];
    const bool over = own && f.memory[i] > *own;
    s += "<g class=\"hover\"><title>stage " + std::to_string(stage) + ": " +
         fmt_bytes(f.memory[i]) + " resident" + (own ? " of " + fmt_bytes(*own) : std::string()) +
         "</title>";
    s += rect(kChartLeft + slot * i, top, slot, plot_h, "fill=\"transparent\"");
    s += rect(x, y(f.memory[i]), bar_w, y(0) - y(f.memory[i]),
              "fill=\"" + stage_colour(stage) + "\" fill-opacity=\"0.7\"" +
                  (over ? " stroke=\"#b3261e\" stroke-width=\"2\"" : ""));
    if (f.cluster && own)
      s += line(x - 4, y(*own), x + bar_w + 4, y(*own),
                "stroke=\"#b3261e\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"");
    s += "</g>";
    if (slot >= 50 && f.memory[i] > 0)
      s += text(fr.centre(i), y(f.memory[i]) - 4, fmt_bytes(f.memory[i]),
                "text-anchor=\"middle\" font-size=\"11\" class=\"halo\"");
  }
  if (one_capacity) {
    s += line(kChartLeft, y(capacity), kChartLeft + plot_w + 6, y(capacity),
              "stroke=\"#b3261e\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"");
    s += text(kChartLeft + plot_w + 10, y(capacity) + 4, "capacity " + fmt_bytes(capacity),
              "font-size=\"12\" font-weight=\"600\" fill=\"#b3261e\"");
  }
  s += "</svg>";
  return s;
}

std::string cost_legend() {
  return "<div class=\"legend\"><span><i class=\"swatch recv\"></i>receive (comm in)</span>"
         "<span><i class=\"swatch work\"></i>compute (work)</span>"
         "<span><i class=\"swatch send\"></i>send (comm out)</span>"
         "<span>each in its stage's colour</span></div>";
}

std::string stages_section(const Facts& f) {
  std::string s = "<section class=\"stages\" id=\"stages\"><h2>Stage costs</h2>";
  s += "<p class=\"lead\">Each bar is one stage's time per microbatch: tensors received, "
       "compute, tensors sent. The tallest bar is the bottleneck; the dashed line is the lower "
       "bound no partition can beat.</p>";
  s += cost_legend();
  s += stage_chart(f);
  s += "<h2>Memory per stage</h2><p class=\"lead\">Resident parameters: the sum of node "
       "<code>memory</code> (weights and folded constants) in each stage. Activations are not "
       "counted." +
       std::string(f.cluster ? " The red mark over each bar is the capacity of its device's class."
                             : "") +
       "</p>";
  s += memory_chart(f);
  s += "</section>";
  return s;
}

// ---------------------------------------------------------------- timeline

std::string timeline_section(const Facts& f) {
  const PipelineTimeline t = steady_state_timeline(f.e);
  std::string s = "<section class=\"timeline\" id=\"timeline\"><h2>Pipeline timeline</h2>";
  if (t.period <= 0 || t.stages.empty()) {
    s += "<p class=\"lead\">Every stage costs 0: there is no timeline to draw.</p></section>";
    return s;
  }
  const int rows = static_cast<int>(t.stages.size());
  s += "<p class=\"lead\">The steady state of the pipeline: every stage starts a new microbatch "
       "each period T = " +
       fmt(t.period) +
       " ms (the bottleneck, ◆), so throughput is one microbatch per T whatever "
       "the other stages cost; their shorter bars leave idle time (grey). Microbatch numbers "
       "are written on the compute segments.</p>";
  s += cost_legend();
  const double left = 96, right = 24, top = 22, bottom = 34;
  const double row_h = std::clamp(300.0 / rows, 9.0, 26.0);
  const double plot_w = kChartWidth - left - right, plot_h = row_h * rows;
  const double height = top + plot_h + bottom;
  const double horizon = t.slots * t.period;
  auto x = [&](double v) { return left + plot_w * v / horizon; };
  s += "<svg id=\"timeline-chart\" class=\"chart\" viewBox=\"0 0 " + px(kChartWidth) + " " +
       px(height) + "\" role=\"img\" aria-label=\"Pipeline timeline\">";
  s += hatch_pattern("hatch-timeline");
  s += "<g class=\"axis\">";
  for (int p = 0; p < rows; ++p) {
    s += rect(left, top + p * row_h + 1, plot_w, row_h - 2, "fill=\"#e9ecf0\"");
    const int stage = t.stages[p];
    const bool bottleneck = stage == f.e.bottleneck_stage;
    if (row_h >= 11 || p % 2 == 0 || bottleneck)
      s += text(left - 8, top + p * row_h + row_h / 2 + 4,
                "stage " + std::to_string(stage) + (bottleneck ? " ◆" : ""),
                std::string("text-anchor=\"end\"") + (bottleneck ? " font-weight=\"700\"" : ""));
  }
  // Slot boundaries, labelled in periods.
  const int label_every = std::max(1, static_cast<int>(std::ceil(t.slots / 16.0)));
  for (int slot = 0; slot <= t.slots; ++slot) {
    s += line(x(slot * t.period), top, x(slot * t.period), top + plot_h,
              "stroke=\"#ffffff\" stroke-width=\"1.5\"");
    if (slot % label_every == 0)
      s += text(x(slot * t.period), top + plot_h + 14, slot == 0 ? "0" : std::to_string(slot) + "T",
                "text-anchor=\"middle\"");
  }
  s += text(left + plot_w, top + plot_h + 28, "time (T = " + fmt(t.period) + " ms)",
            "text-anchor=\"end\"");
  s += "</g>";
  for (const TimelineBox& box : t.boxes) {
    const StageCost& st = *f.used[box.position];  // rows are the non-empty stages in order
    const std::string colour = stage_colour(box.stage);
    const double y0 = top + box.position * row_h + 1, h = row_h - 2;
    s += "<g class=\"hover\"><title>stage " + std::to_string(box.stage) + ", microbatch " +
         std::to_string(box.microbatch) + "\nreceive " + fmt(box.start) + "–" + fmt(box.received) +
         " ms\ncompute " + fmt(box.received) + "–" + fmt(box.computed) + " ms\nsend " +
         fmt(box.computed) + "–" + fmt(box.end) + " ms\nidle " + fmt(t.period - st.cost) +
         " ms per period</title>";
    s += segment_rect(x(box.start), y0, x(box.received) - x(box.start), h, 0, colour,
                      "hatch-timeline");
    s += segment_rect(x(box.received), y0, x(box.computed) - x(box.received), h, 1, colour,
                      "hatch-timeline");
    s += segment_rect(x(box.computed), y0, x(box.end) - x(box.computed), h, 2, colour,
                      "hatch-timeline");
    s += "</g>";
    const double work_w = x(box.computed) - x(box.received);
    const std::string label = std::to_string(box.microbatch);
    if (row_h >= 12 && work_w >= 7.0 * static_cast<double>(label.size()) + 4)
      s += text((x(box.received) + x(box.computed)) / 2, y0 + h / 2 + 4, label,
                "text-anchor=\"middle\" font-size=\"11\" fill=\"#fff\" style=\"fill:#fff\"");
  }
  // The pipeline is full once the first microbatch reaches the last stage.
  const double full = x((rows - 1) * t.period);
  s += line(full, top - 8, full, top + plot_h, "stroke=\"#1d2430\" stroke-dasharray=\"3 3\"");
  const bool near_right = full > left + plot_w * 0.6;
  s += text(
      near_right ? full - 4 : full + 4, top - 8, "pipeline full: one microbatch leaves every T",
      std::string("font-size=\"11\" class=\"muted\"") + (near_right ? " text-anchor=\"end\"" : ""));
  s += "</svg>";
  // Utilisation per stage, the number that says how much each device idles.
  s += "<p class=\"lead\">Busy share of each period: ";
  for (int p = 0; p < rows; ++p) {
    const StageCost& st = *f.used[p];
    if (p > 0) s += ", ";
    s += "stage " + std::to_string(st.stage) + " " + fmt_percent(st.cost / t.period);
  }
  s += ".</p></section>";
  return s;
}

// ---------------------------------------------------------------- graph

std::string op_label(const Graph& g, NodeId v) {
  return g.op[v].empty() ? g.ids[v] : g.ids[v] + " (" + g.op[v] + ")";
}

std::string item_tooltip(const Facts& f, const GraphViewItem& item,
                         const std::map<NodeId, const BoundaryTensor*>& cut_by_producer) {
  const Graph& g = f.g;
  const NodeId last = item.nodes.back();
  std::string tip;
  double work = 0, memory = 0;
  for (NodeId v : item.nodes) {
    work += f.node_work[v];
    memory += g.memory[v];
  }
  if (item.nodes.size() == 1) {
    tip = "id " + g.ids[last] + "\nop " + (g.op[last].empty() ? "—" : g.op[last]) + "\nstage " +
          std::to_string(item.stage) + "\nwork " + fmt(work) + " ms\ncomm " +
          fmt(f.tensor_time[last]) + " ms (output tensor)\nmemory " + fmt_bytes(memory);
  } else {
    tip = "run of " + std::to_string(item.nodes.size()) + " operators, stage " +
          std::to_string(item.stage) + "\nfirst " + op_label(g, item.nodes.front()) + "\nlast " +
          op_label(g, last) + "\nwork " + fmt(work) + " ms (sum)\ncomm " +
          fmt(f.tensor_time[last]) + " ms (output tensor of the last)\nmemory " +
          fmt_bytes(memory) + " (sum)";
    std::map<std::string, int> ops;
    for (NodeId v : item.nodes) ++ops[g.op[v].empty() ? "—" : g.op[v]];
    tip += "\nops";
    for (const auto& [op, count] : ops) tip += " " + op + " ×" + std::to_string(count);
  }
  auto it = cut_by_producer.find(last);
  if (it != cut_by_producer.end()) {
    tip += "\ncut tensor: sent to stage";
    if (it->second->to_stages.size() > 1) tip += "s";
    for (std::size_t i = 0; i < it->second->to_stages.size(); ++i)
      tip += (i ? ", " : " ") + std::to_string(it->second->to_stages[i]);
  }
  return tip;
}

std::string graph_section(const Facts& f, const GraphView& view) {
  const Graph& g = f.g;
  std::map<NodeId, const BoundaryTensor*> cut_by_producer;
  for (const BoundaryTensor& t : f.cut) cut_by_producer[t.producer] = &t;

  const double col_w = 30, box_w = 18, box_h = 12, lane_h = 20, arc_room = 24, row_gap = 14;
  const double left = 70, right = 40;
  const int per_row = view.levels_per_row;
  const int rows = static_cast<int>(view.row_lanes.size());
  std::vector<double> row_top(rows + 1, 8);
  for (int r = 0; r < rows; ++r)
    row_top[r + 1] = row_top[r] + arc_room + view.row_lanes[r] * lane_h + row_gap;
  const double width = left + per_row * col_w + right;
  const double height = row_top[rows] + 8;
  auto box_x = [&](const GraphViewItem& it) { return left + it.column * col_w; };
  auto box_y = [&](const GraphViewItem& it) {
    return row_top[it.row] + arc_room + it.lane * lane_h + (lane_h - box_h) / 2;
  };

  std::string s = "<section class=\"graph\" id=\"graph\"><h2>Operator graph</h2>";
  s += "<p class=\"lead\">Operators left to right by topological level, wrapped into rows of " +
       std::to_string(per_row) +
       " levels like lines of text (L = level), coloured by stage. Bold edges are "
       "tensors cut by a stage boundary, labelled with their transfer time (ms) where the label "
       "fits and the time is at least 0.1 % of the bottleneck; a short stub means the edge "
       "continues on another row. ";
  if (view.aggregated)
    s += "The graph has " + std::to_string(g.num_nodes()) +
         " operators, so each chain of "
         "operators in one stage (one producer, one consumer) is drawn as one box (stacked "
         "boxes); " +
         std::to_string(view.items.size()) + " boxes in all. ";
  s += "Hover a box for its operators; drag to pan, Ctrl + wheel or the buttons to zoom.</p>";
  s += "<div class=\"legend\">";
  for (const StageCost* used : f.used) {
    const StageCost& st = *used;
    s += "<span>" + stage_chip(st.stage) + "stage " + std::to_string(st.stage) + " · " +
         std::to_string(st.nodes.size()) + " ops</span>";
  }
  s += "</div>";
  s += "<div class=\"toolbar\"><button type=\"button\" id=\"zoom-out\">−</button><button "
       "type=\"button\" id=\"zoom-in\">+</button><button type=\"button\" id=\"zoom-fit\">fit "
       "width</button><button type=\"button\" id=\"zoom-one\">100 %</button><span "
       "id=\"zoom-level\">100 %</span></div>";
  s += "<div class=\"viewport\" id=\"graph-viewport\">";
  s += "<svg id=\"graph-view\" width=\"" + px(width) + "\" height=\"" + px(height) +
       "\" viewBox=\"0 0 " + px(width) + " " + px(height) +
       "\" role=\"img\" aria-label=\"Operator graph coloured by stage\">";
  // Row headers and guides.
  s += "<g class=\"axis\">";
  for (int r = 0; r < rows; ++r) {
    const int first = r * per_row, last = std::min(view.num_levels, first + per_row) - 1;
    s += text(8, row_top[r] + 12,
              first == last ? "L" + std::to_string(first)
                            : "L" + std::to_string(first) + "–" + std::to_string(last),
              "");
    if (r > 0)
      s += line(8, row_top[r] - row_gap / 2, width - 8, row_top[r] - row_gap / 2,
                "class=\"gridline\"");
  }
  s += "</g>";

  // Edges: plain ones first, cut tensors on top.
  std::string plain, cut;
  for (const GraphViewEdge& edge : view.edges) {
    const GraphViewItem& a = view.items[edge.from];
    const GraphViewItem& b = view.items[edge.to];
    const double ax = box_x(a) + box_w, ay = box_y(a) + box_h / 2;
    const double bx = box_x(b), by = box_y(b) + box_h / 2;
    std::string d;
    if (a.row != b.row) {
      // Stubs: out of the producer to the right, into the consumer from the left.
      d = "M" + px(ax) + " " + px(ay) + "h7M" + px(bx - 7) + " " + px(by) + "h7";
    } else if (b.column - a.column == 1) {
      const double mx = (ax + bx) / 2;
      d = "M" + px(ax) + " " + px(ay) + "C" + px(mx) + " " + px(ay) + " " + px(mx) + " " + px(by) +
          " " + px(bx) + " " + px(by);
    } else {
      // Skip edges arc over the row, higher for longer spans, inside the room left above it.
      const double x0 = box_x(a) + box_w / 2, x1 = box_x(b) + box_w / 2;
      const double y0 = box_y(a), y1 = box_y(b);
      const double apex = row_top[a.row] + arc_room - 4 -
                          std::min(arc_room - 8, 3.0 * std::log2(b.column - a.column) + 4);
      const double control = (apex - 0.25 * (y0 + y1) / 2) / 0.75;
      d = "M" + px(x0) + " " + px(y0) + "C" + px(x0) + " " + px(control) + " " + px(x1) + " " +
          px(control) + " " + px(x1) + " " + px(y1);
    }
    if (edge.cut)
      cut += "<path d=\"" + d + "\"/>";
    else
      plain += "<path d=\"" + d + "\"/>";
  }
  s += "<g fill=\"none\" stroke=\"#a9b1bc\" stroke-width=\"1\">" + plain + "</g>";
  s += "<g fill=\"none\" stroke=\"#1d2430\" stroke-width=\"2\">" + cut + "</g>";

  // Boxes, with a hover text each; runs get a shadow box behind them.
  for (int i = 0; i < static_cast<int>(view.items.size()); ++i) {
    const GraphViewItem& it = view.items[i];
    const double x = box_x(it), y = box_y(it);
    s += "<g class=\"item hover\" data-item=\"" + std::to_string(i) + "\"><title>" +
         escape(item_tooltip(f, it, cut_by_producer)) + "</title>";
    if (it.nodes.size() > 1)
      s += rect(x + 3, y - 3, box_w, box_h,
                "rx=\"2\" fill=\"" + stage_colour(it.stage) +
                    "\" fill-opacity=\"0.5\" stroke=\"#fff\" stroke-width=\"0.8\"");
    s += rect(
        x, y, box_w, box_h,
        "rx=\"2\" fill=\"" + stage_colour(it.stage) + "\" stroke=\"#fff\" stroke-width=\"0.8\"");
    s += "</g>";
  }
  // Cut tensor labels next to their producer box, largest transfers first; a label that would
  // overlap one already placed is left out (the hover text and the table still give the cost),
  // and so are transfers under 0.1 % of the bottleneck, which cannot matter to it.
  const double smallest_label = 1e-3 * f.e.bottleneck;
  struct Label {
    double x, y, w, comm;
  };
  std::vector<Label> labels;
  for (const GraphViewItem& it : view.items) {
    auto c = cut_by_producer.find(it.nodes.back());
    if (c == cut_by_producer.end() || c->second->comm <= 0 || c->second->comm < smallest_label)
      continue;
    const double w = 5.8 * static_cast<double>(fmt(c->second->comm).size()) + 2;
    labels.push_back({box_x(it) + box_w + 2, box_y(it) - 2, w, c->second->comm});
  }
  // A cut edge that continues on a later row is also labelled where it arrives, so that both
  // of its stubs say what crosses there.
  for (const GraphViewEdge& edge : view.edges) {
    const GraphViewItem& a = view.items[edge.from];
    const GraphViewItem& b = view.items[edge.to];
    if (!edge.cut || a.row == b.row || f.tensor_time[edge.tensor] <= 0 ||
        f.tensor_time[edge.tensor] < smallest_label)
      continue;
    const double comm = f.tensor_time[edge.tensor];
    const double w = 5.8 * static_cast<double>(fmt(comm).size()) + 2;
    labels.push_back({box_x(b) - 9 - w, box_y(b) - 2, w, comm});
  }
  std::stable_sort(labels.begin(), labels.end(),
                   [](const Label& a, const Label& b) { return a.comm > b.comm; });
  std::vector<const Label*> placed;
  for (const Label& l : labels) {
    const bool overlaps = std::any_of(placed.begin(), placed.end(), [&](const Label* o) {
      return l.x < o->x + o->w && o->x < l.x + l.w && std::fabs(l.y - o->y) < 10.5;
    });
    if (overlaps) continue;
    placed.push_back(&l);
    s += text(l.x, l.y, fmt(l.comm), "font-size=\"9.5\" font-weight=\"600\" class=\"halo\"");
  }
  s += "</svg></div></section>";
  return s;
}

// ---------------------------------------------------------------- tables

// The device and class cells of a stage row on a cluster; nothing without one.
std::string device_cells(const Facts& f, const StageCost& st) {
  if (!f.cluster) return {};
  if (st.device < 0) return "<td class=\"l\">—</td><td class=\"l\">—</td>";
  const ClusterDevice& d = f.cluster->devices[st.device];
  return "<td class=\"l\">" + escape(d.name) + "</td><td class=\"l\">" +
         escape(f.cluster->classes[d.device_class].name) + "</td>";
}

std::string tables_section(const Facts& f) {
  const Graph& g = f.g;
  const Evaluation& e = f.e;
  std::string s = "<section class=\"tables\" id=\"tables\"><h2>Stages</h2>";
  s += "<div class=\"scroll-table\"><table class=\"data\" id=\"stage-table\"><thead><tr><th "
       "class=\"l\">stage</th>" +
       std::string(f.cluster ? "<th class=\"l\">device</th><th class=\"l\">class</th>" : "") +
       "<th>operators</th><th>work (ms)</th><th>comm in (ms)</th><th>comm "
       "out (ms)</th><th>cost (ms)</th><th>of bottleneck</th><th>memory</th></tr></thead><tbody>";
  for (std::size_t i = 0; i < f.used.size(); ++i) {
    const StageCost& st = *f.used[i];
    const bool bottleneck = st.stage == e.bottleneck_stage;
    s += std::string("<tr") + (bottleneck ? " class=\"bottleneck\"" : "") + "><td class=\"l\">" +
         stage_chip(st.stage) + std::to_string(st.stage) + (bottleneck ? " bottleneck" : "") +
         "</td>" + device_cells(f, st) + "<td>" + std::to_string(st.nodes.size()) + "</td><td>" +
         printf_string("%.4f", st.work) + "</td><td>" + printf_string("%.4f", st.comm_in) +
         "</td><td>" + printf_string("%.4f", st.comm_out) + "</td><td>" +
         printf_string("%.4f", st.cost) + "</td><td>" +
         fmt_percent(e.bottleneck > 0 ? st.cost / e.bottleneck : 0) + "</td><td>" +
         fmt_bytes(f.memory[i]) + "</td></tr>";
  }
  s += "</tbody></table></div>";

  s += "<h2>Boundary tensors</h2><p class=\"lead\">" + std::to_string(f.cut.size()) +
       " tensors cross a stage boundary. Each is paid once by its producer's stage (send) and "
       "once by each consuming stage (receive), however many operators there read it." +
       std::string(f.cluster
                       ? " On the cluster each receiving stage gets it over the link from the "
                         "sender's device to its own, at that link's bandwidth; the send lasts "
                         "as long as the slowest of them (the comm column)."
                       : "") +
       "</p>";
  if (!f.cut.empty()) {
    std::vector<const BoundaryTensor*> rows;
    std::map<const BoundaryTensor*, std::size_t> index;
    for (const BoundaryTensor& t : f.cut) {
      index[&t] = rows.size();
      rows.push_back(&t);
    }
    std::stable_sort(rows.begin(), rows.end(), [](const auto* a, const auto* b) {
      if (a->from_stage != b->from_stage) return a->from_stage < b->from_stage;
      return a->comm > b->comm;
    });
    s += "<div class=\"scroll-table\"><table class=\"data\" id=\"boundary-table\"><thead><tr><th "
         "class=\"l\">tensor (producer)</th><th class=\"l\">op</th><th class=\"l\">from "
         "stage</th><th class=\"l\">to stages</th><th>comm (ms)</th>" +
         std::string(f.cluster ? "<th class=\"l\">links (sender device → receiver device, "
                                 "bandwidth, time)</th>"
                               : "") +
         "</tr></thead><tbody>";
    for (const BoundaryTensor* t : rows) {
      std::string to;
      for (int b : t->to_stages) to += (to.empty() ? "" : ", ") + std::to_string(b);
      s += "<tr><td class=\"l\">" + escape(g.ids[t->producer]) + "</td><td class=\"l\">" +
           escape(g.op[t->producer]) + "</td><td class=\"l\">" + stage_chip(t->from_stage) +
           std::to_string(t->from_stage) + "</td><td class=\"l\">→ " + to + "</td><td>" +
           printf_string("%.4f", t->comm) + "</td>";
      if (f.cluster) {
        std::string links;
        for (const Facts::Link& l : f.links[index.at(t)])
          links += (links.empty() ? "" : "<br/>") + escape(f.cluster->devices[l.from_device].name) +
                   " → " + escape(f.cluster->devices[l.to_device].name) + " (stage " +
                   std::to_string(l.to_stage) + "), " + fmt_gbps(l.gbps) + ", " +
                   printf_string("%.4f", l.time) + " ms";
        s += "<td class=\"l\">" + links + "</td>";
      }
      s += "</tr>";
    }
    s += "</tbody></table></div>";
  }
  s += "</section>";
  return s;
}

// ---------------------------------------------------------------- embedded data

json report_data(const Facts& f, const GraphView& view) {
  const Graph& g = f.g;
  const Evaluation& e = f.e;
  json doc;
  doc["format"] = "pipecut.report";
  doc["version"] = 1;
  json graph = {{"name", f.name},
                {"operators", g.num_nodes()},
                {"edges", g.num_edges()},
                {"total_work", g.total_work()},
                {"colocation_classes", f.colocation.classes}};
  graph["memory_per_stage"] = g.memory_per_stage ? json(*g.memory_per_stage) : json(nullptr);
  doc["graph"] = std::move(graph);
  if (f.cluster) {
    const Cluster& c = *f.cluster;
    json devices = json::array();
    for (const ClusterDevice& d : c.devices)
      devices.push_back({{"name", d.name},
                         {"class", c.classes[d.device_class].name},
                         {"host", c.hosts[d.host].name}});
    doc["cluster"] = {{"name", c.name}, {"digest", c.digest}, {"devices", std::move(devices)}};
  }
  json partition = {{"k", f.k},
                    {"stages_used", e.stages_used},
                    {"bottleneck", e.bottleneck},
                    {"bottleneck_stage", e.bottleneck_stage},
                    {"algorithm", f.r.algorithm},
                    {"seed", f.r.seed},
                    {"time_seconds", f.r.seconds},
                    {"hit_time_limit", f.r.hit_time_limit},
                    {"stopped", f.r.stopped},
                    {"proven_optimal", f.proven},
                    {"valid", !f.violation},
                    {"colocation_split", f.colocation.split}};
  partition["violation"] = f.violation ? json(*f.violation) : json(nullptr);
  partition["lower_bound"] = f.has_bound ? json(f.r.lower_bound) : json(nullptr);
  partition["lower_bound_method"] = f.has_bound ? json(f.r.lower_bound_method) : json(nullptr);
  partition["ratio"] = f.has_bound ? json(f.r.ratio()) : json(nullptr);
  doc["partition"] = std::move(partition);
  json stages = json::array();
  for (std::size_t i = 0; i < f.used.size(); ++i) {
    const StageCost& st = *f.used[i];
    stages.push_back({{"stage", st.stage},
                      {"operators", st.nodes.size()},
                      {"work", st.work},
                      {"comm_in", st.comm_in},
                      {"comm_out", st.comm_out},
                      {"cost", st.cost},
                      {"memory", f.memory[i]},
                      {"colour", stage_colour(st.stage)}});
    if (f.cluster && st.device >= 0) {
      const ClusterDevice& d = f.cluster->devices[st.device];
      stages.back()["device"] = d.name;
      stages.back()["class"] = f.cluster->classes[d.device_class].name;
      stages.back()["host"] = f.cluster->hosts[d.host].name;
      stages.back()["capacity"] = f.cluster->classes[d.device_class].memory;
    }
  }
  doc["stages"] = std::move(stages);
  json bounds = json::array();
  for (const BoundResult& b : f.r.bounds)
    bounds.push_back({{"method", b.method},
                      {"value", b.value},
                      {"status", to_string(b.status)},
                      {"seconds", b.seconds}});
  doc["bounds"] = std::move(bounds);
  json cut = json::array();
  for (std::size_t i = 0; i < f.cut.size(); ++i) {
    const BoundaryTensor& t = f.cut[i];
    cut.push_back({{"producer", g.ids[t.producer]},
                   {"op", g.op[t.producer]},
                   {"from_stage", t.from_stage},
                   {"to_stages", t.to_stages},
                   {"comm", t.comm}});
    if (f.cluster) {
      json links = json::array();
      for (const Facts::Link& l : f.links[i])
        links.push_back({{"to_stage", l.to_stage},
                         {"from_device", f.cluster->devices[l.from_device].name},
                         {"to_device", f.cluster->devices[l.to_device].name},
                         {"bandwidth_gbps", l.gbps},
                         {"time", l.time}});
      cut.back()["links"] = std::move(links);
    }
  }
  doc["boundary_tensors"] = std::move(cut);
  const std::vector<int> level = topological_levels(g);
  json nodes = json::array();
  for (NodeId v = 0; v < g.num_nodes(); ++v)
    nodes.push_back({{"id", g.ids[v]},
                     {"op", g.op[v]},
                     {"stage", f.r.partition.stage_of[v]},
                     {"level", level[v]},
                     {"item", view.item_of[v]},
                     {"work", f.node_work[v]},
                     {"comm", f.tensor_time[v]},
                     {"memory", g.memory[v]}});
  doc["nodes"] = std::move(nodes);
  json items = json::array();
  for (const GraphViewItem& it : view.items)
    items.push_back(
        {{"nodes", it.nodes}, {"stage", it.stage}, {"level", it.level}, {"lane", it.lane}});
  json edges = json::array();
  for (const GraphViewEdge& ed : view.edges) edges.push_back({ed.from, ed.to, ed.cut});
  doc["graph_view"] = {{"aggregated", view.aggregated},
                       {"levels_per_row", view.levels_per_row},
                       {"items", std::move(items)},
                       {"edges", std::move(edges)}};
  const PipelineTimeline t = steady_state_timeline(e);
  json boxes = json::array();
  for (const TimelineBox& b : t.boxes)
    boxes.push_back({b.stage, b.microbatch, b.start, b.received, b.computed, b.end});
  doc["timeline"] = {
      {"period", t.period}, {"slots", t.slots}, {"stages", t.stages}, {"boxes", std::move(boxes)}};
  return doc;
}

// JSON inside <script> must not contain "</script" or "<!--"; '<', '>' and '&' only occur in
// JSON strings, where their \u escapes mean the same.
std::string script_safe(const std::string& json_text) {
  std::string out;
  out.reserve(json_text.size());
  for (char c : json_text) {
    if (c == '<')
      out += "\\u003c";
    else if (c == '>')
      out += "\\u003e";
    else if (c == '&')
      out += "\\u0026";
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string html_report(const Graph& g, const Solution& r, const HtmlReportOptions& options) {
  const Cluster* cluster = r.cluster ? &*r.cluster : nullptr;
  if (auto problem = cluster ? cluster_partition_problem(g, *cluster, r.partition)
                             : partition_problem(g, r.partition))
    throw InputError("invalid partition: " + *problem);
  const Evaluation& e = r.evaluation;
  Facts f(g, r);
  f.cluster = cluster;
  f.k = r.partition.k;
  for (const StageCost& st : e.stages)
    if (!st.nodes.empty()) f.used.push_back(&st);
  std::sort(f.used.begin(), f.used.end(),
            [](const StageCost* a, const StageCost* b) { return a->stage < b->stage; });
  if (f.used.empty())
    throw InputError("the evaluation lists no stage: evaluate the partition first");
  for (std::size_t i = 0; i < f.used.size(); ++i)
    if (f.used[i]->stage == e.bottleneck_stage) {
      f.bottleneck = f.used[i];
      f.bottleneck_index = static_cast<int>(i);
    }
  if (f.bottleneck == nullptr) f.bottleneck = f.used.front();
  const std::vector<double> memory = resident_memory(g, e);  // aligned with e.stages
  for (const StageCost* st : f.used) f.memory.push_back(memory[st - e.stages.data()]);
  f.cut = boundary_tensors(g, r.partition);
  f.node_work = g.work;
  f.tensor_time = g.comm;
  if (cluster) {
    // Costs on the cluster (docs/clusters.md, "Stage cost"): a node's work on its stage's
    // device class; a cut tensor over the link to each receiving stage's device, its send as
    // long as the slowest of them.
    f.costs.emplace(g, *cluster, g.name);
    const std::vector<int>& device = r.partition.device_of_stage;
    for (NodeId v = 0; v < g.num_nodes(); ++v)
      f.node_work[v] =
          f.costs->work(v, cluster->devices[device[r.partition.stage_of[v]]].device_class);
    for (BoundaryTensor& t : f.cut) {
      std::vector<Facts::Link>& links = f.links.emplace_back();
      double slowest = 0;
      for (int b : t.to_stages) {
        Facts::Link l;
        l.to_stage = b;
        l.from_device = device[t.from_stage];
        l.to_device = device[b];
        l.gbps = cluster->bandwidth(l.from_device, l.to_device);
        l.time = f.costs->transfer(t.producer, l.gbps);
        slowest = std::max(slowest, l.time);
        links.push_back(l);
      }
      t.comm = slowest;
      f.tensor_time[t.producer] = slowest;
    }
    for (const StageCost* st : f.used)
      f.capacity.push_back(
          st->device >= 0 ? std::optional<double>(
                                cluster->classes[cluster->devices[st->device].device_class].memory)
                          : std::nullopt);
  } else {
    f.capacity.assign(f.used.size(), g.memory_per_stage);
  }
  f.colocation = check_colocation(g, r.partition);
  f.violation = cluster ? cluster_constraint_violation(g, *cluster, r.partition)
                        : constraint_violation(g, r.partition);
  f.has_bound = !r.lower_bound_method.empty();
  f.proven = is_proven(r, f.has_bound, !f.violation);
  f.name = r.graph_name.empty() ? g.name : r.graph_name;
  f.title = "pipecut report: " + f.name + ", k = " + std::to_string(r.partition.k);
  const GraphView view = layout_graph_view(g, r.partition, options.graph_view);
  if (options.measured)
    detail::check_bench_matches(g, e, r.partition.k, *options.measured, options.measured_file);

  std::string page = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>";
  page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>";
  page += "<meta name=\"generator\" content=\"pipecut\"/>";
  page += "<title>" + escape(f.title) + "</title><style>" + html_assets::kStyle + "</style></head>";
  page += "<body><main><header><h1>" + escape(f.title) +
          "</h1><p class=\"sub\">Pipeline "
          "partition into " +
          std::to_string(r.partition.k) + " stages of " + std::to_string(g.num_nodes()) +
          " operators. Times in ms, memory in bytes.</p></header>";
  if (f.violation)  // named first, before any number
    page += "<div class=\"alert\" id=\"violation\"><strong>Invalid partition:</strong> " +
            escape(*f.violation) +
            ". It breaks a placement constraint of the graph, so no "
            "bound or optimality claim applies to it.</div>";
  page += summary_section(f, options);
  page += stages_section(f);
  if (options.measured) page += detail::measured_section(*options.measured, options.measured_file);
  page += timeline_section(f);
  page += graph_section(f, view);
  page += tables_section(f);
  page +=
      "<footer>Written by pipecut. Stage cost = work + comm in + comm out (each cut tensor "
      "received once per stage and sent once); memory counts resident parameters, not "
      "activations. The data of this page is embedded as JSON (format pipecut.report) in "
      "the script element with id pipecut-report-data.</footer></main>";
  page += "<div id=\"tip\" hidden=\"hidden\"></div>";
  json data = report_data(f, view);
  if (options.measured) data["measured"] = json::parse(bench_to_json(*options.measured));
  page += "<script type=\"application/json\" id=\"pipecut-report-data\">" +
          script_safe(data.dump(-1, ' ', false, json::error_handler_t::replace)) + "</script>";
  page += "<script>" + std::string(html_assets::kScript) + "</script>";
  page += "</body></html>\n";
  return page;
}

}  // namespace pipecut
