#include "pipecut/partition/slicegraph.hpp"

#include <algorithm>
#include <atomic>
#include <limits>
#include <numeric>
#include <set>
#include <thread>
#include <unordered_map>

#include "pipecut/model/constraints.hpp"
#include "pipecut/model/reductions.hpp"
#include "pipecut/partition/slice_order.hpp"
#include "pipecut/util/stopwatch.hpp"
#include "pipecut/util/threads.hpp"

namespace pipecut {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// splitmix64: tiny, fast, and identical on every platform (std distributions are not).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  std::size_t below(std::size_t bound) {
    return static_cast<std::size_t>(uniform() * static_cast<double>(bound));
  }

 private:
  std::uint64_t state_;
};

using Keys = std::vector<double>;

// The block DAG (model/constraints.hpp) for decoding orders that keep every hull contiguous:
// block-level edges (one per graph edge between blocks) and in-block predecessor counts.
struct BlockPlan {
  const Constraints* constraints = nullptr;
  std::vector<int> succ_begin, succ;  // CSR over blocks
  std::vector<int> block_indegree;    // graph edges entering each block from outside
  std::vector<int> inner_indegree;    // per node: predecessors inside its own block
  std::vector<int> member_index;      // per node: its index in its block's member list

  BlockPlan(const Graph& g, const Constraints& c) : constraints(&c) {
    const int blocks = c.num_blocks();
    member_index.assign(g.num_nodes(), 0);
    for (int b = 0; b < blocks; ++b) {
      const auto members = c.members(b);
      for (std::size_t i = 0; i < members.size(); ++i)
        member_index[members[i]] = static_cast<int>(i);
    }
    succ_begin.assign(blocks + 1, 0);
    block_indegree.assign(blocks, 0);
    inner_indegree.assign(g.num_nodes(), 0);
    for (NodeId u = 0; u < g.num_nodes(); ++u)
      for (NodeId v : g.successors(u)) {
        if (c.block_of[u] == c.block_of[v]) {
          ++inner_indegree[v];
        } else {
          ++succ_begin[c.block_of[u] + 1];
          ++block_indegree[c.block_of[v]];
        }
      }
    for (int b = 0; b < blocks; ++b) succ_begin[b + 1] += succ_begin[b];
    succ.resize(succ_begin[blocks]);
    std::vector<int> fill(succ_begin.begin(), succ_begin.end() - 1);
    for (NodeId u = 0; u < g.num_nodes(); ++u)
      for (NodeId v : g.successors(u))
        if (c.block_of[u] != c.block_of[v]) succ[fill[c.block_of[u]]++] = c.block_of[v];
  }
};

// Per-thread decoding scratch.
struct Decoder {
  std::vector<std::int32_t> indegree;
  std::vector<std::pair<double, NodeId>> heap;
  std::vector<std::pair<double, NodeId>> inner_heap;
  std::vector<std::int32_t> inner;  // in-block predecessors emitted so far, by member index
  SliceWorkspace slice;

  // Kahn's algorithm, smallest key first (ties by node index): a topological order. With a
  // block plan, a hull is one super-node keyed by its smallest member key, and its members are
  // emitted together (by key among themselves), so every hull is contiguous in the order.
  void decode(const Graph& g, std::span<const double> keys, std::vector<NodeId>& order,
              const BlockPlan* plan = nullptr) {
    if (plan) {
      decode_blocks(g, *plan, keys, order);
      return;
    }
    const NodeId n = g.num_nodes();
    indegree.resize(n);
    heap.clear();
    order.clear();
    for (NodeId v = 0; v < n; ++v) {
      indegree[v] = static_cast<std::int32_t>(g.predecessors(v).size());
      if (indegree[v] == 0) heap.emplace_back(keys[v], v);
    }
    auto cmp = std::greater<>();
    std::make_heap(heap.begin(), heap.end(), cmp);
    while (!heap.empty()) {
      std::pop_heap(heap.begin(), heap.end(), cmp);
      NodeId v = heap.back().second;
      heap.pop_back();
      order.push_back(v);
      for (NodeId w : g.successors(v))
        if (--indegree[w] == 0) {
          heap.emplace_back(keys[w], w);
          std::push_heap(heap.begin(), heap.end(), cmp);
        }
    }
  }

