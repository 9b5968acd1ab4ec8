// `pipecut solve GRAPH -k K`: SliceGraph for a partition, then the bound portfolio (cheapest
// first) until lower_bound / bottleneck >= the target ratio or the time runs out.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/summary.hpp"
#include "pipecut/bounds/bounds.hpp"
#include "pipecut/bounds/simple.hpp"
#include "pipecut/io/partition_json.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/partition/slicegraph.hpp"

namespace pipecut::cli {

namespace {
struct SolveCommandOptions {
  GraphInput input;
  int k = 0;
  double target_ratio = 0.99;
  double time_limit = 60;
  std::string output;
  bool json = false;
  bool quiet = false;
  bool verbose = false;
  std::string preset = "brkga-10000";
  int population = 0;
  int generations = 0;
  std::uint64_t seed = 1;
  int threads = 0;
};

// A bound this close to the bottleneck proves it optimal: every bound is certified with a
// relative margin of at most 1e-7 (see mip::bound_tolerance), so 1e-6 leaves room for it.
bool proves_optimal(double bound, double bottleneck) {
  return bound >= bottleneck - 1e-6 * std::max(1.0, bottleneck);
}

class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled) {}
  void show(double bottleneck, double bound, const std::string& stage) {
    if (!enabled_) return;
    std::ostringstream line;
    line << "\r[solve] bottleneck " << std::setprecision(8) << bottleneck << "  bound " << bound
         << "  ratio " << std::fixed << std::setprecision(4)
         << (bottleneck > 0 ? bound / bottleneck : 1.0) << "  " << stage << "        ";
    std::cerr << line.str() << std::flush;
    shown_ = true;
  }
  void finish() {
    if (shown_) std::cerr << "\n";
  }

 private:
  bool enabled_;
  bool shown_ = false;
};
}  // namespace

