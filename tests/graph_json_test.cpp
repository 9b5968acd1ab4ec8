// The pipecut.graph reader: valid input, every class of bad input, gzip, round trip.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "pipecut/io/file_util.hpp"
#include "pipecut/io/graph_json.hpp"
#include "pipecut/model/error.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

// Expects parsing `text` to fail with a message containing the source name and `fragment`.
void expect_error(const std::string& text, const std::string& fragment) {
  try {
    (void)parse_pipecut_graph(text, "bad.json");
    ADD_FAILURE() << "no error for: " << text;
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind("bad.json: ", 0), 0u) << msg;
    EXPECT_NE(msg.find(fragment), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
  }
}

std::string doc(const std::string& nodes, const std::string& edges) {
  return R"({"format":"pipecut.graph","version":1,"name":"t","nodes":[)" + nodes +
         R"(],"edges":[)" + edges + "]}";
}

const char* kTwo = R"({"id":"a","work":1,"comm":2},{"id":"b","work":3,"comm":4})";

TEST(GraphJson, ReadsNodesEdgesAndIntegerIds) {
  Graph g = parse_pipecut_graph(
      doc(R"({"id":"a","work":1.5,"comm":0.25,"memory":8,"op":"Conv"},{"id":7,"work":2,"comm":0})",
          R"(["a",7],["a",7])"),
      "t.json");
  ASSERT_EQ(g.num_nodes(), 2);
  EXPECT_EQ(g.num_edges(), 1);  // duplicate edges merged
  EXPECT_EQ(g.ids[1], "7");
  EXPECT_DOUBLE_EQ(g.work[0], 1.5);
  EXPECT_DOUBLE_EQ(g.comm[0], 0.25);
  EXPECT_DOUBLE_EQ(g.memory[0], 8);
  EXPECT_EQ(g.op[0], "Conv");
  EXPECT_EQ(g.name, "t");
}

TEST(GraphJson, RejectsEachKindOfBadInputWithOneClearLine) {
  expect_error("{\"format\":", "malformed JSON");
  expect_error("[1,2]", "JSON object");
  expect_error(R"({"format":"other","version":1,"nodes":[]})", "\"format\"");
  expect_error(R"({"format":"pipecut.graph","version":2,"nodes":[]})", "version");
  expect_error(doc("", ""), "empty graph");
  expect_error(doc(R"({"work":1,"comm":1})", ""), "no \"id\"");
  expect_error(doc(R"({"id":"a","work":1,"comm":1},{"id":"a","work":1,"comm":1})", ""),
               "duplicate node id 'a'");
  expect_error(doc(kTwo, R"(["a","zz"])"), "unknown node id 'zz'");
  expect_error(doc(kTwo, R"(["a","a"])"), "self-loop on node 'a'");
  expect_error(doc(kTwo, R"(["a","b"],["b","a"])"), "cycle through node");
  expect_error(doc(R"({"id":"a","work":-1,"comm":1})", ""), "negative work");
  expect_error(doc(R"({"id":"a","work":1,"comm":-0.5})", ""), "negative comm");
  expect_error(doc(R"({"id":"a","work":"x","comm":1})", ""), "\"work\" must be a number");
  expect_error(doc(R"({"id":"a","comm":1})", ""), "missing \"work\"");
  expect_error(doc(R"({"id":"a","work":1e999,"comm":1})", ""), "out of range");
  expect_error(doc(kTwo, R"(["a"])"), "pair");
}

TEST(GraphJson, CycleErrorNamesANodeOnTheCycle) {
  // x -> a -> b -> c -> a: x is not on the cycle and must not be named.
  try {
    (void)parse_pipecut_graph(
        doc(R"({"id":"x","work":1,"comm":1},{"id":"a","work":1,"comm":1},{"id":"b","work":1,"comm":1},{"id":"c","work":1,"comm":1})",
            R"(["x","a"],["a","b"],["b","c"],["c","a"])"),
        "cyc.json");
    FAIL();
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_TRUE(msg.find("'a'") != std::string::npos || msg.find("'b'") != std::string::npos ||
                msg.find("'c'") != std::string::npos)
        << msg;
  }
}

TEST(GraphJson, NanIsRejected) {
  // JSON has no NaN literal; our reader must still reject NaN if a parser lets one through.
  GraphBuilder b("nan.json");
  NodeSpec s = testing::node("a", std::numeric_limits<double>::quiet_NaN(), 1);
  EXPECT_THROW(b.add_node(s), InputError);
}

TEST(GraphJson, GzipRoundTripPreservesTheGraph) {
  Graph g = read_pipecut_graph(testing::data_path("samples/pipecut/bert_l-3_inference.json"));
  auto dir = std::filesystem::temp_directory_path() / "pipecut_graph_json_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "bert.json.gz").string();
  write_pipecut_graph(g, path);
  Graph back = read_pipecut_graph(path);
  EXPECT_EQ(back.ids, g.ids);
  EXPECT_EQ(back.work, g.work);
  EXPECT_EQ(back.comm, g.comm);
  EXPECT_EQ(back.succ_list, g.succ_list);
  EXPECT_EQ(back.name, g.name);
  std::filesystem::remove_all(dir);
}

TEST(GraphJson, MissingAndTruncatedFilesNameTheFile) {
  EXPECT_THROW(
      {
        try {
          (void)read_pipecut_graph("/nonexistent/model.json");
        } catch (const InputError& e) {
          EXPECT_NE(std::string(e.what()).find("/nonexistent/model.json: cannot open"),
                    std::string::npos);
          throw;
        }
      },
      InputError);
  auto dir = std::filesystem::temp_directory_path() / "pipecut_graph_json_trunc";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "t.json.gz").string();
  write_file_atomic(path, doc(kTwo, ""), true);
  std::string bytes = read_file_maybe_gzip(path);  // sanity: readable
  EXPECT_NE(bytes.find("pipecut.graph"), std::string::npos);
  // Truncate the compressed file.
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
  EXPECT_THROW((void)read_pipecut_graph(path), InputError);
  std::filesystem::remove_all(dir);
}

TEST(GraphJson, Bert3SampleLoads) {
  Graph g = read_pipecut_graph(testing::data_path("samples/pipecut/bert_l-3_inference.json"));
  EXPECT_EQ(g.num_nodes(), 235);
  EXPECT_NEAR(g.total_work(), 49.3526, 1e-4);
}

}  // namespace
}  // namespace pipecut
