#pragma once
// Helpers shared by the sub-commands: options bound straight into the library's option structs
// (so --help shows the library's defaults), exit codes, output, logging.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/cluster.hpp"
#include "pipecut/onnx/onnx_import.hpp"
#include "pipecut/solve/api.hpp"

namespace pipecut::cli {

// Exit codes (README "Exit codes").
constexpr int kExitOk = 0;
constexpr int kExitInvalid = 1;        // the answer is "no": evaluate found the partition invalid
constexpr int kExitInputError = 2;     // bad input or usage
constexpr int kExitInternal = 3;       // a bug: please report it
constexpr int kExitInfeasible = 4;     // proven: no partition satisfies the constraints
constexpr int kExitNoFeasible = 5;     // none found, infeasibility not proven in the time limit
constexpr int kExitOutputError = 6;    // a result could not be written
constexpr int kExitInterrupted = 130;  // stopped by Ctrl-C (results so far are still written)

// Options every command that reads a graph accepts, bound into ReadOptions.
struct GraphInput {
  std::string path;
  ReadOptions read;
};
void add_graph_input(CLI::App& cmd, GraphInput& in);
// --memory-per-stage, --ignore-memory, --ignore-colocation (part of add_graph_input), for
// commands that read graphs of their own (experiment).
void add_constraint_options(CLI::App& cmd, ReadOptions& read);
// The files the command reads through `in` (graph, --profile, a --device file): what an output
// folder replaced with --force must never hold.
std::vector<std::string> input_files(const GraphInput& in);
// Reads the graph; reader warnings, and with --profile what the profile covered, go to stderr.
Graph load_graph(const GraphInput& in);
// Commands that work on clusters: the graph and, with --cluster, the cluster (load_graph
// refuses --cluster, and so does load_onnx_model unless told otherwise).
struct GraphOnCluster {
  Graph graph;
  std::optional<Cluster> cluster;
};
GraphOnCluster load_graph_on_cluster(const GraphInput& in);
// The --cluster file, or nullopt when none is given.
std::optional<Cluster> load_cluster(const GraphInput& in);
// Same for commands that write stage models: the input must be ONNX. With `cluster_allowed`
// the caller reads --cluster itself (load_cluster); the import checks the graph against it.
OnnxImport load_onnx_model(const GraphInput& in, bool cluster_allowed = false);
}  // namespace pipecut::cli

namespace pipecut {
struct PipelineManifest;
}

namespace pipecut::cli {
// "wrote DIR: N stage model(s)…" and one line per stage.
void print_pipeline_summary(std::ostream& out, const PipelineManifest& m, const std::string& dir);

// -k/--stages: optional when the graph gives a default (stages_to_use).
void add_stages_option(CLI::App& cmd, std::optional<int>& k);

// Numeric options. Each checks the text it is given before CLI11 converts it, so that a bad
// value is one line naming the option ("--stages: must be an integer >= 1 (got 'abc')"), never
// clamped, wrapped or answered with CLI11's own range text.
struct NumberRange {
  double min = -std::numeric_limits<double>::max();
  bool min_open = false;  // true: min itself is not allowed
  double max = std::numeric_limits<double>::max();
};
inline constexpr NumberRange kAnyNumber{};
inline constexpr NumberRange kNonNegative{0, false};
inline constexpr NumberRange kPositive{0, true};
inline constexpr NumberRange kFraction{0, false, 1};  // 0 .. 1
// A finite number (NaN and infinity are refused) within `range`.
CLI::Option* add_number(CLI::App& cmd, const std::string& name, double& value,
                        const std::string& description, NumberRange range = kAnyNumber);
CLI::Option* add_number(CLI::App& cmd, const std::string& name, std::optional<double>& value,
                        const std::string& description, NumberRange range = kAnyNumber);
// A whole number in min..max, written in decimal.
CLI::Option* add_integer(CLI::App& cmd, const std::string& name, int& value,
                         const std::string& description, long long min,
                         long long max = std::numeric_limits<int>::max());
CLI::Option* add_integer(CLI::App& cmd, const std::string& name, std::optional<int>& value,
                         const std::string& description, long long min,
                         long long max = std::numeric_limits<int>::max());
// A whole number in 0 .. 2^64-1.
CLI::Option* add_uint64(CLI::App& cmd, const std::string& name, std::uint64_t& value,
                        const std::string& description);
// A random seed: a whole number in 0 .. 2^64-1.
CLI::Option* add_seed(CLI::App& cmd, std::uint64_t& seed, const std::string& description);
// A time limit in seconds: finite, >= 0, 0 = none.
CLI::Option* add_time_limit(CLI::App& cmd, double& seconds, const std::string& description);

// Prints "pipecut: warning: ..." on stderr: the CLI's LogCallback.
void print_warning(const std::string& message);

// Writes `text` (a trailing newline is added) to `path`, or to stdout if "-". Files are written
// atomically (io/file_util.hpp); gzip when the name ends in .gz.
void write_text_output(const std::string& text, const std::string& path);

// How partition and solve end: the summary on the human stream (stdout, or stderr when the JSON
// goes to stdout; none with --json --quiet), the pipecut.partition JSON written to `output` when
// set (with a "wrote" line unless quiet) and to stdout with `json`. Returns the human stream.
std::ostream& emit_solution(const Graph& g, const Solution& s, const std::string& output, bool json,
                            bool quiet);

// Runs `body`, which produces a partition. If it throws InfeasibleError or
// NoFeasiblePartitionError, the pipecut.partition "feasible": false document is written where
// the partition would have gone (`output` when not empty, stdout when `json`) before the error
// goes on to main, which prints its one line and exits with 4 or 5.
void with_infeasible_output(const Graph& g, int k, const std::string& output, bool json,
                            const std::function<void()>& body);

// SIGINT and SIGTERM remove the temporary files and folders of writes in progress before the
// process dies (TempPathGuard, io/file_util.hpp). main() installs them first.
void install_signal_handlers();

// The CLI's handle on Ctrl-C: while alive, the first SIGINT requests `stop()` (runs return
// their best so far), a second one ends the process as usual.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  [[nodiscard]] const StopFlag* stop() const { return &flag_; }
  [[nodiscard]] bool interrupted() const { return flag_.requested(); }

 private:
  StopFlag flag_;
};

}  // namespace pipecut::cli