  void decode_blocks(const Graph& g, const BlockPlan& plan, std::span<const double> keys,
                     std::vector<NodeId>& order) {
    const Constraints& c = *plan.constraints;
    const int blocks = c.num_blocks();
    indegree.assign(plan.block_indegree.begin(), plan.block_indegree.end());
    heap.clear();
    order.clear();
    auto block_key = [&](int b) {
      double key = 2.0;  // keys are in [0, 1)
      for (NodeId v : c.members(b)) key = std::min(key, keys[v]);
      return key;
    };
    auto cmp = std::greater<>();
    for (int b = 0; b < blocks; ++b)
      if (indegree[b] == 0) heap.emplace_back(block_key(b), b);
    std::make_heap(heap.begin(), heap.end(), cmp);
    while (!heap.empty()) {
      std::pop_heap(heap.begin(), heap.end(), cmp);
      const int b = heap.back().second;
      heap.pop_back();
      const auto members = c.members(b);
      const std::size_t first = order.size();
      if (members.size() == 1) {
        order.push_back(members[0]);
      } else {
        // Kahn's algorithm inside the hull, on its own edges.
        inner_heap.clear();
        for (NodeId v : members)
          if (plan.inner_indegree[v] == 0) inner_heap.emplace_back(keys[v], v);
        std::make_heap(inner_heap.begin(), inner_heap.end(), cmp);
        inner.assign(members.size(), 0);
        while (!inner_heap.empty()) {
          std::pop_heap(inner_heap.begin(), inner_heap.end(), cmp);
          const NodeId v = inner_heap.back().second;
          inner_heap.pop_back();
          order.push_back(v);
          for (NodeId w : g.successors(v)) {
            if (c.block_of[w] != b) continue;
            if (++inner[plan.member_index[w]] == plan.inner_indegree[w]) {
              inner_heap.emplace_back(keys[w], w);
              std::push_heap(inner_heap.begin(), inner_heap.end(), cmp);
            }
          }
        }
      }
      for (std::size_t i = first; i < order.size(); ++i)
        for (NodeId w : g.successors(order[i])) {
          const int target = c.block_of[w];
          if (target != b && --indegree[target] == 0) {
            heap.emplace_back(block_key(target), target);
            std::push_heap(heap.begin(), heap.end(), cmp);
          }
        }
    }
  }
};

// 128-bit fingerprint of an order, for the decode cache (collisions are negligible).
struct Fingerprint {
  std::uint64_t a = 0, b = 0;
  bool operator==(const Fingerprint&) const = default;
};
struct FingerprintHash {
  std::size_t operator()(const Fingerprint& f) const {
    return static_cast<std::size_t>(f.a ^ (f.b * 31));
  }
};
Fingerprint fingerprint(const std::vector<NodeId>& order) {
  Fingerprint f{0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL};
  for (NodeId v : order) {
    const auto x = static_cast<std::uint64_t>(v) + 1;
    f.a = (f.a ^ x) * 0x100000001b3ULL;
    f.b = (f.b + x * 0x9e3779b97f4a7c15ULL) ^ (f.b >> 29);
    f.b *= 0xbf58476d1ce4e5b9ULL;
  }
  return f;
}

// Runs body(index, thread) for index in [0, count) on `threads` threads.
template <class Body>
void parallel_for(int count, int threads, Body&& body) {
  threads = std::max(1, std::min(threads, count));
  if (threads == 1) {
    for (int i = 0; i < count; ++i) body(i, 0);
    return;
  }
  std::atomic<int> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int i = next++; i < count; i = next++) body(i, t);
    });
  for (auto& th : pool) th.join();
}

