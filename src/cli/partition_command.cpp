// `pipecut partition GRAPH -k K ...`: a pipeline partition with SliceGraph or one topological
// order, plus the simple lower bound.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/summary.hpp"
#include "pipecut/bounds/simple.hpp"
#include "pipecut/io/partition_json.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/partition/slicegraph.hpp"
#include "pipecut/util/stopwatch.hpp"

namespace pipecut::cli {

namespace {
struct PartitionOptions {
  GraphInput input;
  int k = 0;
  std::string algorithm = "slicegraph";
  std::string preset = "brkga-10000";
  int population = 0;
  int generations = 0;
  std::uint64_t seed = 1;
  int threads = 0;
  double time_limit = 0;
  std::string output;
  bool json = false;
};
}  // namespace

void add_brkga_options(CLI::App& cmd, std::string& preset, int& population, int& generations,
                       std::uint64_t& seed, int& threads) {
  cmd.add_option("--preset", preset,
                 "SliceGraph preset of the paper: brkga-100 (population 10 x 10 generations) or "
                 "brkga-10000 (100 x 100)")
      ->check(CLI::IsMember({"brkga-100", "brkga-10000"}))
      ->default_val("brkga-10000");
  cmd.add_option("--population", population, "Override the preset's population size")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--generations", generations, "Override the preset's number of generations")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--seed", seed, "Random seed; results are identical for the same seed")
      ->default_val(1);
  cmd.add_option("--threads", threads,
                 "Decoding threads (0 = all cores); does not change the result")
      ->check(CLI::NonNegativeNumber)
      ->default_val(0);
}

BrkgaConfig brkga_config_from(const std::string& preset, int population, int generations,
                              std::uint64_t seed, int threads, double time_limit) {
  BrkgaConfig c = *BrkgaConfig::preset(preset);
  if (population > 0) c.population = population;
  if (generations > 0) c.generations = generations;
  c.seed = seed;
  c.threads = threads;
  c.time_limit_seconds = time_limit;
  return c;
}

void add_partition_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<PartitionOptions>();
  CLI::App* cmd = app.add_subcommand(
      "partition",
      "Split GRAPH into at most K pipeline stages, minimising the bottleneck stage cost.\n"
      "Prints a stage table, the bottleneck, the simple lower bound max(W/k, max work) and their\n"
      "ratio. Use 'pipecut solve' for stronger bounds and a proof of optimality.");
  add_graph_input(*cmd, o->input);
  cmd->add_option("-k,--stages", o->k, "Number of pipeline stages (devices), >= 1")->required();
  cmd->add_option("--algorithm", o->algorithm,
                  "slicegraph: genetic search over topological orders, each sliced optimally; "
                  "topo: slice one default topological order optimally")
      ->check(CLI::IsMember({"slicegraph", "topo"}))
      ->default_val("slicegraph");
  add_brkga_options(*cmd, o->preset, o->population, o->generations, o->seed, o->threads);
  cmd->add_option("--time-limit", o->time_limit,
                  "Stop after SEC seconds with the best partition found so far (0 = no limit)")
      ->check(CLI::NonNegativeNumber)
      ->default_val(0);
  cmd->add_option("-o,--output", o->output, "Write the pipecut.partition JSON to this file");
  cmd->add_flag("--json",
                o->json, "Print the pipecut.partition JSON on stdout (the summary goes to stderr)");
  cmd->callback([o, &exit_code] {
    if (o->k < 1) throw InputError("-k must be at least 1 (got " + std::to_string(o->k) + ")");
    refuse_to_overwrite_input(o->output, o->input.path);
    Graph g = load_graph(o->input);
    const Stopwatch timer;
    SliceGraphResult found;
    PartitionReport report;
    if (o->algorithm == "topo") {
      found = slice_default_order(g, o->k);
      report.algorithm = "topo";
    } else {
      BrkgaConfig c = brkga_config_from(o->preset, o->population, o->generations, o->seed,
                                        o->threads, o->time_limit);
      found = slicegraph(g, o->k, c);
      report.algorithm = "slicegraph(population=" + std::to_string(c.population) +
                         ",generations=" + std::to_string(c.generations) + ")";
    }
    report.graph_name = g.name;
    report.partition = found.partition;
    report.evaluation = evaluate_partition(g, found.partition);  // re-validates
    report.lower_bound = simple_lower_bound(g, o->k);
    report.lower_bound_method = "simple";
    report.seed = o->seed;
    report.hit_time_limit = found.hit_time_limit;
    report.time_seconds = timer.seconds();
    std::ostream& human = o->json ? std::cerr : std::cout;
    print_partition_summary(human, g, report);
    const nlohmann::json doc = partition_report_to_json(g, report);
    if (!o->output.empty()) {
      write_json_output(doc, o->output);
      human << "wrote " << o->output << "\n";
    }
    if (o->json) write_json_output(doc, "-");
    exit_code = 0;
  });
}

}  // namespace pipecut::cli
