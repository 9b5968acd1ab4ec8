#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "pipecut/io/foreign_formats.hpp"
#include "pipecut/io/graph_json.hpp"
#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/error.hpp"
#include "support/io_test_util.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

using testing::data_path;

const std::string kBert = "samples/tarnawski/bert_l-3_inference.json";

TEST(TarnawskiReader, ReadsTheBertSample) {
  const Graph g = read_graph(data_path(kBert));
  EXPECT_EQ(g.num_nodes(), 235);
  EXPECT_EQ(g.num_edges(), 250);
  ASSERT_TRUE(g.default_k);
  EXPECT_EQ(*g.default_k, 3);  // maxFPGAs
  ASSERT_TRUE(g.memory_per_stage);
  EXPECT_DOUBLE_EQ(*g.memory_per_stage, 17185374208.0);  // maxSizePerFPGA
  // Node 0: cls.seq_relationship.weight, fpgaLatency 0, size 1024, colorClass 16, one out-edge
  // of cost 0.000476837158203125 (= 1024 bytes at 2^31 bytes/s, in ms).
  const auto v = g.find("0");
  ASSERT_TRUE(v);
  EXPECT_EQ(g.work[*v], 0.0);
  EXPECT_EQ(g.comm[*v], 0.000476837158203125);
  EXPECT_EQ(g.memory[*v], 1024.0);
  ASSERT_FALSE(g.colour_class.empty());
  ASSERT_GE(g.colour_class[*v], 0);
  EXPECT_EQ(g.colour_labels[g.colour_class[*v]].text, "16");
  EXPECT_TRUE(g.colour_labels[g.colour_class[*v]].integer);
  EXPECT_NEAR(g.total_work(), 49.35, 0.01);  // the sample's total work (W/k = 12.34 at k = 4)
}

TEST(TarnawskiReader, EqualsThePipecutConversionOfTheSample) {
  const Graph ours = read_graph(data_path(kBert));
  const Graph reference = read_graph(data_path("samples/pipecut/bert_l-3_inference.json"));
  ASSERT_EQ(ours.num_nodes(), reference.num_nodes());
  ASSERT_EQ(ours.num_edges(), reference.num_edges());
  for (NodeId v = 0; v < ours.num_nodes(); ++v) {
    const auto r = reference.find(ours.ids[v]);
    ASSERT_TRUE(r) << ours.ids[v];
    EXPECT_EQ(ours.work[v], reference.work[*r]) << ours.ids[v];
    EXPECT_EQ(ours.comm[v], reference.comm[*r]) << ours.ids[v];
    EXPECT_EQ(ours.memory[v], reference.memory[*r]) << ours.ids[v];
    std::vector<std::string> a, b;
    for (NodeId w : ours.successors(v)) a.push_back(ours.ids[w]);
    for (NodeId w : reference.successors(*r)) b.push_back(reference.ids[w]);
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    EXPECT_EQ(a, b) << ours.ids[v];
  }
}

const char* kSmall = R"({"maxFPGAs": 2, "nodes": [
  {"id": 1, "fpgaLatency": 1.5, "size": 8},
  {"id": 2, "fpgaLatency": 2},
  {"id": 3, "fpgaLatency": 0.5}],
 "edges": [{"sourceId": 1, "destId": 2, "cost": 0.25},
           {"sourceId": 1, "destId": 3, "cost": 0.75},
           {"sourceId": 2, "destId": 3, "cost": 0.1}]})";

TEST(TarnawskiReader, DisagreeingOutEdgeCostsTakeTheMaximumAndWarnOnce) {
  std::string err;
  int warnings = 0;
  ::testing::internal::CaptureStderr();
  const Graph g = parse_tarnawski_graph(kSmall, "small.json", [&](const std::string& message) {
    err += message;
    ++warnings;
  });
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");  // the library never prints
  EXPECT_EQ(warnings, 1);
  EXPECT_EQ(g.comm[*g.find("1")], 0.75);
  EXPECT_EQ(g.comm[*g.find("2")], 0.1);
  EXPECT_EQ(g.comm[*g.find("3")], 0.0);  // a sink sends nothing
  EXPECT_NE(err.find("small.json: node 1: out-edges disagree"), std::string::npos) << err;
}

void expect_error(const std::string& text, const std::string& expected) {
  try {
    (void)parse_tarnawski_graph(text, "bad.json");
    FAIL() << "no error; expected " << expected;
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("bad.json", 0), 0u) << message;
    EXPECT_NE(message.find(expected), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(TarnawskiReader, MalformedInputsGiveOneLineErrorsNamingTheFile) {
  const std::string text = kSmall;
  expect_error(text.substr(0, text.size() / 2), "malformed JSON");
  expect_error(
      R"({"nodes":[{"id":1,"fpgaLatency":1}],"edges":[{"sourceId":1,"destId":9,"cost":0}]})",
      "unknown node id '9'");
  expect_error(R"({"nodes":[{"id":1,"fpgaLatency":"fast"}],"edges":[]})",
               "\"fpgaLatency\" must be a number");
  expect_error(R"({"nodes":[{"id":1,"fpgaLatency":-1}],"edges":[]})", "negative work");
  expect_error(R"({"nodes":[{"id":1,"fpgaLatency":1},{"id":2,"fpgaLatency":1}],
                   "edges":[{"sourceId":1,"destId":2,"cost":0},{"sourceId":2,"destId":1,"cost":0}]})",
               "cycle");
  expect_error(R"({"nodes":[],"edges":[]})", "empty graph");
  expect_error(R"({"nodes":[{"id":1,"fpgaLatency":1},{"id":1,"fpgaLatency":1}],"edges":[]})",
               "duplicate node id '1'");
}

TEST(TarnawskiReader, TruncatedSampleFileIsAnErrorNamingTheFile) {
  testing::TempDir tmp;
  const std::string full = testing::read_text(data_path(kBert));
  const std::string path = tmp.write("cut.json", full.substr(0, full.size() * 2 / 3));
  try {
    (void)read_graph(path);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(path + ": malformed JSON", 0), 0u) << e.what();
  }
}

}  // namespace
}  // namespace pipecut

namespace pipecut {
namespace {

TEST(Tarnawski, NumberOutOfRangeIsAOneLineInputError) {
  try {
    (void)parse_tarnawski_graph(
        R"({"nodes":[{"id":0,"fpgaLatency":1e999,"size":0}],"edges":[],"maxFPGAs":2})", "big.json");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("malformed JSON (a number is out of range)"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace pipecut
