// `pipecut bench DIR`: runs the stage models of a split in ONNX Runtime and sets the measured
// stage times next to the cost model's predictions (docs/formats.md "pipecut.bench v1",
// docs/cost-model.md "Predicted against measured"). The measuring is done by the Node tool
// tools/bench_pipeline.mjs (onnxruntime-node); this command finds it, runs it and merges.
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/io/pipeline_bench.hpp"
#include "pipecut/model/error.hpp"

extern char** environ;

namespace pipecut::cli {

namespace {

namespace fs = std::filesystem;

struct BenchCommand {
  std::string dir;
  int runs = 30;
  int warmup = 5;
  bool pipelined = false;
  int microbatches = 64;
  int seed = 1;
  std::string optimizations = "on";
  bool no_pin = false;
  bool json = false;
  std::string output;
  std::string model;          // source model, for predictions under other cost options
  double link_bandwidth = 0;  // --link-bandwidth, when given
  ReadOptions read;
};

// Where the Node tool lives and what runs it (README "pipecut bench"): $PIPECUT_NODE, else the
// node CMake found, else `node` on PATH; $PIPECUT_TOOLS_DIR, else the installed tools next to
// the binary (PREFIX/share/pipecut/tools), else the source tree the binary was built from.
struct NodeRuntime {
  std::string node;
  std::string tools;
};

std::string executable_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.parent_path().string();
}

std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return {};
}

NodeRuntime find_node_runtime() {
  NodeRuntime r;
  if (const char* env = std::getenv("PIPECUT_NODE"); env && *env) {
    if (access(env, X_OK) != 0)
      throw InputError(std::string(env) + ": PIPECUT_NODE does not name an executable node");
    r.node = env;
  } else if (std::string configured = PIPECUT_NODE_EXECUTABLE;
             !configured.empty() && access(configured.c_str(), X_OK) == 0) {
    r.node = configured;
  } else {
    r.node = find_on_path("node");
    if (r.node.empty())
      throw InputError(
          "pipecut bench needs Node.js (>= 18) to run ONNX Runtime: install it "
          "(apt-get install nodejs) or set PIPECUT_NODE to its path");
  }
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("PIPECUT_TOOLS_DIR"); env && *env) {
    candidates = {env};
  } else {
    if (const std::string exe = executable_dir(); !exe.empty())
      candidates.push_back(
          (fs::path(exe) / PIPECUT_INSTALLED_TOOLS_DIR).lexically_normal().string());
    candidates.push_back(PIPECUT_SOURCE_TOOLS_DIR);
  }
  for (const std::string& dir : candidates)
    if (fs::exists(fs::path(dir) / "bench_pipeline.mjs")) {
      r.tools = dir;
      break;
    }
  if (r.tools.empty())
    throw InputError("pipecut bench: tools/bench_pipeline.mjs not found in " + candidates.front() +
                     (candidates.size() > 1 ? " or " + candidates.back() : std::string()) +
                     "; set PIPECUT_TOOLS_DIR to the folder holding it");
  if (!fs::exists(fs::path(r.tools) / "node_modules" / "onnxruntime-node" / "package.json"))
    throw InputError("pipecut bench: onnxruntime-node is not installed in " + r.tools +
                     "/node_modules: run `npm ci --ignore-scripts` in " + r.tools +
                     " (tools/README.md)");
  return r;
}

int usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

double load_average() {
  std::ifstream in("/proc/loadavg");
  double one = 0;
  return in >> one ? one : 0.0;
}

// A private folder for the tool's output, removed on every path out.
class TempFolder {
 public:
  TempFolder() {
    std::string pattern = (fs::temp_directory_path() / "pipecut-bench-XXXXXX").string();
    if (!mkdtemp(pattern.data()))
      throw OutputError(pattern + ": cannot create a temporary folder (" + std::strerror(errno) +
                        ")");
    path_ = pattern;
  }
  ~TempFolder() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  [[nodiscard]] std::string file(const std::string& name) const {
    return (fs::path(path_) / name).string();
  }

