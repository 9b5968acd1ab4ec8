// `pipecut llm CONFIG.json --cluster CLUSTER.json`: the layer split of a language model for the
// serving engines, certified, with the strings to paste (docs/llm.md).
#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/options_cli.hpp"
#include "pipecut/io/cluster_json.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/io/graph_json.hpp"
#include "pipecut/io/partition_json.hpp"
#include "pipecut/llm/llm_plan.hpp"

namespace pipecut::cli {

namespace {
struct LlmCommand {
  std::string config;
  std::string cluster;
  std::optional<int> k;
  LlmOptions options;
  std::string format = "text";
  std::string output = "-";
  std::string export_graph;
  std::string export_partition;
};
}  // namespace

void add_llm_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<LlmCommand>();
  CLI::App* cmd = app.add_subcommand(
      "llm",
      "Plan a language model's pipeline for the serving engines: from its Hugging Face\n"
      "config.json and a pipecut.cluster file, the split of its decoder layers over the\n"
      "devices (which devices, in what order, how many layers each) with the least\n"
      "bottleneck, its certificate, the predicted tokens/s against the engines' default\n"
      "splits, and the strings for vLLM, TensorRT-LLM and llama.cpp (docs/llm.md).\n"
      "Exit code 4 when the model cannot fit the cluster (with the shortfall per device).");
  cmd->add_option("config", o->config, "The model's config.json (Hugging Face)")->required();
  cmd->add_option("--cluster", o->cluster, "A pipecut.cluster file (docs/clusters.md)")
      ->required();
  add_integer(*cmd, "-k,--stages", o->k,
              "At most this many pipeline stages (devices); default: all the cluster's devices",
              1);
  add_catalogue_options(*cmd, o->options, llm_option_catalogue());
  cmd->add_option("--format", o->format,
                  "text: the stage table, certificate, comparison and strings; json: the "
                  "pipecut.llm_plan document (docs/formats.md); vllm, trtllm, llamacpp: that "
                  "engine's string alone")
      ->check(CLI::IsMember({"text", "json", "vllm", "trtllm", "llamacpp"}));
  cmd->add_option("-o,--output", o->output, "Write the output here instead of stdout");
  cmd->add_option("--export-graph", o->export_graph,
                  "Also write the layer chain as a pipecut.graph (for pipecut evaluate)");
  cmd->add_option("--export-partition", o->export_partition,
                  "Also write the plan as a pipecut.partition on the cluster (for pipecut "
                  "evaluate --cluster)");
  cmd->callback([o, &exit_code] {
    const std::vector<std::string> inputs{o->config, o->cluster};
    for (const std::string* path : {&o->output, &o->export_graph, &o->export_partition}) {
      if (path->empty() || *path == "-") continue;
      refuse_to_overwrite_inputs(*path, inputs);
      check_output_file(*path);
    }
    const LlmConfig config = read_llm_config(o->config);
    const Cluster cluster = read_cluster(o->cluster);
    const InterruptGuard interrupt;
    RunControl control;
    control.stop = interrupt.stop();
    const LlmPlan plan = plan_llm(config, cluster, o->k, o->options, control);
    std::string text;
    if (o->format == "json")
      text = llm_plan_to_json(plan);
    else if (o->format == "vllm")
      text = plan.vllm;
    else if (o->format == "trtllm")
      text = plan.trtllm;
    else if (o->format == "llamacpp")
      text = plan.llamacpp;
    else
      text = llm_plan_to_text(plan);
    if (!text.empty() && text.back() == '\n') text.pop_back();
    write_text_output(text, o->output);
    if (!o->export_graph.empty()) write_pipecut_graph(plan.graphs.layers, o->export_graph);
    if (!o->export_partition.empty())
      write_text_output(solution_to_json(plan.graphs.layers, plan.solution), o->export_partition);
    exit_code = plan.solution.stopped ? kExitInterrupted : kExitOk;
  });
}

}  // namespace pipecut::cli
