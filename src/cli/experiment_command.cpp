// `pipecut experiment GRAPH|DIR ... --results FILE`: the evaluation sweep (README "Results"):
// partition algorithms and bound methods over a corpus and a set of k, one JSON line per result.
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/options_cli.hpp"
#include "pipecut/experiment/runner.hpp"
#include "pipecut/io/cluster_json.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/model/error.hpp"

namespace pipecut::cli {

namespace {

template <typename T>
std::string join_list(const std::vector<T>& items) {
  std::string text;
  for (const T& item : items) {
    std::ostringstream one;
    one << item;
    text += (text.empty() ? "" : ",") + one.str();
  }
  return text;
}

// The comma-separated lists as typed; their defaults come from ExperimentConfig.
struct ExperimentCommand {
  ExperimentConfig config;
  std::vector<std::string> inputs;
  std::string ks = join_list(config.ks);
  std::string algorithms = join_list(config.algorithms);
  std::string bounds = join_list(config.bounds);
  std::string shard = "1/1";
  bool quick = false;
  int max_graphs = 0;
  bool quiet = false;
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) items.push_back(item);
  return items;
}

// Graph files by extension; a corpus folder's own documents (README, LICENSE, models.json
// listings) are not graphs.
bool is_graph_file(const std::filesystem::path& p) {
  const std::string name = p.filename().string();
  if (name.rfind("README", 0) == 0 || name.rfind("LICENSE", 0) == 0 || name == "models.json")
    return false;
  for (const char* ext : {".onnx", ".onnx.gz", ".json", ".json.gz", ".pbtxt", ".pbtxt.gz", ".txt"})
    if (ends_with(name, ext)) return true;
  return false;
}

// Files given, and the graph files inside folders given (sorted, not recursive).
std::vector<std::string> expand_inputs(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const std::string& in : inputs) {
    std::error_code ec;
    if (std::filesystem::is_directory(in, ec)) {
      std::vector<std::string> found;
      for (const auto& entry : std::filesystem::directory_iterator(in))
        if (entry.is_regular_file() && is_graph_file(entry.path()))
          found.push_back(entry.path().string());
      std::sort(found.begin(), found.end());
      if (found.empty()) throw InputError(in + ": no graph files in this folder");
      files.insert(files.end(), found.begin(), found.end());
    } else if (std::filesystem::exists(in, ec)) {
      files.push_back(in);
    } else {
      throw InputError(in + ": no such file or folder");
    }
  }
  return files;
}

std::string clock_text(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, s / 60 % 60);
  else
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  return buf;
}

}  // namespace

