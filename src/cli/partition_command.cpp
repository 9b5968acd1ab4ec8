// `pipecut partition GRAPH -k K ...`: one partition algorithm, plus the simple lower bound.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/options_cli.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/solve/cluster_solve.hpp"

namespace pipecut::cli {

namespace {
struct PartitionCommand {
  GraphInput input;
  std::optional<int> k;
  PartitionOptions partition;
  std::string output;
  bool json = false;
  bool quiet = false;
};
}  // namespace

void add_partition_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<PartitionCommand>();
  CLI::App* cmd = app.add_subcommand(
      "partition",
      "Split GRAPH into at most K pipeline stages, minimising the bottleneck stage cost.\n"
      "Prints a stage table, the bottleneck, the simple lower bound max(W/k, max work) and their\n"
      "ratio. Use 'pipecut solve' for stronger bounds and a proof of optimality.");
  add_graph_input(*cmd, o->input);
  add_stages_option(*cmd, o->k);
  add_catalogue_options(*cmd, o->partition, partition_option_catalogue());
  cmd->add_option("-o,--output", o->output, "Write the pipecut.partition JSON to this file");
  cmd->add_flag("--json", o->json,
                "Print the pipecut.partition JSON on stdout (the summary goes to stderr)");
  cmd->add_flag("--quiet", o->quiet, "No summary on stderr when the JSON goes to stdout");
  cmd->callback([o, &exit_code] {
    refuse_to_overwrite_inputs(o->output, input_files(o->input));
    check_output_file(o->output);
    GraphOnCluster input = load_graph_on_cluster(o->input);
    const Graph& g = input.graph;
    const std::optional<Cluster>& cluster = input.cluster;
    // On a cluster, k defaults to its device count.
    const int k = cluster ? o->k.value_or(cluster->num_devices()) : stages_to_use(g, o->k);
    const InterruptGuard interrupt;
    RunControl control;
    control.stop = interrupt.stop();
    with_infeasible_output(g, k, o->output, o->json, [&] {
      const Solution s = cluster ? partition_on_cluster(g, *cluster, k, o->partition, control)
                                 : partition_graph(g, k, o->partition, control);
      emit_solution(g, s, o->output, o->json, o->quiet);
      exit_code = s.stopped ? kExitInterrupted : kExitOk;
    });
  });
}

}  // namespace pipecut::cli
