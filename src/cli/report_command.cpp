// `pipecut report GRAPH PARTITION -o report.html`: a self-contained HTML page of a partition
// (docs/report.md).
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/io/partition_json.hpp"
#include "pipecut/io/pipeline_bench.hpp"
#include "pipecut/model/cluster_cost.hpp"
#include "pipecut/model/constraints.hpp"
#include "pipecut/model/numeric.hpp"
#include "pipecut/report/html_report.hpp"

namespace pipecut::cli {

namespace {
struct ReportCommand {
  GraphInput input;
  std::string partition_path;
  std::string output;
  std::string measured;  // pipecut.bench file; empty = none
  bool quiet = false;
};

std::string file_name(const std::string& path) {
  return path.empty() ? path : std::filesystem::path(path).filename().string();
}
}  // namespace

void write_report_html(const Graph& g, const Solution& solution, const std::string& path,
                       const std::string& graph_file, const std::string& partition_file,
                       const std::string& measured_file) {
  HtmlReportOptions options;
  options.graph_file = file_name(graph_file);
  options.partition_file = file_name(partition_file);
  if (!measured_file.empty()) {
    options.measured = read_bench(measured_file);
    options.measured_file = measured_file;
  }
  write_file_atomic(path, html_report(g, solution, options), false);
}

void add_report_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ReportCommand>();
  CLI::App* cmd = app.add_subcommand(
      "report",
      "Write a self-contained HTML page of a partition file: summary and certificate, stage\n"
      "costs and memory, the pipeline timeline, the operator graph coloured by stage with its\n"
      "cut tensors, and the stage and boundary-tensor tables. The page needs no network and\n"
      "embeds its data as JSON (docs/report.md). Costs are recomputed from GRAPH. With\n"
      "--cluster (a partition made on that cluster): each stage's device and class, and each\n"
      "boundary tensor's links and their bandwidth.");
  add_graph_input(*cmd, o->input);
  cmd->add_option("PARTITION", o->partition_path,
                  "pipecut.partition JSON file (written by solve or partition)")
      ->required();
  cmd->add_option("-o,--output", o->output, "HTML file to write")->required();
  cmd->add_option("--measured", o->measured,
                  "pipecut.bench JSON of this partition's stages (pipecut bench -o): adds the "
                  "measured stage times next to the predicted ones");
  cmd->add_flag("--quiet", o->quiet, "Do not print the name of the file written");
  cmd->callback([o, &exit_code] {
    std::vector<std::string> inputs = input_files(o->input);
    inputs.push_back(o->partition_path);
    if (!o->measured.empty()) inputs.push_back(o->measured);
    refuse_to_overwrite_inputs(o->output, inputs);
    check_output_file(o->output);
    const GraphOnCluster input = load_graph_on_cluster(o->input);
    const Graph& g = input.graph;
    const Cluster* cluster = input.cluster ? &*input.cluster : nullptr;
    Solution s = read_solution(g, o->partition_path, o->input.read.max_input_bytes, cluster);
    if (auto problem = cluster ? cluster_partition_problem(g, *cluster, s.partition)
                               : partition_problem(g, s.partition))
      throw InputError(o->partition_path + ": invalid partition: " + *problem);
    s.evaluation = cluster
                       ? evaluate_on_cluster(ClusterCosts(g, *cluster, o->input.path), s.partition)
                       : evaluate(g, s.partition);
    if (cluster) {
      // A bound proven on another cluster (or another version of this one) is no certificate
      // here: the page then shows none (docs/report.md).
      const auto recorded = partition_file_cluster(
          read_file_maybe_gzip(o->partition_path, o->input.read.max_input_bytes),
          o->partition_path);
      if (!recorded || recorded->digest != cluster->digest) {
        if (!s.lower_bound_method.empty() || s.optimal)
          print_warning(o->partition_path + ": its lower bound is not shown: it was proven " +
                        (recorded ? "on cluster " + recorded->name + " (digest " +
                                        recorded->digest.substr(0, 12) + "…), not on this one"
                                  : std::string("without a cluster (the file records none)")));
        s.lower_bound = 0;
        s.lower_bound_method.clear();
        s.optimal.reset();
        s.bounds.clear();
      }
    }
    // A proven bound never exceeds a valid partition's bottleneck: one that does was computed
    // for another graph (same ids, other costs) and must not be shown as a certificate. A
    // partition that breaks a constraint may well be below the bound; the page then names the
    // violation and claims nothing (docs/report.md).
    const double bottleneck = s.evaluation.bottleneck;
    const bool violates = (cluster ? cluster_constraint_violation(g, *cluster, s.partition)
                                   : constraint_violation(g, s.partition))
                              .has_value();
    if (!violates && s.lower_bound > bottleneck * (1 + kOptimalityTolerance))
      throw InputError(o->partition_path + ": lower_bound " + std::to_string(s.lower_bound) +
                       " exceeds the partition's bottleneck " + std::to_string(bottleneck) +
                       " on this graph; was the file written for another graph?");
    write_report_html(g, s, o->output, o->input.path, o->partition_path, o->measured);
    if (!o->quiet) std::cout << "wrote " << o->output << "\n";
    exit_code = kExitOk;
  });
}

}  // namespace pipecut::cli