Keys keys_from_order(const std::vector<NodeId>& order) {
  Keys keys(order.size());
  const double n = static_cast<double>(order.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    keys[order[i]] = (static_cast<double>(i) + 0.5) / n;
  return keys;
}

// Depth-first topological order: finishes one branch before starting the next, which keeps
// producer/consumer chains contiguous (and so tends to cut few tensors).
std::vector<NodeId> depth_first_order(const Graph& g) {
  const NodeId n = g.num_nodes();
  std::vector<std::int32_t> indeg(n);
  std::vector<NodeId> stack, order;
  for (NodeId v = n - 1; v >= 0; --v) {
    indeg[v] = static_cast<std::int32_t>(g.predecessors(v).size());
    if (indeg[v] == 0) stack.push_back(v);
  }
  while (!stack.empty()) {
    NodeId v = stack.back();
    stack.pop_back();
    order.push_back(v);
    auto succ = g.successors(v);
    for (auto it = succ.rbegin(); it != succ.rend(); ++it)
      if (--indeg[*it] == 0) stack.push_back(*it);
  }
  return order;
}

// Breadth-first (level by level) topological order.
std::vector<NodeId> breadth_first_order(const Graph& g) {
  const NodeId n = g.num_nodes();
  std::vector<std::int32_t> indeg(n);
  std::vector<NodeId> order;
  order.reserve(n);
  for (NodeId v = 0; v < n; ++v) {
    indeg[v] = static_cast<std::int32_t>(g.predecessors(v).size());
    if (indeg[v] == 0) order.push_back(v);
  }
  for (std::size_t head = 0; head < order.size(); ++head)
    for (NodeId w : g.successors(order[head]))
      if (--indeg[w] == 0) order.push_back(w);
  return order;
}

// Favours feasibility under a memory capacity: blocks in a topological order that packs memory
// like first-fit decreasing. The current stage takes the heaviest ready block that still fits;
// a new stage opens only when none does. Slicing such an order tends to need few stages.
std::vector<NodeId> memory_packing_order(const Graph& g, const Constraints& c) {
  const double capacity = *c.capacity;
  const BlockPlan plan(g, c);
  std::vector<int> indegree = plan.block_indegree;
  std::set<std::pair<double, int>> ready;  // (memory, block)
  for (int b = 0; b < c.num_blocks(); ++b)
    if (indegree[b] == 0) ready.emplace(c.block_memory[b], b);
  std::vector<NodeId> order;
  order.reserve(g.num_nodes());
  double fill = 0;
  while (!ready.empty()) {
    auto fits = ready.upper_bound({capacity - fill, std::numeric_limits<int>::max()});
    if (fits == ready.begin()) {  // nothing fits: open a new stage with the heaviest block
      fill = 0;
      fits = ready.end();
    }
    const int b = std::prev(fits)->second;
    ready.erase(std::prev(fits));
    fill += c.block_memory[b];
    for (NodeId v : c.members(b)) order.push_back(v);
    for (int e = plan.succ_begin[b]; e < plan.succ_begin[b + 1]; ++e)
      if (--indegree[plan.succ[e]] == 0) ready.emplace(c.block_memory[plan.succ[e]], plan.succ[e]);
  }
  return order;
}

}  // namespace

std::optional<BrkgaConfig> BrkgaConfig::preset(const std::string& name) {
  BrkgaConfig c;
  if (name == "brkga-100") {
    c.population = 10;
    c.generations = 10;
  } else if (name == "brkga-10000") {
    c.population = 100;
    c.generations = 100;
  } else {
    return std::nullopt;
  }
  return c;
}

std::vector<NodeId> order_from_keys(const Graph& g, std::span<const double> keys) {
  Decoder decoder;
  std::vector<NodeId> order;
  if (g.colour_class.empty()) {
    decoder.decode(g, keys, order);
  } else {
    const Constraints c = derive_constraints(g);
    const BlockPlan plan(g, c);
    decoder.decode(g, keys, order, c.hulls > 0 ? &plan : nullptr);
  }
  return order;
}

namespace {

// Fills `r` with the optimal slicing of `order` (the greedy one if `stop` fires first), or marks
// it infeasible.
void slice_into(const Graph& g, int k, std::vector<NodeId> order, SliceGraphResult& r,
                const SliceStop& stop = {}) {
  r.partition = Partition{k, {}};
  SliceWorkspace ws;
  SliceResult s = OrderSlicer::slice(g, order, k, ws, stop);
  if (!s.optimal) r.hit_time_limit = true;
  r.feasible = s.feasible;
  r.bottleneck = s.bottleneck;
  if (!s.feasible) return;
  r.partition = partition_from_cuts(g, order, s.cuts);
  r.partition.k = k;  // the slicer used min(k, n) stages; the partition is one for k stages
  r.order = std::move(order);
}

}  // namespace

