// `pipecut experiment GRAPH|DIR ... --results FILE`: the evaluation sweep of issue 5 — partition
// algorithms and bound methods over a corpus and a set of k, one JSON line per result.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "pipecut/experiment/runner.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/model/error.hpp"

namespace pipecut::cli {

namespace {

struct ExperimentOptions {
  std::vector<std::string> inputs;
  std::string ks = "2,4,8,16,32,64";
  std::string algorithms = "topo,brkga-100,brkga-10000";
  std::string bounds = "simple,single,grouped,exact,downset";
  double time_limit = 60;
  int threads = 0;
  std::uint64_t seed = 1;
  std::string shard = "1/1";
  std::string results;
  std::string testbed;
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
  for (const char* ext : {".onnx", ".json", ".json.gz", ".pbtxt", ".txt"})
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
        if (entry.is_regular_file() && is_graph_file(entry.path())) found.push_back(entry.path().string());
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
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, s / 60 % 60);
  else std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  return buf;
}

}  // namespace

void add_experiment_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ExperimentOptions>();
  CLI::App* cmd = app.add_subcommand(
      "experiment",
      "Run partition algorithms and bound methods over graphs x k values and append one JSON\n"
      "line per (graph, k, kind, method) to the results file: testbed, graph, nodes, edges, k,\n"
      "kind (partition|bound), method, value, status, seconds, and partition_value when a bound\n"
      "method also found a partition. Rows already in the file are skipped (resumable).\n"
      "Split a sweep over machines with --shard I/N and concatenate the files afterwards.\n"
      "tools/report.py turns result files into docs/results.md.");
  cmd->add_option("GRAPHS", o->inputs, "Graph files, or folders whose graph files are all used")
      ->required();
  cmd->add_option("--results", o->results, "JSON-lines results file (appended to)")->required();
  cmd->add_option("--testbed", o->testbed, "Testbed name recorded in every row")->default_val("");
  cmd->add_option("-k,--stages", o->ks, "Comma-separated k values")->default_val(o->ks);
  cmd->add_option("--algorithms", o->algorithms, "Comma-separated: topo, brkga-100, brkga-10000")
      ->default_val(o->algorithms);
  cmd->add_option("--bounds", o->bounds,
                  "Comma-separated bound methods (see 'pipecut bound --help')")
      ->default_val(o->bounds);
  cmd->add_option("--time-limit", o->time_limit,
                  "Seconds per algorithm run and per bound method on one instance")
      ->check(CLI::PositiveNumber)
      ->default_val(o->time_limit);
  cmd->add_option("--threads", o->threads, "Threads (0 = all cores)")->default_val(0);
  cmd->add_option("--seed", o->seed, "SliceGraph seed")->default_val(1);
  cmd->add_option("--shard", o->shard, "Run shard I of N (1-based), e.g. 3/8")->default_val("1/1");
  cmd->add_option("--max-graphs", o->max_graphs, "Use only the first N graphs (0 = all)")
      ->default_val(0);
  cmd->add_flag("--quick",
                o->quick, "Smoke run: first 4 graphs, k = 2 and 8, topo and brkga-100, simple and "
                          "single bounds, 2 s limits");
  cmd->add_flag("--quiet", o->quiet, "No progress bar");
  cmd->callback([o, &exit_code] {
    ExperimentConfig c;
    c.graphs = expand_inputs(o->inputs);
    c.ks.clear();
    for (const std::string& k : split_list(o->ks)) {
      try {
        std::size_t used = 0;
        c.ks.push_back(std::stoi(k, &used));
        if (used != k.size()) throw std::invalid_argument(k);
      } catch (const std::exception&) {
        throw InputError("-k: '" + k + "' is not an integer");
      }
    }
    c.algorithms = split_list(o->algorithms);
    c.bounds = split_list(o->bounds);
    c.time_limit_seconds = o->time_limit;
    c.threads = o->threads;
    c.seed = o->seed;
    c.results_path = o->results;
    c.testbed = o->testbed;
    parse_shard(o->shard, c.shard_index, c.shard_count);
    if (o->quick) {
      c.ks = {2, 8};
      c.algorithms = {"topo", "brkga-100"};
      c.bounds = {"simple", "single"};
      c.time_limit_seconds = 2;
      if (c.graphs.size() > 4) c.graphs.resize(4);
    }
    if (o->max_graphs > 0 && c.graphs.size() > static_cast<std::size_t>(o->max_graphs))
      c.graphs.resize(static_cast<std::size_t>(o->max_graphs));
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
    const long long rows = run_experiment(c, progress);
    if (bar) std::cerr << "\n";
    std::cerr << "wrote " << rows << " rows to " << c.results_path << "\n";
    exit_code = 0;
  });
}

}  // namespace pipecut::cli
