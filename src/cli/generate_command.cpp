// `pipecut generate`: seeded random DNN-shaped graphs (one file, or a whole numbered set).
#include <cmath>
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "pipecut/gen/synthetic.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/io/graph_json.hpp"
#include "pipecut/model/error.hpp"

namespace pipecut::cli {

namespace {
struct GenerateOptions {
  SyntheticGraphOptions graph;
  std::string preset = "dnn";
  std::string output;
  int count = 0;
  int max_nodes = 0;  // with --count: node targets spread evenly from graph.nodes to this
  std::string out_dir;
  std::string extension = "json.gz";
};
}  // namespace

void add_generate_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<GenerateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "generate",
      "Write seeded random computation graphs shaped like DNN operator graphs (pipecut.graph).\n"
      "A chain of blocks; a block is one operator chain (with a residual skip at probability\n"
      "--skip-probability) or 2..--max-branches parallel chains merged by a Concat\n"
      "(--branch-probability); merges may also read an earlier block's output\n"
      "(--long-skip-probability) and branches may read earlier branches\n"
      "(--cross-branch-probability); tensors halve every --downsample-every blocks. Work and\n"
      "tensor sizes are log-normal. Same options and seed -> the same graph.\n"
      "--preset sets all of these at once: 'dnn' (the defaults shown) or 'regal' (wide blocks of\n"
      "up to 8 cross-linked branches, comm about equal to work, 1000 nodes); options given\n"
      "beside it override it.\n"
      "One graph: 'pipecut generate -o g.json'. A set: 'pipecut generate --count 1000 --out-dir\n"
      "DIR' writes DIR/synthetic-NNNN.json.gz (regal-NNNN.json.gz with --preset regal) with seeds\n"
      "--seed, --seed+1, ...");
  SyntheticGraphOptions& g = o->graph;
  std::vector<std::string> presets(std::begin(kSyntheticPresets), std::end(kSyntheticPresets));
  // Applied as soon as it is parsed, before the other options are stored into the struct, so
  // that options given beside it override it wherever they stand on the command line.
  cmd->add_option_function<std::string>(
         "--preset",
         [o](const std::string& name) {
           o->preset = name;
           o->graph = synthetic_preset(name);
         },
         "Start from a named option set: dnn (the defaults) or regal")
      ->check(CLI::IsMember(presets))
      ->trigger_on_parse()
      ->default_str(o->preset);
  cmd->add_option("-o,--output", o->output, "Output file (.json or .json.gz), - for stdout");
  add_integer(*cmd, "--count", o->count, "Write a set of this many graphs into --out-dir", 1);
  cmd->add_option("--out-dir", o->out_dir,
                  "Folder for --count graphs (created if missing; its parent must exist)");
  add_integer(*cmd, "--max-nodes", o->max_nodes,
              "With --count: node targets spread evenly from --nodes (first graph) to this "
              "(last graph)",
              1);
  cmd->add_option("--extension", o->extension, "File extension for sets: json or json.gz")
      ->check(CLI::IsMember({"json", "json.gz"}));
  add_seed(*cmd, g.seed, "Random seed (first seed of a set)");
  add_integer(*cmd, "--nodes", g.nodes, "Target node count (rounded up to whole blocks)", 1);
  add_integer(*cmd, "--min-chain-ops", g.min_chain_ops, "Fewest operators in a branch chain", 1);
  add_integer(*cmd, "--max-chain-ops", g.max_chain_ops, "Most operators in a branch chain", 1);
  add_number(*cmd, "--branch-probability", g.branch_probability,
             "Probability that a block has parallel branches", kFraction);
  add_integer(*cmd, "--max-branches", g.max_branches, "Most parallel branches in a block", 2);
  add_number(*cmd, "--skip-probability", g.skip_probability,
             "Probability of a residual skip around a single-chain block", kFraction);
  add_number(*cmd, "--long-skip-probability", g.long_skip_probability,
             "Probability that a merge also reads an earlier block's output", kFraction);
  add_integer(*cmd, "--downsample-every", g.downsample_every,
              "Blocks between halvings of the tensor size (0 = never)", 0);
  add_number(*cmd, "--work-mean", g.work_mean_ms, "Mean operator work, ms", kPositive);
  add_number(*cmd, "--work-sigma", g.work_sigma, "Log-normal sigma of work", kNonNegative);
  add_number(*cmd, "--tensor-mean-mb", g.tensor_mean_mb,
             "Mean tensor size of the first blocks, MB (1e6 bytes)", kPositive);
  add_number(*cmd, "--tensor-sigma", g.tensor_sigma, "Log-normal sigma of tensor sizes",
             kNonNegative);
  add_number(*cmd, "--link-bandwidth", g.link_bandwidth_gbps,
             "Link bandwidth in GB/s: comm = tensor bytes / bandwidth", kPositive);
  add_number(*cmd, "--cross-branch-probability", g.cross_branch_probability,
             "Probability that an operator of a branch also reads an operator at an earlier "
             "step of an earlier branch of its block",
             kFraction);
  cmd->add_option("--split-branch-tensors", g.branches_split_tensor,
                  "true: parallel branches share the block's tensor size (each 1/branches); "
                  "false: every branch carries full-size tensors")
      ->check(CLI::IsMember({"true", "false"}));
  cmd->callback([o, &exit_code] {
    if (o->count > 0) {
      if (o->out_dir.empty()) throw InputError("--count needs --out-dir");
      if (!o->output.empty()) throw InputError("use either -o (one graph) or --count/--out-dir");
      if (o->max_nodes > 0 && o->max_nodes < o->graph.nodes)
        throw InputError("--max-nodes must be >= --nodes");
      // The folder is made if missing, its parent never (README "Commands").
      const std::filesystem::path out_dir = resolve_output_folder(o->out_dir);
      std::error_code ec;
      std::filesystem::create_directory(out_dir, ec);
      if (ec || !std::filesystem::is_directory(out_dir))
        throw OutputError(o->out_dir + ": cannot create folder" + (ec ? ": " + ec.message() : ""));
      const int digits = std::max(4, static_cast<int>(std::to_string(o->count - 1).size()));
      for (int i = 0; i < o->count; ++i) {
        std::string number = std::to_string(i);
        number.insert(
            0, static_cast<std::size_t>(digits) - std::min<std::size_t>(number.size(), digits),
            '0');
        SyntheticGraphOptions options = o->graph;
        options.seed = o->graph.seed + static_cast<std::uint64_t>(i);
        if (o->max_nodes > 0 && o->count > 1)
          options.nodes =
              o->graph.nodes +
              static_cast<int>(std::llround(static_cast<double>(o->max_nodes - o->graph.nodes) * i /
                                            (o->count - 1)));
        const std::string name = (o->preset == "dnn" ? "synthetic" : o->preset) + "-" + number;
        const Graph graph = generate_synthetic_graph(options, name);
        write_pipecut_graph(
            graph, (std::filesystem::path(o->out_dir) / (name + "." + o->extension)).string());
      }
      std::cerr << "wrote " << o->count << " graphs to " << o->out_dir << "\n";
    } else {
      if (o->output.empty()) throw InputError("give -o FILE (or --count N --out-dir DIR)");
      if (o->max_nodes > 0) throw InputError("--max-nodes needs --count");
      check_output_file(o->output);
      const Graph graph =
          generate_synthetic_graph(o->graph, "synthetic-seed" + std::to_string(o->graph.seed));
      if (o->output == "-")
        write_text_output(pipecut_graph_to_json(graph), "-");
      else
        write_pipecut_graph(graph, o->output);
    }
    exit_code = 0;
  });
}

}  // namespace pipecut::cli
