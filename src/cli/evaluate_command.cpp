// `pipecut evaluate GRAPH PARTITION`: re-validate a partition file and print its stage costs.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/summary.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/io/partition_json.hpp"
#include "pipecut/model/cluster_cost.hpp"
#include "pipecut/model/constraints.hpp"

namespace pipecut::cli {

namespace {
struct EvaluateCommand {
  GraphInput input;
  std::string partition_path;
  bool json = false;
};
}  // namespace

void add_evaluate_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<EvaluateCommand>();
  CLI::App* cmd = app.add_subcommand(
      "evaluate",
      "Re-validate a pipecut.partition file against a graph and print its stage costs.\n"
      "Valid means: every node assigned, stages in 0..k-1, every edge forward, and the graph's\n"
      "placement constraints hold (each stage's memory within the capacity, every colour class\n"
      "in one stage). Exit code 0 if the partition is valid, 1 if it is not (the reason is\n"
      "printed), 2 on bad input.");
  add_graph_input(*cmd, o->input);
  cmd->add_option("PARTITION", o->partition_path, "pipecut.partition JSON file, or a Tarnawski et al. expert split (docs/formats.md)")->required();
  cmd->add_flag("--json", o->json, "Print the recomputed costs as JSON on stdout");
  cmd->callback([o, &exit_code] {
    const GraphOnCluster input = load_graph_on_cluster(o->input);
    const Graph& g = input.graph;
    const Cluster* cluster = input.cluster ? &*input.cluster : nullptr;
    // A file that does not partition this graph (ids it lacks, nodes left out, another graph's
    // partition) is an answer, "invalid" (exit 1), as are bad stages and broken constraints;
    // only a malformed file is an input error (exit 2).
    Partition p;
    std::optional<std::string> problem;
    try {
      p = read_partition_assignment(g, o->partition_path, o->input.read.max_input_bytes, cluster);
    } catch (const PartitionMismatchError& e) {
      problem = e.reason();
    }
    if (cluster) {
      if (!problem) problem = cluster_partition_problem(g, *cluster, p);
      if (!problem) problem = cluster_constraint_violation(g, *cluster, p);
    } else {
      if (!problem) problem = partition_problem(g, p);
      if (!problem) problem = constraint_violation(g, p);
    }
    if (problem) {
      std::cerr << "pipecut: " << o->partition_path << ": invalid partition: " << *problem << "\n";
      if (o->json)
        write_text_output(nlohmann::json{{"valid", false}, {"reason", *problem}}.dump(2), "-");
      exit_code = kExitInvalid;
      return;
    }
    std::optional<ClusterCosts> costs;
    if (cluster) costs.emplace(g, *cluster, o->input.path);
    const Evaluation e = costs ? evaluate_on_cluster(*costs, p) : evaluate(g, p);
    // A partition made on another version of the cluster is evaluated on this one, with a note.
    std::optional<std::string> other_cluster;
    if (cluster) {
      const auto recorded = partition_file_cluster(
          read_file_maybe_gzip(o->partition_path, o->input.read.max_input_bytes),
          o->partition_path);
      if (recorded && recorded->digest != cluster->digest)
        other_cluster = "the partition was made on cluster " + recorded->name + " (digest " +
                        recorded->digest.substr(0, 12) + "), not this one";
    }
    if (other_cluster) print_warning(o->partition_path + ": " + *other_cluster);
    if (o->json) {
      nlohmann::json doc;
      doc["valid"] = true;
      doc["k"] = p.k;
      if (cluster) doc["cluster"] = {{"name", cluster->name}, {"digest", cluster->digest}};
      doc["bottleneck"] = e.bottleneck;
      doc["stages_used"] = e.stages_used;
      doc["memory_per_stage"] =
          g.memory_per_stage ? nlohmann::json(*g.memory_per_stage) : nlohmann::json(nullptr);
      doc["colocation_groups"] = g.colour_labels.size();
      nlohmann::json stages = nlohmann::json::array();
      for (const StageCost& s : e.stages) {
        stages.push_back({{"stage", s.stage},
                          {"nodes", s.nodes.size()},
                          {"work", s.work},
                          {"comm_in", s.comm_in},
                          {"comm_out", s.comm_out},
                          {"cost", s.cost},
                          {"memory", s.memory}});
        if (cluster && s.device >= 0) {
          const ClusterDevice& d = cluster->devices[s.device];
          stages.back()["device"] = d.name;
          stages.back()["class"] = cluster->classes[d.device_class].name;
        }
      }
      doc["stages"] = stages;
      write_text_output(doc.dump(2), "-");
    } else {
      std::cout << "valid partition of " << g.name << " into k = " << p.k << " stages\n";
      if (cluster) print_cluster(std::cout, *cluster);
      print_constraints(std::cout, g, cluster);
      print_stage_table(std::cout, g, e, cluster);
      std::cout.precision(8);
      std::cout << "bottleneck " << e.bottleneck << " (" << e.stages_used << " of " << p.k
                << " stages used)\n";
    }
    exit_code = kExitOk;
  });
}

}  // namespace pipecut::cli
