// The synthesised backward pass (model/backward_pass.hpp; docs/training.md, "Synthesising a
// backward pass"): its structure, costs and classes, its errors, and the --backward-pass read
// option end to end.
#include "pipecut/model/backward_pass.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "pipecut/io/graph_json.hpp"
#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/partition/training.hpp"
#include "pipecut/solve/solve.hpp"
#include "support/io_test_util.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

using testing::run_cli;

NodeSpec op_node(std::string id, double work, double comm, std::string op, double memory = 0) {
  NodeSpec s = testing::node(std::move(id), work, comm);
  s.op = std::move(op);
  s.memory = memory;
  return s;
}

// A diamond: x (Conv) feeds r (Relu) and m (MatMul), both feed y (Add).
Graph diamond(bool with_bytes = false) {
  GraphBuilder b("diamond.json", "diamond");
  std::vector<NodeSpec> nodes = {op_node("x", 4, 1, "Conv", 8), op_node("r", 1, 2, "Relu"),
                                 op_node("m", 3, 4, "MatMul", 16), op_node("y", 2, 8, "Add")};
  double bytes = 100;
  for (NodeSpec& s : nodes) {
    if (with_bytes) s.bytes = bytes;
    bytes *= 2;
    b.add_node(std::move(s));
  }
  b.add_edge("x", "r");
  b.add_edge("x", "m");
  b.add_edge("r", "y");
  b.add_edge("m", "y");
  b.set_default_k(2);
  b.set_memory_per_stage(1000);
  return std::move(b).build();
}

std::set<std::pair<std::string, std::string>> edges_of(const Graph& g) {
  std::set<std::pair<std::string, std::string>> out;
  for (NodeId u = 0; u < g.num_nodes(); ++u)
    for (NodeId v : g.successors(u)) out.emplace(g.ids[u], g.ids[v]);
  return out;
}

std::string label_of(const Graph& g, const std::string& id) {
  const NodeId v = *g.find(id);
  return g.colour_class.empty() || g.colour_class[v] < 0 ? std::string()
                                                         : g.colour_labels[g.colour_class[v]].text;
}

TEST(BackwardPass, TwinsEdgesAndCostsOfADiamond) {
  const Graph g = diamond();
  const Graph t = add_backward_pass(g, {});
  ASSERT_EQ(t.num_nodes(), 8);
  ASSERT_TRUE(t.is_training());
  const std::vector<std::string> ids = {"x", "r", "m", "y", "x'", "r'", "m'", "y'"};
  EXPECT_EQ(t.ids, ids);
  // Work: Conv and MatMul twice their forward, Relu and Add once; twins hold no memory.
  const std::vector<double> work = {4, 1, 3, 2, 8, 1, 6, 2};
  const std::vector<double> memory = {8, 0, 16, 0, 0, 0, 0, 0};
  EXPECT_EQ(t.work, work);
  EXPECT_EQ(t.memory, memory);
  // Comm of v' = the comm of v's inputs (the gradients it sends back): x' has none, r' and m'
  // send x's gradient (1), y' those of r and m (2 + 4).
  const std::vector<double> comm = {1, 2, 4, 8, 0, 1, 1, 6};
  EXPECT_EQ(t.comm, comm);
  for (NodeId v = 0; v < 8; ++v) {
    EXPECT_EQ(t.is_backward(v), v >= 4) << t.ids[v];
    EXPECT_EQ(t.op[v], g.op[v % 4]) << t.ids[v];
  }
  // Forward edges, gradient edges reversed between the twins, and activation edges into each
  // twin from its forward node's inputs.
  const std::set<std::pair<std::string, std::string>> expected = {
      {"x", "r"},   {"x", "m"},   {"r", "y"},   {"m", "y"},     // forward
      {"r'", "x'"}, {"m'", "x'"}, {"y'", "r'"}, {"y'", "m'"},   // gradients
      {"x", "r'"},  {"x", "m'"},  {"r", "y'"},  {"m", "y'"}};  // activations
  EXPECT_EQ(edges_of(t), expected);
  // Every node in a class of its own with its twin (none had one): labelled by its id.
  for (const std::string id : {"x", "r", "m", "y"}) {
    EXPECT_EQ(label_of(t, id), id);
    EXPECT_EQ(label_of(t, id + "'"), id);
  }
  EXPECT_EQ(t.colour_labels.size(), 4u);
  EXPECT_EQ(t.default_k, g.default_k);
  EXPECT_EQ(t.memory_per_stage, g.memory_per_stage);
  EXPECT_EQ(t.name, g.name);
  EXPECT_TRUE(t.bytes.empty());
}

