// ONNX Runtime profiling traces: parsing (hand-written traces), applying them to an imported
// model, and a real trace written by tools/profile_onnx.mjs (suite OnnxStagesProfile, which uses
// the generated test models).
#include "pipecut/onnx/ort_profile.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/onnx/onnx_import.hpp"
#include "support/io_test_util.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

using nlohmann::json;
using testing::data_path;
using testing::TempDir;

// A trace with `runs` model_run events 1000 µs apart; `kernels` lists (node, op, dur per run)
// in execution order, with the tensor shapes ONNX Runtime records when given.
using Shapes = std::vector<std::vector<int>>;
struct Kernel {
  std::string node, op;
  std::vector<double> dur;  // µs, one per run
  Shapes inputs = {}, outputs = {};
};
json shapes_json(const Shapes& shapes) {
  json list = json::array();
  for (const auto& dims : shapes) list.push_back({{"float", dims}});
  return list;
}
std::string trace(int runs, const std::vector<Kernel>& kernels) {
  json events = json::array();
  events.push_back({{"cat", "Session"}, {"name", "model_loading_uri"}, {"ts", 0}, {"dur", 5}});
  for (int r = 0; r < runs; ++r) {
    const double begin = 1000.0 * (r + 1);
    events.push_back({{"cat", "Session"}, {"name", "model_run"}, {"ts", begin}, {"dur", 900}});
    double ts = begin + 1;
    for (const Kernel& k : kernels) {
      // Fence events and other categories are ignored.
      events.push_back(
          {{"cat", "Node"}, {"name", k.node + "_fence_before"}, {"ts", ts}, {"dur", 0}});
      json args = {{"op_name", k.op}};
      if (!k.inputs.empty()) args["input_type_shape"] = shapes_json(k.inputs);
      if (!k.outputs.empty()) args["output_type_shape"] = shapes_json(k.outputs);
      events.push_back({{"cat", "Node"},
                        {"name", k.node + "_kernel_time"},
                        {"ts", ts},
                        {"dur", k.dur[r]},
                        {"args", args}});
      ts += 1;
    }
  }
  return events.dump();
}

TEST(OrtProfile, MedianKernelTimeOverRunsAfterWarmup) {
  const std::string text =
      trace(3, {{"conv", "FusedConv", {9000, 1000, 3000}}, {"add", "Add", {500, 200, 400}}});
  const OrtKernelTimes t = parse_ort_profile(text, "p.json", 1);
  EXPECT_EQ(t.runs, 3);
  EXPECT_EQ(t.warmup_runs, 1);
  ASSERT_EQ(t.nodes.size(), 2u);
  EXPECT_EQ(t.nodes[0].node, "conv");
  EXPECT_EQ(t.nodes[0].op_name, "FusedConv");
  EXPECT_DOUBLE_EQ(t.nodes[0].median_ms, 2.0);  // (1000 + 3000) / 2 µs
  EXPECT_DOUBLE_EQ(t.nodes[1].median_ms, 0.3);
  EXPECT_DOUBLE_EQ(parse_ort_profile(text, "p.json", 0).nodes[0].median_ms, 3.0);
  // Chrome's object form is accepted too.
  EXPECT_EQ(parse_ort_profile("{\"traceEvents\": " + text + "}", "p.json", 2).nodes[0].median_ms,
            3.0);
  // A run slowed by other work on the machine (or a slow second run after a one-run warm-up)
  // does not move the time: the mean would be 1.06 ms here.
  const OrtKernelTimes noisy = parse_ort_profile(
      trace(6, {{"conv", "Conv", {9000, 5000, 100, 100, 100, 100}}}), "p.json", 1);
  EXPECT_DOUBLE_EQ(noisy.nodes[0].median_ms, 0.1);
  // Kernels in execution order of the first run kept.
  EXPECT_EQ(t.sequence, (std::vector<int>{0, 1}));
}

