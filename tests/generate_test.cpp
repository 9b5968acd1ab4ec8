#include <gtest/gtest.h>

#include <filesystem>

#include "pipecut/gen/synthetic.hpp"
#include "pipecut/io/graph_json.hpp"
#include "pipecut/model/error.hpp"
#include "support/io_test_util.hpp"

namespace pipecut {
namespace {

TEST(Generate, SameSeedSameGraphOtherSeedOtherGraph) {
  SyntheticGraphOptions o;
  o.seed = 42;
  o.nodes = 150;
  const std::string a = pipecut_graph_to_json(generate_synthetic_graph(o, "g"));
  const std::string b = pipecut_graph_to_json(generate_synthetic_graph(o, "g"));
  EXPECT_EQ(a, b);
  o.seed = 43;
  EXPECT_NE(pipecut_graph_to_json(generate_synthetic_graph(o, "g")), a);
}

TEST(Generate, ShapeLooksLikeADnn) {
  SyntheticGraphOptions o;
  o.seed = 7;
  o.nodes = 300;
  o.branch_probability = 0.5;
  const Graph g = generate_synthetic_graph(o, "g");
  EXPECT_GE(g.num_nodes(), 300);
  EXPECT_LT(g.num_nodes(), 300 + o.max_branches * o.max_chain_ops + 2);  // within one block
  int merges = 0, forks = 0, sources = 0;
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    if (g.predecessors(v).size() >= 2) ++merges;
    if (g.successors(v).size() >= 2) ++forks;
    if (g.predecessors(v).empty()) ++sources;
    EXPECT_GE(g.work[v], 0.0);
    EXPECT_GT(g.comm[v], 0.0);
  }
  EXPECT_EQ(sources, 1);  // one input; everything else is reachable from it
  EXPECT_GT(merges, 10);
  EXPECT_GT(forks, 10);
  EXPECT_GT(g.num_edges(), g.num_nodes());  // branches and skips add edges beyond a chain
}

TEST(Generate, RejectsBadOptions) {
  SyntheticGraphOptions o;
  o.nodes = 0;
  EXPECT_THROW((void)generate_synthetic_graph(o, "g"), InputError);
  o = {};
  o.min_chain_ops = 5;
  o.max_chain_ops = 2;
  EXPECT_THROW((void)generate_synthetic_graph(o, "g"), InputError);
  o = {};
  o.skip_probability = 1.5;
  EXPECT_THROW((void)generate_synthetic_graph(o, "g"), InputError);
}

TEST(Generate, CliWritesASetInOneCommand) {
  testing::TempDir tmp;
  const std::string dir = tmp.path("set");
  auto r = testing::run_cli("generate --count 12 --out-dir '" + dir + "' --nodes 40 --seed 5");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 12);
  const Graph first = read_pipecut_graph(dir + "/synthetic-0000.json.gz");
  SyntheticGraphOptions o;
  o.seed = 5;
  o.nodes = 40;
  const Graph same = generate_synthetic_graph(o, "synthetic-0000");
  EXPECT_EQ(first.work, same.work);
  EXPECT_EQ(first.ids, same.ids);
  const Graph last = read_pipecut_graph(dir + "/synthetic-0011.json.gz");
  EXPECT_EQ(last.name, "synthetic-0011");
  r = testing::run_cli("generate -o '" + tmp.path("one.json") + "' --nodes 30");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GE(read_pipecut_graph(tmp.path("one.json")).num_nodes(), 30);
  r = testing::run_cli("generate --count 3");
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace pipecut

namespace pipecut {
namespace {

TEST(Generate, CommittedSamplesMatchTheirDocumentedCommand) {
  // data/synthetic/README.md: pipecut generate --count 5 --nodes 100 --seed 1 --extension json
  for (int i = 0; i < 5; ++i) {
    SyntheticGraphOptions o;
    o.seed = 1 + static_cast<std::uint64_t>(i);
    o.nodes = 100;
    const std::string name = "synthetic-000" + std::to_string(i);
    const std::string expected = pipecut_graph_to_json(generate_synthetic_graph(o, name)) + "\n";
    EXPECT_EQ(testing::read_text(std::string(PIPECUT_DATA_DIR) + "/synthetic/" + name + ".json"),
              expected)
        << name;
  }
}

}  // namespace
}  // namespace pipecut
