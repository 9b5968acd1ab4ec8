#include "support/oracle.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <random>

namespace pipecut::testing {

namespace {

int colour_of(const Graph& g, NodeId v) { return g.colour_class.empty() ? -1 : g.colour_class[v]; }

// Assigns nodes along a topological order; a node may take any stage from its predecessors'
// maximum on, except one that splits its colour class or overflows the stage's memory. Both
// constraints only tighten as more nodes are placed, so pruning the partial assignment is exact.
struct Enumerator {
  const Graph& g;
  int k;
  const std::function<void(const Partition&)>& visit;
  std::vector<NodeId> order;
  std::vector<int> stage_of;
  std::vector<double> memory;    // per stage
  std::vector<int> class_stage;  // per colour class: its stage, -1 while unplaced

  void run(std::size_t i) {
    if (i == order.size()) {
      visit(Partition{k, stage_of});
      return;
    }
    NodeId v = order[i];
    int lowest = 0, highest = k - 1;
    // On a training graph only edges between two forward nodes constrain the order forward,
    // gradient edges at an orphan backward node constrain it backward, and backward nodes with
    // a twin follow their colour class (docs/training.md). Predecessors come first in the order.
    for (NodeId u : g.predecessors(v)) {
      if (g.backward.empty() || (!g.backward[u] && !g.backward[v]))
        lowest = std::max(lowest, stage_of[u]);
      if (!g.backward.empty() && g.backward[u] && g.backward[v] &&
          (g.backward[u] == Graph::kBackwardOrphan || g.backward[v] == Graph::kBackwardOrphan))
        highest = std::min(highest, stage_of[u]);
    }
    const int colour = colour_of(g, v);
    for (int s = lowest; s <= highest; ++s) {
      if (colour >= 0 && class_stage[colour] >= 0 && class_stage[colour] != s) continue;
      if (g.memory_per_stage && memory[s] + g.memory[v] > *g.memory_per_stage) continue;
      const bool places_class = colour >= 0 && class_stage[colour] < 0;
      if (places_class) class_stage[colour] = s;
      memory[s] += g.memory[v];
      stage_of[v] = s;
      run(i + 1);
      memory[s] -= g.memory[v];
      if (places_class) class_stage[colour] = -1;
    }
    stage_of[v] = -1;
  }
};

}  // namespace

void for_each_valid_partition(const Graph& g, int k,
                              const std::function<void(const Partition&)>& visit) {
  Enumerator e{g,
               k,
               visit,
               topological_order(g),
               std::vector<int>(g.num_nodes(), -1),
               std::vector<double>(k, 0.0),
               std::vector<int>(g.colour_labels.size(), -1)};
  e.run(0);
}

BruteForceResult brute_force_optimum(const Graph& g, int k) {
  BruteForceResult result;
  result.optimum = std::numeric_limits<double>::infinity();
  for_each_valid_partition(g, k, [&](const Partition& p) {
    const double b = evaluate_partition(g, p).bottleneck;
    ++result.partitions;
    result.feasible = true;
    if (b < result.optimum) {
      result.optimum = b;
      result.best = p;
    }
  });
  return result;
}

double brute_force_order_optimum(const Graph& g, const std::vector<NodeId>& order, int k) {
  const int n = g.num_nodes();
  double best = std::numeric_limits<double>::infinity();
  // cuts[1..k-1] non-decreasing in 0..n: enumerate as a multiset by recursion.
  std::vector<int> cuts(k + 1, 0);
  cuts[k] = n;
  auto rec = [&](auto&& self, int b, int from) -> void {
    if (b == k) {
      Partition p = partition_from_cuts(g, order, cuts);
      if (satisfies_constraints(g, p)) best = std::min(best, evaluate_partition(g, p).bottleneck);
      return;
    }
    for (int c = from; c <= n; ++c) {
      cuts[b] = c;
      self(self, b + 1, c);
    }
  };
  rec(rec, 1, 0);
  return best;
}

bool satisfies_constraints(const Graph& g, const Partition& p) {
  std::vector<double> memory(p.k, 0.0);
  std::vector<int> class_stage(g.colour_labels.size(), -1);
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    memory[p.stage_of[v]] += g.memory[v];
    const int colour = colour_of(g, v);
    if (colour < 0) continue;
    if (class_stage[colour] >= 0 && class_stage[colour] != p.stage_of[v]) return false;
    class_stage[colour] = p.stage_of[v];
  }
  if (g.memory_per_stage)
    for (double m : memory)
      if (m > *g.memory_per_stage) return false;
  return true;
}

