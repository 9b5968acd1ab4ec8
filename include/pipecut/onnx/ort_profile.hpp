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

// One ORT node of the trace: the median over the runs kept of its kernels' time in a run.
struct OrtKernelTime {
  std::string node;     // ORT node name (the event name without "_kernel_time")
  std::string op_name;  // the kernel's operator, e.g. "Conv", "FusedConv", "ReorderOutput"
  double median_ms = 0;
  // Tensor shapes of its first kept event (args.input_type_shape / output_type_shape; empty
  // when the trace has none), used to tie a kernel that matches no operator to its neighbour.
  std::vector<std::vector<long long>> input_shapes, output_shapes;
};

struct OrtKernelTimes {
  int runs = 0;                      // model_run events in the file
  int warmup_runs = 0;               // skipped at the start
  std::vector<OrtKernelTime> nodes;  // in order of first appearance
  // Indices into `nodes` in execution order of the first kept run (one thread runs the kernels
  // one after another; docs/cost-model.md "Kernels that match no operator").
  std::vector<int> sequence;
};

// Reads a trace, skipping the first `warmup_runs` runs. Throws InputError naming `path` for a
// file that is not such a trace (not a JSON array of events, no model_run event, a kernel event
// without a numeric ts/dur) or that has no run left after the warm-up.
OrtKernelTimes read_ort_profile(const std::string& path, int warmup_runs);
OrtKernelTimes parse_ort_profile(const std::string& text, const std::string& source,
                                 int warmup_runs);

// What a profile covered when applied to an imported ONNX model. Every operator (graph node
// standing for an ONNX operator; output-port nodes are not counted) is in exactly one class:
//   measured  - kernel events of its own (by node name; for ONNX Runtime's layout-optimised
//               kernels named "<tensor>_nchwc", by the operator writing that tensor; for fused
//               nodes named "<node>/<Name>Fusion…", by that node):
//               work = their median time per run;
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
  int unmatched_kernels = 0;  // ORT nodes that match no operator by name (layout reorders,
                              // folded parameter-only operators run without optimisations,
                              // expanded function operators)
  double unmatched_ms = 0;    // their median time per run
  // Of those, the kernels whose time was added to a neighbouring measured operator: a
  // ReorderOutput to the operator whose output it converts (the nearest earlier kernel writing
  // its input's shape), any other to the operator it feeds (the nearest later kernel reading its
  // output's shape); the rest is dropped (docs/cost-model.md "Kernels that match no operator").
  int attributed_kernels = 0;
  double attributed_ms = 0;
};

// One line for the user, e.g. "profile.json: 9 runs (1 warm-up skipped); 52 operators measured,
// 12 fused into a measured neighbour (work 0), 0 estimated by the roofline model; 3 profiled
// kernel(s) match no operator by name (0.120 ms per run), all added to a neighbouring operator".
std::string describe_profile_summary(const ProfileSummary& summary);

}  // namespace pipecut
