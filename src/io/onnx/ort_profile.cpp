// ONNX Runtime profiling traces -> measured operator work (docs/cost-model.md "Measured costs").
#include "pipecut/io/ort_profile.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "io/onnx/ort_profile_apply.hpp"
#include "pipecut/io/file_util.hpp"
#include "io/json_util.hpp"
#include "pipecut/model/error.hpp"

namespace pipecut {

namespace {

constexpr const char* kKernelSuffix = "_kernel_time";
// ONNX Runtime's NCHWc layout transformer names the kernels it creates after their output
// tensor plus this suffix.
constexpr const char* kLayoutSuffix = "_nchwc";

struct Run {
  double begin = 0, end = 0;
};

// object[key] as a string; missing or null: empty.
std::string optional_string(const nlohmann::json& object, const char* key,
                            const std::string& source, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return {};
  if (!it->is_string())
    throw InputError(source + ": " + where + ": \"" + key + "\" must be a string");
  return it->get<std::string>();
}

}  // namespace

OrtKernelTimes parse_ort_profile(const std::string& text, const std::string& source,
                                 int warmup_runs) {
  if (warmup_runs < 0) throw InputError("--profile-warmup must be >= 0");
  const nlohmann::json doc = parse_json_document(text, source);
  // ONNX Runtime writes a bare array; Chrome's trace format also allows {"traceEvents": [...]}.
  const nlohmann::json* events = &doc;
  if (doc.is_object() && doc.contains("traceEvents")) events = &doc.at("traceEvents");
  if (!events->is_array())
    throw InputError(source + ": not an ONNX Runtime profile (expected a JSON array of events)");

  std::vector<Run> runs;
  struct Kernel {
    std::string node, op_name;
    double ts = 0, dur = 0;
    std::size_t event = 0;  // index in the trace, for messages
  };
  std::vector<Kernel> kernels;
  for (std::size_t i = 0; i < events->size(); ++i) {
    const nlohmann::json& e = (*events)[i];
    if (!e.is_object())
      throw InputError(source + ": event " + std::to_string(i) + " is not a JSON object");
    // Fields are type-checked here: nlohmann's value() throws its own type_error (an internal
    // error, exit 3) for a "cat": 1.
    const std::string name = optional_string(e, "name", source, "event " + std::to_string(i));
    const std::string where = "event " + std::to_string(i) + " ('" + name + "')";
    const std::string cat = optional_string(e, "cat", source, where);
    if (cat == "Session" && name == "model_run") {
      const double ts = json_number(e, "ts", source, where, true);
      const double dur = json_number(e, "dur", source, where, true);
      if (dur < 0) throw InputError(source + ": " + where + ": negative \"dur\"");
      if (!std::isfinite(ts + dur))
        throw InputError(source + ": " + where + ": \"ts\" + \"dur\" overflows to infinity");
      runs.push_back({ts, ts + dur});
    } else if (cat == "Node" && ends_with(name, kKernelSuffix)) {
      Kernel k;
      k.node = name.substr(0, name.size() - std::string(kKernelSuffix).size());
      k.ts = json_number(e, "ts", source, where, true);
      k.dur = json_number(e, "dur", source, where, true);
      if (k.dur < 0) throw InputError(source + ": " + where + ": negative \"dur\"");
      if (e.contains("args") && !e["args"].is_null()) {
        if (!e["args"].is_object())
          throw InputError(source + ": " + where + ": \"args\" must be an object");
        k.op_name = optional_string(e["args"], "op_name", source, where + ": args");
      }
      k.event = i;
      kernels.push_back(std::move(k));
    }
  }
  if (runs.empty())
    throw InputError(source +
                     ": not an ONNX Runtime profile (no \"model_run\" session event; write one "
                     "with tools/profile_onnx.mjs)");
  std::sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) { return a.begin < b.begin; });
  const int n_runs = static_cast<int>(runs.size());
  if (n_runs <= warmup_runs)
    throw InputError(source + ": " + std::to_string(n_runs) + " run(s) in the profile, all of them "
                     "warm-up (--profile-warmup " + std::to_string(warmup_runs) +
                     "); profile more runs");

  OrtKernelTimes out;
  out.runs = n_runs;
  out.warmup_runs = warmup_runs;
  const double kept = n_runs - warmup_runs;
  std::unordered_map<std::string, std::size_t> index;
  for (const Kernel& k : kernels) {
    // The run whose [begin, end] holds the kernel's start; kernels outside every run (none in
    // ONNX Runtime's traces) and those of warm-up runs are skipped.
    auto it = std::upper_bound(runs.begin(), runs.end(), k.ts,
                               [](double ts, const Run& r) { return ts < r.begin; });
    if (it == runs.begin()) continue;
    --it;
    if (k.ts > it->end || it - runs.begin() < warmup_runs) continue;
    auto [pos, inserted] = index.emplace(k.node, out.nodes.size());
    if (inserted) out.nodes.push_back({k.node, k.op_name, 0.0});
    double& mean = out.nodes[pos->second].mean_ms;
    mean += k.dur / 1000.0 / kept;  // µs -> ms, mean per run
    // Times this large are no measurement, and an infinite work would make every partition
    // look infeasible downstream.
    if (!std::isfinite(mean))
      throw InputError(source + ": event " + std::to_string(k.event) + " ('" + k.node +
                       kKernelSuffix + "'): the kernel times of node '" + k.node +
                       "' sum to infinity");
  }
  return out;
}