void add_random_constraints(Graph& g, int k, std::uint64_t seed, const RandomConstraintOptions& o) {
  std::mt19937_64 rng(seed * 0x9e3779b97f4a7c15ULL + 17);
  const int n = g.num_nodes();
  std::uniform_int_distribution<int> bytes(0, o.max_memory);
  double total = 0, heaviest = 0;
  for (double& m : g.memory) {
    total += m = bytes(rng);
    heaviest = std::max(heaviest, m);
  }
  g.colour_class.assign(n, -1);
  g.colour_labels.clear();
  const int classes = std::uniform_int_distribution<int>(0, o.max_classes)(rng);
  std::vector<NodeId> nodes(n);
  std::iota(nodes.begin(), nodes.end(), 0);
  std::shuffle(nodes.begin(), nodes.end(), rng);
  std::size_t next = 0;
  for (int c = 0; c < classes; ++c) {
    const std::size_t size = 2 + rng() % 2;
    if (next + size > nodes.size()) break;
    const bool integer = rng() % 2 == 0;
    g.colour_labels.push_back(
        {integer ? std::to_string(1000 + c) : "group-" + std::to_string(c), integer});
    for (std::size_t i = 0; i < size; ++i) g.colour_class[nodes[next++]] = c;
  }
  if (g.colour_labels.empty()) g.colour_class.clear();
  g.memory_per_stage.reset();
  if (o.memory && total > 0) {
    const double factor =
        std::uniform_real_distribution<double>(o.capacity_low, o.capacity_high)(rng);
    const double base = o.at_least_heaviest ? std::max(total / k, heaviest) : total / k;
    g.memory_per_stage = std::max(1.0, std::floor(factor * base));
    if (o.at_least_heaviest) g.memory_per_stage = std::max(*g.memory_per_stage, heaviest);
  }
}

Graph random_dag(std::uint64_t seed, const RandomGraphOptions& o) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  std::uniform_int_distribution<int> cost(0, o.max_cost);
  std::vector<int> label(o.nodes);
  std::iota(label.begin(), label.end(), 0);
  if (o.shuffle_ids) std::shuffle(label.begin(), label.end(), rng);
  // Node i of the hidden topological order gets index label[i]; add in index order.
  GraphBuilder b("random-" + std::to_string(seed), "random");
  for (int idx = 0; idx < o.nodes; ++idx) {
    NodeSpec s;
    s.id = std::string("n").append(std::to_string(idx));
    s.work = cost(rng);
    s.comm = cost(rng);
    if (o.fractional) {
      if (s.work > 0) s.work += u01(rng);
      if (s.comm > 0) s.comm += u01(rng);
    }
    b.add_node(s);
  }
  for (int i = 0; i < o.nodes; ++i)
    for (int j = i + 1; j < o.nodes; ++j)
      if (u01(rng) < o.edge_probability) b.add_edge(label[i], label[j]);
  const int leaves = o.zero_work_sources + o.zero_work_sinks;
  for (int i = 0; i < leaves; ++i) {
    const bool source = i < o.zero_work_sources;
    NodeSpec s;
    s.id = std::string(source ? "src" : "sink").append(std::to_string(i));
    s.comm = cost(rng);
    const NodeId leaf = b.add_node(s);
    // Leaves may attach to earlier leaves too: a sink of a source, a source feeding a sink.
    std::uniform_int_distribution<int> pick(0, o.nodes + i - 1);
    const int edges = source ? 1 + static_cast<int>(rng() % 3) : (rng() % 4 == 0 ? 2 : 1);
    for (int e = 0; e < edges; ++e) {
      const NodeId other = pick(rng);
      if (other == leaf) continue;
      const bool other_is_source = other >= o.nodes && other - o.nodes < o.zero_work_sources;
      const bool other_is_sink = other >= o.nodes && !other_is_source;
      if (source && !other_is_source) b.add_edge(leaf, other);
      if (!source && !other_is_sink) b.add_edge(other, leaf);
    }
  }
  return std::move(b).build();
}

