#include "pipecut/report/report_layout.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "pipecut/model/error.hpp"

namespace pipecut {

namespace {

void require_valid(const Graph& g, const Partition& p) {
  if (auto problem = partition_problem(g, p)) throw InputError("invalid partition: " + *problem);
}

// Adjacency lists of a DAG whose vertices 0..n-1 are already in topological order.
struct SmallDag {
  std::vector<std::vector<int>> succ;
  std::vector<std::vector<int>> pred;
};

// The level rule of topological_levels on a DAG listed in topological order.
std::vector<int> levels_in_order(const SmallDag& d) {
  const int n = static_cast<int>(d.succ.size());
  std::vector<int> level(n, 0);
  for (int v = 0; v < n; ++v)
    for (int u : d.pred[v]) level[v] = std::max(level[v], level[u] + 1);
  // Sources move right next to their earliest consumer; other levels are unchanged, so every
  // edge still goes from a lower to a higher level.
  for (int v = 0; v < n; ++v) {
    if (!d.pred[v].empty() || d.succ[v].empty()) continue;
    int earliest = std::numeric_limits<int>::max();
    for (int w : d.succ[v]) earliest = std::min(earliest, level[w]);
    level[v] = earliest - 1;
  }
  return level;
}

}  // namespace

std::vector<int> topological_levels(const Graph& g) {
  const std::vector<NodeId> order = topological_order(g);
  std::vector<int> position(g.num_nodes());
  for (int i = 0; i < g.num_nodes(); ++i) position[order[i]] = i;
  SmallDag d;
  d.succ.resize(g.num_nodes());
  d.pred.resize(g.num_nodes());
  for (NodeId u = 0; u < g.num_nodes(); ++u)
    for (NodeId v : g.successors(u)) {
      d.succ[position[u]].push_back(position[v]);
      d.pred[position[v]].push_back(position[u]);
    }
  const std::vector<int> by_position = levels_in_order(d);
  std::vector<int> level(g.num_nodes());
  for (int i = 0; i < g.num_nodes(); ++i) level[order[i]] = by_position[i];
  return level;
}

std::vector<std::vector<NodeId>> chain_runs(const Graph& g, const Partition& p) {
  require_valid(g, p);
  // joins_next(u): u's only consumer v has u as its only producer, in the same stage.
  auto joins_next = [&](NodeId u) {
    auto succ = g.successors(u);
    if (succ.size() != 1) return false;
    const NodeId v = succ[0];
    return g.predecessors(v).size() == 1 && p.stage_of[u] == p.stage_of[v];
  };
  std::vector<char> continues_run(g.num_nodes(), 0);  // v extends its producer's run
  for (NodeId u = 0; u < g.num_nodes(); ++u)
    if (joins_next(u)) continues_run[g.successors(u)[0]] = 1;
  std::vector<std::vector<NodeId>> runs;
  for (NodeId start : topological_order(g)) {
    if (continues_run[start]) continue;
    std::vector<NodeId> run{start};
    for (NodeId u = start; joins_next(u);) {
      u = g.successors(u)[0];
      run.push_back(u);
    }
    runs.push_back(std::move(run));
  }
  return runs;
}

GraphView layout_graph_view(const Graph& g, const Partition& p, const GraphViewOptions& options) {
  require_valid(g, p);
  GraphView view;
  view.aggregated = g.num_nodes() > options.detail_limit;
  view.levels_per_row = std::max(1, options.levels_per_row);

  std::vector<std::vector<NodeId>> groups;
  if (view.aggregated) {
    groups = chain_runs(g, p);
  } else {
    for (NodeId v : topological_order(g)) groups.push_back({v});
  }
  // Groups are listed so that every edge between two groups goes from a lower to a higher
  // index (a run is entered at its first node and left at its last), which is the order
  // levels_in_order needs.
  view.item_of.assign(g.num_nodes(), -1);
  for (int i = 0; i < static_cast<int>(groups.size()); ++i)
    for (NodeId v : groups[i]) view.item_of[v] = i;
  const int items = static_cast<int>(groups.size());

  for (NodeId u = 0; u < g.num_nodes(); ++u)
    for (NodeId v : g.successors(u)) {
      const int a = view.item_of[u];
      const int b = view.item_of[v];
      if (a != b) view.edges.push_back({a, b, u, p.stage_of[u] != p.stage_of[v]});
    }
  std::sort(view.edges.begin(), view.edges.end(), [](const auto& x, const auto& y) {
    return std::pair(x.from, x.to) < std::pair(y.from, y.to);
  });
  view.edges.erase(
      std::unique(view.edges.begin(), view.edges.end(),
                  [](const auto& x, const auto& y) { return x.from == y.from && x.to == y.to; }),
      view.edges.end());

  SmallDag d;
  d.succ.resize(items);
  d.pred.resize(items);
  for (const GraphViewEdge& e : view.edges) {
    d.succ[e.from].push_back(e.to);
    d.pred[e.to].push_back(e.from);
  }
  const std::vector<int> level = levels_in_order(d);
  view.num_levels = items == 0 ? 0 : *std::max_element(level.begin(), level.end()) + 1;

  // Lanes: levels left to right; within a level, items ordered by the mean lane of their
  // producers (sources last, so weights sit under the operators that read them), ties by
  // topological position. One sweep of the barycentre heuristic keeps chains on straight
  // lines, which is what narrow operator graphs need.
  std::vector<std::vector<int>> by_level(view.num_levels);
  for (int i = 0; i < items; ++i) by_level[level[i]].push_back(i);
  std::vector<int> lane(items, 0);
  for (std::vector<int>& members : by_level) {
    std::vector<std::pair<double, int>> keyed;
    keyed.reserve(members.size());
    for (int i : members) {
      double key = std::numeric_limits<double>::infinity();
      if (!d.pred[i].empty()) {
        double sum = 0;
        for (int u : d.pred[i]) sum += lane[u];
        key = sum / static_cast<double>(d.pred[i].size());
      }
      keyed.emplace_back(key, i);
    }
    std::sort(keyed.begin(), keyed.end());
    for (int r = 0; r < static_cast<int>(keyed.size()); ++r) lane[keyed[r].second] = r;
  }

  const int rows = (view.num_levels + view.levels_per_row - 1) / view.levels_per_row;
  view.row_lanes.assign(rows, 0);
  for (int l = 0; l < view.num_levels; ++l) {
    int& height = view.row_lanes[l / view.levels_per_row];
    height = std::max(height, static_cast<int>(by_level[l].size()));
  }
  view.items.resize(items);
  for (int i = 0; i < items; ++i) {
    GraphViewItem& item = view.items[i];
    item.nodes = std::move(groups[i]);
    item.stage = p.stage_of[item.nodes.front()];
    item.level = level[i];
    item.lane = lane[i];
    item.row = level[i] / view.levels_per_row;
    item.column = level[i] % view.levels_per_row;
  }
  return view;
}

std::vector<double> resident_memory(const Graph& g, const Evaluation& e) {
  std::vector<double> memory;
  memory.reserve(e.stages.size());
  for (const StageCost& s : e.stages) {
    double sum = 0;
    for (NodeId v : s.nodes) sum += g.memory[v];
    memory.push_back(sum);
  }
  return memory;
}

ColocationCheck check_colocation(const Graph& g, const Partition& p) {
  require_valid(g, p);
  ColocationCheck check;
  if (g.colour_class.empty()) return check;
  // First stage seen for each class, and whether another stage was seen later.
  std::vector<std::pair<int, bool>> seen;  // indexed by class; first = -1 until seen
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    const int c = g.colour_class[v];
    if (c < 0) continue;
    if (c >= static_cast<int>(seen.size()))
      seen.resize(static_cast<std::size_t>(c) + 1, {-1, false});
    auto& [stage, split] = seen[c];
    if (stage == -1) {
      stage = p.stage_of[v];
      ++check.classes;
    } else if (stage != p.stage_of[v] && !split) {
      split = true;
      ++check.split;
    }
  }
  return check;
}

PipelineTimeline steady_state_timeline(const Evaluation& e, int extra_slots) {
  PipelineTimeline t;
  t.period = e.bottleneck;
  std::vector<const StageCost*> rows;
  for (const StageCost& s : e.stages)
    if (!s.nodes.empty()) rows.push_back(&s);
  std::sort(rows.begin(), rows.end(),
            [](const StageCost* a, const StageCost* b) { return a->stage < b->stage; });
  for (const StageCost* s : rows) t.stages.push_back(s->stage);
  t.slots = static_cast<int>(rows.size()) + std::max(0, extra_slots);
  if (t.period <= 0) return t;
  for (int position = 0; position < static_cast<int>(rows.size()); ++position) {
    const StageCost& s = *rows[position];
    for (int microbatch = 0; microbatch + position < t.slots; ++microbatch) {
      TimelineBox box;
      box.stage = s.stage;
      box.position = position;
      box.microbatch = microbatch;
      box.start = (microbatch + position) * t.period;
      box.received = box.start + s.comm_in;
      box.computed = box.received + s.work;
      box.end = box.computed + s.comm_out;
      t.boxes.push_back(box);
    }
  }
  return t;
}

}  // namespace pipecut