 private:
  std::string path_;
};

// Runs argv with stdout and stderr into files; returns the wait status.
int run_process(const std::vector<std::string>& args, const std::string& out,
                const std::string& err) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw InputError(args[0] + ": cannot run it (" + std::strerror(rc) + ")");
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
  return status;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The tool's error line without its prefix; the last line when there are several.
std::string tool_error(const std::string& err) {
  std::string line;
  std::stringstream lines(err);
  for (std::string l; std::getline(lines, l);)
    if (!l.empty()) line = l;
  for (const char* prefix : {"bench_pipeline: error: ", "bench_pipeline: "})
    if (line.rfind(prefix, 0) == 0) return line.substr(std::strlen(prefix));
  return line.empty() ? "no message" : line;
}

bool has_cost_options(const BenchCommand& o) {
  return !o.model.empty() || !o.read.device.empty() || !o.read.profile.empty() ||
         !o.read.dtype.empty() || o.read.link_bandwidth_gbps.has_value();
}

// The source model: --model, else the manifest's file name next to the folder or in the
// current folder.
std::string source_model(const BenchCommand& o, const PipelineManifest& m) {
  if (!o.model.empty()) return o.model;
  for (const fs::path& candidate : {fs::path(o.dir).parent_path() / m.model, fs::path(m.model)})
    if (!m.model.empty() && fs::is_regular_file(candidate)) return candidate.string();
  throw InputError(o.dir + "/pipeline.json: the source model '" + m.model +
                   "' is needed to predict under --device/--profile and is not next to the "
                   "folder; give it with --model");
}

std::vector<StageCost> predictions(BenchCommand& o, const PipelineManifest& m, BenchResult& info) {
  std::vector<StageCost> out;
  if (!has_cost_options(o)) {
    for (const PipelineStage& s : m.stages) out.push_back(s.predicted);
    info.prediction_source = "pipeline.json";
    return out;
  }
  GraphInput input;
  input.path = source_model(o, m);
  input.read = o.read;
  const OnnxImport imported = load_onnx_model(input);
  std::vector<NodeId> port_owner;
  for (const OnnxNodeOrigin& origin : imported.origins) port_owner.push_back(origin.port_owner);
  const Partition p = manifest_partition(m, imported.graph, port_owner, o.dir + "/pipeline.json");
  const Evaluation e = evaluate(imported.graph, p);
  for (const PipelineStage& s : m.stages) out.push_back(e.stages.at(s.partition_stage));
  info.prediction_source = o.read.profile.empty() ? "device" : "profile";
  info.device = imported.device.name;
  info.profile = o.read.profile;
  return out;
}

std::string percent(double error) {
  std::ostringstream s;
  s << std::showpos << std::fixed << std::setprecision(1) << 100 * error << " %";
  return s.str();
}