OrtKernelTimes read_ort_profile(const std::string& path, int warmup_runs) {
  return parse_ort_profile(read_file_maybe_gzip(path), path, warmup_runs);
}

std::string describe_profile_summary(const ProfileSummary& s) {
  char unmatched[160] = "";
  if (s.unmatched_kernels > 0)
    std::snprintf(unmatched, sizeof unmatched,
                  "; %d profiled kernel(s) match no operator (%.3f ms per run, not counted)",
                  s.unmatched_kernels, s.unmatched_ms);
  return s.path + ": " + std::to_string(s.runs) + " run(s), " + std::to_string(s.warmup_runs) +
         " warm-up skipped; " + std::to_string(s.measured) + " operators measured, " +
         std::to_string(s.fused) + " fused into a measured neighbour (work 0), " +
         std::to_string(s.estimated) + " estimated by the roofline model (not in the profile)" +
         unmatched;
}

ProfileSummary apply_ort_profile(const std::string& source, const OrtKernelTimes& times,
                                 const std::vector<std::string>& op_names,
                                 const std::unordered_map<std::string, int>& tensor_producer,
                                 OnnxImport& imported) {
  Graph& g = imported.graph;
  const int n = g.num_nodes();
  std::vector<NodeId> node_of_op(op_names.size(), -1);
  for (NodeId v = 0; v < n; ++v)
    if (imported.origins[v].op >= 0) node_of_op[imported.origins[v].op] = v;
  // Operator names that are unique in the file; a repeated name cannot be told apart in a trace.
  std::unordered_map<std::string, int> op_by_name;
  for (int i = 0; i < static_cast<int>(op_names.size()); ++i) {
    if (op_names[i].empty()) continue;
    auto [it, inserted] = op_by_name.emplace(op_names[i], i);
    if (!inserted) it->second = -1;
  }

  ProfileSummary summary;
  summary.path = source;
  summary.runs = times.runs;
  summary.warmup_runs = times.warmup_runs;
  std::vector<double> measured_ms(n, 0.0);
  std::vector<char> measured(n, 0);
  // Measured operators whose kernel shows that ONNX Runtime rewrote the graph around them: a
  // kernel of another type (FusedConv for a Conv) or one made by the layout optimisation.
  std::vector<char> fusion_site(n, 0);
  for (const OrtKernelTime& k : times.nodes) {
    int op = -1;
    bool rewritten = false;
    if (auto it = op_by_name.find(k.node); it != op_by_name.end()) op = it->second;
    if (op < 0 && ends_with(k.node, kLayoutSuffix)) {
      const std::string tensor = k.node.substr(0, k.node.size() - std::string(kLayoutSuffix).size());
      if (auto it = tensor_producer.find(tensor); it != tensor_producer.end()) op = it->second;
      rewritten = true;
    }
    const NodeId v = op >= 0 ? node_of_op[op] : -1;
    if (v < 0) {  // no operator, or a folded one
      ++summary.unmatched_kernels;
      summary.unmatched_ms += k.mean_ms;
      continue;
    }
    measured[v] = 1;
    measured_ms[v] += k.mean_ms;
    if (rewritten || (!k.op_name.empty() && k.op_name != g.op[v])) fusion_site[v] = 1;
  }
  // Operator neighbours, looking through output-port nodes to the operators behind them.
  auto is_port = [&](NodeId w) { return imported.origins[w].op < 0; };
  auto for_each_neighbour = [&](NodeId v, auto&& visit) {
    for (NodeId w : g.successors(v)) {
      if (!is_port(w)) {
        visit(w);
        continue;
      }
      for (NodeId x : g.successors(w)) visit(x);
    }
    for (NodeId w : g.predecessors(v)) {
      const NodeId u = is_port(w) ? imported.origins[w].port_owner : w;
      if (u >= 0) visit(u);
    }
  };
  // Unmeasured operators joined by edges form groups; ONNX Runtime ran a group that touches a
  // fusion site inside that kernel (Conv + Add + Relu is one kernel named after the Conv). A
  // group touching none was not profiled as such (or ran as kernels under generated names, as
  // the bodies of function operators do): it keeps its estimate.
  std::vector<char> fused(n, 0), visited(n, 0);
  for (NodeId start = 0; start < n; ++start) {
    if (is_port(start) || measured[start] || visited[start]) continue;
    std::vector<NodeId> group{start};
    visited[start] = 1;
    bool touches_measured = false;
    for (std::size_t q = 0; q < group.size(); ++q)
      for_each_neighbour(group[q], [&](NodeId w) {
        if (measured[w]) {
          touches_measured = touches_measured || fusion_site[w];
        } else if (!visited[w]) {
          visited[w] = 1;
          group.push_back(w);
        }
      });
    if (touches_measured)
      for (NodeId v : group) fused[v] = 1;
  }
  std::vector<double> work = g.work;
  for (NodeId v = 0; v < n; ++v) {
    if (is_port(v)) continue;
    if (measured[v]) {
      ++summary.measured;
      work[v] = measured_ms[v];
    } else if (fused[v]) {
      ++summary.fused;
      work[v] = 0.0;
    } else {
      ++summary.estimated;
    }
  }
  // Each measured time is finite (parse_ort_profile); their sum must be too, or every bound and
  // cost built on it would be infinite.
  double total = 0;
  for (double w : work) total += w;
  if (!std::isfinite(total))
    throw InputError(source + ": the measured kernel times sum to infinity over the model's operators");
  g.work = std::move(work);
  return summary;
}

}  // namespace pipecut
