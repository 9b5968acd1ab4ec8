// `pipecut convert IN OUT`: any input format -> pipecut.graph JSON (gzip when OUT ends in .gz).
#include <algorithm>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/io/graph_json.hpp"
#include "pipecut/model/cluster_cost.hpp"
#include "pipecut/model/error.hpp"

namespace pipecut::cli {

namespace {
struct ConvertOptions {
  GraphInput input;
  std::string output;
};

// The graph with its costs on the cluster written in: every node's work as a map over the
// cluster's classes (its time on each, as ClusterCosts gives it), so that the file needs only
// the cluster to be solved and costs the same there (docs/clusters.md, "convert").
Graph with_class_work(Graph g, const Cluster& c, const std::string& source) {
  const ClusterCosts costs(g, c, source);
  const std::size_t classes = c.classes.size();
  std::vector<double> class_work(static_cast<std::size_t>(g.num_nodes()) * classes);
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    double least = costs.work(v, 0);
    for (std::size_t k = 0; k < classes; ++k) {
      const double time = costs.work(v, static_cast<int>(k));
      class_work[static_cast<std::size_t>(v) * classes + k] = time;
      least = std::min(least, time);
    }
    g.work[v] = least;  // a node with a work map has the least of its class times (graph.hpp)
  }
  g.work_classes.clear();
  for (const DeviceClass& k : c.classes) g.work_classes.push_back(k.name);
  g.class_work = std::move(class_work);
  return g;
}

}  // namespace

void add_convert_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ConvertOptions>();
  CLI::App* cmd = app.add_subcommand(
      "convert",
      "Read GRAPH in any supported format and write it as pipecut.graph JSON to OUT\n"
      "(gzip-compressed when OUT ends in .gz; '-' = stdout). OUT must not be the input file.\n"
      "With --cluster every node's work is written per device class of the cluster (its time\n"
      "on each class, e.g. an ONNX model's roofline work over the class's speed), so that OUT\n"
      "is solved with --cluster alone and costs the same (docs/clusters.md).");
  add_graph_input(*cmd, o->input);
  cmd->add_option("OUT", o->output, "Output file (.json or .json.gz), or - for stdout")->required();
  cmd->callback([o, &exit_code] {
    refuse_to_overwrite_inputs(o->output, input_files(o->input));
    check_output_file(o->output);
    GraphOnCluster input = load_graph_on_cluster(o->input);
    const Graph g = input.cluster
                        ? with_class_work(std::move(input.graph), *input.cluster, o->input.path)
                        : std::move(input.graph);
    if (o->output == "-") {
      write_text_output(pipecut_graph_to_json(g), "-");
    } else {
      write_pipecut_graph(g, o->output);
      std::cerr << "wrote " << o->output << " (" << g.num_nodes() << " nodes, " << g.num_edges()
                << " edges)\n";
    }
    exit_code = 0;
  });
}

}  // namespace pipecut::cli