std::vector<NodeId> random_topological_order(const Graph& g, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const int n = g.num_nodes();
  std::vector<int> indeg(n);
  std::vector<NodeId> ready, order;
  for (NodeId v = 0; v < n; ++v) {
    indeg[v] = static_cast<int>(g.predecessors(v).size());
    if (indeg[v] == 0) ready.push_back(v);
  }
  while (!ready.empty()) {
    std::size_t pick = std::uniform_int_distribution<std::size_t>(0, ready.size() - 1)(rng);
    NodeId v = ready[pick];
    ready.erase(ready.begin() + static_cast<std::ptrdiff_t>(pick));
    order.push_back(v);
    for (NodeId w : g.successors(v))
      if (--indeg[w] == 0) ready.push_back(w);
  }
  return order;
}

std::string data_path(const std::string& relative) {
  return std::string(PIPECUT_DATA_DIR) + "/" + relative;
}

}  // namespace pipecut::testing

namespace pipecut::testing {

Graph random_training_graph(std::uint64_t seed, const RandomTrainingOptions& o) {
  std::mt19937_64 rng(seed * 0x2545f4914f6cdd1dULL + 5);
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  // A cost of random mantissa and an exponent drawn from the magnitude range: zeros and ties
  // now and then, and (with a wide range) terms that differ by many orders in one stage.
  auto cost = [&] {
    if (rng() % 5 == 0) return 0.0;
    if (o.binary_magnitudes)  // a small integer times 2^e: exact over a wide range
      return std::ldexp(double(1 + rng() % 8),
                        o.min_exponent + int(rng() % unsigned(o.max_exponent - o.min_exponent + 1)));
    const double unit = std::pow(10.0, o.min_exponent +
                                           double(rng() % unsigned(o.max_exponent - o.min_exponent + 1)));
    return unit * double(1 + rng() % 8) * (o.fractional ? 1 + u01(rng) : 1.0);
  };
  const int f = o.forward_nodes;
  std::vector<int> label(f);
  std::iota(label.begin(), label.end(), 0);
  std::shuffle(label.begin(), label.end(), rng);
  std::vector<std::pair<int, int>> forward_edges;  // (i, j), i before j in the hidden order
  for (int i = 0; i < f; ++i)
    for (int j = i + 1; j < f; ++j)
      if (u01(rng) < o.edge_probability) forward_edges.emplace_back(i, j);
  GraphBuilder b(std::string("training-").append(std::to_string(seed)), "training");
  std::uniform_int_distribution<int> bytes(0, o.max_memory);
  // Colour classes: each forward node its own, except that now and then two forward nodes
  // share one (their forward hull then shares a stage).
  std::vector<int> cls(f);
  for (int i = 0; i < f; ++i) cls[i] = (i > 0 && rng() % 6 == 0) ? cls[rng() % unsigned(i)] : i;
  std::vector<NodeId> fwd(f), bwd(f, -1);
  for (int i = 0; i < f; ++i) {
    NodeSpec s;
    s.id = std::string("f").append(std::to_string(label[i]));  // (append: GCC 12 -Wrestrict)
    s.work = cost();
    s.comm = cost();
    s.memory = bytes(rng);
    s.colour_class = ColourLabel{std::to_string(cls[i]), true};
    if (o.memory) s.bytes = bytes(rng);  // the output tensor, stashed when a backward node reads it
    fwd[i] = b.add_node(s);
  }
  for (int i = 0; i < f; ++i) {
    // Now and then a forward node without a backward twin; the first always has one, so that
    // the graph is a training graph.
    if (i > 0 && rng() % 5 == 0) continue;
    NodeSpec s;
    s.id = std::string("b").append(std::to_string(label[i]));
    s.work = cost();
    s.comm = cost();
    s.memory = rng() % 3 == 0 ? bytes(rng) : 0;
    s.colour_class = ColourLabel{std::to_string(cls[i]), true};
    s.backward = true;
    bwd[i] = b.add_node(s);
  }
  // Backward edges: reversed between the twins (gradients flow back), or, one graph in four,
  // in the forward direction as Tarnawski et al.'s layer graphs write them.
  const bool same_direction = rng() % 4 == 0;
  for (auto [i, j] : forward_edges) {
    b.add_edge(fwd[i], fwd[j]);
    if (bwd[i] >= 0 && bwd[j] >= 0)
      same_direction ? b.add_edge(bwd[i], bwd[j]) : b.add_edge(bwd[j], bwd[i]);
    // Activation edges: a forward tensor kept for the consumer's backward node.
    if (bwd[j] >= 0 && u01(rng) < o.activation_probability) b.add_edge(fwd[i], bwd[j]);
  }
  for (int i = 0; i < f; ++i)
    if (bwd[i] >= 0 && u01(rng) < o.activation_probability) b.add_edge(fwd[i], bwd[i]);
  // Orphans (a loss gradient, a gradient accumulation): each sits at a random place in the
  // backward pass's own order, takes gradient edges from twins before it and sends to twins
  // after it (at least one edge to a twin, so the builder can place it), and now and then reads
  // a forward activation. Edges follow that order, so the graph stays acyclic.
  const int orphans = o.orphans > 0 ? static_cast<int>(rng() % unsigned(o.orphans + 1)) : 0;
  std::vector<NodeId> backward_order;  // the twins in the order their gradient edges run
  for (int i = 0; i < f; ++i)
    if (bwd[i] >= 0) backward_order.push_back(bwd[i]);
  if (!same_direction) std::reverse(backward_order.begin(), backward_order.end());
  std::vector<std::pair<std::size_t, NodeId>> placed_orphans;  // (position, node)
  for (int r = 0; r < orphans; ++r) {
    NodeSpec s;
    s.id = std::string("o").append(std::to_string(r));
    s.work = cost();
    s.comm = cost();
    s.backward = true;
    // No class, a class of its own, or one class shared by orphans (which then share a stage).
    switch (rng() % 3) {
      case 0: break;
      case 1: s.colour_class = ColourLabel{std::string("orphan").append(std::to_string(r)), false}; break;
      default: s.colour_class = ColourLabel{"orphans", false}; break;
    }
    const NodeId orphan = b.add_node(s);
    const std::size_t position = rng() % (backward_order.size() + 1);
    bool joined = false;
    for (std::size_t t = 0; t < backward_order.size(); ++t) {
      if (u01(rng) >= 0.5 && !(t + 1 == backward_order.size() && !joined)) continue;
      t < position ? b.add_edge(backward_order[t], orphan) : b.add_edge(orphan, backward_order[t]);
      joined = true;
    }
    for (auto [earlier, other] : placed_orphans)
      if (u01(rng) < 0.4)
        earlier <= position ? b.add_edge(other, orphan) : b.add_edge(orphan, other);
    if (u01(rng) < o.activation_probability) b.add_edge(fwd[rng() % unsigned(f)], orphan);
    placed_orphans.emplace_back(position, orphan);
  }
  Graph g = std::move(b).build();
  if (o.memory) {
    double total = 0, heaviest = 0;
    for (double m : g.memory) {
      total += m;
      heaviest = std::max(heaviest, m);
    }
    if (total > 0) {
      const double factor = 0.5 + 1.5 * u01(rng);
      g.memory_per_stage = std::max(1.0, std::floor(factor * total / o.k));
    }
  }
  return g;
}

}  // namespace pipecut::testing
