#include "pipecut/onnx/onnx_import.hpp"

#include <gtest/gtest.h>

#include "pipecut/partition/slicegraph.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>

#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/cost.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/onnx/device_model.hpp"
#include "support/io_test_util.hpp"
#include "support/onnx_models.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

using testing::data_path;

// tools/make_tiny_onnx.py: Conv(3->4, 3x3, pad 1) on 1x3x8x8 -> Relu -> Split(2, 2) -> two
// Reshape(1x128) -> MatMul(128x10) (one through an Identity of the weight) -> Add. Weights are
// stripped (one external reference to a missing file, two without data).
const std::string kTiny = "samples/onnx/tiny_conv_matmul_split.onnx";

std::vector<std::string> successor_ids(const Graph& g, const std::string& id) {
  std::vector<std::string> out;
  for (NodeId w : g.successors(*g.find(id))) out.push_back(g.ids[w]);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(OnnxImport, StructureFoldingAndSplitPorts) {
  const OnnxImport r = import_onnx_model(data_path(kTiny));
  const Graph& g = r.graph;
  // 8 operators + one node per consumed output of the Split; the Constant and the Identity of
  // a weight are folded into their consumers.
  EXPECT_EQ(g.num_nodes(), 10);
  EXPECT_EQ(g.num_edges(), 10);
  EXPECT_EQ(r.folded_nodes, 2);
  EXPECT_FALSE(g.find("shape_const"));
  EXPECT_FALSE(g.find("weight_alias"));
  EXPECT_EQ(successor_ids(g, "split"), (std::vector<std::string>{"split:0", "split:1"}));
  EXPECT_EQ(successor_ids(g, "split:0"), (std::vector<std::string>{"reshape0"}));
  EXPECT_EQ(successor_ids(g, "split:1"), (std::vector<std::string>{"reshape1"}));
  EXPECT_EQ(g.work[*g.find("split:0")], 0.0);
  EXPECT_TRUE(g.colour_class.empty());  // exact without colocation constraints
  EXPECT_TRUE(r.unknown_ops.empty());
}

TEST(OnnxImport, FlopsBytesAndMemory) {
  const OnnxImport r = import_onnx_model(data_path(kTiny));
  const Graph& g = r.graph;
  const OnnxNodeCost& conv = r.costs[*g.find("conv")];
  // 2 x (1x4x8x8 outputs) x (3 channels x 3x3) + one bias add per output.
  EXPECT_DOUBLE_EQ(conv.flops, 2.0 * 256 * 27 + 256);
  EXPECT_DOUBLE_EQ(conv.bytes_read, 768 + 432 + 16);  // input + weight + bias, fp32
  EXPECT_DOUBLE_EQ(conv.bytes_written, 1024);
  EXPECT_DOUBLE_EQ(g.memory[*g.find("conv")], 448);  // stripped weights: dims x 4 bytes
  const OnnxNodeCost& mm = r.costs[*g.find("matmul0")];
  EXPECT_DOUBLE_EQ(mm.flops, 2.0 * 10 * 128);
  EXPECT_DOUBLE_EQ(mm.bytes_read, 512 + 5120);
  EXPECT_DOUBLE_EQ(mm.bytes_written, 40);
  EXPECT_DOUBLE_EQ(g.memory[*g.find("matmul0")], 5120);  // the Identity's weight, folded in
  EXPECT_DOUBLE_EQ(g.memory[*g.find("matmul1")], 5120);
  // A view reads nothing, but its constant inputs (here the folded 2 x int64 shape) are still
  // resident on its device: they count in its memory.
  EXPECT_DOUBLE_EQ(g.memory[*g.find("reshape0")], 16);
  EXPECT_DOUBLE_EQ(r.costs[*g.find("reshape0")].bytes_read, 0);
  EXPECT_DOUBLE_EQ(r.costs[*g.find("relu")].flops, 256);
  EXPECT_DOUBLE_EQ(g.work[*g.find("reshape0")], 0.0);  // a view: no kernel

  // Roofline on the default profile (A100 PCIe): conv is memory bound here.
  const DeviceProfile a100 = load_device_profile("a100-pcie");
  const double conv_work = std::max(conv.flops / (19.5e9), (1216.0 + 1024.0) / 1555e6) + 0.005;
  EXPECT_DOUBLE_EQ(g.work[*g.find("conv")], conv_work);
  EXPECT_DOUBLE_EQ(g.comm[*g.find("conv")], 1024.0 / 32e6 + 0.010);
  EXPECT_DOUBLE_EQ(g.comm[*g.find("split:0")], 512.0 / 32e6 + 0.010);
  EXPECT_DOUBLE_EQ(g.comm[*g.find("split:1")], 512.0 / 32e6 + 0.010);
  EXPECT_EQ(a100.name, "a100-pcie");
}

TEST(OnnxImport, SplitOutputsAreCutAndPaidSeparately) {
  const Graph g = import_onnx_graph(data_path(kTiny));
  const double half = 512.0 / 32e6 + 0.010;  // one Split output over the link
  EXPECT_DOUBLE_EQ(g.comm[*g.find("split:0")], half);
  EXPECT_DOUBLE_EQ(g.comm[*g.find("split:1")], half);
  EXPECT_DOUBLE_EQ(g.comm[*g.find("split")], 2 * half);  // the sum of its outputs
  // Stage 0: conv, relu, split with its port nodes; stage 1 takes s0's branch, stage 2 s1's and
  // the Add. Stage 0 sends each half once; each later stage receives only its own half.
  Partition p;
  p.k = 3;
  p.stage_of.assign(g.num_nodes(), 0);
  for (const char* id : {"reshape0", "matmul0"}) p.stage_of[*g.find(id)] = 1;
  for (const char* id : {"reshape1", "matmul1", "add"}) p.stage_of[*g.find(id)] = 2;
  const Evaluation e = evaluate_partition(g, p);
  EXPECT_NEAR(e.stages[0].comm_out, 2 * half, 1e-15);
  EXPECT_NEAR(e.stages[1].comm_in, half, 1e-15);
  EXPECT_NEAR(e.stages[2].comm_in, half + g.comm[*g.find("matmul0")], 1e-15);
  // Parting a port node from the Split never looks cheaper than the real transfers: stage 0
  // still pays both halves, and the port node's stage pays more than the half it really gets.
  p.stage_of[*g.find("split:1")] = 2;
  const Evaluation parted = evaluate_partition(g, p);
  EXPECT_GE(parted.stages[0].cost, e.stages[0].cost - 1e-15);
  EXPECT_GE(parted.stages[2].cost, e.stages[2].cost - 1e-15);
  EXPECT_GE(parted.bottleneck, e.bottleneck - 1e-15);
}

TEST(OnnxImport, DtypeOverrideAndDeviceChoice) {
  OnnxImportOptions bf16;
  bf16.dtype = "bf16";
  const OnnxImport r = import_onnx_model(data_path(kTiny), bf16);
  const OnnxNodeCost& conv = r.costs[*r.graph.find("conv")];
  EXPECT_DOUBLE_EQ(conv.bytes_read, (768 + 432 + 16) / 2.0);  // float tensors now 2 bytes
  EXPECT_DOUBLE_EQ(conv.bytes_written, 512);
  EXPECT_DOUBLE_EQ(r.graph.comm[*r.graph.find("conv")], 512.0 / 32e6 + 0.010);

  OnnxImportOptions t4;
  t4.device = "t4";
  t4.link_bandwidth_gbps = 1.0;
  const Graph g = import_onnx_graph(data_path(kTiny), t4);
  EXPECT_DOUBLE_EQ(g.comm[*g.find("conv")], 1024.0 / 1e6 + 0.010);  // link override, T4 latency
  EXPECT_DOUBLE_EQ(g.work[*g.find("conv")], std::max(14080.0 / 8.1e9, 2240.0 / 320e6) + 0.005);
  // T4 has no bf16 rate: fp32 is used.
  EXPECT_DOUBLE_EQ(load_device_profile("t4").peak_ops_per_ms("bf16"), 8.1e9);
}

TEST(OnnxImport, DeviceProfileFromJsonFile) {
  testing::TempDir tmp;
  const std::string path =
      tmp.write("slow.json", R"({"name": "slow", "peak_tflops": {"fp32": 0.001},
      "memory_bandwidth_gbps": 1, "link_bandwidth_gbps": 2, "link_latency_us": 0,
      "launch_overhead_us": 0})");
  OnnxImportOptions o;
  o.device = path;
  const Graph g = import_onnx_graph(data_path(kTiny), o);
  EXPECT_DOUBLE_EQ(g.work[*g.find("conv")], 14080.0 / 1e6);  // compute bound at 1 GFLOP/s
  EXPECT_DOUBLE_EQ(g.comm[*g.find("conv")], 1024.0 / 2e6);
  const std::string bad = tmp.write("bad.json", R"({"peak_tflops": {"fp32": -1}})");
  o.device = bad;
  EXPECT_THROW((void)import_onnx_graph(data_path(kTiny), o), InputError);
  o.device = "no-such-device";
  EXPECT_THROW((void)import_onnx_graph(data_path(kTiny), o), InputError);
}

