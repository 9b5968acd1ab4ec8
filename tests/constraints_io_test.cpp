// Reading placement constraints: the size parser, each format's constraint fields, colour labels
// kept exactly as written, and the read options that override or drop constraints.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "pipecut/io/foreign_formats.hpp"
#include "pipecut/io/graph_json.hpp"
#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/constraints.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/util/memory_size.hpp"
#include "support/io_test_util.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

using testing::TempDir;

TEST(MemorySize, UnitsAndPlainBytes) {
  EXPECT_EQ(parse_memory_size("17185374208", "x"), 17185374208.0);
  EXPECT_EQ(parse_memory_size("512MiB", "x"), 512.0 * 1024 * 1024);
  EXPECT_EQ(parse_memory_size("16GiB", "x"), 16.0 * 1024 * 1024 * 1024);
  EXPECT_EQ(parse_memory_size("16 gib", "x"), 16.0 * 1024 * 1024 * 1024);
  EXPECT_EQ(parse_memory_size("80GB", "x"), 80e9);
  EXPECT_EQ(parse_memory_size("1.5kB", "x"), 1500.0);
  EXPECT_EQ(parse_memory_size("2KiB", "x"), 2048.0);
  EXPECT_EQ(parse_memory_size("3TB", "x"), 3e12);
  EXPECT_EQ(parse_memory_size("1TiB", "x"), 1099511627776.0);
  EXPECT_EQ(parse_memory_size("1e9", "x"), 1e9);
  EXPECT_EQ(parse_memory_size(" 64 B ", "x"), 64.0);
}

TEST(MemorySize, BadValuesAreOneLineInputErrors) {
  for (const char* bad : {"0", "0GiB", "-1", "-5MiB", "nan", "NaN", "inf", "16XB", "", "GiB",
                          "12 G iB", "1e999", "0x10", "16GiBs"}) {
    try {
      parse_memory_size(bad, "--memory-per-stage");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const InputError& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.rfind("--memory-per-stage: ", 0), 0u) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  }
}

std::string pipecut_graph(const std::string& nodes, const std::string& extra = "") {
  return R"({"format": "pipecut.graph", "version": 1, "nodes": [)" + nodes +
         R"(], "edges": [["a", "b"]])" + extra + "}";
}

TEST(PipecutGraphConstraints, ColourLabelsAreKeptExactlyAsWritten) {
  TempDir dir;
  const std::string path = dir.write(
      "g.json",
      pipecut_graph(R"({"id": "a", "work": 1, "comm": 1, "memory": 8, "colour_class": "attn"},
                       {"id": "b", "work": 1, "comm": 0, "colour_class": 18446744073709551615},
                       {"id": "c", "work": 1, "comm": 0, "colour_class": -9223372036854775808},
                       {"id": "d", "work": 1, "comm": 0, "colour_class": "attn"})",
                    R"(, "memory_per_stage": 64)"));
  const Graph g = read_graph(path);
  ASSERT_EQ(g.colour_labels.size(), 3u);
  EXPECT_EQ(g.colour_labels[g.colour_class[0]].text, "attn");
  EXPECT_FALSE(g.colour_labels[g.colour_class[0]].integer);
  EXPECT_EQ(g.colour_class[0], g.colour_class[3]);
  EXPECT_EQ(g.colour_labels[g.colour_class[1]].text, "18446744073709551615");  // 2^64 - 1
  EXPECT_TRUE(g.colour_labels[g.colour_class[1]].integer);
  EXPECT_EQ(g.colour_labels[g.colour_class[2]].text, "-9223372036854775808");
  EXPECT_EQ(g.memory_per_stage, 64.0);
  // Written back digit for digit, integers as integers and strings as strings.
  const auto doc = nlohmann::json::parse(pipecut_graph_to_json(g));
  EXPECT_EQ(doc["nodes"][0]["colour_class"], "attn");
  EXPECT_EQ(doc["nodes"][1]["colour_class"].dump(), "18446744073709551615");
  EXPECT_EQ(doc["nodes"][2]["colour_class"].dump(), "-9223372036854775808");
  EXPECT_FALSE(doc["nodes"][1].contains("memory"));
  EXPECT_EQ(doc["memory_per_stage"], 64.0);
}

