// `pipecut convert IN OUT`: any input format -> pipecut.graph JSON (gzip when OUT ends in .gz).
#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/io/graph_json.hpp"
#include "pipecut/model/error.hpp"

namespace pipecut::cli {

namespace {
struct ConvertOptions {
  GraphInput input;
  std::string output;
};

}  // namespace

void add_convert_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ConvertOptions>();
  CLI::App* cmd = app.add_subcommand(
      "convert",
      "Read GRAPH in any supported format and write it as pipecut.graph JSON to OUT\n"
      "(gzip-compressed when OUT ends in .gz; '-' = stdout). OUT must not be the input file.");
  add_graph_input(*cmd, o->input);
  cmd->add_option("OUT", o->output, "Output file (.json or .json.gz), or - for stdout")->required();
  cmd->callback([o, &exit_code] {
    refuse_to_overwrite_inputs(o->output, input_files(o->input));
    check_output_file(o->output);
    const Graph g = load_graph(o->input);
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