TEST(OnnxImport, UnknownOperatorImportsWithOneWarning) {
  std::string err;
  OnnxImportOptions options;
  options.warn = [&err](const std::string& message) { err += message + "\n"; };
  ::testing::internal::CaptureStderr();
  const OnnxImport r = import_onnx_model(data_path("samples/onnx/tiny_unknown_op.onnx"), options);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");  // the library never prints
  EXPECT_EQ(r.graph.num_nodes(), 2);
  EXPECT_EQ(r.unknown_ops, std::vector<std::string>{"FancyOp"});
  EXPECT_GT(r.graph.work[*r.graph.find("fancy")], r.graph.work[*r.graph.find("relu")] - 1e-12);
  EXPECT_NE(err.find("FancyOp"), std::string::npos);
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1);
}

TEST(OnnxImport, ShapeChainsFoldOnlyWhenTheShapeIsStatic) {
  // Relu -> Shape -> Gather -> Unsqueeze -> Concat -> Reshape(relu output, that shape).
  const OnnxImport fixed =
      import_onnx_model(data_path("samples/onnx/tiny_shape_chain_static.onnx"));
  EXPECT_EQ(fixed.graph.num_nodes(), 2);  // relu, reshape: the shape is known at import
  EXPECT_EQ(fixed.graph.num_edges(), 1);
  EXPECT_EQ(fixed.folded_nodes, 4);
  const OnnxImport dynamic =
      import_onnx_model(data_path("samples/onnx/tiny_shape_chain_dynamic.onnx"));
  EXPECT_EQ(dynamic.graph.num_nodes(), 6);  // batch "N": the chain depends on the input
  EXPECT_EQ(dynamic.folded_nodes, 0);
  EXPECT_TRUE(dynamic.graph.find("shape"));
}

