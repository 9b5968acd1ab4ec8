#include "cli/common.hpp"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli/options_cli.hpp"
#include "cli/summary.hpp"
#include "pipecut/io/cluster_json.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/io/partition_json.hpp"
#include "pipecut/onnx/onnx_split.hpp"
#include "pipecut/util/memory_size.hpp"

namespace pipecut::cli {

namespace {

// The option's text as a number: what the validators below accept, checked before CLI11
// converts it (CLI11 would clamp "-1" into an unsigned seed and print ranges of 309 digits).
std::string number_range_text(NumberRange range) {
  const bool has_min = range.min > -std::numeric_limits<double>::max();
  const bool has_max = range.max < std::numeric_limits<double>::max();
  std::ostringstream text;
  text << std::setprecision(15);
  if (has_min && has_max)
    text << "in " << range.min << (range.min_open ? " (excluded)" : "") << " .. " << range.max;
  else if (has_min)
    text << (range.min_open ? "> " : ">= ") << range.min;
  else if (has_max)
    text << "<= " << range.max;
  return text.str();
}

CLI::Validator number_validator(NumberRange range) {
  const std::string wanted = number_range_text(range);
  return CLI::Validator(
      [range, wanted](std::string& text) -> std::string {
        char* end = nullptr;
        errno = 0;
        const double value = std::strtod(text.c_str(), &end);
        const bool parsed = end != text.c_str() && *end == '\0' &&
                            std::isspace(static_cast<unsigned char>(text[0])) == 0;
        if (!parsed || !std::isfinite(value) || errno == ERANGE)
          return "must be a finite number" + (wanted.empty() ? "" : " " + wanted) + " (got '" +
                 text + "')";
        const bool low = range.min_open ? !(value > range.min) : !(value >= range.min);
        if (low || !(value <= range.max)) return "must be " + wanted + " (got '" + text + "')";
        return {};
      },
      "NUMBER");
}

// Decimal digits with an optional sign, nothing else (no spaces, hex or exponent).
template <typename T>
std::optional<T> parse_decimal(const std::string& text) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (begin != end && *begin == '+' && end - begin > 1 && begin[1] != '-') ++begin;
  T value{};
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || begin == end) return std::nullopt;
  return value;
}

CLI::Validator integer_validator(long long min, long long max) {
  const std::string full = "in " + std::to_string(min) + " .. " + std::to_string(max);
  // An upper end that is only the type's limit is named when a value goes past it.
  const std::string usual =
      max == std::numeric_limits<int>::max() ? ">= " + std::to_string(min) : full;
  return CLI::Validator(
      [min, max, full, usual](std::string& text) -> std::string {
        const bool digits =
            !text.empty() && text.find_first_not_of("+-0123456789") == std::string::npos;
        const std::optional<long long> value = parse_decimal<long long>(text);
        if (value && *value >= min && *value <= max) return {};
        const bool too_big = digits && (value ? *value > max : text[0] != '-');
        return "must be an integer " + (too_big ? full : usual) + " (got '" + text + "')";
      },
      "INT");
}

}  // namespace

CLI::Option* add_number(CLI::App& cmd, const std::string& name, double& value,
                        const std::string& description, NumberRange range) {
  return cmd.add_option(name, value, description)->check(number_validator(range));
}

CLI::Option* add_number(CLI::App& cmd, const std::string& name, std::optional<double>& value,
                        const std::string& description, NumberRange range) {
  return cmd.add_option(name, value, description)->check(number_validator(range));
}

CLI::Option* add_integer(CLI::App& cmd, const std::string& name, int& value,
                         const std::string& description, long long min, long long max) {
  return cmd.add_option(name, value, description)->check(integer_validator(min, max));
}

CLI::Option* add_integer(CLI::App& cmd, const std::string& name, std::optional<int>& value,
                         const std::string& description, long long min, long long max) {
  return cmd.add_option(name, value, description)->check(integer_validator(min, max));
}

CLI::Option* add_uint64(CLI::App& cmd, const std::string& name, std::uint64_t& value,
                        const std::string& description) {
  const CLI::Validator validator(
      [](std::string& text) -> std::string {
        if (!parse_decimal<std::uint64_t>(text))
          return "must be an integer in 0 .. 18446744073709551615 (2^64 - 1) (got '" + text + "')";
        return {};
      },
      "UINT64");
  return cmd.add_option(name, value, description)->check(validator);
}

CLI::Option* add_seed(CLI::App& cmd, std::uint64_t& seed, const std::string& description) {
  return add_uint64(cmd, "--seed", seed, description);
}

CLI::Option* add_time_limit(CLI::App& cmd, double& seconds, const std::string& description) {
  return add_number(cmd, "--time-limit", seconds, description, kNonNegative);
}

void add_graph_input(CLI::App& cmd, GraphInput& in) {
  cmd.add_option(
         "GRAPH", in.path,
         "Input graph: pipecut.graph JSON (.json/.json.gz), Tarnawski et al. JSON, "
         "PipeDream graph.txt, REGAL CostGraphDef text (.pbtxt) or ONNX (.onnx/.onnx.gz); see "
         "docs/formats.md")
      ->required();
  add_catalogue_options(cmd, in.read, read_option_catalogue());
}

void add_constraint_options(CLI::App& cmd, ReadOptions& read) {
  add_catalogue_options(cmd, read, read_option_catalogue(),
                        {"memory-per-stage", "ignore-memory", "ignore-colocation"});
}

namespace {
ReadOptions read_options(const GraphInput& in) {
  ReadOptions options = in.read;
  options.warn = print_warning;
  return options;
}
void report_profile(const std::optional<ProfileSummary>& profile) {
  if (profile) std::cerr << "pipecut: profile " << describe_profile_summary(*profile) << "\n";
}
}  // namespace

