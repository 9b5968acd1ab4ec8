#include "cli/common.hpp"

#include <csignal>
#include <cmath>
#include <cstdlib>
#include <iostream>

#include "cli/summary.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/io/onnx_split.hpp"
#include "pipecut/io/memory_size.hpp"
#include "pipecut/io/partition_json.hpp"

namespace pipecut::cli {

namespace {

const CLI::Validator kFinite(
    [](std::string& text) -> std::string {
      char* end = nullptr;
      const double value = std::strtod(text.c_str(), &end);
      if (end == text.c_str() || *end != '\0' || !std::isfinite(value))
        return "must be a finite number (got '" + text + "')";
      return {};
    },
    "FINITE");

std::string joined(const std::vector<std::string>& names, const char* separator = ", ") {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : separator) + name;
  return text;
}

}  // namespace

CLI::Option* add_number(CLI::App& cmd, const std::string& name, double& value,
                        const std::string& description) {
  return cmd.add_option(name, value, description)->check(kFinite);
}

CLI::Option* add_time_limit(CLI::App& cmd, double& seconds, const std::string& description) {
  return add_number(cmd, "--time-limit", seconds, description)->check(CLI::NonNegativeNumber);
}

void add_graph_input(CLI::App& cmd, GraphInput& in) {
  cmd.add_option("GRAPH", in.path,
                 "Input graph: pipecut.graph JSON (.json/.json.gz), Tarnawski et al. JSON, "
                 "PipeDream graph.txt, REGAL CostGraphDef text (.pbtxt) or ONNX (.onnx/.onnx.gz); see "
                 "docs/formats.md")
      ->required();
  std::vector<std::string> formats(std::begin(kInputFormats), std::end(kInputFormats));
  cmd.add_option("--input-format", in.read.format,
                 "Force the input format instead of detecting it from extension and content: " +
                     joined(formats))
      ->check(CLI::IsMember(formats));
  cmd.add_option("--link-bandwidth", in.read.link_bandwidth_gbps,
                 "Link bandwidth between stages in GB/s (1e9 bytes/s), turning tensor bytes into "
                 "comm time for PipeDream, REGAL and ONNX inputs. Default: 16 for PipeDream/REGAL, "
                 "the device profile's link for ONNX")
      ->check(kFinite)
      ->check(CLI::PositiveNumber);
  cmd.add_option("--device", in.read.device,
                 "ONNX cost model device: a built-in profile (a100-pcie [default], a100-sxm, t4, "
                 "tpu-v4, cpu-avx512) or a JSON profile file; see docs/cost-model.md");
  cmd.add_option("--dtype", in.read.dtype,
                 "ONNX: compute and store floating-point tensors in this type instead of the "
                 "model's: fp32, tf32, fp16, bf16, int8")
      ->check(CLI::IsMember({"fp32", "tf32", "fp16", "bf16", "int8"}));
  cmd.add_option("--profile", in.read.profile,
                 "ONNX: an ONNX Runtime profiling trace (tools/profile_onnx.mjs) whose measured "
                 "kernel times replace the roofline work; operators it lacks keep the estimate "
                 "(docs/cost-model.md)");
  cmd.add_option("--profile-warmup", in.read.profile_warmup,
                 "Runs at the start of the --profile trace to skip")
      ->check(CLI::NonNegativeNumber);
  add_constraint_options(cmd, in.read);
}

void add_constraint_options(CLI::App& cmd, ReadOptions& read) {
  cmd.add_option_function<std::string>(
         "--memory-per-stage",
         [&read](const std::string& text) {
           read.memory_per_stage = parse_memory_size(text, "--memory-per-stage");
         },
         "Memory capacity of each stage (device): bytes, or with a unit (512MiB, 16GiB, 80GB; "
         "kB/MB/GB/TB are powers of 1000, KiB/MiB/GiB/TiB of 1024). Replaces the file's own "
         "capacity. Only node memory (weights, folded constants) counts, not activations")
      ->type_name("SIZE");
  cmd.add_flag("--ignore-memory", read.ignore_memory,
               "Ignore the memory capacity the graph file gives (stage memory is still shown)");
  cmd.add_flag("--ignore-colocation", read.ignore_colocation,
               "Ignore the graph's colour classes (must-colocate groups)");
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

Graph load_graph(const GraphInput& in) {
  GraphWithProfile read = read_graph_with_profile(in.path, read_options(in));
  report_profile(read.profile);
  return std::move(read.graph);
}

OnnxImport load_onnx_model(const GraphInput& in) {
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
  cmd.add_option("-k,--stages", k,
                 "Number of pipeline stages (devices), >= 1. May be omitted when the graph file "
                 "gives one (pipecut.graph default_k, Tarnawski maxFPGAs)");
}

void add_partition_options(CLI::App& cmd, PartitionOptions& options) {
  std::string algorithms;
  for (const PartitionAlgorithm& a : partition_algorithms())
    algorithms += "\n  " + a.name + ": " + a.description;
  cmd.add_option("--algorithm", options.algorithm, "Partition algorithm:" + algorithms)
      ->check(CLI::IsMember(partition_algorithm_names()));
  cmd.add_option("--preset", options.preset,
                 "SliceGraph preset of Archer et al.: brkga-100 (population 10 x 10 generations) "
                 "or brkga-10000 (100 x 100)")
      ->check(CLI::IsMember(slicegraph_preset_names()));
  cmd.add_option("--population", options.population,
                 "Override the preset's population size (0 = the preset's)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--generations", options.generations,
                 "Override the preset's number of generations (0 = the preset's)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--seed", options.seed, "Random seed; results are identical for the same seed");
  cmd.add_option("--threads", options.threads,
                 "Worker threads for the partition search (0 = all cores); never changes the "
                 "result")
      ->check(CLI::NonNegativeNumber);
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

std::ostream& emit_solution(const Graph& g, const Solution& s, const std::string& output,
                            bool json, bool quiet) {
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

extern "C" void on_interrupt(int) {
  StopFlag* flag = g_interrupt_flag.load();
  if (flag == nullptr || flag->requested()) {  // second Ctrl-C: stop now
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
    return;
  }
  flag->request();
}
}  // namespace

InterruptGuard::InterruptGuard() {
  g_interrupt_flag.store(&flag_);
  std::signal(SIGINT, on_interrupt);
}

InterruptGuard::~InterruptGuard() {
  std::signal(SIGINT, SIG_DFL);
  g_interrupt_flag.store(nullptr);
}

}  // namespace pipecut::cli