TEST(OnnxImport, EinsumWithExplicitIndicesIsCostedExactly) {
  std::string err;
  OnnxImportOptions options;
  options.warn = [&err](const std::string& message) { err += message + "\n"; };
  const OnnxImport r = import_onnx_model(data_path("samples/onnx/tiny_einsum.onnx"), options);
  // "b i j, b j k -> b i k" on 2x3x4 and 2x4x5: one multiply-add per (b, i, j, k).
  EXPECT_DOUBLE_EQ(r.costs[*r.graph.find("bmm")].flops, 2.0 * 2 * 3 * 4 * 5);
  // "...k->..." has no explicit indices to count: conservative, and reported.
  EXPECT_EQ(r.unknown_ops, std::vector<std::string>{"Einsum"});
  EXPECT_NE(err.find("Einsum"), std::string::npos);
}

TEST(OnnxImport, TruncatedOrGarbageFilesAreInputErrors) {
  testing::TempDir tmp;
  const std::string full = testing::read_text(data_path(kTiny));
  // Every prefix must give an InputError or (rarely, at a field boundary) a valid graph:
  // never a crash or another exception.
  for (std::size_t cut = 0; cut < full.size(); cut += 7) {
    const std::string path = tmp.write("cut.onnx", full.substr(0, cut));
    try {
      (void)import_onnx_graph(path);
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(path, 0), 0u) << e.what();
    }
  }
  const std::string garbage =
      tmp.write("garbage.onnx", std::string("\xff\xff\xff\xff not onnx", 13));
  try {
    (void)import_onnx_graph(garbage);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not a valid ONNX model"), std::string::npos) << e.what();
  }
}