TEST(PipecutGraphConstraints, TheIntegerAndTheStringOfOneLabelAreOneClass) {
  TempDir dir;
  const Graph g = read_graph(
      dir.write("g.json", pipecut_graph(R"({"id": "a", "work": 1, "comm": 1, "colour_class": 3},
                                 {"id": "b", "work": 1, "comm": 0, "colour_class": "3"})")));
  EXPECT_EQ(g.colour_labels.size(), 1u);
  EXPECT_EQ(g.colour_class[0], g.colour_class[1]);
}

TEST(PipecutGraphConstraints, BadConstraintValuesAreOneLineErrorsNamingTheFile) {
  TempDir dir;
  const std::string good_nodes =
      R"({"id": "a", "work": 1, "comm": 1}, {"id": "b", "work": 1, "comm": 0})";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {pipecut_graph(
           R"({"id": "a", "work": 1, "comm": 1, "colour_class": 1.5}, {"id": "b", "work": 1, "comm": 0})"),
       "colour_class"},
      {pipecut_graph(
           R"({"id": "a", "work": 1, "comm": 1, "colour_class": 123456789012345678901234567890}, {"id": "b", "work": 1, "comm": 0})"),
       "colour_class"},
      {pipecut_graph(
           R"({"id": "a", "work": 1, "comm": 1, "colour_class": ""}, {"id": "b", "work": 1, "comm": 0})"),
       "colour_class"},
      {pipecut_graph(
           R"({"id": "a", "work": 1, "comm": 1, "colour_class": true}, {"id": "b", "work": 1, "comm": 0})"),
       "colour_class"},
      {pipecut_graph(
           R"({"id": "a", "work": 1, "comm": 1, "memory": -4}, {"id": "b", "work": 1, "comm": 0})"),
       "negative memory"},
      {pipecut_graph(good_nodes, R"(, "memory_per_stage": 0)"), "memory per stage"},
      {pipecut_graph(good_nodes, R"(, "memory_per_stage": -1)"), "memory per stage"},
      {pipecut_graph(good_nodes, R"(, "memory_per_stage": "16GiB")"), "memory_per_stage"},
  };
  for (const auto& [text, problem] : cases) {
    const std::string path = dir.write("bad.json", text);
    try {
      read_graph(path);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const InputError& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.rfind(path, 0), 0u) << message;
      EXPECT_NE(message.find(problem), std::string::npos) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  }
}

TEST(TarnawskiConstraints, SizeColourClassAndCapacityAreRead) {
  const Graph g = read_graph(testing::data_path("samples/tarnawski/bert_l-3_inference.json"));
  ASSERT_TRUE(g.memory_per_stage);
  EXPECT_EQ(*g.memory_per_stage, 17185374208.0);
  EXPECT_EQ(g.colour_labels.size(), 117u);  // distinct colorClass values in the sample
  const NodeId v = *g.find("0");
  EXPECT_EQ(g.memory[v], 1024.0);
  EXPECT_EQ(g.colour_labels[g.colour_class[v]].text, "16");
  const Constraints c = derive_constraints(g);
  EXPECT_GT(c.hulls, 0);
  EXPECT_FALSE(infeasibility_proof(g, c, 3));
}

TEST(TarnawskiConstraints, LargeColourClassesDoNotWrap) {
  const Graph g = parse_tarnawski_graph(R"({"maxFPGAs": 2, "maxSizePerFPGA": 100, "nodes": [
      {"id": 1, "fpgaLatency": 1, "size": 8, "colorClass": 9007199254740993},
      {"id": 2, "fpgaLatency": 1, "size": 8, "colorClass": 9007199254740993}],
      "edges": [{"sourceId": 1, "destId": 2, "cost": 1}]})",
                                        "t.json");
  ASSERT_EQ(g.colour_labels.size(), 1u);
  EXPECT_EQ(g.colour_labels[0].text, "9007199254740993");  // 2^53 + 1: not a double
}

TEST(PipeDreamConstraints, ParameterSizeIsNodeMemory) {
  const Graph g = read_graph(testing::data_path("samples/pipedream/resnet18_graph.txt"));
  double total = 0;
  for (double m : g.memory) total += m;
  EXPECT_GT(total, 1e6);  // resnet18 has about 11.7 M parameters
  EXPECT_FALSE(g.memory_per_stage);
  EXPECT_TRUE(g.colour_labels.empty());
}

TEST(RegalConstraints, PersistentMemorySizeIsNodeMemory) {
  const Graph g = parse_regal_graph(R"(
node { name: "a" id: 1 output_info { size: 64 } compute_cost: 10 persistent_memory_size: 4096 }
node { name: "b" id: 2 input_info { preceding_node: 1 preceding_port: 0 } compute_cost: 10 }
)",
                                    "r.pbtxt", 16.0);
  EXPECT_EQ(g.memory[*g.find("a")], 4096.0);
  EXPECT_EQ(g.memory[*g.find("b")], 0.0);
}

TEST(ReadOptionsConstraints, OverrideAndIgnore) {
  const std::string path = testing::data_path("samples/tarnawski/bert_l-3_inference.json");
  ReadOptions o;
  o.memory_per_stage = 1e9;
  EXPECT_EQ(read_graph(path, o).memory_per_stage, 1e9);
  ReadOptions ignore_memory;
  ignore_memory.ignore_memory = true;
  const Graph free_memory = read_graph(path, ignore_memory);
  EXPECT_FALSE(free_memory.memory_per_stage);
  EXPECT_EQ(free_memory.memory[*free_memory.find("0")], 1024.0);  // still known, for reports
  EXPECT_EQ(free_memory.colour_labels.size(), 117u);
  ReadOptions ignore_colocation;
  ignore_colocation.ignore_colocation = true;
  const Graph free_classes = read_graph(path, ignore_colocation);
  EXPECT_TRUE(free_classes.colour_labels.empty());
  EXPECT_TRUE(free_classes.colour_class.empty());
  EXPECT_TRUE(free_classes.memory_per_stage);
  ReadOptions both;
  both.memory_per_stage = 1e9;
  both.ignore_memory = true;
  EXPECT_THROW(read_graph(path, both), InputError);
  for (double bad : {0.0, -1.0, std::nan(""), std::numeric_limits<double>::infinity()}) {
    ReadOptions invalid;
    invalid.memory_per_stage = bad;
    EXPECT_THROW(read_graph(path, invalid), InputError) << bad;
  }
}

}  // namespace
}  // namespace pipecut