std::vector<std::string> input_files(const GraphInput& in) {
  std::vector<std::string> files = {in.path};
  if (!in.read.profile.empty()) files.push_back(in.read.profile);
  std::error_code ec;
  if (!in.read.device.empty() && std::filesystem::exists(in.read.device, ec))
    files.push_back(in.read.device);  // a profile file, not a built-in name
  if (!in.read.cluster.empty()) files.push_back(in.read.cluster);
  return files;
}

namespace {
// Commands that have no meaning on a cluster refuse --cluster rather than ignore it
// (docs/clusters.md, "Commands").
void refuse_cluster(const GraphInput& in) {
  if (!in.read.cluster.empty())
    throw InputError(
        "--cluster: this command does not work on clusters (docs/clusters.md, \"Commands\")");
}
}  // namespace

Graph load_graph(const GraphInput& in) {
  refuse_cluster(in);
  GraphWithProfile read = read_graph_with_profile(in.path, read_options(in));
  report_profile(read.profile);
  return std::move(read.graph);
}

GraphOnCluster load_graph_on_cluster(const GraphInput& in) {
  GraphWithProfile read = read_graph_with_profile(in.path, read_options(in));
  report_profile(read.profile);
  return {std::move(read.graph), load_cluster(in)};
}

std::optional<Cluster> load_cluster(const GraphInput& in) {
  if (in.read.cluster.empty()) return std::nullopt;
  return read_cluster(in.read.cluster, in.read.max_input_bytes);
}

OnnxImport load_onnx_model(const GraphInput& in, bool cluster_allowed) {
  if (!cluster_allowed) refuse_cluster(in);
  OnnxImport imported = read_onnx_model(in.path, read_options(in));
  report_profile(imported.profile);
  return imported;
}

void print_pipeline_summary(std::ostream& out, const PipelineManifest& m, const std::string& dir) {
  out << "wrote " << dir << ": " << m.stages.size() << " stage model(s) and pipeline.json\n";
  for (const PipelineStage& s : m.stages) {
    out << "  " << s.file << ": " << s.operators.size() << " operators, " << s.inputs.size()
        << " inputs, " << s.outputs.size() << " outputs, predicted cost " << s.predicted.cost
        << (s.external_data_file.empty() ? "" : ", weights in " + s.external_data_file) << "\n";
  }
  if (m.moved_port_nodes > 0)
    out << "  " << m.moved_port_nodes
        << " output-port node(s) moved into their operator's stage (never raises a cost)\n";
}

void add_stages_option(CLI::App& cmd, std::optional<int>& k) {
  add_integer(cmd, "-k,--stages", k,
              "Number of pipeline stages (devices), >= 1. May be omitted when the graph file "
              "gives one (pipecut.graph default_k, Tarnawski maxFPGAs)",
              1);
}

void print_warning(const std::string& message) {
  std::cerr << "pipecut: warning: " << message << "\n";
}

void write_text_output(const std::string& text, const std::string& path) {
  if (path == "-") {
    std::cout << text << "\n" << std::flush;
    if (!std::cout) throw OutputError("stdout: write failed");
    return;
  }
  write_file_atomic(path, text + "\n", ends_with(path, ".gz"));
}

std::ostream& emit_solution(const Graph& g, const Solution& s, const std::string& output, bool json,
                            bool quiet) {
  std::ostream& human = json ? std::cerr : std::cout;
  if (!(json && quiet)) print_solution_summary(human, g, s);
  const std::string doc = solution_to_json(g, s);
  if (!output.empty()) {
    write_text_output(doc, output);
    if (!quiet) human << "wrote " << output << "\n";
  }
  if (json) write_text_output(doc, "-");
  return human;
}

void with_infeasible_output(const Graph& g, int k, const std::string& output, bool json,
                            const std::function<void()>& body) {
  auto write = [&](const std::string& reason, bool proven) {
    const std::string doc = infeasible_to_json(g, k, reason, proven);
    if (!output.empty()) write_text_output(doc, output);
    if (json) write_text_output(doc, "-");
  };
  try {
    body();
  } catch (const InfeasibleError& e) {
    write(e.what(), true);
    throw;
  } catch (const NoFeasiblePartitionError& e) {
    write(e.what(), false);
    throw;
  }
}

namespace {
std::atomic<StopFlag*> g_interrupt_flag{nullptr};

// SIGTERM, and SIGINT when nothing stops gracefully: remove what a write was filling (a
// temporary file or stage folder, io/file_util.hpp), then die of the signal as usual.
extern "C" void on_fatal_signal(int signal_number) {
  remove_registered_temp_paths();
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

extern "C" void on_interrupt(int signal_number) {
  StopFlag* flag = g_interrupt_flag.load();
  // The first Ctrl-C of a run stops it with its best result so far; a second one, or one while
  // stage models are being written, ends the process (after removing what was half-written).
  if (flag == nullptr || flag->requested() || temp_paths_registered()) {
    on_fatal_signal(signal_number);
    return;
  }
  flag->request();
}
}  // namespace

void install_signal_handlers() {
  std::signal(SIGINT, on_fatal_signal);
  std::signal(SIGTERM, on_fatal_signal);
}

InterruptGuard::InterruptGuard() {
  g_interrupt_flag.store(&flag_);
  std::signal(SIGINT, on_interrupt);
}

InterruptGuard::~InterruptGuard() {
  std::signal(SIGINT, on_fatal_signal);
  g_interrupt_flag.store(nullptr);
}

}  // namespace pipecut::cli
