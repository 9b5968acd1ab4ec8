#include <gtest/gtest.h>

#include "pipecut/io/foreign_formats.hpp"
#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/error.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

using testing::data_path;

TEST(PipeDreamReader, ReadsTheResNet18Sample) {
  const Graph g = read_graph(data_path("samples/pipedream/resnet18_graph.txt"));
  EXPECT_EQ(g.num_nodes(), 71);  // lines "nodeN -- layer -- attributes"
  EXPECT_EQ(g.num_edges(), 79);  // lines "nodeA -- nodeB"
  // node2 -- Conv2d(3, 64, kernel_size=(7, 7), ...) -- forward_compute_time=23.046, ...,
  // activation_size=822083584.000, parameter_size=37632.000
  const auto conv = g.find("node2");
  ASSERT_TRUE(conv);
  EXPECT_DOUBLE_EQ(g.work[*conv], 23.046);
  EXPECT_DOUBLE_EQ(g.comm[*conv], 822083584.0 / 16e6);  // default 16 GB/s, in ms
  EXPECT_DOUBLE_EQ(g.memory[*conv], 37632.0);
  EXPECT_EQ(g.op[*conv], "Conv2d");
  const auto input = g.find("node1");
  ASSERT_TRUE(input);
  ASSERT_EQ(g.successors(*input).size(), 1u);
  EXPECT_EQ(g.ids[g.successors(*input)[0]], "node2");
}

TEST(PipeDreamReader, LinkBandwidthScalesComm) {
  ReadOptions options;
  options.link_bandwidth_gbps = 32.0;
  const Graph g = read_graph(data_path("samples/pipedream/resnet18_graph.txt"), options);
  EXPECT_DOUBLE_EQ(g.comm[*g.find("node2")], 822083584.0 / 32e6);
}

void expect_error(const std::string& text, const std::string& expected) {
  try {
    (void)parse_pipedream_graph(text, "graph.txt", 16.0);
    FAIL() << "no error; expected " << expected;
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("graph.txt", 0), 0u) << message;
    EXPECT_NE(message.find(expected), std::string::npos) << message;
  }
}

const std::string kNode =
    "node1 -- Input -- forward_compute_time=1.0, backward_compute_time=0.0, "
    "activation_size=16000000.0, parameter_size=0.0\n";
const std::string kNode2 =
    "node2 -- ReLU(inplace) -- forward_compute_time=2.5, backward_compute_time=0.0, "
    "activation_size=8.0, parameter_size=4.0\n";

TEST(PipeDreamReader, SmallGraphCosts) {
  const Graph g = parse_pipedream_graph(kNode + kNode2 + "\tnode1 -- node2\n", "graph.txt", 16.0);
  EXPECT_EQ(g.num_nodes(), 2);
  EXPECT_EQ(g.num_edges(), 1);
  EXPECT_DOUBLE_EQ(g.comm[0], 1.0);  // 16 MB at 16 GB/s = 1 ms
  EXPECT_DOUBLE_EQ(g.work[1], 2.5);
  EXPECT_EQ(g.op[1], "ReLU");
}

TEST(PipeDreamReader, StageIdsAndMultiOutputActivationLists) {
  // A partitioned profile appends " -- stage_id=S"; a layer with two outputs prints its
  // activation sizes as "[a; b]" (both tensors are sent: comm is their sum).
  const Graph g = parse_pipedream_graph(
      "node1 -- LSTM(8, 8) -- forward_compute_time=1.0, backward_compute_time=0.0, "
      "activation_size=[8000000.0; 24000000.0], parameter_size=0.0 -- stage_id=0\n"
      "node2 -- Linear -- forward_compute_time=2.0, backward_compute_time=0.0, "
      "activation_size=16.0, parameter_size=0.0 -- stage_id=1\n"
      "\tnode1 -- node2\n",
      "graph.txt", 16.0);
  EXPECT_EQ(g.num_nodes(), 2);
  EXPECT_DOUBLE_EQ(g.comm[0], 2.0);  // 32 MB at 16 GB/s
  EXPECT_DOUBLE_EQ(g.work[1], 2.0);
  EXPECT_EQ(g.op[0], "LSTM");
}

TEST(PipeDreamReader, MalformedInputsNameFileAndLine) {
  expect_error(kNode.substr(0, kNode.size() / 2), "graph.txt:1:");  // truncated line
  expect_error(kNode + "\tnode1 -- node7\n", "graph.txt:2: edge names unknown node 'node7'");
  expect_error("node1 -- Input -- forward_compute_time=abc, activation_size=1\n",
               "graph.txt:1: bad number 'abc'");
  expect_error("node1 -- Input -- backward_compute_time=1, activation_size=1\n",
               "missing forward_compute_time");
  expect_error(kNode + kNode2 + "\tnode1 -- node2\n\tnode2 -- node1\n", "cycle");
  expect_error("", "empty graph");
  expect_error(kNode + kNode, "graph.txt:2: duplicate node 'node1'");
}

}  // namespace
}  // namespace pipecut
