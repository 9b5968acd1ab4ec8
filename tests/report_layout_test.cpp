// Layout data of the HTML report: topological levels, chain runs, the graph view (items, lanes,
// rows, edges), stage memory, colocation and the steady-state timeline. Hand-built graphs with
// expected values worked out by hand, and invariants on random graphs and partitions.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "pipecut/model/error.hpp"
#include "pipecut/report/report_layout.hpp"
#include "pipecut/solve/api.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

using testing::node;

Graph build(std::vector<NodeSpec> nodes, std::vector<std::pair<std::string, std::string>> edges) {
  GraphBuilder b("test");
  for (auto& n : nodes) b.add_node(std::move(n));
  for (auto& [u, v] : edges) b.add_edge(u, v);
  return std::move(b).build();
}

Partition stages_of(const Graph& g, const std::map<std::string, int>& stage, int k) {
  Partition p;
  p.k = k;
  p.stage_of.resize(g.num_nodes());
  for (NodeId v = 0; v < g.num_nodes(); ++v) p.stage_of[v] = stage.at(g.ids[v]);
  return p;
}

// A random valid partition: a random topological order cut at random positions.
Partition random_partition(const Graph& g, int k, std::uint64_t seed) {
  const std::vector<NodeId> order = testing::random_topological_order(g, seed);
  std::mt19937_64 rng(seed * 7 + 1);
  std::vector<int> cuts(k + 1, 0);
  for (int b = 1; b < k; ++b) cuts[b] = static_cast<int>(rng() % (g.num_nodes() + 1));
  cuts[k] = g.num_nodes();
  std::sort(cuts.begin(), cuts.end());
  return partition_from_cuts(g, order, cuts);
}

// x -> a -> b -> c, weight w read by b, and an isolated node i.
Graph small_net() {
  return build({node("x", 1, 1), node("a", 1, 1), node("b", 1, 1), node("c", 1, 1), node("w", 0, 2),
                node("i", 1, 0)},
               {{"x", "a"}, {"a", "b"}, {"b", "c"}, {"w", "b"}});
}

TEST(ReportLayout, LevelsPullSourcesNextToTheirEarliestConsumer) {
  const Graph g = small_net();
  const std::vector<int> level = topological_levels(g);
  auto at = [&](const char* id) { return level[*g.find(id)]; };
  EXPECT_EQ(at("x"), 0);
  EXPECT_EQ(at("a"), 1);
  EXPECT_EQ(at("b"), 2);
  EXPECT_EQ(at("c"), 3);
  EXPECT_EQ(at("w"), 1);  // longest-path level 0, moved to just before b
  EXPECT_EQ(at("i"), 0);  // no consumer: stays at 0
}

TEST(ReportLayout, LevelsFollowTheLongestPathOnRandomGraphs) {
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    testing::RandomGraphOptions o;
    o.nodes = 4 + static_cast<int>(seed % 20);
    o.edge_probability = 0.2;
    const Graph g = testing::random_dag(seed, o);
    const std::vector<int> level = topological_levels(g);
    for (NodeId v = 0; v < g.num_nodes(); ++v) {
      for (NodeId w : g.successors(v)) EXPECT_LT(level[v], level[w]) << "seed " << seed;
      if (!g.predecessors(v).empty()) {
        int longest = 0;
        for (NodeId u : g.predecessors(v)) longest = std::max(longest, level[u] + 1);
        EXPECT_EQ(level[v], longest) << "seed " << seed;
      } else if (!g.successors(v).empty()) {
        int earliest = 1 << 30;
        for (NodeId w : g.successors(v)) earliest = std::min(earliest, level[w]);
        EXPECT_EQ(level[v], earliest - 1) << "seed " << seed;
      } else {
        EXPECT_EQ(level[v], 0);
      }
    }
  }
}