TEST(BackwardPass, ForwardNodesAreUnchangedAndInTheirOrder) {
  const Graph g = diamond(true);
  const Graph t = add_backward_pass(g, BackwardPassModel{2.5});
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    EXPECT_EQ(t.ids[v], g.ids[v]);
    EXPECT_EQ(t.work[v], g.work[v]);
    EXPECT_EQ(t.comm[v], g.comm[v]);
    EXPECT_EQ(t.memory[v], g.memory[v]);
    EXPECT_EQ(t.bytes[v], g.bytes[v]);
    std::vector<NodeId> forward_successors;
    for (NodeId w : t.successors(v))
      if (!t.is_backward(w)) forward_successors.push_back(w);
    EXPECT_EQ(forward_successors, std::vector<NodeId>(g.successors(v).begin(),
                                                      g.successors(v).end()));
    // A uniform factor: every twin's work is 2.5 times its node's, whatever its operator.
    EXPECT_EQ(t.work[v + g.num_nodes()], 2.5 * g.work[v]);
  }
  // The twins' bytes follow their comm: the sizes of the inputs' gradients.
  EXPECT_EQ(t.bytes[4], 0);          // x' (no inputs)
  EXPECT_EQ(t.bytes[5], 100);        // r': x
  EXPECT_EQ(t.bytes[6], 100);        // m': x
  EXPECT_EQ(t.bytes[7], 200 + 400);  // y': r and m
}

TEST(BackwardPass, TheResultIsAValidTrainingGraphThatRoundTrips) {
  const Graph t = add_backward_pass(diamond(true), {});
  // Written and read back through the builder: the same graph.
  const Graph back = parse_pipecut_graph(pipecut_graph_to_json(t), "back.json");
  EXPECT_EQ(pipecut_graph_to_json(back), pipecut_graph_to_json(t));
  EXPECT_EQ(back.backward, t.backward);
  EXPECT_EQ(edges_of(back), edges_of(t));
  // Solving it: every twin in its forward node's stage.
  SolveOptions o;
  o.time_limit_seconds = 10;
  o.target_ratio = 1;
  const Solution s = solve(t, 2, o);
  EXPECT_TRUE(s.optimal.value_or(false));
  for (NodeId v = 0; v < 4; ++v) EXPECT_EQ(s.partition.stage_of[v], s.partition.stage_of[v + 4]);
}

TEST(BackwardPass, ActivationsAreAStashUnder1F1B) {
  const Graph t = add_backward_pass(diamond(true), {});
  // x, r and m feed a backward node, so their outputs are stashed; y's feeds none.
  const StashModel stash = stash_model(t, "1f1b", 4);
  ASSERT_EQ(stash.stash.size(), 8u);
  EXPECT_EQ(stash.stash[0], 100);
  EXPECT_EQ(stash.stash[1], 200);
  EXPECT_EQ(stash.stash[2], 400);
  EXPECT_EQ(stash.stash[3], 0);
  // One stage holds weights 24 and, per microbatch in flight, a stash of 700: within 800 with
  // one microbatch (one stage has one in flight under 1f1b), above 700 with any, and the
  // weights alone (no schedule) fit either.
  Graph capped = t;
  capped.memory_per_stage = 800;
  SolveOptions o;
  o.time_limit_seconds = 10;
  o.target_ratio = 1;
  EXPECT_NO_THROW(solve(capped, 1, o));
  o.schedule = "1f1b";
  o.microbatches = 1;
  EXPECT_NO_THROW(solve(capped, 1, o));
  o.microbatches = 4;
  capped.memory_per_stage = 700;  // below 24 + 700 with one stage
  EXPECT_THROW(solve(capped, 1, o), InfeasibleError);
  o.schedule = "inference";
  EXPECT_NO_THROW(solve(capped, 1, o));
}