void print_bench(std::ostream& out, const BenchResult& r) {
  out << "bench " << r.pipeline << ": " << r.stages.size() << " stage(s) of " << r.model << ", "
      << r.runtime << ", " << r.threads << " thread per stage, median of " << r.runs
      << " runs after " << r.warmup << " warm-up; load average " << r.load_average << "\n";
  out << "predicted from " << r.prediction_source
      << (r.device.empty() ? "" : ", device " + r.device)
      << (r.profile.empty() ? "" : ", profile " + r.profile) << "\n";
  out << std::fixed << std::setprecision(3);
  out << "  stage  ops  predicted ms  measured ms  run ms (p10-p90)         copy ms  error\n";
  for (const BenchStage& s : r.stages) {
    std::ostringstream spread;
    spread << std::fixed << std::setprecision(3) << s.run_ms.median << " (" << s.run_ms.p10 << "-"
           << s.run_ms.p90 << ")";
    out << "  " << std::setw(5) << s.stage << std::setw(5) << s.operators << std::setw(14)
        << s.predicted.cost << std::setw(13) << s.measured_ms << "  " << std::left << std::setw(25)
        << spread.str() << std::right << std::setw(7) << s.copy_in_ms + s.copy_out_ms << "  "
        << percent(s.error)
        << (s.stage == r.measured_bottleneck_stage ? "  <- measured bottleneck" : "") << "\n";
  }
  out << "bottleneck: predicted " << r.predicted_bottleneck_ms << " ms (stage "
      << r.predicted_bottleneck_stage << "), measured " << r.measured_bottleneck_ms << " ms (stage "
      << r.measured_bottleneck_stage << "), error " << percent(r.bottleneck_error) << "\n";
  if (r.pipelined) {
    const BenchPipelined& p = *r.pipelined;
    out << std::setprecision(2) << "pipelined: " << p.throughput_per_s
        << " microbatches/s measured, " << p.predicted_throughput_per_s << " predicted (error "
        << percent(p.error) << "), " << p.steady_microbatches << " of " << p.microbatches
        << " microbatches in the steady state, " << (p.pinned ? "one core per stage" : "not pinned")
        << "\n  busy fraction per stage:";
    for (const BenchPipelinedStage& s : p.stages)
      out << " " << s.busy_fraction << " (predicted " << s.predicted_busy_fraction << ")";
    out << "\n";
  }
  out << std::defaultfloat;
}

}  // namespace