TEST(ReportLayout, ChainRunsStopAtBranchesMergesAndStageBoundaries) {
  // x -> a -> b -> c -> d, with w -> b (b has two producers) and a stage boundary between c and
  // d; c also feeds e, so c's tensor has two consumers.
  const Graph g =
      build({node("x", 1, 1), node("a", 1, 1), node("b", 1, 1), node("c", 1, 1), node("d", 1, 1),
             node("e", 1, 1), node("w", 0, 1), node("f", 1, 1)},
            {{"x", "a"}, {"a", "b"}, {"w", "b"}, {"b", "c"}, {"c", "d"}, {"c", "e"}, {"d", "f"}});
  const Partition p = stages_of(
      g, {{"x", 0}, {"a", 0}, {"b", 0}, {"c", 0}, {"d", 1}, {"e", 1}, {"w", 0}, {"f", 1}}, 2);
  std::set<std::vector<std::string>> runs;
  for (const auto& run : chain_runs(g, p)) {
    std::vector<std::string> ids;
    for (NodeId v : run) ids.push_back(g.ids[v]);
    runs.insert(ids);
  }
  const std::set<std::vector<std::string>> expected = {
      {"x", "a"}, {"w"}, {"b", "c"}, {"d", "f"}, {"e"}};
  EXPECT_EQ(runs, expected);

  // The same chain d -> f split by a boundary is two runs.
  const Partition q = stages_of(
      g, {{"x", 0}, {"a", 0}, {"b", 0}, {"c", 0}, {"d", 1}, {"e", 1}, {"w", 0}, {"f", 2}}, 3);
  int runs_with_d = 0;
  for (const auto& run : chain_runs(g, q))
    if (std::find(run.begin(), run.end(), *g.find("d")) != run.end()) {
      ++runs_with_d;
      EXPECT_EQ(run.size(), 1u);
    }
  EXPECT_EQ(runs_with_d, 1);
}

// Contractible link u -> v, by the definition in report_layout.hpp.
bool contractible(const Graph& g, const Partition& p, NodeId u, NodeId v) {
  return g.successors(u).size() == 1 && g.successors(u)[0] == v && g.predecessors(v).size() == 1 &&
         p.stage_of[u] == p.stage_of[v];
}

TEST(ReportLayout, ChainRunsAreMaximalAndCoverEveryNodeOnce) {
  for (std::uint64_t seed = 1; seed <= 80; ++seed) {
    testing::RandomGraphOptions o;
    o.nodes = 5 + static_cast<int>(seed % 25);
    o.edge_probability = seed % 2 ? 0.12 : 0.3;
    const Graph g = testing::random_dag(seed, o);
    const Partition p = random_partition(g, 1 + static_cast<int>(seed % 4), seed);
    const auto runs = chain_runs(g, p);
    std::vector<int> seen(g.num_nodes(), 0);
    int links = 0;
    for (NodeId u = 0; u < g.num_nodes(); ++u)
      for (NodeId v : g.successors(u)) links += contractible(g, p, u, v);
    for (const auto& run : runs) {
      for (NodeId v : run) ++seen[v];
      for (std::size_t i = 0; i + 1 < run.size(); ++i)
        EXPECT_TRUE(contractible(g, p, run[i], run[i + 1])) << "seed " << seed;
    }
    for (NodeId v = 0; v < g.num_nodes(); ++v) EXPECT_EQ(seen[v], 1) << "seed " << seed;
    // Maximal: each contractible link joins two nodes of one run, so the count of runs is
    // n minus the number of such links.
    EXPECT_EQ(static_cast<int>(runs.size()), g.num_nodes() - links) << "seed " << seed;
  }
}