TEST(BackwardPass, PerOperatorTableIsCaseInsensitiveAndCoversBothFrontEnds) {
  for (const char* op : {"Conv", "CONV", "ConvTranspose", "Gemm", "MatMul", "Attention",
                         "MultiHeadAttention", "Einsum", "LSTM", "Conv2d", "Linear", "matmul",
                         "bmm", "mm", "addmm", "baddbmm", "linear", "conv2d", "MultiheadAttention",
                         "scaled_dot_product_attention"})
    EXPECT_EQ(backward_work_factor(op), 2.0) << op;
  for (const char* op : {"", "Relu", "Add", "add", "BatchNorm2d", "BatchNormalization",
                         "LayerNorm", "Softmax", "Gather", "Embedding", "getitem", "convx"})
    EXPECT_EQ(backward_work_factor(op), 1.0) << op;
  EXPECT_EQ(backward_factor(BackwardPassModel{0.5}, "Conv"), 0.5);
  EXPECT_EQ(backward_factor(BackwardPassModel{}, "Conv"), 2.0);
}

TEST(BackwardPass, ClassesAreKeptAndFreshLabelsNeverCollide) {
  GraphBuilder b("classes.json", "classes");
  NodeSpec a = testing::node("a", 1, 1);
  a.colour_class = ColourLabel{"b", false};  // a's class is labelled like node b's id
  NodeSpec bb = testing::node("b", 1, 1);    // no class: its fresh label must not be "b"
  NodeSpec c = testing::node("c", 1, 1);
  c.colour_class = ColourLabel{"7", true};
  NodeSpec d = testing::node("d", 1, 1);
  NodeSpec e = testing::node("e", 1, 1);
  e.colour_class = ColourLabel{"b'", false};  // "b'" is a label too
  for (NodeSpec* s : {&a, &bb, &c, &d, &e}) b.add_node(*s);
  b.add_edge("a", "b");
  b.add_edge("b", "c");
  b.add_edge("c", "d");
  b.add_edge("d", "e");
  const Graph t = add_backward_pass(std::move(b).build(), {});
  EXPECT_EQ(label_of(t, "a"), "b");
  EXPECT_EQ(label_of(t, "a'"), "b");
  EXPECT_EQ(label_of(t, "b"), "b''");  // "b" and "b'" are labels already
  EXPECT_EQ(label_of(t, "b'"), "b''");
  EXPECT_EQ(label_of(t, "c'"), "7");
  EXPECT_TRUE(t.colour_labels[t.colour_class[*t.find("c'")]].integer);
  EXPECT_EQ(label_of(t, "d'"), "d");
  EXPECT_EQ(label_of(t, "e'"), "b'");
  // Five classes, one per forward node: a and b are not glued together.
  EXPECT_EQ(t.colour_labels.size(), 5u);
  EXPECT_NE(t.colour_class[*t.find("a")], t.colour_class[*t.find("b")]);
}

