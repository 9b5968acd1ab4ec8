// `pipecut solve GRAPH -k K`: the solve portfolio (docs/partitioning.md) until lower_bound /
// bottleneck >= the target ratio or the time runs out.
#include <unistd.h>

#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/options_cli.hpp"
#include "cli/summary.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/io/partition_json.hpp"
#include "pipecut/onnx/onnx_split.hpp"
#include "pipecut/solve/cluster_solve.hpp"

namespace pipecut::cli {

namespace {
struct SolveCommand {
  GraphInput input;
  std::optional<int> k;
  SolveOptions solve;
  std::string output;
  std::string report;  // HTML report file; empty = none
  bool json = false;
  bool quiet = false;
  std::string export_onnx;  // stage models folder; empty = none
  bool force = false;
};

// One line on stderr, rewritten in place, while a terminal is watching.
class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled) {}
  void show(const Progress& p) {
    if (!enabled_) return;
    std::ostringstream line;
    line << "\r[solve " << std::fixed << std::setprecision(1) << p.seconds << " s] bottleneck "
         << std::defaultfloat << std::setprecision(8) << p.bottleneck << "  bound " << p.lower_bound
         << "  ratio " << std::fixed << std::setprecision(4)
         << (p.bottleneck > 0 ? p.lower_bound / p.bottleneck : 1.0) << "  " << p.step << "\033[K";
    std::cerr << line.str() << std::flush;
    shown_ = true;
  }
  void finish() {
    if (shown_) std::cerr << "\n";
    shown_ = false;
  }

 private:
  bool enabled_;
  bool shown_ = false;
};
}  // namespace

void add_solve_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<SolveCommand>();
  CLI::App* cmd = app.add_subcommand(
      "solve",
      "Find a K-stage pipeline partition of GRAPH and prove how close to optimal it is.\n"
      "Runs partition searches and lower bounds (the portfolio described in\n"
      "docs/partitioning.md, \"The solve portfolio\") until lower_bound / bottleneck >= the\n"
      "target ratio or the time limit; a better partition found by an exact method replaces\n"
      "the incumbent. "
      "Ctrl-C stops early and prints the best partition and bound so far (exit code 130).");
  add_graph_input(*cmd, o->input);
  add_stages_option(*cmd, o->k);
  add_catalogue_options(*cmd, o->solve, solve_option_catalogue());
  cmd->add_option("-o,--output", o->output, "Write the pipecut.partition JSON to this file");
  cmd->add_option("--report", o->report,
                  "Also write the HTML report of the partition to this file (as `pipecut "
                  "report` does; docs/report.md)");
  cmd->add_flag("--json", o->json, "Print the pipecut.partition JSON alone on stdout");
  cmd->add_flag("--quiet", o->quiet, "No progress line and no summary on stderr");
  cmd->add_option("--export-onnx", o->export_onnx,
                  "ONNX input: also write the partition as runnable stage models and "
                  "pipeline.json into this folder (as `pipecut split` does)");
  cmd->add_flag("--force", o->force,
                "With --export-onnx: replace the folder if it holds an earlier split output "
                "(pipeline.json and stage files only, none of them an input)");
  cmd->callback([o, &exit_code] {
    refuse_to_overwrite_inputs(o->output, input_files(o->input));
    refuse_to_overwrite_inputs(o->report, input_files(o->input));
    if (!o->report.empty() && (o->report == o->output || same_file(o->report, o->output)))
      throw InputError(o->report + ": --report and -o name the same file");
    // Every destination is checked before the long solve, whose result must not be lost.
    check_output_file(o->output);
    check_output_file(o->report);
    std::vector<std::string> protected_paths = input_files(o->input);
    protected_paths.push_back(o->output);
    protected_paths.push_back(o->report);
    std::optional<OnnxImport> imported;
    if (!o->export_onnx.empty()) {
      OnnxSplitOptions preflight;
      preflight.force = o->force;
      preflight.protected_paths = protected_paths;
      imported = load_onnx_model(o->input, /*cluster_allowed=*/true);
      check_onnx_split_inputs(o->input.path, o->export_onnx, preflight);
    }
    std::optional<Cluster> cluster;
    Graph g;
    if (imported) {
      g = imported->graph;
      cluster = load_cluster(o->input);
    } else {
      GraphOnCluster input = load_graph_on_cluster(o->input);
      g = std::move(input.graph);
      cluster = std::move(input.cluster);
    }
    // On a cluster, k defaults to its device count.
    const int k = cluster ? o->k.value_or(cluster->num_devices()) : stages_to_use(g, o->k);
    const InterruptGuard interrupt;
    ProgressLine progress(!o->quiet && isatty(STDERR_FILENO));
    RunControl control;
    control.stop = interrupt.stop();
    control.progress = [&progress](const Progress& p) { progress.show(p); };
    control.log = [&progress](const std::string& line) {
      progress.finish();
      std::cerr << line << "\n";
    };
    with_infeasible_output(g, k, o->output, o->json, [&] {
      Solution s;
      try {
        s = cluster ? solve_on_cluster(g, *cluster, k, o->solve, control)
                    : solve(g, k, o->solve, control);
      } catch (...) {
        progress.finish();
        throw;
      }
      progress.finish();
      std::ostream& human = emit_solution(g, s, o->output, o->json, o->quiet);
      if (!o->report.empty()) {
        write_report_html(g, s, o->report, o->input.path, o->output);
        if (!o->quiet) human << "wrote " << o->report << "\n";
      }
      if (imported) {
        OnnxSplitOptions split;
        split.force = o->force;
        split.lower_bound = s.lower_bound;
        split.lower_bound_method = s.lower_bound_method;
        split.protected_paths = protected_paths;
        split.cluster = s.cluster ? &*s.cluster : nullptr;
        const PipelineManifest manifest =
            write_onnx_stages(o->input.path, *imported, s.partition, o->export_onnx, split);
        if (!o->quiet) print_pipeline_summary(human, manifest, o->export_onnx);
      }
      exit_code = s.stopped ? kExitInterrupted : kExitOk;
    });
  });
}

}  // namespace pipecut::cli
