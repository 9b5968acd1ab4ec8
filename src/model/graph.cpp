#include "pipecut/model/graph.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <queue>

#include "pipecut/model/constraints.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/model/numeric.hpp"

namespace pipecut {

double Graph::total_work() const { return std::accumulate(work.begin(), work.end(), 0.0); }

std::optional<NodeId> Graph::find(std::string_view id) const {
  // Linear scan: used only for reading partition files and tests, not in hot loops.
  for (NodeId v = 0; v < num_nodes(); ++v)
    if (ids[v] == id) return v;
  return std::nullopt;
}

GraphBuilder::GraphBuilder(std::string source, std::string graph_name)
    : source_(std::move(source)), name_(std::move(graph_name)) {}

void GraphBuilder::fail(const std::string& problem) const {
  throw InputError(source_ + ": " + problem);
}

NodeId GraphBuilder::add_node(NodeSpec spec) {
  if (spec.id.empty()) fail("node " + std::to_string(nodes_.size()) + " has an empty id");
  auto check = [&](const char* what, double x) {
    if (std::isnan(x)) fail("node '" + spec.id + "': " + what + " is NaN");
    if (std::isinf(x)) fail("node '" + spec.id + "': " + what + " is infinite");
    if (x < 0) fail("node '" + spec.id + "': negative " + what + " (" + std::to_string(x) + ")");
  };
  // Costs beyond the supported range could overflow a sum or lose every digit of the others
  // (docs/bounds.md, "Numerics"): refused rather than answered wrongly.
  auto check_cost = [&](const char* what, double x) {
    check(what, x);
    if (x != 0 && (x < kMinPositiveCost || x > kMaxCost)) {
      char value[32];
      std::snprintf(value, sizeof value, "%.6g", x);
      fail("node '" + spec.id + "': " + what + " " + value +
           " is outside the supported range (0, or 1e-30 to 1e30)");
    }
  };
  if (!spec.class_work.empty()) {
    // Per-class work: each time is a cost; `work` becomes the least of them (Graph::work).
    double least = kMaxCost;
    for (std::size_t i = 0; i < spec.class_work.size(); ++i) {
      const auto& [name, time] = spec.class_work[i];
      if (name.empty()) fail("node '" + spec.id + "': work: a class name is empty");
      for (std::size_t j = 0; j < i; ++j)
        if (spec.class_work[j].first == name)
          fail("node '" + spec.id + "': work: class '" + name + "' given twice");
      check_cost(("work on class '" + name + "'").c_str(), time);
      least = std::min(least, time);
    }
    spec.work = least;
  }
  check_cost("work", spec.work);
  if (spec.bytes) {
    check("bytes", *spec.bytes);
    if (*spec.bytes > kMaxCost) fail("node '" + spec.id + "': bytes beyond 1e30");
  }
  check_cost("comm", spec.comm);
  check("memory", spec.memory);
  // Whole bits (eighths of a byte) up to the total checked in build(): every sum of them is then
  // exact in double, so capacity checks never round (docs/formats.md, "Memory").
  if (std::floor(spec.memory * 8) != spec.memory * 8)
    fail("node '" + spec.id + "': memory " + std::to_string(spec.memory) +
         " is not a whole number of bits (a multiple of 1/8 byte)");
  auto id = static_cast<NodeId>(nodes_.size());
  if (!index_.emplace(spec.id, id).second) fail("duplicate node id '" + spec.id + "'");
  nodes_.push_back(std::move(spec));
  return id;
}

std::optional<NodeId> GraphBuilder::find(std::string_view id) const {
  auto it = index_.find(std::string(id));
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

void GraphBuilder::add_edge(std::string_view from, std::string_view to) {
  auto u = find(from);
  if (!u)
    fail("edge " + std::string(from) + " -> " + std::string(to) + ": unknown node id '" +
         std::string(from) + "'");
  auto v = find(to);
  if (!v)
    fail("edge " + std::string(from) + " -> " + std::string(to) + ": unknown node id '" +
         std::string(to) + "'");
  add_edge(*u, *v);
}

void GraphBuilder::add_edge(NodeId from, NodeId to) {
  const auto n = static_cast<NodeId>(nodes_.size());
  if (from < 0 || from >= n || to < 0 || to >= n) fail("edge refers to a node index out of range");
  if (from == to) fail("self-loop on node '" + nodes_[from].id + "'");
  edges_.emplace_back(from, to);
}

void GraphBuilder::set_memory_per_stage(double bytes) {
  if (!(bytes > 0) || std::isinf(bytes)) fail("memory per stage must be a finite number > 0");
  memory_per_stage_ = bytes;
}

void GraphBuilder::set_default_k(int k) {
  if (k < 1) fail("default number of stages must be >= 1");
  default_k_ = k;
}

// An orphan backward node is placed only by its gradient edges (docs/training.md, "Orphan
// backward nodes"); one that no chain of gradient edges joins to a backward node with a forward
// twin has nothing to place it in the model.
void GraphBuilder::check_orphans_are_placed(const Graph& g) const {
  const NodeId n = g.num_nodes();
  std::vector<char> reached(static_cast<std::size_t>(n), 0);
  std::vector<NodeId> stack;
  for (NodeId v = 0; v < n; ++v)
    if (g.backward[v] == Graph::kBackwardTwin) {
      reached[v] = 1;
      stack.push_back(v);
    }
  auto visit = [&](NodeId w) {
    if (g.backward[w] && !reached[w]) {
      reached[w] = 1;
      stack.push_back(w);
    }
  };
  while (!stack.empty()) {
    const NodeId v = stack.back();
    stack.pop_back();
    for (NodeId w : g.successors(v)) visit(w);
    for (NodeId w : g.predecessors(v)) visit(w);
  }
  for (NodeId v = 0; v < n; ++v)
    if (g.backward[v] == Graph::kBackwardOrphan && !reached[v])
      fail("backward node '" + g.ids[v] +
           "' has no forward twin (no forward node in its colour class) and no gradient edges "
           "join it to a backward node that has one, so nothing places it in a stage");
}

Graph GraphBuilder::build() && {
  if (nodes_.empty()) fail("empty graph (no nodes)");
  const auto n = static_cast<NodeId>(nodes_.size());
  std::sort(edges_.begin(), edges_.end());
  edges_.erase(std::unique(edges_.begin(), edges_.end()), edges_.end());

  double total_memory = 0;
  for (const NodeSpec& s : nodes_) total_memory += s.memory;
  if (!(total_memory <= kMaxTotalMemory))
    fail("total memory " + describe_bytes(total_memory) +
         " exceeds 2^50 bytes (1 PiB), the most whose sums pipecut checks exactly");

  Graph g;
  g.name = name_;
  g.ids.reserve(n);
  std::unordered_map<std::string, int> class_of_label;
  for (auto& s : nodes_) {
    g.ids.push_back(std::move(s.id));
    g.work.push_back(s.work);
    g.comm.push_back(s.comm);
    g.memory.push_back(s.memory);
    g.op.push_back(std::move(s.op));
    int colour = -1;
    if (s.colour_class) {
      auto [it, added] =
          class_of_label.emplace(s.colour_class->text, static_cast<int>(g.colour_labels.size()));
      if (added) g.colour_labels.push_back(*s.colour_class);
      colour = it->second;
    }
    g.colour_class.push_back(colour);
  }
  if (g.colour_labels.empty()) g.colour_class.clear();
  // Training graphs (docs/training.md, "Input rules"): a backward node shares the stage of its
  // colour class's forward node (its twin); one without a twin is an orphan, placed by its
  // gradient edges (checked below, once the adjacency is built).
  if (std::any_of(nodes_.begin(), nodes_.end(), [](const NodeSpec& s) { return s.backward; })) {
    g.backward.assign(n, 0);
    std::vector<char> class_has_forward(g.colour_labels.size(), 0);
    for (NodeId v = 0; v < n; ++v)
      if (!nodes_[v].backward && g.colour_class.size() == static_cast<std::size_t>(n) &&
          g.colour_class[v] >= 0)
        class_has_forward[g.colour_class[v]] = 1;
    for (NodeId v = 0; v < n; ++v) {
      if (!nodes_[v].backward) continue;
      const bool twin = !g.colour_class.empty() && g.colour_class[v] >= 0 &&
                        class_has_forward[g.colour_class[v]];
      g.backward[v] = twin ? Graph::kBackwardTwin : Graph::kBackwardOrphan;
    }
  }
  bool any_bytes = false;
  for (const NodeSpec& s : nodes_) {
    any_bytes = any_bytes || s.bytes.has_value();
    for (const auto& entry : s.class_work)
      if (std::find(g.work_classes.begin(), g.work_classes.end(), entry.first) ==
          g.work_classes.end())
        g.work_classes.push_back(entry.first);
  }
  if (!g.work_classes.empty()) {
    const std::size_t classes = g.work_classes.size();
    g.class_work.assign(static_cast<std::size_t>(n) * classes, std::nan(""));
    for (NodeId v = 0; v < n; ++v)
      for (const auto& [name, time] : nodes_[v].class_work) {
        const auto c = static_cast<std::size_t>(
            std::find(g.work_classes.begin(), g.work_classes.end(), name) - g.work_classes.begin());
        g.class_work[static_cast<std::size_t>(v) * classes + c] = time;
      }
  }
  if (any_bytes) {
    g.bytes.assign(n, -1.0);
    for (NodeId v = 0; v < n; ++v)
      if (nodes_[v].bytes) g.bytes[v] = *nodes_[v].bytes;
  }
  g.memory_per_stage = memory_per_stage_;
  g.default_k = default_k_;

  g.succ_begin.assign(n + 1, 0);
  g.pred_begin.assign(n + 1, 0);
  for (auto [u, v] : edges_) {
    ++g.succ_begin[u + 1];
    ++g.pred_begin[v + 1];
  }
  for (NodeId v = 0; v < n; ++v) {
    g.succ_begin[v + 1] += g.succ_begin[v];
    g.pred_begin[v + 1] += g.pred_begin[v];
  }
  g.succ_list.resize(edges_.size());
  g.pred_list.resize(edges_.size());
  {
    std::vector<std::int32_t> s_fill(g.succ_begin.begin(), g.succ_begin.end() - 1);
    std::vector<std::int32_t> p_fill(g.pred_begin.begin(), g.pred_begin.end() - 1);
    // edges_ is sorted by (u, v): successor lists come out sorted; predecessor lists are filled
    // in increasing u as well.
    for (auto [u, v] : edges_) {
      g.succ_list[s_fill[u]++] = v;
      g.pred_list[p_fill[v]++] = u;
    }
  }

  // Acyclicity: Kahn's algorithm; any node left over lies on or behind a cycle. Walk backwards
  // along unprocessed predecessors until a node repeats to name one that is on a cycle.
  auto order = topological_order(g);
  if (static_cast<NodeId>(order.size()) != n) {
    std::vector<char> done(n, 0);
    for (NodeId v : order) done[v] = 1;
    NodeId v = 0;
    while (done[v]) ++v;
    std::vector<char> seen(n, 0);
    while (!seen[v]) {
      seen[v] = 1;
      for (NodeId u : g.predecessors(v))
        if (!done[u]) {
          v = u;
          break;
        }
    }
    fail("the graph has a cycle through node '" + g.ids[v] + "'");
  }
  if (g.is_training()) check_orphans_are_placed(g);
  return g;
}

std::vector<NodeId> topological_order(const Graph& g) {
  const NodeId n = g.num_nodes();
  std::vector<std::int32_t> indeg(n);
  std::priority_queue<NodeId, std::vector<NodeId>, std::greater<>> ready;
  for (NodeId v = 0; v < n; ++v) {
    indeg[v] = static_cast<std::int32_t>(g.predecessors(v).size());
    if (indeg[v] == 0) ready.push(v);
  }
  std::vector<NodeId> order;
  order.reserve(n);
  while (!ready.empty()) {
    NodeId v = ready.top();
    ready.pop();
    order.push_back(v);
    for (NodeId w : g.successors(v))
      if (--indeg[w] == 0) ready.push(w);
  }
  return order;
}

NodeSpec node_spec(const Graph& g, NodeId v) {
  NodeSpec spec;
  spec.id = g.ids[v];
  spec.work = g.work[v];
  spec.comm = g.comm[v];
  spec.memory = g.memory[v];
  spec.op = g.op[v];
  if (!g.colour_class.empty() && g.colour_class[v] >= 0)
    spec.colour_class = g.colour_labels[g.colour_class[v]];
  const std::size_t classes = g.work_classes.size();
  for (std::size_t c = 0; c < classes; ++c) {
    const double t = g.class_work[static_cast<std::size_t>(v) * classes + c];
    if (!std::isnan(t)) spec.class_work.emplace_back(g.work_classes[c], t);
  }
  if (!g.bytes.empty() && g.bytes[v] >= 0) spec.bytes = g.bytes[v];
  spec.backward = g.is_backward(v);
  return spec;
}

Graph induced_subgraph(const Graph& g, std::span<const NodeId> nodes) {
  GraphBuilder builder(g.name, g.name);
  std::vector<NodeId> index(g.num_nodes(), -1);
  for (NodeId v : nodes) index[v] = builder.add_node(node_spec(g, v));
  for (NodeId v : nodes)
    for (NodeId w : g.successors(v))
      if (index[w] >= 0) builder.add_edge(index[v], index[w]);
  if (g.memory_per_stage) builder.set_memory_per_stage(*g.memory_per_stage);
  if (g.default_k) builder.set_default_k(*g.default_k);
  return std::move(builder).build();
}

bool is_topological_order(const Graph& g, std::span<const NodeId> order) {
  const NodeId n = g.num_nodes();
  if (static_cast<NodeId>(order.size()) != n) return false;
  std::vector<int> pos(n, -1);
  for (int i = 0; i < n; ++i) {
    NodeId v = order[i];
    if (v < 0 || v >= n || pos[v] != -1) return false;
    pos[v] = i;
  }
  for (NodeId u = 0; u < n; ++u)
    for (NodeId v : g.successors(u))
      if (pos[u] >= pos[v]) return false;
  return true;
}

}  // namespace pipecut