TEST(BackwardPass, RefusesTrainingGraphsTakenIdsAndBadFactors) {
  const Graph t = add_backward_pass(diamond(), {});
  try {
    (void)add_backward_pass(t, {});
    ADD_FAILURE() << "a training graph was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("already has backward nodes"), std::string::npos)
        << e.what();
    EXPECT_EQ(std::string(e.what()).rfind("diamond: ", 0), 0u) << e.what();
  }
  GraphBuilder b("taken.json", "taken");
  b.add_node(testing::node("a", 1, 1));
  b.add_node(testing::node("a'", 1, 1));
  b.add_edge("a", "a'");
  const Graph taken = std::move(b).build();
  try {
    (void)add_backward_pass(taken, {}, "taken.json");
    ADD_FAILURE() << "a taken twin id was accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("taken.json: node 'a': its backward twin's id 'a'' "
                                          "is already a node's",
                                          0),
              0u)
        << e.what();
  }
  for (double bad : {-1.0, std::nan(""), std::numeric_limits<double>::infinity()})
    EXPECT_THROW((void)add_backward_pass(diamond(), BackwardPassModel{bad}), InputError) << bad;
  // A twin whose work leaves the supported range is the builder's one-line error.
  EXPECT_THROW((void)add_backward_pass(diamond(), BackwardPassModel{1e30}), InputError);
}

TEST(BackwardPass, ParsesTheOptionValue) {
  EXPECT_FALSE(parse_backward_pass("none"));
  ASSERT_TRUE(parse_backward_pass("ops"));
  EXPECT_FALSE(parse_backward_pass("ops")->factor);
  EXPECT_EQ(parse_backward_pass("1.5")->factor, 1.5);
  EXPECT_EQ(parse_backward_pass("0")->factor, 0.0);
  // "-0" is the factor 0: no twin's work is a negative zero (written as -0 in JSON).
  const Graph zero = add_backward_pass(diamond(), *parse_backward_pass("-0"));
  for (NodeId v = 4; v < 8; ++v) EXPECT_FALSE(std::signbit(zero.work[v])) << zero.ids[v];
  for (const char* bad : {"", "-1", "x", "2x", "nan", "inf", "Ops", " 1"})
    EXPECT_THROW((void)parse_backward_pass(bad), InputError) << bad;
}

TEST(BackwardPass, ClassWorkIsScaledByTheSameFactor) {
  GraphBuilder b("classes.json", "cw");
  NodeSpec a = op_node("a", 0, 1, "Gemm");
  a.class_work = {{"fast", 1.0}, {"slow", 3.0}};
  NodeSpec r = op_node("r", 2, 1, "Relu");  // a number: no class times
  b.add_node(a);
  b.add_node(r);
  b.add_edge("a", "r");
  const Graph t = add_backward_pass(std::move(b).build(), {});
  ASSERT_EQ(t.work_classes, (std::vector<std::string>{"fast", "slow"}));
  EXPECT_EQ(t.class_work[2 * 2 + 0], 2.0);  // a' on fast
  EXPECT_EQ(t.class_work[2 * 2 + 1], 6.0);  // a' on slow
  EXPECT_EQ(t.work[2], 2.0);
  EXPECT_TRUE(std::isnan(t.class_work[3 * 2 + 0]));  // r' keeps its plain work
  EXPECT_EQ(t.work[3], 2.0);
}

// The read option: every command that reads a graph takes it.
TEST(BackwardPassOption, ReadGraphAddsItAfterTheConstraintOptions) {
  testing::TempDir dir;
  const std::string path = dir.write("g.json", pipecut_graph_to_json(diamond(true)));
  ReadOptions o;
  EXPECT_FALSE(read_graph(path, o).is_training());
  o.backward_pass = "ops";
  const Graph t = read_graph(path, o);
  EXPECT_EQ(pipecut_graph_to_json(t), pipecut_graph_to_json(add_backward_pass(diamond(true), {})));
  o.backward_pass = "3";
  EXPECT_EQ(read_graph(path, o).work[4], 12.0);
  o.backward_pass = "-1";
  EXPECT_THROW((void)read_graph(path, o), InputError);
  o.backward_pass = "ops";
  o.cluster = testing::data_path("clusters/consumer-mix.json");
  EXPECT_THROW((void)read_graph(path, o), InputError);
}