void expect_valid_view(const Graph& g, const Partition& p, const GraphView& view,
                       const std::string& where) {
  // Every node in exactly one item, item_of consistent, each item in one stage.
  std::vector<int> seen(g.num_nodes(), 0);
  for (int i = 0; i < static_cast<int>(view.items.size()); ++i) {
    const GraphViewItem& it = view.items[i];
    ASSERT_FALSE(it.nodes.empty()) << where;
    for (NodeId v : it.nodes) {
      ++seen[v];
      EXPECT_EQ(view.item_of[v], i) << where;
      EXPECT_EQ(p.stage_of[v], it.stage) << where;
    }
    EXPECT_EQ(it.row, it.level / view.levels_per_row) << where;
    EXPECT_EQ(it.column, it.level % view.levels_per_row) << where;
  }
  for (NodeId v = 0; v < g.num_nodes(); ++v) EXPECT_EQ(seen[v], 1) << where;
  // Edges: exactly the distinct item pairs of graph edges, forward in level, cut iff the stages
  // differ, carrying a tensor whose producer is in `from` and feeds `to`.
  std::set<std::pair<int, int>> expected;
  for (NodeId u = 0; u < g.num_nodes(); ++u)
    for (NodeId v : g.successors(u))
      if (view.item_of[u] != view.item_of[v]) expected.insert({view.item_of[u], view.item_of[v]});
  std::set<std::pair<int, int>> got;
  for (const GraphViewEdge& e : view.edges) {
    EXPECT_TRUE(got.insert({e.from, e.to}).second) << where << ": duplicate edge";
    EXPECT_LT(view.items[e.from].level, view.items[e.to].level) << where;
    EXPECT_EQ(e.cut, view.items[e.from].stage != view.items[e.to].stage) << where;
    EXPECT_EQ(view.item_of[e.tensor], e.from) << where;
    bool feeds = false;
    for (NodeId v : g.successors(e.tensor)) feeds |= view.item_of[v] == e.to;
    EXPECT_TRUE(feeds) << where;
  }
  EXPECT_EQ(got, expected) << where;
  // Lanes: a permutation of 0..count-1 within each level; row heights are the widest level.
  std::map<int, std::vector<int>> lanes;
  for (const GraphViewItem& it : view.items) lanes[it.level].push_back(it.lane);
  ASSERT_EQ(static_cast<int>(lanes.size()), view.num_levels) << where;  // no empty level
  std::vector<int> widest(view.row_lanes.size(), 0);
  for (auto& [level, l] : lanes) {
    std::sort(l.begin(), l.end());
    for (int i = 0; i < static_cast<int>(l.size()); ++i) EXPECT_EQ(l[i], i) << where;
    widest[level / view.levels_per_row] =
        std::max(widest[level / view.levels_per_row], static_cast<int>(l.size()));
  }
  EXPECT_EQ(widest, view.row_lanes) << where;
  // A cut tensor is never hidden inside a box: its producer is the last node of its item.
  for (const BoundaryTensor& t : boundary_tensors(g, p))
    EXPECT_EQ(view.items[view.item_of[t.producer]].nodes.back(), t.producer) << where;
}

TEST(ReportLayout, GraphViewIsConsistentInDetailAndAggregatedMode) {
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    testing::RandomGraphOptions o;
    o.nodes = 5 + static_cast<int>(seed % 30);
    o.edge_probability = seed % 3 == 0 ? 0.25 : 0.1;
    const Graph g = testing::random_dag(seed, o);
    const Partition p = random_partition(g, 1 + static_cast<int>(seed % 5), seed);
    GraphViewOptions detail;
    detail.levels_per_row = 1 + static_cast<int>(seed % 7);
    const GraphView d = layout_graph_view(g, p, detail);
    EXPECT_FALSE(d.aggregated);
    EXPECT_EQ(static_cast<int>(d.items.size()), g.num_nodes());
    expect_valid_view(g, p, d, "detail, seed " + std::to_string(seed));
    // In detail mode an item's level is its node's topological level.
    const std::vector<int> level = topological_levels(g);
    for (const GraphViewItem& it : d.items) EXPECT_EQ(it.level, level[it.nodes[0]]);

    GraphViewOptions coarse = detail;
    coarse.detail_limit = 0;
    const GraphView a = layout_graph_view(g, p, coarse);
    EXPECT_TRUE(a.aggregated);
    EXPECT_EQ(a.items.size(), chain_runs(g, p).size());
    expect_valid_view(g, p, a, "aggregated, seed " + std::to_string(seed));
  }
}

