#include <gtest/gtest.h>

#include "pipecut/io/foreign_formats.hpp"
#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/cost.hpp"
#include "pipecut/model/error.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

using testing::data_path;

std::vector<std::string> successor_ids(const Graph& g, const std::string& id) {
  std::vector<std::string> out;
  for (NodeId w : g.successors(*g.find(id))) out.push_back(g.ids[w]);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(RegalReader, ReadsTheTinySample) {
  const Graph g = read_graph(data_path("samples/regal/tiny.pbtxt"));
  // _SOURCE (id 0) is dropped, and so is the control edge from it.
  EXPECT_EQ(g.num_nodes(), 4);
  EXPECT_EQ(g.num_edges(), 4);
  EXPECT_FALSE(g.find("_SOURCE"));
  EXPECT_DOUBLE_EQ(g.work[*g.find("right")], 0.055);  // compute_cost 55 us
  // "right" has two outputs but only port 1 (16 bytes) is consumed: the node carries port 1.
  EXPECT_DOUBLE_EQ(g.comm[*g.find("right")], 16.0 / 16e6);
  EXPECT_DOUBLE_EQ(g.comm[*g.find("input")], 64.0 / 16e6);
  EXPECT_EQ(successor_ids(g, "input"), (std::vector<std::string>{"left", "right"}));
  EXPECT_EQ(successor_ids(g, "right"), (std::vector<std::string>{"join"}));
}

// Node "split" has two outputs consumed in different places, and "a" is a control input of "b".
const char* kPorts = R"(
node { name: "_SOURCE" id: 0 }
node { name: "x" id: 1 output_info { size: 1000 } compute_cost: 1000 control_input: 0 }
node { name: "split" id: 2 input_info { preceding_node: 1 preceding_port: 0 }
       output_info { size: 4000 dtype: DT_FLOAT shape { dim { size: 1000 } } }
       output_info { size: 8000 } compute_cost: 2000 }
node { name: "a" id: 3 input_info { preceding_node: 2 preceding_port: 0 }
       output_info { size: 16000 } compute_cost: 3000 some_future_field: 7 }
node { name: "b" id: 4 input_info { preceding_node: 2 preceding_port: 1 }
       output_info { size: 0 } control_input: 3 compute_cost: 4000 }
)";

TEST(RegalReader, SeveralOutputPortsAndControlInputs) {
  const Graph g = parse_regal_graph(kPorts, "ports.pbtxt", 1.0);  // 1 GB/s: 1e6 bytes per ms
  ASSERT_EQ(g.num_nodes(), 7);  // x, split, split:0, split:1, a, a^ctrl, b
  const NodeId split = *g.find("split"), port0 = *g.find("split:0"), port1 = *g.find("split:1");
  const NodeId ctrl = *g.find("a^ctrl");
  EXPECT_DOUBLE_EQ(g.comm[split], 0.004 + 0.008);  // the sum of its two consumed ports
  EXPECT_DOUBLE_EQ(g.comm[port0], 0.004);
  EXPECT_DOUBLE_EQ(g.comm[port1], 0.008);
  EXPECT_DOUBLE_EQ(g.work[port1], 0.0);
  EXPECT_EQ(g.work[ctrl], 0.0);
  EXPECT_EQ(g.comm[ctrl], 0.0);
  EXPECT_EQ(successor_ids(g, "split"), (std::vector<std::string>{"split:0", "split:1"}));
  EXPECT_EQ(successor_ids(g, "split:0"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(successor_ids(g, "split:1"), (std::vector<std::string>{"b"}));
  EXPECT_EQ(successor_ids(g, "a"), (std::vector<std::string>{"a^ctrl"}));
  EXPECT_EQ(successor_ids(g, "a^ctrl"), (std::vector<std::string>{"b"}));

  // Tensor cut: split (with its port nodes) in stage 0, a in stage 1, b in stage 2. Stage 0
  // sends both tensors, each once; a's control node rides with a and costs nothing.
  Partition p;
  p.k = 3;
  p.stage_of.assign(g.num_nodes(), 0);
  p.stage_of[*g.find("a")] = 1;
  p.stage_of[ctrl] = 1;
  p.stage_of[*g.find("b")] = 2;
  const Evaluation e = evaluate_partition(g, p);
  EXPECT_NEAR(e.stages[0].cost, 1.0 + 2.0 + 0.004 + 0.008, 1e-12);
  EXPECT_NEAR(e.stages[1].cost, 0.004 + 3.0, 1e-12);
  EXPECT_NEAR(e.stages[2].cost, 0.008 + 4.0, 1e-12);
  // Moving port 1 to b's stage: stage 0 pays the sum instead (not less than really), stage 2
  // receives the sum (more than the 0.008 it really gets).
  p.stage_of[port1] = 2;
  const Evaluation parted = evaluate_partition(g, p);
  EXPECT_NEAR(parted.stages[0].cost, 1.0 + 2.0 + 0.004 + 0.012, 1e-12);
  EXPECT_NEAR(parted.stages[2].cost, 0.012 + 4.0, 1e-12);
}

void expect_error(const std::string& text, const std::string& expected) {
  try {
    (void)parse_regal_graph(text, "bad.pbtxt", 16.0);
    FAIL() << "no error; expected " << expected;
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("bad.pbtxt", 0), 0u) << message;
    EXPECT_NE(message.find(expected), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(RegalReader, MalformedInputs) {
  const std::string ports = kPorts;
  expect_error(ports.substr(0, ports.size() - 30), "bad.pbtxt:");  // truncated: parse position
  expect_error(R"(node { name: "a" id: 1 input_info { preceding_node: 9 } })",
               "input from unknown node id 9");
  expect_error(R"(node { name: "a" id: 1 compute_cost: 1.5x })", "bad.pbtxt:1:");
  expect_error(R"(node { name: "a" id: 1 compute_cost: -5 })", "negative compute_cost");
  expect_error(R"(node { name: "a" id: 1 input_info { preceding_node: 2 } }
                  node { name: "b" id: 2 input_info { preceding_node: 1 } })",
               "cycle");
  expect_error("", "empty graph");
  expect_error(R"(node { name: "a" id: 1 } node { name: "b" id: 1 })", "duplicate node id 1");
}

TEST(RegalReader, SinkIsDroppedWithItsControlEdges) {
  const Graph g = parse_regal_graph(R"(
    node { name: "_SOURCE" id: 0 }
    node { name: "_SINK" id: 1 control_input: 2 control_input: 3 }
    node { name: "a" id: 2 output_info { size: 10 } control_input: 0 compute_cost: 7 }
    node { name: "b" id: 3 input_info { preceding_node: 2 } compute_cost: 8 }
  )",
                                    "sink.pbtxt", 16.0);
  EXPECT_EQ(g.num_nodes(), 2);  // no _SINK, no "^ctrl" nodes for its control inputs
  EXPECT_EQ(g.num_edges(), 1);
}

TEST(RegalReader, RepeatedAndMissingNamesAreMadeUnique) {
  const Graph g = parse_regal_graph(
      R"(node { name: "op" id: 1 } node { name: "op" id: 2 } node { id: 3 })", "n.pbtxt", 16.0);
  EXPECT_TRUE(g.find("op"));
  EXPECT_TRUE(g.find("op#2"));
  EXPECT_TRUE(g.find("#3"));
}

}  // namespace
}  // namespace pipecut
