// The shared roofline (device_model.hpp): its formula, and that the ONNX importer prices every
// operator and tensor with it (the PyTorch front end relies on the same two functions).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "pipecut/model/error.hpp"
#include "pipecut/onnx/device_model.hpp"
#include "pipecut/onnx/onnx_import.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

TEST(Roofline, ComputeBoundMemoryBoundAndViews) {
  DeviceProfile d;
  d.peak_tflops = {{"fp32", 10}, {"fp16", 40}};
  d.memory_bandwidth_gbps = 100;
  d.link_bandwidth_gbps = 20;
  d.link_latency_us = 7;
  d.launch_overhead_us = 3;
  // 1e10 FLOPs at 10 TFLOP/s = 1 ms; 1e6 bytes at 100 GB/s = 0.01 ms: compute bound.
  EXPECT_DOUBLE_EQ(operator_time_ms(d, "Conv", 1e10, 1e6, "fp32"), 1.0 + 0.003);
  EXPECT_DOUBLE_EQ(operator_time_ms(d, "Conv", 1e10, 1e6, "fp16"), 0.25 + 0.003);
  // bf16 is not listed: it runs at the fp32 rate.
  EXPECT_DOUBLE_EQ(operator_time_ms(d, "MatMul", 1e10, 1e6, "bf16"), 1.0 + 0.003);
  // 1e9 bytes at 100 GB/s = 10 ms: memory bound.
  EXPECT_DOUBLE_EQ(operator_time_ms(d, "Add", 1e6, 1e9, "fp32"), 10.0 + 0.003);
  for (const char* view : {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout"}) {
    EXPECT_TRUE(is_view_operator(view)) << view;
    EXPECT_EQ(operator_time_ms(d, view, 1e10, 1e9, "fp32"), 0.0) << view;
  }
  EXPECT_FALSE(is_view_operator("Transpose"));  // a copy in the cost model
  // 2e6 bytes at 20 GB/s = 0.1 ms, plus 7 us latency.
  EXPECT_DOUBLE_EQ(tensor_transfer_ms(d, 2e6, 20), 0.1 + 0.007);
  EXPECT_DOUBLE_EQ(tensor_transfer_ms(d, 2e6, 40), 0.05 + 0.007);
}

TEST(Roofline, OnnxImporterPricesEveryOperatorWithIt) {
  for (const char* device : {"a100-pcie", "t4"}) {
    OnnxImportOptions options;
    options.device = device;
    const OnnxImport r =
        import_onnx_model(testing::data_path("samples/onnx/tiny_conv_matmul_split.onnx"), options);
    const Graph& g = r.graph;
    int operators = 0;
    for (NodeId v = 0; v < g.num_nodes(); ++v) {
      if (g.op[v] == "output_port") continue;  // zero-work carriers of a Split's outputs
      ++operators;
      const OnnxNodeCost& c = r.costs[v];
      EXPECT_DOUBLE_EQ(g.work[v], operator_time_ms(r.device, g.op[v], c.flops,
                                                   c.bytes_read + c.bytes_written, "fp32"))
          << g.ids[v];
      const auto succ = g.successors(v);
      const bool has_ports =
          std::any_of(succ.begin(), succ.end(), [&](NodeId w) { return g.op[w] == "output_port"; });
      if (!has_ports) {
        EXPECT_DOUBLE_EQ(g.comm[v],
                         tensor_transfer_ms(r.device, c.output_bytes, r.device.link_bandwidth_gbps))
            << g.ids[v];
      }
    }
    EXPECT_EQ(operators, 8);
  }
}

}  // namespace
}  // namespace pipecut

namespace pipecut {
namespace {

// A device file's rates and times must be ones a device can have: a peak of 1e-310 TFLOPS made
// every operator's time infinite (a false "infeasible" downstream). Found by fuzz_device_profile.
TEST(DeviceProfileFile, ValuesOutsideAnyDeviceAreInputErrorsNamingTheField) {
  const std::string valid =
      R"({"peak_tflops":{"fp32":19.5},"memory_bandwidth_gbps":1555,"link_bandwidth_gbps":32,"link_latency_us":10,"launch_overhead_us":5})";
  const DeviceProfile d = parse_device_profile(valid, "d.json");
  EXPECT_DOUBLE_EQ(d.peak_tflops.at("fp32"), 19.5);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"("fp32":19.5)", R"("fp32":1e-310)"},
      {R"("fp32":19.5)", R"("fp32":0)"},
      {R"("fp32":19.5)", R"("fp32":1e12)"},
      {R"("memory_bandwidth_gbps":1555)", R"("memory_bandwidth_gbps":1e-300)"},
      {R"("link_bandwidth_gbps":32)", R"("link_bandwidth_gbps":0)"},
      {R"("link_latency_us":10)", R"("link_latency_us":-1)"},
      {R"("launch_overhead_us":5)", R"("launch_overhead_us":1e300)"}};
  for (const auto& [from, to] : bad) {
    std::string text = valid;
    text.replace(text.find(from), from.size(), to);
    try {
      (void)parse_device_profile(text, "d.json");
      ADD_FAILURE() << "accepted " << to;
    } catch (const InputError& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.rfind("d.json: ", 0), 0u) << message;
      EXPECT_NE(message.find(to.substr(1, to.find('"', 1) - 1)), std::string::npos) << message;
      EXPECT_NE(message.find("must be in"), std::string::npos) << message;
    }
  }
}

}  // namespace
}  // namespace pipecut
