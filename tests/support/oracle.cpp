#include "support/oracle.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>

namespace pipecut::testing {

namespace {

struct Enumerator {
  const Graph& g;
  int k;
  std::vector<NodeId> order;
  std::vector<int> stage_of;
  BruteForceResult result;

  void run(std::size_t i) {
    if (i == order.size()) {
      Partition p{k, stage_of};
      double b = evaluate_partition(g, p).bottleneck;
      ++result.partitions;
      if (b < result.optimum) {
        result.optimum = b;
        result.best = p;
      }
      return;
    }
    NodeId v = order[i];
    int lowest = 0;
    for (NodeId u : g.predecessors(v)) lowest = std::max(lowest, stage_of[u]);
    for (int s = lowest; s < k; ++s) {
      stage_of[v] = s;
      run(i + 1);
    }
    stage_of[v] = -1;
  }
};

}  // namespace

BruteForceResult brute_force_optimum(const Graph& g, int k) {
  Enumerator e{g, k, topological_order(g), std::vector<int>(g.num_nodes(), -1), {}};
  e.result.optimum = std::numeric_limits<double>::infinity();
  e.run(0);
  return e.result;
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
      best = std::min(best, evaluate_partition(g, p).bottleneck);
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

std::string data_path(const std::string& relative) { return std::string(PIPECUT_DATA_DIR) + "/" + relative; }

}  // namespace pipecut::testing