// Every model of the torchvision corpus (data/corpus/torchvision) imports with plausible totals
// and gives a valid 8-stage partition: "pipecut works on any model of the corpus".
TEST(OnnxImport, EveryCorpusModelImportsAndPartitions) {
  namespace fs = std::filesystem;
  const fs::path corpus = data_path("corpus/torchvision");
  std::vector<fs::path> models;
  for (const auto& entry : fs::directory_iterator(corpus))
    if (entry.path().extension() == ".onnx") models.push_back(entry.path());
  std::sort(models.begin(), models.end());
  EXPECT_GE(models.size(), 60u);
  for (const auto& m : models) {
    ::testing::internal::CaptureStderr();
    const OnnxImport r = import_onnx_model(m.string());
    ::testing::internal::GetCapturedStderr();
    double memory = 0;
    for (double b : r.graph.memory) memory += b;
    EXPECT_GE(r.graph.num_nodes(), 10) << m;
    EXPECT_GT(r.graph.total_work(), 0.01) << m;  // ms on an A100: at least tens of kernels
    EXPECT_GT(memory, 1e5) << m;                 // every classifier has > 100 kB of weights
    const SliceGraphResult p = slice_default_order(r.graph, 8);
    EXPECT_FALSE(partition_problem(r.graph, p.partition).has_value()) << m;
  }
}

// Published sizes of torchvision classifiers (torchvision model docs: "GFLOPS" there counts
// multiply-adds, and parameter counts): our FLOPs / 2 and fp32 weight bytes / 4 must match.
TEST(OnnxImport, CorpusModelsMatchPublishedMultiplyAddsAndParameters) {
  struct Published {
    const char* model;
    double giga_macs;
    double mega_params;
  };
  const Published published[] = {{"resnet50", 4.09, 25.557},
                                 {"alexnet", 0.71, 61.101},
                                 {"vgg16", 15.47, 138.358},
                                 {"mobilenet_v2", 0.30, 3.505}};
  int checked = 0;
  for (const auto& p : published) {
    const std::string path = data_path("corpus/torchvision/" + std::string(p.model) + ".onnx");
    ::testing::internal::CaptureStderr();
    const OnnxImport r = import_onnx_model(path);
    ::testing::internal::GetCapturedStderr();
    double flops = 0, weight_bytes = 0;
    for (const auto& c : r.costs) flops += c.flops;
    for (double b : r.graph.memory) weight_bytes += b;
    // Elementwise work and rounding of the published figures: within 5 %.
    EXPECT_NEAR(flops / 2 / 1e9, p.giga_macs, 0.05 * p.giga_macs) << p.model;
    // Batch norms folded into convolutions at export drop a few parameters: within 2 %.
    EXPECT_NEAR(weight_bytes / 4 / 1e6, p.mega_params, 0.02 * p.mega_params) << p.model;
    ++checked;
  }
  EXPECT_EQ(checked, 4);
}

}  // namespace
}  // namespace pipecut

namespace pipecut {
namespace {

TEST(DeviceProfiles, BuiltInsAreCompleteAndDefaultExists) {
  const auto& profiles = builtin_device_profiles();
  ASSERT_GE(profiles.size(), 4u);
  for (const auto& p : profiles) {
    EXPECT_FALSE(p.description.empty()) << p.name;  // the source of the numbers
    EXPECT_GT(p.peak_ops_per_ms("fp32"), 0) << p.name;
    EXPECT_GT(p.memory_bandwidth_gbps, 0) << p.name;
    EXPECT_GT(p.link_bandwidth_gbps, 0) << p.name;
    EXPECT_GE(p.link_latency_us, 0) << p.name;
    EXPECT_GE(p.launch_overhead_us, 0) << p.name;
    EXPECT_EQ(load_device_profile(p.name).name, p.name);
  }
  EXPECT_EQ(load_device_profile("").name, kDefaultDeviceProfile);
  // A100 tensor cores: bf16 is 16x the fp32 rate.
  const DeviceProfile a100 = load_device_profile("a100-sxm");
  EXPECT_DOUBLE_EQ(a100.peak_ops_per_ms("bf16") / a100.peak_ops_per_ms("fp32"), 16.0);
}

}  // namespace
}  // namespace pipecut

