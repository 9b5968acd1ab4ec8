// pipecut.graph for clusters (docs/clusters.md): `work` per device class and `bytes`, read,
// checked and written back; without them a graph is read and written as before.
#include <gtest/gtest.h>

#include <cmath>

#include "pipecut/io/graph_json.hpp"
#include "pipecut/model/error.hpp"

namespace pipecut {
namespace {

// a -> b -> c, a -> c. a: 2 ms (numeric), 4 MB out; b: per class, 1 MB out; c: numeric, no bytes.
const char* kGraph = R"({"format": "pipecut.graph", "version": 1, "name": "g",
 "nodes": [{"id": "a", "work": 2, "comm": 9, "bytes": 4000000, "memory": 10},
           {"id": "b", "work": {"fast": 1, "slow": 5}, "comm": 9, "bytes": 1000000, "memory": 40},
           {"id": "c", "work": 3, "comm": 0.5, "memory": 30}],
 "edges": [["a", "b"], ["b", "c"], ["a", "c"]]})";

TEST(ClusterGraph, ReadsWorkPerClassAndBytes) {
  const Graph g = parse_pipecut_graph(kGraph, "g.json");
  ASSERT_EQ(g.work_classes, (std::vector<std::string>{"fast", "slow"}));
  EXPECT_EQ(g.work[1], 1.0);  // the least of its classes
  EXPECT_TRUE(std::isnan(g.class_work[0 * 2 + 0]));
  EXPECT_EQ(g.class_work[1 * 2 + 1], 5.0);
  EXPECT_EQ(g.bytes, (std::vector<double>{4e6, 1e6, -1}));
  // Round trip: the writer gives the maps and bytes back.
  const Graph back = parse_pipecut_graph(pipecut_graph_to_json(g), "back.json");
  EXPECT_EQ(back.work_classes, g.work_classes);
  EXPECT_EQ(back.bytes, g.bytes);
  EXPECT_EQ(back.work, g.work);
  for (std::size_t i = 0; i < g.class_work.size(); ++i)
    EXPECT_TRUE(back.class_work[i] == g.class_work[i] ||
                (std::isnan(back.class_work[i]) && std::isnan(g.class_work[i])));
}

TEST(ClusterGraph, WithoutThemNothingChanges) {
  const Graph g = parse_pipecut_graph(
      R"({"format":"pipecut.graph","version":1,"nodes":[{"id":"a","work":1,"comm":2}]})", "g.json");
  EXPECT_TRUE(g.work_classes.empty());
  EXPECT_TRUE(g.class_work.empty());
  EXPECT_TRUE(g.bytes.empty());
  EXPECT_EQ(
      pipecut_graph_to_json(g, -1),
      R"({"edges":[],"format":"pipecut.graph","name":"g","nodes":[{"comm":2.0,"id":"a","work":1.0}],"version":1})");
}

void expect_graph_error(const std::string& nodes, const std::string& fragment) {
  const std::string text = R"({"format":"pipecut.graph","version":1,"nodes":[)" + nodes + "]}";
  try {
    (void)parse_pipecut_graph(text, "bad.json");
    ADD_FAILURE() << "no error for " << nodes;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind("bad.json: ", 0), 0u) << e.what();
  }
}

TEST(ClusterGraph, BadWorkMapsAndBytes) {
  expect_graph_error(R"({"id":"a","work":{},"comm":0})", "node 'a': \"work\" names no class");
  expect_graph_error(R"({"id":"a","work":{"x":-1},"comm":0})",
                     "node 'a': negative work on class 'x'");
  expect_graph_error(R"({"id":"a","work":{"x":"1"},"comm":0})",
                     "\"work\" of class 'x' must be a number");
  expect_graph_error(R"({"id":"a","work":{"x":1e40},"comm":0})", "outside the supported range");
  expect_graph_error(R"({"id":"a","work":1,"comm":0,"bytes":-4})", "node 'a': negative bytes");
  expect_graph_error(R"({"id":"a","work":1,"comm":0,"bytes":"4"})", "bytes");
}

}  // namespace
}  // namespace pipecut
