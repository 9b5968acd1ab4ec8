#pragma once
// Measured operator times from ONNX Runtime's profiler (docs/cost-model.md "Measured costs").
//
// The trace is the JSON file ONNX Runtime writes when profiling is enabled (for instance by
// tools/profile_onnx.mjs): an array of events; `"cat": "Session"` events named `model_run` delimit
// the runs, and kernel events have `"cat": "Node"`, a name `<ORT node name>_kernel_time`, a start
// `ts` and a duration `dur` in microseconds, and `args.op_name`. Times here are milliseconds.
#include <string>
#include <vector>

namespace pipecut {

// One ORT node of the trace: the mean time of its kernels per run, over the runs kept.
struct OrtKernelTime {
  std::string node;     // ORT node name (the event name without "_kernel_time")
  std::string op_name;  // the kernel's operator, e.g. "Conv", "FusedConv", "ReorderOutput"
  double mean_ms = 0;
};

struct OrtKernelTimes {
  int runs = 0;         // model_run events in the file
  int warmup_runs = 0;  // skipped at the start
  std::vector<OrtKernelTime> nodes;  // in order of first appearance
};

// Reads a trace, skipping the first `warmup_runs` runs. Throws InputError naming `path` for a
// file that is not such a trace (not a JSON array of events, no model_run event, a kernel event
// without a numeric ts/dur) or that has no run left after the warm-up.
OrtKernelTimes read_ort_profile(const std::string& path, int warmup_runs);
OrtKernelTimes parse_ort_profile(const std::string& text, const std::string& source,
                                 int warmup_runs);

// What a profile covered when applied to an imported ONNX model. Every operator (graph node
// standing for an ONNX operator; output-port nodes are not counted) is in exactly one class:
//   measured  - kernel events of its own (by node name, or, for ONNX Runtime's layout-optimised
//               kernels named "<tensor>_nchwc", by the operator writing that tensor):
//               work = their mean time per run;
//   fused     - no events of its own, and the group of unmeasured operators connected to it
//               touches a fusion site: a measured operator whose kernel is of another type
//               (FusedConv for a Conv) or layout-optimised. ONNX Runtime ran the group inside
//               that kernel (Conv + Relu, Conv + Add + Relu, ...), so its work is 0 and its time
//               is counted in the kernel's;
//   estimated - otherwise: not profiled as such (a trace of another model, or an operator that
//               ONNX Runtime expands into kernels with generated names, like HardSwish); it
//               keeps the roofline estimate.
// Profiling with optimisations off (tools/profile_onnx.mjs --optimizations off) measures every
// operator on its own, function operators aside.
struct ProfileSummary {
  std::string path;
  int runs = 0;         // runs in the file
  int warmup_runs = 0;  // of which skipped
  int measured = 0;
  int fused = 0;
  int estimated = 0;
  int unmatched_kernels = 0;   // ORT nodes that match no operator (e.g. layout reorders, or
                               // folded parameter-only operators run without optimisations)
  double unmatched_ms = 0;     // their mean time per run, not attributed to any operator
};

// One line for the user, e.g. "profile.json: 9 runs (1 warm-up skipped); 52 operators measured,
// 12 fused into a measured neighbour (work 0), 0 estimated by the roofline model".
std::string describe_profile_summary(const ProfileSummary& summary);

}  // namespace pipecut