void add_experiment_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ExperimentCommand>();
  ExperimentConfig& c = o->config;
  CLI::App* cmd = app.add_subcommand(
      "experiment",
      "Run partition algorithms and bound methods over graphs x k values and append one JSON\n"
      "line per (graph, k, kind, method) to the results file: testbed, path, graph, nodes, edges,\n"
      "k, kind (partition|bound), method, value, status, seconds, and partition_value when a\n"
      "bound method also found a partition. Rows already in the file are skipped (resumable).\n"
      "Split a sweep over machines with --shard I/N and concatenate the files afterwards.\n"
      "tools/report.py turns result files into docs/results.md. With --cluster every instance\n"
      "is on that cluster (k defaults to its device count) and rows record it and the devices.");
  cmd->add_option("GRAPHS", o->inputs, "Graph files, or folders whose graph files are all used")
      ->required();
  cmd->add_option("--results", c.results_path, "JSON-lines results file (appended to)")->required();
  cmd->add_option("--testbed", c.testbed, "Testbed name recorded in every row");
  cmd->add_option("-k,--stages", o->ks, "Comma-separated k values");
  cmd->add_option("--algorithms", o->algorithms,
                  "Comma-separated partition methods: " + join_list(partition_algorithm_names()) +
                      ", a SliceGraph preset (" + join_list(slicegraph_preset_names()) +
                      "), or solve (the whole portfolio: a partition row and a bound row)");
  cmd->add_option("--bounds", o->bounds,
                  "Comma-separated bound methods: " + join_list(bound_method_names()));
  add_number(*cmd, "--time-limit", c.time_limit_seconds,
             "Seconds per algorithm run and per bound method on one instance", kPositive);
  add_number(*cmd, "--solve-time-limit", c.solve_time_limit_seconds,
             "Seconds per solve run on one instance", kPositive);
  add_number(*cmd, "--solve-target-ratio", c.solve_target_ratio,
             "Target ratio of solve runs (1 = prove optimality)", kFraction);
  add_number(*cmd, "--capacity-factor", c.capacity_factor,
             "Constrained testbed: give every instance a memory capacity of F x (total node "
             "memory / k), raised to the heaviest node or colour-class hull (0 = the files' own "
             "capacity, if any)",
             kNonNegative);
  add_constraint_options(*cmd, c.read);
  add_catalogue_options(*cmd, c.read, read_option_catalogue(), {"cluster"});
  add_integer(*cmd, "--threads", c.threads, "Worker threads (0 = all cores)", 0);
  add_seed(*cmd, c.seed, "SliceGraph seed");
  cmd->add_option("--shard", o->shard, "Run shard I of N (1-based), e.g. 3/8");
  add_integer(*cmd, "--max-graphs", o->max_graphs, "Use only the first N graphs (0 = all)", 0);
  cmd->add_flag("--quick", o->quick,
                "Smoke run: first 4 graphs, k = 2 and 8 (unless -k is given), topo and "
                "brkga-100, simple and single bounds, 2 s limits");
  cmd->add_flag("--quiet", o->quiet, "No progress bar");
  cmd->callback([o, cmd, &exit_code] {
    ExperimentConfig& config = o->config;
    check_output_file(config.results_path);
    config.graphs = expand_inputs(o->inputs);
    config.ks.clear();
    for (const std::string& k : split_list(o->ks)) {
      int value = 0;
      const auto [end, ec] = std::from_chars(k.data(), k.data() + k.size(), value);
      if (ec != std::errc() || end != k.data() + k.size() || value < 1)
        throw InputError("--stages: every k must be an integer in 1 .. 2147483647 (got '" + k +
                         "')");
      config.ks.push_back(value);
    }
    config.algorithms = split_list(o->algorithms);
    config.bounds = split_list(o->bounds);
    parse_shard(o->shard, config.shard_index, config.shard_count);
    if (o->quick) {
      if (cmd->count("-k") == 0) config.ks = {2, 8};
      config.algorithms = {"topo", "brkga-100"};
      config.bounds = {"simple", "single"};
      config.time_limit_seconds = 2;
      if (config.graphs.size() > 4) config.graphs.resize(4);
    }
    // On a cluster k defaults to its device count (docs/clusters.md).
    if (!config.read.cluster.empty() && cmd->count("-k") == 0)
      config.ks = {read_cluster(config.read.cluster, config.read.max_input_bytes).num_devices()};
    if (o->max_graphs > 0 && config.graphs.size() > static_cast<std::size_t>(o->max_graphs))
      config.graphs.resize(static_cast<std::size_t>(o->max_graphs));
    const bool bar = !o->quiet && isatty(STDERR_FILENO);
    auto progress = [bar](const ExperimentProgress& p) {
      if (!bar) return;
      const int width = 30;
      const int filled = p.total ? static_cast<int>(width * p.done / p.total) : width;
      const long long fresh = p.done - p.skipped;
      const double eta = fresh > 0 ? p.elapsed_seconds / static_cast<double>(fresh) *
                                         static_cast<double>(p.total - p.done)
                                   : 0.0;
      std::cerr << "\r[" << std::string(filled, '#') << std::string(width - filled, '.') << "] "
                << p.done << "/" << p.total;
      if (p.skipped) std::cerr << " (" << p.skipped << " skipped)";
      std::cerr << "  " << clock_text(p.elapsed_seconds) << " elapsed, ETA " << clock_text(eta)
                << "  " << p.current << "\033[K" << std::flush;
    };
    const long long rows = run_experiment(config, progress);
    if (bar) std::cerr << "\n";
    std::cerr << "wrote " << rows << " rows to " << config.results_path << "\n";
    exit_code = kExitOk;
  });
}

}  // namespace pipecut::cli