TEST(OrtProfile, NotATraceIsAnInputErrorNamingTheFile) {
  auto message = [](const std::string& text, int warmup = 1) {
    try {
      parse_ort_profile(text, "prof.json", warmup);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("{\"a\": 1}").find("prof.json: not an ONNX Runtime profile"),
            std::string::npos);
  EXPECT_NE(message("[1, 2").find("prof.json: malformed JSON"), std::string::npos);
  EXPECT_NE(message("[]").find("no \"model_run\""), std::string::npos);
  EXPECT_NE(message("[3]").find("event 0"), std::string::npos);
  EXPECT_NE(message(trace(1, {{"conv", "Conv", {5}}})).find("all of them warm-up"),
            std::string::npos);
  EXPECT_EQ(message(trace(1, {{"conv", "Conv", {5}}}), 0), "no error");
  const std::string bad_dur =
      R"([{"cat":"Session","name":"model_run","ts":0,"dur":10},{"cat":"Node","name":"x_kernel_time","ts":1,"dur":"7"}])";
  EXPECT_NE(message(bad_dur).find("\"dur\" must be a number"), std::string::npos);
  EXPECT_THROW(parse_ort_profile(trace(2, {}), "p", -1), InputError);
  EXPECT_THROW(read_ort_profile("/nonexistent/profile.json", 1), InputError);
}

// Malformed events through the CLI: input errors (exit 2) naming the event, never nlohmann's
// type_error (exit 3); times that sum to infinity are input errors too, where they gave a false
// "infeasible" (exit 4) or an internal error.
TEST(OrtProfile, BadEventFieldsAndInfiniteSumsAreInputErrorsNamingTheEvent) {
  TempDir tmp;
  const std::string model = data_path("samples/onnx/tiny_conv_matmul_split.onnx");
  const std::string run = R"({"cat":"Session","name":"model_run","ts":0,"dur":1000})";
  auto check = [&](const std::string& events, const std::string& expected) {
    const std::string profile = tmp.write("p.json", "[" + run + "," + events + "]");
    const auto r = testing::run_cli(
        "bound " + model + " -k 2 --method simple --profile-warmup 0 --profile " + profile);
    EXPECT_EQ(r.exit_code, 2) << events << "\n" << r.err;
    EXPECT_EQ(r.err.rfind("pipecut: error: " + profile + ": ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  };
  check(R"({"cat":1,"name":"relu_kernel_time","ts":1,"dur":1})",
        "event 1 ('relu_kernel_time'): \"cat\" must be a string");
  check(R"({"cat":["Node"],"name":"relu_kernel_time","ts":1,"dur":1})",
        "event 1 ('relu_kernel_time'): \"cat\" must be a string");
  check(R"({"cat":"Node","name":7,"ts":1,"dur":1})", "event 1: \"name\" must be a string");
  check(R"({"cat":"Node","name":"relu_kernel_time","ts":1,"dur":1,"args":{"op_name":5}})",
        "event 1 ('relu_kernel_time'): args: \"op_name\" must be a string");
  check(R"({"cat":"Node","name":"relu_kernel_time","ts":1,"dur":1,"args":"Relu"})",
        "event 1 ('relu_kernel_time'): \"args\" must be an object");
  check(R"({"cat":"Session","name":"model_run","ts":1e308,"dur":1e308})",
        "event 1 ('model_run'): \"ts\" + \"dur\" overflows");
  // One node's kernels summing past the largest double: 1.7e305 ms each, the 1058th overflows.
  std::string one;
  for (int i = 0; i < 1100; ++i)
    one += std::string(one.empty() ? "" : ",") +
           R"({"cat":"Node","name":"relu_kernel_time","ts":1,"dur":1.7e308})";
  check(one, "event 1058 ('relu_kernel_time'): the kernel times of node 'relu' sum to infinity");
  // Each node finite, the model's total not: 1000 kernels of 1e305 ms for each of two nodes.
  std::string many;
  for (const char* node : {"relu", "add"})
    for (int i = 0; i < 1000; ++i)
      many += std::string(many.empty() ? "" : ",") + R"({"cat":"Node","name":")" + node +
              R"(_kernel_time","ts":1,"dur":1e308})";
  check(many, "the measured kernel times sum to infinity");
}

// tools/make_tiny_onnx.py: conv -> relu -> split -> {reshape0 -> matmul0, reshape1 -> matmul1}
// -> add; relu writes tensor "r".
const std::string kTiny = "samples/onnx/tiny_conv_matmul_split.onnx";

TEST(OrtProfile, MeasuredFusedAndEstimatedOperators) {
  TempDir tmp;
  // ONNX Runtime's layout-optimised kernels are named after their output tensor ("r_nchwc" is
  // Conv + Relu, writing relu's tensor); matmul0 ran as a fused kernel that took in reshape0;
  // reshape1 has no event and only plain kernels next to it; a reorder matches nothing and is
  // added to the operator before it (no shapes in this trace).
  const std::string profile =
      tmp.write("p.json", trace(2, {{"r_nchwc", "Conv", {100, 2000}},
                                    {"split", "Split", {10, 30}},
                                    {"matmul0", "FusedMatMul", {10, 50}},
                                    {"matmul1", "MatMul", {10, 70}},
                                    {"add", "Add", {10, 20}},
                                    {"ReorderOutput", "ReorderOutput", {10, 40}}}));
  OnnxImportOptions options;
  options.profile = profile;
  const OnnxImport r = import_onnx_model(data_path(kTiny), options);
  const Graph& g = r.graph;
  ASSERT_TRUE(r.profile);
  EXPECT_EQ(r.profile->measured, 5);   // relu (via "r"), split, matmul0, matmul1, add
  EXPECT_EQ(r.profile->fused, 2);      // conv (next to the layout kernel), reshape0
  EXPECT_EQ(r.profile->estimated, 1);  // reshape1
  EXPECT_EQ(r.profile->unmatched_kernels, 1);
  EXPECT_DOUBLE_EQ(r.profile->unmatched_ms, 0.04);
  EXPECT_EQ(r.profile->attributed_kernels, 1);
  EXPECT_DOUBLE_EQ(g.work[*g.find("add")], 0.02 + 0.04);
  EXPECT_DOUBLE_EQ(g.work[*g.find("relu")], 2.0);
  EXPECT_DOUBLE_EQ(g.work[*g.find("conv")], 0.0);
  EXPECT_DOUBLE_EQ(g.work[*g.find("matmul1")], 0.07);
  EXPECT_DOUBLE_EQ(g.work[*g.find("reshape0")], 0.0);
  const Graph roofline = import_onnx_graph(data_path(kTiny));
  EXPECT_DOUBLE_EQ(g.work[*g.find("reshape1")], roofline.work[*g.find("reshape1")]);
  EXPECT_DOUBLE_EQ(g.work[*g.find("split:0")], 0.0);
  // Comm is not measured: it stays the cost model's.
  EXPECT_EQ(g.comm, roofline.comm);
  const std::string line = describe_profile_summary(*r.profile);
  EXPECT_NE(
      line.find("5 operators measured, 2 fused into a measured neighbour (work 0), 1 estimated"),
      std::string::npos)
      << line;
}

TEST(OrtProfile, KernelsMatchingNoOperatorAreAddedToTheOperatorTheyServe) {
  // They used to be dropped, which under-predicted every stage (a segmentation model's final
  // reorder alone was 10 ms). Shapes pick the operator when the adjacent kernel is another one:
  // the ReorderOutput converts conv's output, not split's; the ReorderInput prepares matmul1's
  // input, not matmul0's. A kernel with neither shape nor neighbour before it goes forward.
  TempDir tmp;
  const std::string profile = tmp.write(
      "p.json",
      trace(2, {{"Startup", "Cast", {7, 7}},
                {"conv", "Conv", {100, 100}, {{1, 8, 4, 4}}, {{1, 16, 4, 4}}},
                {"split", "Split", {10, 10}, {{1, 8}}, {{1, 4}, {1, 4}}},
                {"ReorderOutput_1", "ReorderOutput", {30, 30}, {{1, 16, 4, 4}}, {{1, 8, 4, 4}}},
                {"ReorderInput_2", "ReorderInput", {50, 50}, {{1, 4}}, {{1, 8}}},
                {"matmul0", "MatMul", {10, 10}, {{1, 4}}, {{1, 2}}},
                {"matmul1", "MatMul", {20, 20}, {{1, 8}}, {{1, 2}}},
                {"relu", "Relu", {5, 5}},
                {"add", "Add", {10, 10}}}));
  OnnxImportOptions options;
  options.profile = profile;
  const OnnxImport r = import_onnx_model(data_path(kTiny), options);
  const Graph& g = r.graph;
  ASSERT_TRUE(r.profile);
  EXPECT_EQ(r.profile->unmatched_kernels, 3);
  EXPECT_EQ(r.profile->attributed_kernels, 3);
  EXPECT_NEAR(r.profile->attributed_ms, 0.087, 1e-12);
  EXPECT_NEAR(g.work[*g.find("conv")], 0.1 + 0.007 + 0.03, 1e-12);
  EXPECT_NEAR(g.work[*g.find("split")], 0.01, 1e-12);
  EXPECT_NEAR(g.work[*g.find("matmul0")], 0.01, 1e-12);
  EXPECT_NEAR(g.work[*g.find("matmul1")], 0.02 + 0.05, 1e-12);
  // The whole time of the run is in the graph.
  double total = 0;
  for (NodeId v = 0; v < g.num_nodes(); ++v)
    if (r.origins[v].op >= 0 && g.op[v] != "Reshape") total += g.work[v];
  EXPECT_NEAR(total, (7 + 100 + 10 + 30 + 50 + 10 + 20 + 5 + 10) / 1000.0, 1e-12);
  const std::string line = describe_profile_summary(*r.profile);
  EXPECT_NE(line.find("3 profiled kernel(s) match no operator by name (0.087 ms per run): 3 added "
                      "to a neighbouring operator, 0 not counted"),
            std::string::npos)
      << line;
}

TEST(OrtProfile, FusedKernelsNamedAfterTheirOperatorMatchIt) {
  // ONNX Runtime names a fused node after the node it replaced plus "/<Name>Fusion" components
  // (transformers: "/layers.0/fc1/MatMul/MatMulAddFusion"). Matched by that name, the kernel
  // stays with its operator instead of being attributed by position, which moved whole layers'
  // time into the next stage. Other suffixes are not fusions and stay unmatched.
  TempDir tmp;
  const std::string profile = tmp.write(
      "p.json",
      trace(2, {{"conv", "Conv", {100, 100}},
                {"relu", "Relu", {5, 5}},
                {"split", "Split", {10, 10}},
                {"matmul0/MatMulAddFusion", "Gemm", {30, 30}},
                {"matmul1/MatmulTransposeFusion//MatMulScaleFusion/", "FusedMatMul", {40, 40}},
                {"add/Unrelated", "Add", {7, 7}},
                {"add", "Add", {10, 10}}}));
  OnnxImportOptions options;
  options.profile = profile;
  const OnnxImport r = import_onnx_model(data_path(kTiny), options);
  const Graph& g = r.graph;
  ASSERT_TRUE(r.profile);
  EXPECT_EQ(r.profile->unmatched_kernels, 1);  // "add/Unrelated"
  EXPECT_NEAR(g.work[*g.find("matmul0")], 0.03, 1e-12);
  EXPECT_NEAR(g.work[*g.find("matmul1")], 0.04, 1e-12);
  // A kernel of another type is a fusion site: the reshapes next to the MatMuls ran inside.
  EXPECT_EQ(g.work[*g.find("reshape0")], 0.0);
  EXPECT_EQ(g.work[*g.find("reshape1")], 0.0);
  EXPECT_EQ(r.profile->fused, 2);
}

TEST(OrtProfile, ExpandedFunctionKernelsGoToTheirOperator) {
  // ONNX Runtime runs a function operator as kernels with generated names between its
  // producer's and its consumer's kernels; the operator itself has none. Their time is the
  // operator's (not its consumer's), so it becomes measured instead of keeping the estimate.
  // Here reshape1 plays the function operator: matmul1's producer without a kernel.
  TempDir tmp;
  const std::string profile =
      tmp.write("p.json", trace(2, {{"conv", "Conv", {100, 100}},
                                    {"relu", "Relu", {5, 5}},
                                    {"split", "Split", {10, 10}},
                                    {"reshape0", "Reshape", {1, 1}},
                                    {"matmul0", "MatMul", {10, 10}},
                                    {"HardSigmoid_7", "HardSigmoid", {40, 40}},
                                    {"Mul_8", "Mul", {60, 60}},
                                    {"matmul1", "MatMul", {20, 20}},
                                    {"add", "Add", {10, 10}}}));
  OnnxImportOptions options;
  options.profile = profile;
  const OnnxImport r = import_onnx_model(data_path(kTiny), options);
  const Graph& g = r.graph;
  ASSERT_TRUE(r.profile);
  EXPECT_EQ(r.profile->estimated, 0);
  EXPECT_EQ(r.profile->measured, 8);
  EXPECT_EQ(r.profile->attributed_kernels, 2);
  EXPECT_NEAR(g.work[*g.find("reshape1")], 0.1, 1e-12);
  EXPECT_NEAR(g.work[*g.find("matmul1")], 0.02, 1e-12);
}

TEST(OrtProfile, OperatorsOfAnotherModelKeepTheirEstimate) {
  TempDir tmp;
  const std::string profile = tmp.write("p.json", trace(2, {{"/other/Conv", "Conv", {5, 5}}}));
  ReadOptions options;
  options.profile = profile;
  const GraphWithProfile r = read_graph_with_profile(data_path(kTiny), options);
  ASSERT_TRUE(r.profile);
  EXPECT_EQ(r.profile->measured, 0);
  EXPECT_EQ(r.profile->fused, 0);
  EXPECT_EQ(r.profile->estimated, 8);
  EXPECT_EQ(r.graph.work, read_graph(data_path(kTiny)).work);
  // --profile is for ONNX input only.
  options.profile = profile;
  EXPECT_THROW(read_graph(data_path("samples/pipecut/bert_l-3_inference.json"), options),
               InputError);
}

int run_node(const std::string& args) {
  // Configured without Node (tests/CMakeLists.txt), ctest does not run the tests that get here.
  if (std::string(PIPECUT_NODE_PATH).empty()) {
    ADD_FAILURE() << "Node.js was not found by CMake";
    return -1;
  }
  const std::string cmd =
      std::string(PIPECUT_NODE_PATH) + " " + PIPECUT_TOOLS_DIR + "/" + args + " >/dev/null";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(OnnxStagesProfile, RealTraceFromProfileOnnx) {
  const std::string source = std::string(PIPECUT_SPLIT_MODELS_DIR) + "/mobilenet_v3_small.onnx";
  ASSERT_TRUE(std::filesystem::exists(source)) << "run through ctest (fixture split_models)";
  TempDir tmp;
  const std::string off = tmp.path("off.json"), on = tmp.path("on.json");
  ASSERT_EQ(
      run_node("profile_onnx.mjs '" + source + "' -o '" + off + "' --runs 3 --optimizations off"),
      0);
  ASSERT_EQ(run_node("profile_onnx.mjs '" + source + "' -o '" + on + "' --runs 3"), 0);
  OnnxImportOptions options;
  options.profile = off;
  const OnnxImport unoptimised = import_onnx_model(source, options);
  int operators = 0, hardswish = 0;
  for (NodeId v = 0; v < unoptimised.graph.num_nodes(); ++v) {
    operators += unoptimised.origins[v].op >= 0;
    hardswish += unoptimised.graph.op[v] == "HardSwish";
  }
  ASSERT_TRUE(unoptimised.profile);
  EXPECT_EQ(unoptimised.profile->runs, 3);
  // Without optimisations every operator runs as its own kernel, except HardSwish, an ONNX
  // function that ONNX Runtime expands into HardSigmoid and Mul kernels with generated names:
  // those match no operator by name, and their time goes to the HardSwish they run for.
  EXPECT_GT(hardswish, 0);
  EXPECT_EQ(unoptimised.profile->measured, operators);
  EXPECT_EQ(unoptimised.profile->estimated, 0);
  EXPECT_EQ(unoptimised.profile->fused, 0);
  EXPECT_GE(unoptimised.profile->unmatched_kernels, 2 * hardswish);
  EXPECT_EQ(unoptimised.profile->attributed_kernels, unoptimised.profile->unmatched_kernels);
  for (NodeId v = 0; v < unoptimised.graph.num_nodes(); ++v)
    if (unoptimised.graph.op[v] == "HardSwish") {
      EXPECT_GT(unoptimised.graph.work[v], 0.0) << unoptimised.graph.ids[v];
    }
  for (NodeId v = 0; v < unoptimised.graph.num_nodes(); ++v)
    if (unoptimised.graph.op[v] == "Conv") {
      EXPECT_GT(unoptimised.graph.work[v], 0.0) << unoptimised.graph.ids[v];
    }
  options.profile = on;
  const OnnxImport optimised = import_onnx_model(source, options);
  ASSERT_TRUE(optimised.profile);
  EXPECT_EQ(optimised.profile->measured + optimised.profile->fused + optimised.profile->estimated,
            operators);
  EXPECT_GT(optimised.profile->measured, 0);
  EXPECT_GT(optimised.profile->fused, 0);              // Conv + activation run as one kernel
  EXPECT_LE(optimised.profile->estimated, hardswish);  // only expanded function operators
  // The CLI prints the summary line on stderr.
  const auto r = testing::run_cli("bound '" + source + "' -k 2 --method simple --profile '" + on +
                                  "' --profile-warmup 2");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("3 run(s), 2 warm-up skipped"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace pipecut