TEST(ReportLayout, GraphViewOfALongChainWrapsIntoRows) {
  // 25 operators in a chain, two stages: aggregated, it is two boxes; in detail, 25 levels in
  // rows of 10 levels.
  GraphBuilder b("chain");
  for (int i = 0; i < 25; ++i) b.add_node(node(std::string("n").append(std::to_string(i)), 1, 1));
  for (int i = 0; i + 1 < 25; ++i) b.add_edge(NodeId{i}, NodeId{i + 1});
  const Graph g = std::move(b).build();
  Partition p{2, std::vector<int>(25, 0)};
  for (int i = 12; i < 25; ++i) p.stage_of[i] = 1;
  GraphViewOptions o;
  o.levels_per_row = 10;
  const GraphView d = layout_graph_view(g, p, o);
  EXPECT_EQ(d.num_levels, 25);
  EXPECT_EQ(d.row_lanes, (std::vector<int>{1, 1, 1}));
  EXPECT_EQ(d.items[d.item_of[13]].row, 1);
  EXPECT_EQ(d.items[d.item_of[13]].column, 3);
  ASSERT_EQ(d.edges.size(), 24u);
  EXPECT_EQ(std::count_if(d.edges.begin(), d.edges.end(), [](auto& e) { return e.cut; }), 1);

  o.detail_limit = 10;
  const GraphView a = layout_graph_view(g, p, o);
  ASSERT_EQ(a.items.size(), 2u);
  EXPECT_EQ(a.items[0].nodes.size(), 12u);
  EXPECT_EQ(a.items[1].nodes.size(), 13u);
  ASSERT_EQ(a.edges.size(), 1u);
  EXPECT_TRUE(a.edges[0].cut);
  EXPECT_EQ(a.edges[0].tensor, 11);
  EXPECT_EQ(a.num_levels, 2);
}

TEST(ReportLayout, LanesKeepTheMainChainOnTopAndWeightsBelow) {
  // x -> a -> b with weights wa -> a and wb -> b: the chain stays in lane 0, weights go under it.
  const Graph g =
      build({node("x", 1, 1), node("wa", 0, 1), node("a", 1, 1), node("wb", 0, 1), node("b", 1, 1)},
            {{"x", "a"}, {"wa", "a"}, {"a", "b"}, {"wb", "b"}});
  const GraphView v = layout_graph_view(g, Partition{1, std::vector<int>(5, 0)});
  auto lane = [&](const char* id) { return v.items[v.item_of[*g.find(id)]].lane; };
  EXPECT_EQ(lane("x"), 0);
  EXPECT_EQ(lane("wa"), 1);  // level 0 with x; both are sources, ties go by topological order
  EXPECT_EQ(lane("a"), 0);
  EXPECT_EQ(lane("wb"), 1);  // a source (no producer) sorts after a, which has producers
  EXPECT_EQ(lane("b"), 0);
}

TEST(ReportLayout, InvalidPartitionIsAnInputError) {
  const Graph g = small_net();
  Partition p{2, std::vector<int>(g.num_nodes(), 0)};
  p.stage_of[*g.find("x")] = 1;  // x -> a goes backwards
  EXPECT_THROW(layout_graph_view(g, p), InputError);
  EXPECT_THROW(chain_runs(g, p), InputError);
  EXPECT_THROW(check_colocation(g, p), InputError);
}

TEST(ReportLayout, ResidentMemoryAndColocation) {
  GraphBuilder b("mem");
  NodeSpec s;
  for (int i = 0; i < 6; ++i) {
    s.id = std::string("n").append(std::to_string(i));
    s.memory = 100.0 * (i + 1);
    b.add_node(s);
  }
  for (int i = 0; i + 1 < 6; ++i) b.add_edge(NodeId{i}, NodeId{i + 1});
  Graph g = std::move(b).build();
  g.colour_class = {0, 0, 1, 1, -1, -1};     // {n0, n1}, {n2, n3}; n4, n5 free
  const Partition p{4, {0, 0, 1, 3, 3, 3}};  // stage 2 empty
  // Every stage listed (evaluate_partition), and the non-empty ones only (evaluate).
  EXPECT_EQ(resident_memory(g, evaluate_partition(g, p)), (std::vector<double>{300, 300, 0, 1500}));
  EXPECT_EQ(resident_memory(g, evaluate(g, p)), (std::vector<double>{300, 300, 1500}));
  const ColocationCheck c = check_colocation(g, p);
  EXPECT_EQ(c.classes, 2);
  EXPECT_EQ(c.split, 1);  // {n2, n3} spans stages 1 and 3
  EXPECT_EQ(check_colocation(g, Partition{3, {0, 0, 1, 1, 2, 2}}).split, 0);
  EXPECT_EQ(check_colocation(small_net(), Partition{1, std::vector<int>(6, 0)}).classes, 0);
}