namespace pipecut {
namespace {

TEST(OnnxImport, RepeatedNodeNamesAreMadeUniqueInLinearTime) {
  // 20 000 operators all named "block". Quadratic renaming took 11 to 50 s on this machine,
  // linear renaming (and the rest of the import) about 0.6 s: the margin below is generous.
  const int n = 20'000;
  const std::string model = testing::onnx_relu_chain(n, "block");
  const auto start = std::chrono::steady_clock::now();
  const OnnxImport r = import_onnx_bytes(model, "chain.onnx");
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 10);
  ASSERT_EQ(r.graph.num_nodes(), n);
  EXPECT_EQ(r.graph.ids[0], "block");
  EXPECT_EQ(r.graph.ids[1], "block#2");
  EXPECT_EQ(r.graph.ids[n - 1], "block#" + std::to_string(n));
  // A name that collides with a generated suffix is skipped over, never duplicated.
  const OnnxImport twice = import_onnx_bytes(testing::onnx_relu_chain(3, "a#2"), "a.onnx");
  EXPECT_EQ(twice.graph.ids, (std::vector<std::string>{"a#2", "a#2#2", "a#2#3"}));
}

TEST(OnnxImport, HugeDimensionsKeepTheirSizeWithoutIntegerOverflow) {
  // 2^40 x 2^40 floats feed an operator whose output shape is unknown: the importer assumes an
  // output as large as the input, 2^82 bytes, more than any 64-bit integer holds.
  const std::int64_t big = std::int64_t{1} << 40;
  ::testing::internal::CaptureStderr();  // the unknown operator is reported on stderr
  const OnnxImport r = import_onnx_bytes(testing::onnx_unknown_op_on_input({big, big}), "big.onnx");
  ::testing::internal::GetCapturedStderr();
  const NodeId mystery = *r.graph.find("mystery");
  EXPECT_NEAR(r.costs[mystery].output_bytes, std::ldexp(1.0, 82), std::ldexp(1.0, 60));
  EXPECT_GT(r.graph.comm[mystery], 1e10);  // ms: kept huge, never wrapped to a small size
}

}  // namespace
}  // namespace pipecut

namespace pipecut {
namespace {

TEST(OnnxImport, AModelThatWouldCrashShapeInferenceIsCostedWithItsStoredShapes) {
  // libonnx divides by zero inferring the shapes of a Split without outputs (SIGFPE, found by
  // fuzzing): a node that does not match its schema skips inference, with a warning.
  std::string warnings;
  OnnxImportOptions options;
  options.warn = [&](const std::string& message) { warnings += message + "\n"; };
  const OnnxImport r =
      import_onnx_bytes(testing::onnx_split_without_outputs(), "split.onnx", options);
  EXPECT_TRUE(r.graph.find("first").has_value());
  EXPECT_TRUE(r.graph.find("second").has_value());
  EXPECT_NE(warnings.find("split.onnx: ONNX shape inference failed"), std::string::npos)
      << warnings;
  EXPECT_NE(warnings.find("node 'split' (Split) does not match its schema"), std::string::npos)
      << warnings;
}

}  // namespace
}  // namespace pipecut

namespace pipecut {
namespace {

TEST(OnnxImport, AModelReadingAnUndeclaredTensorIsCostedWithoutShapeInference) {
  // libonnx's shape inference dies of SIGSEGV on this model (found by fuzzing).
  std::string warnings;
  OnnxImportOptions options;
  options.warn = [&](const std::string& message) { warnings += message + "\n"; };
  const OnnxImport r =
      import_onnx_bytes(testing::onnx_shape_of_undeclared_input(), "undeclared.onnx", options);
  EXPECT_TRUE(r.graph.find("relu").has_value());
  EXPECT_NE(warnings.find("reads 'x', which nothing before it defines"), std::string::npos)
      << warnings;
}

}  // namespace
}  // namespace pipecut
