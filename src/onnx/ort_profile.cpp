// ONNX Runtime profiling traces -> measured operator work (docs/cost-model.md "Measured costs").
#include "pipecut/onnx/ort_profile.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "io/json_util.hpp"
#include "onnx/ort_profile_apply.hpp"
#include "pipecut/io/file_util.hpp"
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

// args.input_type_shape / output_type_shape of a kernel event: [{"float": [1, 3, 224, 224]}, ...].
// Anything else reads as no shapes (they only guide attribution).
std::vector<std::vector<long long>> event_shapes(const nlohmann::json& args, const char* key) {
  std::vector<std::vector<long long>> shapes;
  const auto it = args.find(key);
  if (it == args.end() || !it->is_array()) return shapes;
  for (const nlohmann::json& entry : *it) {
    if (!entry.is_object() || entry.size() != 1 || !entry.begin()->is_array()) return {};
    std::vector<long long> dims;
    for (const nlohmann::json& d : *entry.begin()) {
      if (!d.is_number_integer()) return {};
      dims.push_back(d.get<long long>());
    }
    shapes.push_back(std::move(dims));
  }
  return shapes;
}

// ONNX Runtime names a node made by a fusion after the node it replaced plus "/<Name>Fusion"
// components ("/layers.0/fc1/MatMul/MatMulAddFusion", "/…/MatMul_1/MatmulTransposeFusion//
// MatMulScaleFusion/"): the operator of the remaining name, or -1. Sets `rewritten` on a match.
int fused_operator(const std::string& kernel,
                   const std::unordered_map<std::string, int>& op_by_name, bool& rewritten) {
  std::string name = kernel;
  while (!name.empty()) {
    const std::size_t slash = name.rfind('/');
    if (slash == std::string::npos) return -1;
    const std::string last = name.substr(slash + 1);
    if (!last.empty() && !ends_with(last, "Fusion")) break;
    name.resize(slash);
    if (auto it = op_by_name.find(name); it != op_by_name.end() && it->second >= 0) {
      rewritten = true;
      return it->second;
    }
  }
  return -1;
}

bool holds(const std::vector<std::vector<long long>>& shapes, const std::vector<long long>& shape) {
  return std::find(shapes.begin(), shapes.end(), shape) != shapes.end();
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
    const nlohmann::json* args = nullptr;
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
        k.args = &e["args"];
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
    throw InputError(source + ": " + std::to_string(n_runs) +
                     " run(s) in the profile, all of them "
                     "warm-up (--profile-warmup " +
                     std::to_string(warmup_runs) + "); profile more runs");

  OrtKernelTimes out;
  out.runs = n_runs;
  out.warmup_runs = warmup_runs;
  std::unordered_map<std::string, std::size_t> index;
  std::vector<std::vector<double>> per_run;  // per node: its kernel time in each kept run (ms)
  // In start order, so that `sequence` is the execution order.
  std::stable_sort(kernels.begin(), kernels.end(),
                   [](const Kernel& a, const Kernel& b) { return a.ts < b.ts; });
  for (const Kernel& k : kernels) {
    // The run whose [begin, end] holds the kernel's start; kernels outside every run (none in
    // ONNX Runtime's traces) and those of warm-up runs are skipped.
    auto it = std::upper_bound(runs.begin(), runs.end(), k.ts,
                               [](double ts, const Run& r) { return ts < r.begin; });
    if (it == runs.begin()) continue;
    --it;
    if (k.ts > it->end || it - runs.begin() < warmup_runs) continue;
    auto [pos, inserted] = index.emplace(k.node, out.nodes.size());
    if (inserted) {
      OrtKernelTime node{k.node, k.op_name, 0.0, {}, {}};
      if (k.args) {
        node.input_shapes = event_shapes(*k.args, "input_type_shape");
        node.output_shapes = event_shapes(*k.args, "output_type_shape");
      }
      out.nodes.push_back(std::move(node));
    }
    if (inserted) per_run.emplace_back(static_cast<std::size_t>(n_runs - warmup_runs), 0.0);
    double& run_time =
        per_run[pos->second][static_cast<std::size_t>(it - runs.begin() - warmup_runs)];
    run_time += k.dur / 1000.0;  // µs -> ms
    // Times this large are no measurement, and an infinite work would make every partition
    // look infeasible downstream.
    if (!std::isfinite(run_time))
      throw InputError(source + ": event " + std::to_string(k.event) + " ('" + k.node +
                       kKernelSuffix + "'): the kernel times of node '" + k.node +
                       "' sum to infinity");
    if (it - runs.begin() == warmup_runs) out.sequence.push_back(static_cast<int>(pos->second));
  }
  // The median over the kept runs, not the mean: on a shared machine a few runs are slowed by
  // other work, and the first runs after the warm-up can still be slow (docs/cost-model.md
  // "Measured costs").
  for (std::size_t i = 0; i < out.nodes.size(); ++i) {
    std::vector<double>& times = per_run[i];
    std::sort(times.begin(), times.end());
    const std::size_t m = times.size() / 2;
    out.nodes[i].median_ms = times.size() % 2 == 1 ? times[m] : (times[m - 1] + times[m]) / 2;
  }
  return out;
}