void add_bench_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<BenchCommand>();
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Run the stage models of DIR (written by split or solve --export-onnx) in ONNX Runtime\n"
      "on this machine's CPU and compare each stage's measured time with the cost model's\n"
      "prediction. Each stage runs alone, single-threaded, on the tensors it receives when\n"
      "seeded random model inputs go through the earlier stages; with --pipelined the stages\n"
      "also run as a pipeline, one worker per core. Predictions are those of pipeline.json, or\n"
      "recomputed from the source model under --device / --profile. Needs Node.js and\n"
      "tools/node_modules (README \"pipecut bench\"). Output: pipecut.bench JSON\n"
      "(docs/formats.md).");
  cmd->add_option("DIR", o->dir, "Folder with pipeline.json and stage_*.onnx")->required();
  cmd->add_option("--runs", o->runs, "Timed runs of each stage alone")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--warmup", o->warmup,
                  "Untimed runs before them; with --pipelined also the microbatches left out of "
                  "the steady state (at least the number of stages)")
      ->check(CLI::Range(0, 1000000));
  cmd->add_flag("--pipelined", o->pipelined,
                "Also run the stages as a pipeline: one worker thread per stage, pinned to its "
                "own core, bounded queues between them; needs a core per stage");
  cmd->add_option("--microbatches", o->microbatches,
                  "Microbatches streamed through the pipeline (--pipelined)")
      ->check(CLI::Range(3, 1000000));
  cmd->add_option("--seed", o->seed, "Seed of the random model inputs")
      ->check(CLI::Range(0, 2147483647));
  cmd->add_option("--optimizations", o->optimizations,
                  "ONNX Runtime graph optimisations of the stage sessions: on (all, as "
                  "deployed) or off (each operator its own kernel)")
      ->check(CLI::IsMember({"on", "off"}));
  cmd->add_flag("--no-pin", o->no_pin, "--pipelined: do not pin the workers to cores");
  cmd->add_flag("--json", o->json,
                "Print the pipecut.bench JSON alone on stdout (summary on stderr)");
  cmd->add_option("-o,--output", o->output, "Also write the pipecut.bench JSON to this file");
  cmd->add_option("--model", o->model,
                  "The source ONNX model, to recompute the predictions under the cost options "
                  "below (default: the manifest's model next to DIR or in the current folder)");
  cmd->add_option("--device", o->read.device,
                  "Predict with this device profile's roofline (built-in name or JSON file; "
                  "docs/cost-model.md)");
  cmd->add_option("--dtype", o->read.dtype, "Predict with this compute dtype")
      ->check(CLI::IsMember({"fp32", "tf32", "fp16", "bf16", "int8"}));
  add_number(*cmd, "--link-bandwidth", o->link_bandwidth,
             "Predict with this link bandwidth (GB/s) instead of the device's")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--profile", o->read.profile,
                  "Predict with the measured operator times of this ONNX Runtime trace "
                  "(tools/profile_onnx.mjs), best taken on this machine");
  cmd->add_option("--profile-warmup", o->read.profile_warmup,
                  "Runs at the start of the --profile trace to skip")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([o, cmd, &exit_code] {
    if (cmd->count("--link-bandwidth") > 0) o->read.link_bandwidth_gbps = o->link_bandwidth;
    if (cmd->count("--microbatches") > 0 && !o->pipelined)
      throw InputError("--microbatches needs --pipelined");
    const PipelineManifest manifest = read_pipeline_manifest(o->dir);
    refuse_to_overwrite_inputs(
        o->output, {o->dir + "/pipeline.json", o->model, o->read.profile, o->read.device});
    for (const PipelineStage& s : manifest.stages)
      refuse_to_overwrite_inputs(o->output, {(fs::path(o->dir) / s.file).string()});
    BenchResult info;
    const std::vector<StageCost> predicted = predictions(*o, manifest, info);
    const int stages = static_cast<int>(manifest.stages.size());
    if (o->pipelined && stages > usable_cores())
      throw InputError(o->dir + ": a pipelined run needs one core per stage: " +
                       std::to_string(stages) + " stages, " + std::to_string(usable_cores()) +
                       " core(s) available here (run the stages alone without --pipelined)");
    const NodeRuntime runtime = find_node_runtime();

    TempFolder tmp;
    std::vector<std::string> args = {runtime.node,
                                     (fs::path(runtime.tools) / "bench_pipeline.mjs").string(),
                                     o->dir,
                                     "--runs",
                                     std::to_string(o->runs),
                                     "--warmup",
                                     std::to_string(o->warmup),
                                     "--seed",
                                     std::to_string(o->seed),
                                     "--optimizations",
                                     o->optimizations};
    if (o->pipelined) {
      args.insert(args.end(), {"--pipelined", "--microbatches", std::to_string(o->microbatches),
                               "--pin", o->no_pin ? "off" : "on"});
    }
    const double load = load_average();
    const InterruptGuard interrupt;
    const int status = run_process(args, tmp.file("out.json"), tmp.file("err.txt"));
    const std::string err = read_text(tmp.file("err.txt"));
    if (interrupt.interrupted() || (WIFSIGNALED(status) && WTERMSIG(status) == SIGINT)) {
      std::cerr << "pipecut: interrupted: nothing measured was written\n";
      exit_code = kExitInterrupted;
      return;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      if (WIFEXITED(status) && WEXITSTATUS(status) == 2) throw InputError(tool_error(err));
      throw std::runtime_error("tools/bench_pipeline.mjs failed: " + tool_error(err));
    }
    // Warnings of the tool (e.g. a worker it could not pin) go on to the user.
    std::stringstream lines(err);
    for (std::string line; std::getline(lines, line);)
      if (!line.empty())
        std::cerr << "pipecut: " << line.substr(line.rfind("bench_pipeline: ", 0) == 0 ? 16 : 0)
                  << "\n";

    BenchResult r = bench_from_measurements(manifest, predicted, read_text(tmp.file("out.json")),
                                            "tools/bench_pipeline.mjs output");
    r.pipeline = o->dir;
    r.prediction_source = info.prediction_source;
    r.device = info.device;
    r.profile = info.profile;
    r.load_average = load;
    finish_bench(r);
    std::ostream& human = o->json ? std::cerr : std::cout;
    print_bench(human, r);
    const std::string doc = bench_to_json(r);
    if (!o->output.empty()) {
      write_text_output(doc.substr(0, doc.size() - 1), o->output);
      human << "wrote " << o->output << "\n";
    }
    if (o->json) write_text_output(doc.substr(0, doc.size() - 1), "-");
    exit_code = kExitOk;
  });
}

}  // namespace pipecut::cli
