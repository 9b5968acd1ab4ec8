#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "pipecut/gen/synthetic.hpp"
#include "pipecut/io/graph_json.hpp"
#include "pipecut/model/cost.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/partition/slicegraph.hpp"
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

namespace pipecut {
namespace {

// Shape figures of a generated graph: comm / work over all nodes, and width as the largest
// number of nodes at one depth (longest path from the input, in nodes) and nodes per depth.
struct ShapeFigures {
  double comm_over_work = 0;
  int max_level_width = 0;
  double nodes_per_level = 0;
  int cross_branch_edges = 0;  // edges between two different branches of one block
};

ShapeFigures shape_figures(const Graph& g) {
  ShapeFigures f;
  double work = 0, comm = 0;
  std::vector<int> depth(static_cast<std::size_t>(g.num_nodes()), 0);
  int levels = 0;
  // Node ids follow a topological order (the generator adds producers first).
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    work += g.work[v];
    comm += g.comm[v];
    for (NodeId u : g.predecessors(v)) {
      EXPECT_LT(u, v);
      depth[v] = std::max(depth[v], depth[u] + 1);
    }
    levels = std::max(levels, depth[v] + 1);
  }
  std::vector<int> width(static_cast<std::size_t>(levels), 0);
  for (int d : depth) f.max_level_width = std::max(f.max_level_width, ++width[d]);
  f.comm_over_work = comm / work;
  f.nodes_per_level = static_cast<double>(g.num_nodes()) / levels;
  // "b3.br1.2.Conv": block 3, branch 1, step 2.
  auto block_and_branch = [&](NodeId v) {
    const std::string& id = g.ids[v];
    const auto dot = id.find('.');
    const auto br = id.find(".br");
    return std::make_pair(id.substr(0, dot), br == std::string::npos
                                                 ? std::string()
                                                 : id.substr(br, id.find('.', br + 1) - br));
  };
  for (NodeId v = 0; v < g.num_nodes(); ++v)
    for (NodeId w : g.successors(v)) {
      const auto [block_v, branch_v] = block_and_branch(v);
      const auto [block_w, branch_w] = block_and_branch(w);
      if (block_v == block_w && !branch_v.empty() && !branch_w.empty() && branch_v != branch_w)
        ++f.cross_branch_edges;
    }
  return f;
}

TEST(GenerateRegalPreset, WideBlocksAndCommComparableToWork) {
  for (int nodes : {200, 1000, 2000}) {
    for (std::uint64_t seed : {1, 2, 3}) {
      SyntheticGraphOptions o = synthetic_preset("regal");
      o.seed = seed;
      o.nodes = nodes;
      const Graph g = generate_synthetic_graph(o, "regal");
      const std::string what = "nodes " + std::to_string(nodes) + " seed " + std::to_string(seed);
      EXPECT_GE(g.num_nodes(), nodes) << what;
      EXPECT_LE(g.num_nodes(), nodes + o.max_branches * o.max_chain_ops + 1) << what;
      int sources = 0;
      for (NodeId v = 0; v < g.num_nodes(); ++v) sources += g.predecessors(v).empty() ? 1 : 0;
      EXPECT_EQ(sources, 1) << what;
      const ShapeFigures f = shape_figures(g);
      EXPECT_GT(f.comm_over_work, 0.7) << what;
      EXPECT_LT(f.comm_over_work, 1.4) << what;
      EXPECT_GE(f.max_level_width, 7) << what;    // some block has (nearly) 8 parallel branches
      EXPECT_GT(f.nodes_per_level, 2.3) << what;  // wide on average, not only in one block
      EXPECT_GT(f.cross_branch_edges, nodes / 50) << what;
      // Every topological slicing of it is a valid partition.
      const SliceGraphResult p = slice_default_order(g, 8);
      EXPECT_FALSE(partition_problem(g, p.partition).has_value()) << what;
    }
  }
}

TEST(GenerateRegalPreset, DiffersFromTheDnnPresetWhichIsTheDefault) {
  SyntheticGraphOptions dnn = synthetic_preset("dnn");
  dnn.nodes = 1000;
  SyntheticGraphOptions defaults;
  defaults.nodes = 1000;
  const Graph g = generate_synthetic_graph(dnn, "g");
  EXPECT_EQ(pipecut_graph_to_json(g),
            pipecut_graph_to_json(generate_synthetic_graph(defaults, "g")));
  const ShapeFigures narrow = shape_figures(g);
  SyntheticGraphOptions regal = synthetic_preset("regal");
  const ShapeFigures wide = shape_figures(generate_synthetic_graph(regal, "g"));
  EXPECT_EQ(narrow.cross_branch_edges, 0);
  EXPECT_GT(wide.nodes_per_level, 1.5 * narrow.nodes_per_level);
  EXPECT_GT(wide.comm_over_work, 1.5 * narrow.comm_over_work);
}

TEST(GenerateRegalPreset, SameSeedSameGraphOtherSeedOtherGraph) {
  SyntheticGraphOptions o = synthetic_preset("regal");
  o.seed = 11;
  o.nodes = 300;
  const std::string a = pipecut_graph_to_json(generate_synthetic_graph(o, "g"));
  EXPECT_EQ(pipecut_graph_to_json(generate_synthetic_graph(o, "g")), a);
  o.seed = 12;
  EXPECT_NE(pipecut_graph_to_json(generate_synthetic_graph(o, "g")), a);
}

TEST(GenerateRegalPreset, UnknownPresetAndBadCrossLinkProbabilityAreInputErrors) {
  try {
    (void)synthetic_preset("nope");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'nope'"), std::string::npos) << e.what();
  }
  SyntheticGraphOptions o;
  o.cross_branch_probability = -0.1;
  EXPECT_THROW((void)generate_synthetic_graph(o, "g"), InputError);
}

}  // namespace
}  // namespace pipecut