OrtKernelTimes read_ort_profile(const std::string& path, int warmup_runs) {
  return parse_ort_profile(read_file_maybe_gzip(path), path, warmup_runs);
}

std::string describe_profile_summary(const ProfileSummary& s) {
  char unmatched[240] = "";
  if (s.unmatched_kernels > 0)
    std::snprintf(unmatched, sizeof unmatched,
                  "; %d profiled kernel(s) match no operator by name (%.3f ms per run): %d "
                  "added to a neighbouring operator, %d not counted (%.3f ms)",
                  s.unmatched_kernels, s.unmatched_ms, s.attributed_kernels,
                  s.unmatched_kernels - s.attributed_kernels, s.unmatched_ms - s.attributed_ms);
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
  std::vector<NodeId> node_of_kernel(times.nodes.size(), -1);
  for (std::size_t i = 0; i < times.nodes.size(); ++i) {
    const OrtKernelTime& k = times.nodes[i];
    int op = -1;
    bool rewritten = false;
    if (auto it = op_by_name.find(k.node); it != op_by_name.end()) op = it->second;
    if (op < 0) op = fused_operator(k.node, op_by_name, rewritten);
    if (op < 0 && ends_with(k.node, kLayoutSuffix)) {
      const std::string tensor =
          k.node.substr(0, k.node.size() - std::string(kLayoutSuffix).size());
      if (auto it = tensor_producer.find(tensor); it != tensor_producer.end()) op = it->second;
      rewritten = true;
    }
    const NodeId v = op >= 0 ? node_of_op[op] : -1;
    if (v < 0) {  // no operator, or a folded one
      ++summary.unmatched_kernels;
      summary.unmatched_ms += k.median_ms;
      continue;
    }
    node_of_kernel[i] = v;
    measured[v] = 1;
    measured_ms[v] += k.median_ms;
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
  // Kernels that match no operator still ran: layout reorders around NCHWc kernels, the folded
  // parameter-only operators (optimisations off), bodies of function operators. Dropping them
  // under-predicts every stage, most the one whose reorder is large (a segmentation model's
  // final output); each is added to the operator it serves, found in execution order
  // (docs/cost-model.md "Kernels that match no operator").
  std::vector<int> position(times.nodes.size(), -1);
  for (std::size_t p = 0; p < times.sequence.size(); ++p)
    if (position[times.sequence[p]] < 0) position[times.sequence[p]] = static_cast<int>(p);
  auto nearest = [&](int from, int step, const std::vector<long long>* shape, bool want_output) {
    for (int p = from + step; p >= 0 && p < static_cast<int>(times.sequence.size()); p += step) {
      const int kernel = times.sequence[p];
      if (node_of_kernel[kernel] < 0) continue;
      const OrtKernelTime& k = times.nodes[kernel];
      if (!shape || holds(want_output ? k.output_shapes : k.input_shapes, *shape))
        return node_of_kernel[kernel];
    }
    return NodeId{-1};
  };
  auto estimated = [&](NodeId u) { return !is_port(u) && !measured[u] && !fused[u]; };
  std::vector<char> attributed(n, 0);
  for (std::size_t i = 0; i < times.nodes.size(); ++i) {
    if (node_of_kernel[i] >= 0 || position[i] < 0) continue;
    const OrtKernelTime& k = times.nodes[i];
    // A ReorderOutput converts its producer's blocked output back; anything else prepares or
    // computes an input of what follows.
    const bool backwards = k.op_name == "ReorderOutput";
    const std::vector<long long>* shape = nullptr;
    if (backwards && k.input_shapes.size() == 1) shape = &k.input_shapes[0];
    if (!backwards && !k.output_shapes.empty()) shape = &k.output_shapes[0];
    const int step = backwards ? -1 : 1;
    NodeId v = shape ? nearest(position[i], step, shape, backwards) : NodeId{-1};
    if (v < 0) v = nearest(position[i], step, nullptr, false);
    if (v < 0) v = nearest(position[i], -step, nullptr, false);
    if (v < 0) continue;
    // Kernels (other than layout reorders) run before an operator whose producer has no kernel
    // of its own are that producer's: the expanded body of a function operator (HardSwish as
    // HardSigmoid and Mul).
    if (!backwards && k.op_name.rfind("Reorder", 0) != 0)
      for (NodeId w : g.predecessors(v)) {
        const NodeId u = is_port(w) ? imported.origins[w].port_owner : w;
        if (u >= 0 && (estimated(u) || attributed[u])) {
          v = u;
          break;
        }
      }
    if (estimated(v)) {
      attributed[v] = 1;
      measured[v] = 1;
    }
    measured_ms[v] += k.median_ms;
    ++summary.attributed_kernels;
    summary.attributed_ms += k.median_ms;
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
    throw InputError(source +
                     ": the measured kernel times sum to infinity over the model's operators");
  g.work = std::move(work);
  return summary;
}

}  // namespace pipecut