TEST(ReportLayout, TimelineStartsEachStageOncePerPeriodInPipelineOrder) {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    testing::RandomGraphOptions o;
    o.nodes = 8 + static_cast<int>(seed % 10);
    o.fractional = true;
    const Graph g = testing::random_dag(seed, o);
    const int k = 1 + static_cast<int>(seed % 5);
    const Partition partition = random_partition(g, k, seed);
    const Evaluation e = evaluate_partition(g, partition);
    const PipelineTimeline t = steady_state_timeline(e, 3);
    // The compact form (non-empty stages only) gives the same timeline.
    const PipelineTimeline compact = steady_state_timeline(evaluate(g, partition), 3);
    EXPECT_EQ(compact.stages, t.stages);
    ASSERT_EQ(compact.boxes.size(), t.boxes.size());
    for (std::size_t i = 0; i < t.boxes.size(); ++i) {
      EXPECT_EQ(compact.boxes[i].stage, t.boxes[i].stage);
      EXPECT_DOUBLE_EQ(compact.boxes[i].end, t.boxes[i].end);
    }
    EXPECT_DOUBLE_EQ(t.period, e.bottleneck);
    ASSERT_EQ(static_cast<int>(t.stages.size()), e.stages_used);
    EXPECT_TRUE(std::is_sorted(t.stages.begin(), t.stages.end()));
    EXPECT_EQ(t.slots, e.stages_used + 3);
    if (t.period == 0) {
      EXPECT_TRUE(t.boxes.empty());
      continue;
    }
    std::size_t expected_boxes = 0;
    for (int p = 0; p < e.stages_used; ++p) expected_boxes += t.slots - p;
    EXPECT_EQ(t.boxes.size(), expected_boxes);
    std::map<std::pair<int, int>, TimelineBox> at;  // (microbatch, position) -> box
    for (const TimelineBox& b : t.boxes) {
      const StageCost& s = e.stages[b.stage];
      EXPECT_FALSE(s.nodes.empty());
      EXPECT_EQ(t.stages[b.position], b.stage);
      EXPECT_DOUBLE_EQ(b.start, (b.microbatch + b.position) * t.period);
      EXPECT_NEAR(b.received - b.start, s.comm_in, 1e-9);
      EXPECT_NEAR(b.computed - b.received, s.work, 1e-9);
      EXPECT_NEAR(b.end - b.computed, s.comm_out, 1e-9);
      EXPECT_LE(b.end, b.start + t.period + 1e-9);  // a stage finishes within its slot
      if (b.stage == e.bottleneck_stage) {
        EXPECT_NEAR(b.end, b.start + t.period, 1e-9);
      }
      at[{b.microbatch, b.position}] = b;
    }
    // A microbatch leaves a stage before the next stage starts on it, and a stage finishes a
    // microbatch before it starts the next one.
    for (const auto& [key, b] : at) {
      auto next_stage = at.find({key.first, key.second + 1});
      if (next_stage != at.end()) {
        EXPECT_LE(b.end, next_stage->second.start + 1e-9);
      }
      auto next_batch = at.find({key.first + 1, key.second});
      if (next_batch != at.end()) {
        EXPECT_LE(b.end, next_batch->second.start + 1e-9);
      }
    }
  }
}

TEST(ReportLayout, TimelineSkipsEmptyStagesAndHandlesZeroCosts) {
  const Graph g = build({node("a", 2, 1), node("b", 3, 0)}, {{"a", "b"}});
  const Evaluation e = evaluate_partition(g, Partition{4, {1, 3}});  // stages 0 and 2 empty
  const PipelineTimeline t = steady_state_timeline(e, 2);
  EXPECT_EQ(t.stages, (std::vector<int>{1, 3}));
  EXPECT_DOUBLE_EQ(t.period, 4.0);  // stage 3: work 3 + receive 1
  EXPECT_EQ(t.slots, 4);
  EXPECT_EQ(t.boxes.size(), 4u + 3u);

  const Graph zero = build({node("a", 0, 0), node("b", 0, 0)}, {{"a", "b"}});
  const PipelineTimeline z = steady_state_timeline(evaluate_partition(zero, Partition{2, {0, 1}}));
  EXPECT_EQ(z.period, 0.0);
  EXPECT_TRUE(z.boxes.empty());
}

}  // namespace
}  // namespace pipecut
