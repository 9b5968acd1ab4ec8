// `pipecut split MODEL.onnx PARTITION.json -o DIR`: one runnable ONNX model per pipeline stage
// and a pipeline.json manifest (docs/formats.md "pipecut.pipeline").
#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/summary.hpp"
#include "pipecut/io/partition_json.hpp"
#include "pipecut/model/cluster_cost.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/onnx/onnx_split.hpp"
#include "pipecut/solve/cluster_solve.hpp"

namespace pipecut::cli {

namespace {
struct SplitCommandOptions {
  GraphInput input;
  std::string partition_path;
  std::string out_dir;
  bool force = false;
};
}  // namespace

void add_split_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<SplitCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "split",
      "Write one ONNX model per non-empty stage of PARTITION (stage_0.onnx, ...) and\n"
      "pipeline.json into DIR. Each stage passes the ONNX checker and strict shape inference;\n"
      "tensors keep their names so stages chain by name. DIR is written atomically; an existing\n"
      "non-empty DIR is refused unless --force, which replaces only an earlier split output\n"
      "(docs/formats.md \"Writing\"). The model must carry its weights (inline or in\n"
      "external data files next to it). Cost options only change the predicted costs in\n"
      "pipeline.json. With --cluster, PARTITION must be a partition on that cluster (solve\n"
      "--cluster): pipeline.json records each stage's device and the cluster.");
  add_graph_input(*cmd, o->input);
  cmd->get_option("GRAPH")->description("The ONNX model (.onnx) that PARTITION partitions");
  cmd->add_option("PARTITION", o->partition_path,
                  "pipecut.partition JSON of the model (from partition or solve)")
      ->required();
  cmd->add_option("-o,--output", o->out_dir, "Folder to write the stage models into")->required();
  cmd->add_flag("--force", o->force,
                "Replace DIR if it holds an earlier split output (pipeline.json and stage files "
                "only, none of them an input)");
  cmd->callback([o, &exit_code] {
    const OnnxImport imported = load_onnx_model(o->input, /*cluster_allowed=*/true);
    const std::optional<Cluster> cluster = load_cluster(o->input);
    const Cluster* on = cluster ? &*cluster : nullptr;
    const Graph& g = imported.graph;
    const Partition p =
        read_partition_assignment(g, o->partition_path, o->input.read.max_input_bytes, on);
    if (auto problem = on ? cluster_partition_problem(g, *on, p) : partition_problem(g, p))
      throw InputError(o->partition_path + ": does not match " + o->input.path + ": " + *problem);
    OnnxSplitOptions options;
    options.force = o->force;
    options.cluster = on;
    // The best bound known for the partition (docs/formats.md "pipecut.pipeline"): the simple
    // bound, recomputed for these costs (on a cluster, the cluster's cheap bounds:
    // docs/clusters.md), or the file's own (solve's) when the file shows it was computed for
    // exactly these costs and constraints.
    if (on) {
      BoundOptions quick;
      quick.time_limit_seconds = 5;  // the chain DP is exact but may be long; any value is valid
      const BoundsReport report = compute_bounds_on_cluster(g, *on, p.k, {"simple"}, quick);
      if (!report.infeasible && report.best.value > 0) {
        options.lower_bound = report.best.value;
        options.lower_bound_method = report.best.method;
      }
    } else {
      options.lower_bound = compute_bounds(g, p.k, {"simple"}).best.value;
      options.lower_bound_method = "simple";
    }
    std::string why;
    if (const auto file = partition_file_bound(g, p, o->partition_path, &why, on)) {
      if (file->value > options.lower_bound) {
        options.lower_bound = file->value;
        options.lower_bound_method = file->method;
      }
    } else if (!why.empty()) {
      print_warning(o->partition_path + ": its lower bound is not used (" + why +
                    "); pipeline.json records the " +
                    (on ? std::string("cluster's own bounds") : std::string("simple bound")));
    }
    options.protected_paths = input_files(o->input);
    options.protected_paths.push_back(o->partition_path);
    const PipelineManifest manifest =
        write_onnx_stages(o->input.path, imported, p, o->out_dir, options);
    print_pipeline_summary(std::cout, manifest, o->out_dir);
    exit_code = kExitOk;
  });
}

}  // namespace pipecut::cli