SliceGraphResult slice_default_order(const Graph& g, int k, const SliceStop& stop) {
  const Stopwatch timer;
  SliceGraphResult r;
  // With hulls, the block order keeps each hull contiguous (a topological order too).
  std::vector<NodeId> order;
  if (!g.colour_class.empty()) {
    const Constraints c = derive_constraints(g);
    if (c.hulls > 0) order = c.block_nodes;
  }
  if (order.empty()) order = topological_order(g);
  const LeafReductions leaves = find_leaf_reductions(g, derive_constraints(g));
  slice_into(g, k, apply_leaf_reductions(g, leaves, order), r, stop);
  r.orders_decoded = 1;
  r.seconds = timer.seconds();
  return r;
}

SliceGraphResult slicegraph(const Graph& g, int k, const BrkgaConfig& config) {
  const Stopwatch timer;
  const NodeId n = g.num_nodes();
  const int P = std::max(1, config.population);
  const int elites = std::clamp(static_cast<int>(config.elite_fraction * P + 0.5), 1, P);
  const int mutants = std::clamp(static_cast<int>(config.mutant_fraction * P + 0.5), 0, P - elites);
  const int threads = resolve_threads(config.threads);
  auto out_of_time = [&] {
    return timer.exceeded(config.time_limit_seconds) || stop_requested(config.stop);
  };

  Rng rng(config.seed);
  std::vector<Keys> population(P), next_population(P);
  std::vector<double> fitness(P, kInf);  // +inf: the order has no valid slicing
  std::vector<char> known(P, 0);         // fitness already known (elites carried over)

  // Placement constraints: hulls are decoded as super-nodes; a capacity adds a seed order
  // that packs memory.
  const Constraints constraints = derive_constraints(g);
  // Zero-work leaves are placed by the exact reduction rules: orders that differ only in where
  // they put them slice to the same partitions or worse (model/reductions.hpp).
  const LeafReductions leaves = find_leaf_reductions(g, constraints);
  std::optional<BlockPlan> plan;
  if (constraints.hulls > 0) plan.emplace(g, constraints);
  const BlockPlan* block_plan = plan ? &*plan : nullptr;

  // First population: deterministic orders, then random keys.
  std::vector<std::vector<NodeId>> seeds = {topological_order(g), depth_first_order(g),
                                            breadth_first_order(g)};
  if (constraints.capacity) seeds.insert(seeds.begin() + 1, memory_packing_order(g, constraints));
  for (int i = 0; i < P; ++i) {
    if (i < static_cast<int>(seeds.size())) {
      population[i] = keys_from_order(seeds[i]);
    } else {
      population[i].resize(n);
      for (double& key : population[i]) key = rng.uniform();
    }
  }

  std::vector<Decoder> decoders(threads);
  std::vector<std::vector<NodeId>> orders(P);
  std::vector<Fingerprint> prints(P);
  std::unordered_map<Fingerprint, double, FingerprintHash> cache;

  SliceGraphResult result;
  result.bottleneck = kInf;
  std::vector<NodeId> best_order;

  auto evaluate_population = [&](bool first) -> bool {
    // 1. Decode (parallel). 2. Look up the cache, collect distinct new orders (serial, in index
    // order: deterministic). 3. Slice the new ones (parallel). 4. Record (serial).
    std::vector<int> todo;
    for (int i = 0; i < P; ++i)
      if (!known[i]) todo.push_back(i);
    parallel_for(static_cast<int>(todo.size()), threads, [&](int t, int thread) {
      const int i = todo[t];
      decoders[thread].decode(g, population[i], orders[i], block_plan);
      if (!leaves.empty()) orders[i] = apply_leaf_reductions(g, leaves, orders[i]);
      prints[i] = fingerprint(orders[i]);
    });
    std::vector<int> to_slice;
    std::unordered_map<Fingerprint, int, FingerprintHash> first_in_batch;
    for (int i : todo) {
      if (cache.count(prints[i])) {
        ++result.cache_hits;
        continue;
      }
      if (first_in_batch.emplace(prints[i], i).second)
        to_slice.push_back(i);
      else
        ++result.cache_hits;
    }
    std::vector<double> sliced(to_slice.size(), kInf);
    std::vector<char> done(to_slice.size(), 0);
    std::atomic<bool> interrupted{false};
    parallel_for(static_cast<int>(to_slice.size()), threads, [&](int t, int thread) {
      // The very first order is always sliced so that a result exists whatever the limit (its
      // greedy slicing when the limit strikes while it is sliced).
      if (!(first && t == 0) && out_of_time()) {
        interrupted = true;
        return;
      }
      bool stopped = false;
      sliced[t] = OrderSlicer::optimal_bottleneck(g, orders[to_slice[t]], k, decoders[thread].slice,
                                                  kInf, out_of_time, &stopped);
      if (stopped) interrupted = true;
      done[t] = 1;
    });
    for (std::size_t t = 0; t < to_slice.size(); ++t)
      if (done[t]) {
        cache.emplace(prints[to_slice[t]], sliced[t]);  // +inf for an order with no valid slicing
        ++result.orders_decoded;
      }
    for (int i : todo) {
      auto it = cache.find(prints[i]);
      fitness[i] = it == cache.end() ? kInf : it->second;
      known[i] = 1;
    }
    for (int i = 0; i < P; ++i)
      if (fitness[i] < result.bottleneck) {
        result.bottleneck = fitness[i];
        best_order = orders[i];
      }
    return !interrupted;
  };

  bool complete = evaluate_population(true);
  std::vector<int> rank(P);
  int generation = 1;
  auto target_reached = [&] { return config.stop_at > 0 && result.bottleneck <= config.stop_at; };
  while (complete && generation < config.generations && !target_reached()) {
    if (out_of_time()) {
      complete = false;
      break;
    }
    std::iota(rank.begin(), rank.end(), 0);
    std::stable_sort(rank.begin(), rank.end(),
                     [&](int a, int b) { return fitness[a] < fitness[b]; });
    std::vector<double> next_fitness(P, kInf);
    std::vector<std::vector<NodeId>> next_orders(P);
    int slot = 0;
    for (; slot < elites; ++slot) {
      next_population[slot] = population[rank[slot]];
      next_fitness[slot] = fitness[rank[slot]];
      next_orders[slot] = std::move(orders[rank[slot]]);
      known[slot] = 1;  // fitness carried over: neither decoded nor fingerprinted again
    }
    for (; slot < P - mutants; ++slot) {
      const Keys& elite = population[rank[rng.below(static_cast<std::size_t>(elites))]];
      const int non_elites = P - elites;
      const Keys& other =
          population[rank[non_elites > 0
                              ? elites + static_cast<int>(
                                             rng.below(static_cast<std::size_t>(non_elites)))
                              : static_cast<int>(rng.below(static_cast<std::size_t>(elites)))]];
      Keys& child = next_population[slot];
      child.resize(n);
      for (NodeId v = 0; v < n; ++v)
        child[v] = rng.uniform() < config.inherit_elite ? elite[v] : other[v];
      known[slot] = 0;
    }
    for (; slot < P; ++slot) {
      Keys& child = next_population[slot];
      child.resize(n);
      for (double& key : child) key = rng.uniform();
      known[slot] = 0;
    }
    std::swap(population, next_population);
    fitness = std::move(next_fitness);
    orders = std::move(next_orders);
    complete = evaluate_population(false);
    ++generation;
  }
  result.generations_run = generation;
  result.hit_time_limit = !complete;  // slice_into below may set it too

  if (best_order.empty()) {  // every order decoded had no valid slicing
    result.feasible = false;
    result.partition = Partition{k, {}};
  } else {
    slice_into(g, k, std::move(best_order), result, out_of_time);
  }
  result.seconds = timer.seconds();
  return result;
}

}  // namespace pipecut