namespace pipecut {
namespace {

TEST(GenerateRegalPreset, CliPresetIsOverriddenByOptionsWhereverTheyStand) {
  testing::TempDir tmp;
  SyntheticGraphOptions o = synthetic_preset("regal");
  o.nodes = 300;
  const Graph expected = generate_synthetic_graph(o, "x");
  for (const std::string args : {"--preset regal --nodes 300", "--nodes 300 --preset regal"}) {
    const std::string out = tmp.path("one.json");
    const auto r = testing::run_cli("generate " + args + " -o '" + out + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Graph g = read_pipecut_graph(out);
    EXPECT_EQ(g.ids, expected.ids) << args;
    EXPECT_EQ(g.work, expected.work) << args;
    EXPECT_EQ(g.comm, expected.comm) << args;
  }
  // An option beside the preset changes only itself.
  o.cross_branch_probability = 0;
  const std::string out = tmp.path("no-cross.json");
  auto r = testing::run_cli(
      "generate --cross-branch-probability 0 --preset regal --nodes 300 -o '" + out + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_pipecut_graph(out).ids, generate_synthetic_graph(o, "x").ids);
  r = testing::run_cli("generate --preset nope -o '" + tmp.path("bad.json") + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(tmp.path("bad.json")));
}

TEST(GenerateRegalPreset, CliSetSpreadsNodeTargetsAndNamesGraphsAfterThePreset) {
  testing::TempDir tmp;
  const std::string dir = tmp.path("regal");
  auto r = testing::run_cli(
      "generate --preset regal --count 3 --nodes 200 --max-nodes 400 --seed 7 "
      "--out-dir '" +
      dir + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (int i = 0; i < 3; ++i) {
    const std::string name = "regal-000" + std::to_string(i);
    const Graph g = read_pipecut_graph(dir + "/" + name + ".json.gz");
    SyntheticGraphOptions o = synthetic_preset("regal");
    o.seed = 7 + static_cast<std::uint64_t>(i);
    o.nodes = 200 + 100 * i;
    const Graph expected = generate_synthetic_graph(o, name);
    EXPECT_EQ(g.name, name);
    EXPECT_EQ(g.ids, expected.ids) << name;
    EXPECT_EQ(g.work, expected.work) << name;
  }
  r = testing::run_cli("generate --max-nodes 400 -o '" + tmp.path("one.json") + "'");
  EXPECT_EQ(r.exit_code, 2);
  r = testing::run_cli("generate --count 2 --nodes 300 --max-nodes 200 --out-dir '" +
                       tmp.path("d") + "'");
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace pipecut