TEST(BackwardPassOption, OnnxSolveWithTheTableAnd1F1BIsBoundedAndStashed) {
  // As README's example: a torchvision model trained in 4 stages under 1F1B.
  const std::string resnet = testing::data_path("corpus/torchvision/resnet18.onnx");
  const auto r = run_cli("solve '" + resnet +
                         "' --backward-pass ops --schedule 1f1b --microbatches 4 -k 4 --json "
                         "--time-limit 20");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  EXPECT_GT(doc["lower_bound"].get<double>(), 0) << r.out;
  EXPECT_LE(doc["lower_bound"].get<double>(), doc["bottleneck"].get<double>());
  EXPECT_TRUE(doc["optimal"].get<bool>()) << r.out;  // the downset DP settles 49 blocks
  EXPECT_EQ(doc["assignment"]["/conv1/Conv'"], doc["assignment"]["/conv1/Conv"]);
  // The graph the solve saw: twins with the Conv and MatMul at twice their work, and every
  // forward node's output size for the stash.
  const std::string model = testing::data_path("samples/onnx/tiny_conv_matmul_split.onnx");
  ReadOptions o;
  o.backward_pass = "ops";
  const Graph t = read_graph(model, o);
  const Graph g = read_graph(model);
  ASSERT_EQ(t.num_nodes(), 2 * g.num_nodes());
  bool doubled = false;
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    EXPECT_EQ(t.work[g.num_nodes() + v], backward_work_factor(g.op[v]) * g.work[v]) << g.ids[v];
    doubled = doubled || (backward_work_factor(g.op[v]) == 2.0 && g.work[v] > 0);
  }
  EXPECT_TRUE(doubled);
  ASSERT_FALSE(t.bytes.empty());
  const StashModel stash = stash_model(t, "1f1b", 4);
  EXPECT_GT(*std::max_element(stash.stash.begin(), stash.stash.end()), 0.0);
}

TEST(BackwardPassOption, BadValuesAreOneLineExitTwo) {
  const std::string bert = testing::data_path("samples/pipecut/bert_l-3_inference.json");
  for (const char* bad : {"-1", "x", "nan", "1e999"}) {
    const auto r = run_cli("solve '" + bert + "' -k 2 --backward-pass " + bad);
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
    EXPECT_EQ(r.err,
              std::string("pipecut: error: --backward-pass: must be one of none, ops, or a number "
                          ">= 0 (got '") +
                  bad + "')\n")
        << bad;
  }
}

TEST(BackwardPassOption, RefusedWhereItHasNoMeaning) {
  testing::TempDir dir;
  const std::string model = testing::data_path("samples/onnx/tiny_conv_matmul_split.onnx");
  const std::string part = dir.path("p.json");
  ASSERT_EQ(run_cli("solve '" + model + "' -k 2 -o '" + part + "'").exit_code, 0);
  auto r = run_cli("split '" + model + "' '" + part + "' -o '" + dir.path("stages") +
                   "' --backward-pass ops");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--backward-pass: the ONNX stage writer"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  r = run_cli("solve '" + model + "' -k 2 --backward-pass ops --export-onnx '" +
              dir.path("stages") + "'");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  // A training graph already has its backward pass.
  const std::string training = dir.write("t.json", pipecut_graph_to_json(add_backward_pass(
                                                       diamond(), {})));
  r = run_cli("solve '" + training + "' -k 2 --backward-pass ops");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("already has backward nodes"), std::string::npos) << r.err;
  // convert writes the training graph, which solves as it is.
  const std::string converted = dir.path("converted.json");
  r = run_cli("convert '" + model + "' '" + converted + "' --backward-pass 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(read_graph(converted).is_training());
  // A training partition evaluated on the graph read without its backward pass: the message
  // says which option is missing.
  const std::string training_part = dir.path("tp.json");
  ASSERT_EQ(run_cli("solve '" + model + "' -k 2 --backward-pass ops -o '" + training_part + "'")
                .exit_code,
            0);
  r = run_cli("evaluate '" + model + "' '" + training_part + "' --backward-pass ops");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = run_cli("evaluate '" + model + "' '" + training_part + "'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("(a backward twin: read the graph with the --backward-pass"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace
}  // namespace pipecut
