// `pipecut solve GRAPH -k K`: SliceGraph for a partition, then the bound portfolio (cheapest
// first) until lower_bound / bottleneck >= the target ratio or the time runs out.
#include <unistd.h>

#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/summary.hpp"
#include "pipecut/bounds/solve.hpp"
#include "pipecut/io/partition_json.hpp"
#include "pipecut/model/error.hpp"

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
    Progress progress(!o->quiet && isatty(STDERR_FILENO));
    SolveConfig config;
    config.brkga = brkga_config_from(o->preset, o->population, o->generations, o->seed,
                                     o->threads, 0);
    config.target_ratio = o->target_ratio;
    config.time_limit_seconds = o->time_limit;
    config.threads = o->threads;
    config.verbose = o->verbose;
    config.progress = [&progress](double bottleneck, double bound, const std::string& step) {
      progress.show(bottleneck, bound, step);
    };
    const SolveOutcome solved = solve_mtpp(g, o->k, config);
    progress.finish();

    PartitionReport report;
    report.graph_name = g.name;
    report.partition = solved.partition;
    report.evaluation = evaluate_partition(g, solved.partition);  // re-validates
    report.lower_bound = solved.lower_bound;
    report.lower_bound_method = solved.lower_bound_method;
    report.algorithm = solved.algorithm;
    report.seed = o->seed;
    report.time_seconds = solved.seconds;
    report.hit_time_limit = solved.hit_time_limit;
    report.optimal = solved.optimal;
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