void add_solve_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<SolveCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "solve",
      "Find a K-stage pipeline partition of GRAPH and prove how close to optimal it is.\n"
      "Runs SliceGraph, then lower bounds cheapest first (simple, single-stage min-cut and\n"
      "convex, downset DP, grouped MIP, exact MIP warm-started with the partition), stopping as\n"
      "soon as lower_bound / bottleneck >= the target ratio. A better partition found by an\n"
      "exact method replaces SliceGraph's.");
  add_graph_input(*cmd, o->input);
  cmd->add_option("-k,--stages", o->k, "Number of pipeline stages (devices), >= 1")->required();
  cmd->add_option("--target-ratio", o->target_ratio,
                  "Stop once lower_bound / bottleneck reaches this (1 = prove optimality)")
      ->check(CLI::Range(0.0, 1.0))
      ->default_val(0.99);
  cmd->add_option("--time-limit", o->time_limit,
                  "Whole-run limit in seconds; the best found so far is returned (0 = none)")
      ->check(CLI::NonNegativeNumber)
      ->default_val(60);
  add_brkga_options(*cmd, o->preset, o->population, o->generations, o->seed, o->threads);
  cmd->add_option("-o,--output", o->output, "Write the pipecut.partition JSON to this file");
  cmd->add_flag("--json", o->json, "Print the pipecut.partition JSON alone on stdout");
  cmd->add_flag("--quiet", o->quiet, "No progress line on stderr");
  cmd->add_flag("--verbose", o->verbose, "Show the MIP solver's log on stderr");
  cmd->callback([o, &exit_code] {
    if (o->k < 1) throw InputError("-k must be at least 1 (got " + std::to_string(o->k) + ")");
    Graph g = load_graph(o->input);
    const auto start = std::chrono::steady_clock::now();
    const int k = o->k;
    auto remaining = [&]() -> double {
      if (o->time_limit <= 0) return 0;  // 0 = unlimited for the methods too
      return std::max(0.001, o->time_limit - seconds_since(start));
    };
    auto out_of_time = [&] { return o->time_limit > 0 && seconds_since(start) >= o->time_limit; };
    Progress progress(!o->quiet && isatty(STDERR_FILENO));

    // Cheap bounds first: they let SliceGraph stop as soon as it reaches them.
    BoundOptions options;
    options.threads = o->threads;
    options.verbose = o->verbose;
    double bound = simple_lower_bound(g, k);
    std::string bound_method = "simple";
    // The single-stage bounds do not depend on the partition; the default order's slicing is
    // enough of an incumbent for them to stop early.
    SliceGraphResult quick = slice_default_order(g, k);
    options.incumbent = quick.bottleneck;
    for (const std::string method : {"single-mincut", "single"}) {
      if (proves_optimal(bound, quick.bottleneck)) break;
      options.time_limit_seconds = o->time_limit > 0 ? 0.2 * remaining() : 0;
      BoundResult r = compute_bound(g, k, method, options);
      if (r.value > bound) {
        bound = r.value;
        bound_method = r.method;
      }
    }

    BrkgaConfig config = brkga_config_from(o->preset, o->population, o->generations, o->seed,
                                           o->threads, o->time_limit > 0 ? 0.3 * o->time_limit : 0);
    // A partition this close to a lower bound is proven optimal: SliceGraph may stop there.
    config.stop_at = bound + 1e-6 * std::max(1.0, bound);
    SliceGraphResult found = slicegraph(g, k, config);
    Partition incumbent = found.partition;
    double bottleneck = evaluate_partition(g, incumbent).bottleneck;
    if (quick.bottleneck < bottleneck) {
      incumbent = quick.partition;
      bottleneck = evaluate_partition(g, incumbent).bottleneck;
    }
    std::string algorithm = "slicegraph(population=" + std::to_string(config.population) +
                            ",generations=" + std::to_string(config.generations) + ")";
    bool hit_time_limit = found.hit_time_limit;
    progress.show(bottleneck, bound, "slicegraph");

    auto reached_target = [&] {
      return proves_optimal(bound, bottleneck) ||
             (bottleneck > 0 && bound / bottleneck >= o->target_ratio) || bottleneck == 0;
    };
    // The portfolio, cheapest first; each method may use the time that is left (the grouped
    // MIP only half of it, so the exact MIP still gets a turn).
    const std::vector<std::string> portfolio{"downset", "grouped", "exact"};
    for (const std::string& method : portfolio) {
      if (reached_target()) break;
      if (out_of_time()) {
        hit_time_limit = true;
        break;
      }
      progress.show(bottleneck, bound, method + "...");
      options.time_limit_seconds = method == "grouped" ? 0.5 * remaining() : remaining();
      if (o->time_limit <= 0 && method == "grouped") options.time_limit_seconds = 0;
      options.incumbent = bottleneck;
      options.warm_start = incumbent;
      options.known_lower_bound = bound;
      BoundResult r = compute_bound(g, k, method, options);
      if (r.partition && !partition_problem(g, *r.partition)) {
        const double value = evaluate_partition(g, *r.partition).bottleneck;  // never trusted
        if (value < bottleneck) {
          bottleneck = value;
          incumbent = *r.partition;
          algorithm += "+" + method;
        }
      }
      if (r.value > bound) {
        bound = r.value;
        bound_method = r.method;
      }
      if (r.status == BoundStatus::time_limit && out_of_time()) hit_time_limit = true;
      progress.show(bottleneck, bound, method);
    }
    if (!reached_target() && out_of_time()) hit_time_limit = true;
    progress.finish();

    PartitionReport report;
    report.graph_name = g.name;
    report.partition = incumbent;
    report.evaluation = evaluate_partition(g, incumbent);
    report.lower_bound = std::min(bound, report.evaluation.bottleneck);
    report.lower_bound_method = bound_method;
    report.algorithm = algorithm;
    report.seed = o->seed;
    report.time_seconds = seconds_since(start);
    report.hit_time_limit = hit_time_limit;
    report.optimal = proves_optimal(bound, report.evaluation.bottleneck);
    std::ostream& human = o->json ? std::cerr : std::cout;
    if (!(o->json && o->quiet)) print_partition_summary(human, g, report);
    const nlohmann::json doc = partition_report_to_json(g, report);
    if (!o->output.empty()) {
      write_json_output(doc, o->output);
      if (!o->quiet) human << "wrote " << o->output << "\n";
    }
    if (o->json) write_json_output(doc, "-");
    exit_code = 0;
  });
}

}  // namespace pipecut::cli
