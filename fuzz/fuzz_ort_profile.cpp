// The ONNX Runtime profile reader (--profile) on arbitrary text, then the measured times applied
// to a small fixed import (conv -> relu -> split with two consumed outputs -> add), as the
// ONNX importer does.
#include <limits>

#include "fuzz_util.hpp"
#include "onnx/ort_profile_apply.hpp"
#include "pipecut/onnx/ort_profile.hpp"

namespace {

// What import_onnx_bytes would give for that model: operators 0..3, an output-port node per
// consumed output of the split, and "r" written by relu (for "<tensor>_nchwc" kernels).
const pipecut::OnnxImport& fixed_import() {
  static const pipecut::OnnxImport imported = [] {
    pipecut::OnnxImport r;
    pipecut::GraphBuilder b("model.onnx");
    for (const char* id : {"conv", "relu", "split", "split:0", "split:1", "add"}) {
      pipecut::NodeSpec s;
      s.id = id;
      s.work = 1;
      s.comm = 1;
      b.add_node(s);
    }
    b.add_edge(0, 1);
    b.add_edge(1, 2);
    b.add_edge(2, 3);
    b.add_edge(2, 4);
    b.add_edge(3, 5);
    b.add_edge(4, 5);
    r.graph = std::move(b).build();
    r.origins = {{0, -1, "c", {}},  {1, -1, "r", {}},  {2, -1, "", {}},
                 {-1, 2, "s0", {}}, {-1, 2, "s1", {}}, {3, -1, "y", {}}};
    return r;
  }();
  return imported;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size > pipecut::fuzz::kMaxInput) return -1;
  const int warmup = data[0] % 3;  // the first byte picks --profile-warmup
  const std::string text = pipecut::fuzz::as_string(data + 1, size - 1);
  pipecut::fuzz::expect_graceful("fuzz.json", [&] {
    const pipecut::OrtKernelTimes times = pipecut::parse_ort_profile(text, "fuzz.json", warmup);
    pipecut::OnnxImport imported = fixed_import();
    const pipecut::ProfileSummary summary = pipecut::apply_ort_profile(
        "fuzz.json", times, {"conv", "relu", "split", "add"}, {{"r", 1}, {"y", 3}}, imported);
    (void)pipecut::describe_profile_summary(summary);
    for (double w : imported.graph.work)
      if (!(w >= 0) || w == std::numeric_limits<double>::infinity()) {
        std::fprintf(stderr, "measured work %g accepted\n", w);
        std::abort();
      }
  });
  return 0;
}
