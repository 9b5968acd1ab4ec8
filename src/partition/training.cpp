#include "pipecut/partition/training.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

#include "pipecut/model/constraints.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/model/numeric.hpp"
#include "pipecut/util/stopwatch.hpp"
#include "util/bitset_index.hpp"

namespace pipecut {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
using Word = BitWord;

// The forward structure: the units searched, numbered in a topological order of their DAG along
// forward edges, with each unit's members and its distinct predecessor units. A unit is a block
// of the placement constraints (built from forward edges only), or several when free blocks were
// merged into their neighbour (below).
struct ForwardBlocks {
  int count = 0;
  std::vector<std::vector<NodeId>> members;
  std::vector<std::vector<int>> preds;
};

// Merges a *free* block X into its neighbour Y: X has no work, no memory and no stash (or the
// whole graph fits one stage with every microbatch in flight, so memory never binds), its only
// forward neighbour (along forward edges, either way) is Y, and every tensor with a member in X
// lies inside X or has a member in Y. Exact (docs/training.md, "Free blocks"): moving X into
// Y's stage keeps every forward edge forward (its only ones lead to Y), adds no memory, and no
// stage's cost grows, since X brings no work and every tensor it touches already touches Y's
// stage. So some optimal partition keeps X with Y, and the search may too. One merge per pass,
// each on the units so far.
std::vector<int> merge_free_blocks(const Graph& g, const Constraints& c, const StashModel& model) {
  const std::vector<double>& stash = model.stash;
  const int n = g.num_nodes();
  double total = 0;
  for (NodeId v = 0; v < n; ++v)
    total += g.memory[v] + (stash.empty() ? 0.0 : stash[v] * model.microbatches);
  const bool memory_binds = g.memory_per_stage && !fits_capacity(total, *g.memory_per_stage);
  const int blocks = c.num_blocks();
  std::vector<int> unit(static_cast<std::size_t>(blocks));
  for (int b = 0; b < blocks; ++b) unit[b] = b;
  auto find = [&](int b) {
    while (unit[b] != b) b = unit[b] = unit[unit[b]];
    return b;
  };
  std::vector<double> load(static_cast<std::size_t>(blocks));
  for (int pass = 0; pass < blocks; ++pass) {
    std::fill(load.begin(), load.end(), 0.0);
    for (NodeId v = 0; v < n; ++v)
      load[find(c.block_of[v])] +=
          g.work[v] + (memory_binds ? g.memory[v] + (stash.empty() ? 0.0 : stash[v]) : 0.0);
    // Forward neighbours of each unit: -1 none yet, -2 more than one.
    std::vector<int> neighbour(static_cast<std::size_t>(blocks), -1);
    auto note = [&](int x, int y) {
      if (neighbour[x] == -1)
        neighbour[x] = y;
      else if (neighbour[x] != y)
        neighbour[x] = -2;
    };
    for (NodeId u = 0; u < n; ++u)
      for (NodeId v : g.successors(u)) {
        const int a = find(c.block_of[u]), b = find(c.block_of[v]);
        if (a == b || !g.order_constraint(u, v)) continue;
        note(a, b);
        note(b, a);
      }
    bool merged = false;
    for (int x = 0; x < blocks && !merged; ++x) {
      if (find(x) != x || load[x] != 0 || neighbour[x] < 0) continue;
      const int y = neighbour[x];
      // Every tensor touching X: inside X, or with a member in Y.
      auto fine = [&](NodeId producer) {
        bool outside = find(c.block_of[producer]) != x, in_y = find(c.block_of[producer]) == y;
        for (NodeId w : g.successors(producer)) {
          outside = outside || find(c.block_of[w]) != x;
          in_y = in_y || find(c.block_of[w]) == y;
        }
        return !outside || in_y;
      };
      bool ok = true;
      for (NodeId v = 0; v < n && ok; ++v) {
        if (find(c.block_of[v]) != x) continue;
        ok = fine(v);
        for (NodeId p : g.predecessors(v)) ok = ok && fine(p);
      }
      if (ok) {
        unit[x] = y;
        merged = true;
      }
    }
    if (!merged) break;
  }
  std::vector<int> unit_of_block(static_cast<std::size_t>(blocks));
  for (int b = 0; b < blocks; ++b) unit_of_block[b] = find(b);
  return unit_of_block;
}

ForwardBlocks forward_blocks(const Graph& g, const StashModel& model = {}) {
  const Constraints c = derive_constraints(g);
  const int n = g.num_nodes();
  const std::vector<int> root = merge_free_blocks(g, c, model);
  // Units in a topological order (Kahn's algorithm, smallest root first) of their DAG.
  const int blocks = c.num_blocks();
  std::vector<std::vector<int>> succ(static_cast<std::size_t>(blocks));
  std::vector<int> indegree(static_cast<std::size_t>(blocks), 0);
  for (NodeId u = 0; u < n; ++u)
    for (NodeId v : g.successors(u)) {
      const auto constraint = g.order_constraint(u, v);
      if (!constraint) continue;
      const int a = root[c.block_of[constraint->first]], b = root[c.block_of[constraint->second]];
      if (a != b) succ[a].push_back(b);
    }
  for (auto& s : succ) {
    std::sort(s.begin(), s.end());
    s.erase(std::unique(s.begin(), s.end()), s.end());
    for (int b : s) ++indegree[b];
  }
  std::vector<int> number(static_cast<std::size_t>(blocks), -1), ready;
  for (int b = 0; b < blocks; ++b)
    if (root[b] == b && indegree[b] == 0) ready.push_back(b);
  ForwardBlocks f;
  while (!ready.empty()) {
    std::sort(ready.begin(), ready.end(), std::greater<>());
    const int b = ready.back();
    ready.pop_back();
    number[b] = f.count++;
    for (int s : succ[b])
      if (--indegree[s] == 0) ready.push_back(s);
  }
  f.members.resize(static_cast<std::size_t>(f.count));
  f.preds.resize(static_cast<std::size_t>(f.count));
  for (int b = 0; b < blocks; ++b)
    for (NodeId v : c.members(b)) f.members[number[root[b]]].push_back(v);
  for (int b = 0; b < blocks; ++b)
    for (int s : succ[b]) f.preds[number[s]].push_back(number[b]);
  for (auto& p : f.preds) std::sort(p.begin(), p.end());
  return f;
}

// The cost of a node set that grows and shrinks one node at a time: work plus the comm of
// every tensor (a producer with its consumers) that has members both inside and outside the
// set, which is the reference cost (model/cost.hpp) in the symmetric form docs/training.md
// derives. On an exact-cost graph every partial sum is exact, so adding and removing never
// drifts.
class StageAccumulator {
 public:
  StageAccumulator(const Graph& g, const StashModel& model)
      : g_(g), stash_(model.stash), inside_(static_cast<std::size_t>(g.num_nodes()), 0) {}

  void add(NodeId v) { change(v, +1); }
  void remove(NodeId v) { change(v, -1); }
  [[nodiscard]] double cost() const { return work_ + comm_; }
  [[nodiscard]] double work() const { return work_; }
  [[nodiscard]] double memory() const { return memory_; }
  [[nodiscard]] double stash() const { return stash_sum_; }

 private:
  void change(NodeId v, int delta) {
    work_ += delta * g_.work[v];
    memory_ += delta * g_.memory[v];
    if (!stash_.empty()) stash_sum_ += delta * stash_[v];
    touch(v, delta);
    for (NodeId p : g_.predecessors(v)) touch(p, delta);
  }
  // Tensor of `u` gains (or loses) one member inside the set.
  void touch(NodeId u, int delta) {
    const int size = 1 + static_cast<int>(g_.successors(u).size());
    if (size == 1) return;
    const int before = inside_[u];
    const int after = before + delta;
    inside_[u] = after;
    const bool cut_before = before > 0 && before < size;
    const bool cut_after = after > 0 && after < size;
    if (cut_before != cut_after) comm_ += cut_after ? g_.comm[u] : -g_.comm[u];
  }

  const Graph& g_;
  const std::vector<double>& stash_;
  std::vector<int> inside_;
  double work_ = 0, comm_ = 0, memory_ = 0, stash_sum_ = 0;
};

// Whether a stage fits the capacity with `in_flight` microbatches stashed. Memory and stash are
// whole bits and in_flight an integer: the sum is exact while it stays below 2^53 eighths.
bool fits(const Graph& g, const StageAccumulator& stage, double in_flight) {
  return !g.memory_per_stage ||
         fits_capacity(stage.memory() + stage.stash() * in_flight, *g.memory_per_stage);
}

// The partition that puts each block in its slot, with the used slots renumbered 0, 1, ... in
// order (ranks are what the memory model counts: docs/training.md, "Memory").
Partition compact_partition(const Graph& g, const ForwardBlocks& f,
                            const std::vector<int>& slot_of_block, int k) {
  std::vector<int> used(slot_of_block);
  std::sort(used.begin(), used.end());
  used.erase(std::unique(used.begin(), used.end()), used.end());
  Partition p;
  p.k = k;
  p.stage_of.assign(static_cast<std::size_t>(g.num_nodes()), -1);
  for (int x = 0; x < f.count; ++x) {
    const auto rank = std::lower_bound(used.begin(), used.end(), slot_of_block[x]) - used.begin();
    for (NodeId v : f.members[x]) p.stage_of[v] = static_cast<int>(rank);
  }
  return p;
}

}  // namespace

TrainingSearchResult training_downset_search(const Graph& graph, int k,
                                             const TrainingSearchOptions& options) {
  if (k < 1) throw InputError("k must be at least 1 (got " + std::to_string(k) + ")");
  const Stopwatch timer;
  const ExactCosts exact(graph, comm_cap(graph, options.incumbent));
  const Graph& g = exact.graph();
  const ForwardBlocks f = forward_blocks(g, options.memory);
  const int blocks = f.count;
  const int stages = std::min(k, blocks);
  TrainingSearchResult result;
  auto stopped = [&] {
    return timer.exceeded(options.time_limit_seconds) || stop_requested(options.stop);
  };

  // Every downset, breadth first: ids grow with size, so a downset's sub-downsets come first.
  BitsetIndex table(blocks);
  const int words = table.words();
  std::vector<Word> set(static_cast<std::size_t>(words), 0);
  table.insert(set.data(), 0);
  for (int id = 0; id < table.size(); ++id) {
    std::copy(table.bits(id), table.bits(id) + words, set.begin());
    for (int x = 0; x < blocks; ++x) {
      if (test_bit(set.data(), x)) continue;
      if (!std::all_of(f.preds[x].begin(), f.preds[x].end(),
                       [&](int p) { return test_bit(set.data(), p); }))
        continue;
      flip_bit(set.data(), x);
      table.insert(set.data(), table.hash(id) ^ table.key(x));
      flip_bit(set.data(), x);
    }
    if (table.size() > options.ideal_limit) {
      result.reason =
          "more than " + std::to_string(options.ideal_limit) + " downsets of the forward block DAG";
      return result;
    }
    if ((id & 1023) == 0 && stopped()) {
      result.status = TrainingSearchStatus::time_limit;
      result.reason = "time limit while enumerating downsets";
      return result;
    }
  }
  const int ideals = table.size();
  result.ideals = ideals;
  const auto table_size = static_cast<std::size_t>(stages + 1) * static_cast<std::size_t>(ideals);
  if (static_cast<double>(table_size) * (sizeof(double) + sizeof(int)) >
      options.memory_limit_bytes) {
    result.reason = "the DP table would outgrow its memory budget";
    return result;
  }
  // value[b * ideals + I]: the least bottleneck of b non-empty stages that cover downset I.
  std::vector<double> value(table_size, kInf);
  std::vector<int> parent(table_size, -1);
  auto at = [&](int b, int id) {
    return static_cast<std::size_t>(b) * static_cast<std::size_t>(ideals) +
           static_cast<std::size_t>(id);
  };
  value[at(0, 0)] = 0;
  // Slot b of `stages` holds in_flight(b, stages) microbatches; a slot may stay empty, so a
  // partition with fewer stages sits in the last slots, where (docs/training.md, "Memory") its
  // in-flight counts are those of its ranks among the used stages.
  const StashModel& model = options.memory;
  std::vector<double> in_flight(static_cast<std::size_t>(stages), 0.0);
  for (int b = 0; b < stages; ++b) in_flight[b] = model.in_flight(b, stages);
  const double least_in_flight = *std::min_element(in_flight.begin(), in_flight.end());
  // Stages whose work alone exceeds the incumbent cannot help (cost >= work).
  const double cap = options.incumbent;
  StageAccumulator stage(g, model);
  long long pairs = 0;
  bool out_of_time = false, too_many = false;

  // Extends the stage J ∪ added by blocks above `last`, in increasing order: every downset of
  // the blocks outside J is reached exactly once (its blocks in increasing topological order),
  // and the stage it makes is offered to every slot after a prefix that covers J. Work, memory
  // and stash only grow as blocks are added, so a stage above the incumbent's work or above
  // the capacity in the slot that stashes least ends the branch.
  std::vector<Word> current(static_cast<std::size_t>(words));
  std::uint64_t current_hash = 0;
  std::function<void(int, int)> extend = [&](int j, int last) {
    for (int x = last + 1; x < blocks && !out_of_time && !too_many; ++x) {
      if (test_bit(current.data(), x)) continue;
      if (!std::all_of(f.preds[x].begin(), f.preds[x].end(),
                       [&](int p) { return test_bit(current.data(), p); }))
        continue;
      for (NodeId v : f.members[x]) stage.add(v);
      flip_bit(current.data(), x);
      current_hash ^= table.key(x);
      if (stage.work() <= cap && fits(g, stage, least_in_flight)) {
        ++pairs;
        if ((pairs & 4095) == 0 && stopped()) out_of_time = true;
        if (options.pair_limit > 0 && pairs > options.pair_limit) too_many = true;
        const double cost = stage.cost();
        if (cost <= cap) {
          const int i = table.find(current.data(), current_hash);
          for (int b = 0; b < stages; ++b) {
            const double before = value[at(b, j)];
            if (before == kInf || !fits(g, stage, in_flight[b])) continue;
            const double v = std::max(before, cost);
            if (v < value[at(b + 1, i)]) {
              value[at(b + 1, i)] = v;
              parent[at(b + 1, i)] = j;
            }
          }
        }
        extend(j, x);
      }
      flip_bit(current.data(), x);
      current_hash ^= table.key(x);
      for (NodeId v : f.members[x]) stage.remove(v);
    }
  };
  for (int j = 0; j < ideals && !out_of_time && !too_many; ++j) {
    // Empty slots: every transition into J came from a smaller downset, so J's values are final.
    for (int b = 0; b < stages; ++b)
      if (value[at(b, j)] < value[at(b + 1, j)]) {
        value[at(b + 1, j)] = value[at(b, j)];
        parent[at(b + 1, j)] = j;
      }
    bool reachable = false;
    for (int b = 0; b < stages && !reachable; ++b) reachable = value[at(b, j)] < kInf;
    if (!reachable) continue;
    std::copy(table.bits(j), table.bits(j) + words, current.begin());
    current_hash = table.hash(j);
    extend(j, -1);
  }
  result.pairs = pairs;
  if (out_of_time || too_many) {
    result.status = out_of_time ? TrainingSearchStatus::time_limit : TrainingSearchStatus::gave_up;
    result.reason = out_of_time ? "time limit while costing stages"
                                : "more than " + std::to_string(options.pair_limit) + " pairs";
    return result;
  }
  const int full = ideals - 1;  // the whole graph is the one largest downset
  if (value[at(stages, full)] == kInf) {
    if (cap < kInf) {  // nothing beats the incumbent: it is optimal
      result.status = TrainingSearchStatus::optimal;
      result.bottleneck = cap;
      return result;
    }
    result.status = TrainingSearchStatus::infeasible;
    result.reason = "no partition into at most " + std::to_string(k) + " stages fits the capacity";
    return result;
  }
  result.status = TrainingSearchStatus::optimal;
  result.bottleneck = value[at(stages, full)];
  std::vector<int> slot_of_block(static_cast<std::size_t>(blocks), -1);
  int i = full;
  for (int b = stages; b >= 1; --b) {
    const int j = parent[at(b, i)];
    for (int x = 0; x < blocks; ++x)
      if (test_bit(table.bits(i), x) && !test_bit(table.bits(j), x)) slot_of_block[x] = b - 1;
    i = j;
  }
  result.partition = compact_partition(g, f, slot_of_block, k);
  return result;
}

namespace {

struct Slicing {
  double bottleneck = kInf;
  std::vector<int> slot_of_block;
};

// The optimal slicing of the blocks in `order` (a topological order of the block DAG) into
// `stages` slots, some maybe empty; nullopt when none fits or the time ran out.
std::optional<Slicing> slice_blocks(const Graph& g, const ForwardBlocks& f,
                                    const std::vector<int>& order, int stages,
                                    const StashModel& model, const std::function<bool()>& stopped) {
  const int blocks = f.count;
  std::vector<double> in_flight(static_cast<std::size_t>(stages), 0.0);
  for (int b = 0; b < stages; ++b) in_flight[b] = model.in_flight(b, stages);
  const double least_in_flight = *std::min_element(in_flight.begin(), in_flight.end());
  // best[b][j]: least bottleneck of b slots covering order[0, j); from[b][j] the cut before
  // the last slot's run.
  const auto width = static_cast<std::size_t>(blocks + 1);
  std::vector<double> best(static_cast<std::size_t>(stages + 1) * width, kInf);
  std::vector<int> from(best.size(), -1);
  auto at = [&](int b, int j) {
    return static_cast<std::size_t>(b) * width + static_cast<std::size_t>(j);
  };
  best[at(0, 0)] = 0;
  StageAccumulator run(g, model);
  for (int i = 0; i <= blocks; ++i) {
    for (int b = 0; b < stages; ++b)  // an empty slot
      if (best[at(b, i)] < best[at(b + 1, i)]) {
        best[at(b + 1, i)] = best[at(b, i)];
        from[at(b + 1, i)] = i;
      }
    if (i == blocks) break;
    if (stopped()) return std::nullopt;
    int end = i;  // the run holds order[i, end)
    for (int j = i; j < blocks; ++j) {
      for (NodeId v : f.members[order[j]]) run.add(v);
      end = j + 1;
      if (!fits(g, run, least_in_flight)) break;  // memory only grows along the run
      const double cost = run.cost();
      for (int b = 0; b < stages; ++b) {
        if (best[at(b, i)] == kInf || !fits(g, run, in_flight[b])) continue;
        const double v = std::max(best[at(b, i)], cost);
        if (v < best[at(b + 1, j + 1)]) {
          best[at(b + 1, j + 1)] = v;
          from[at(b + 1, j + 1)] = i;
        }
      }
    }
    for (int x = i; x < end; ++x)  // empty the accumulator for the next start
      for (NodeId v : f.members[order[x]]) run.remove(v);
  }
  if (best[at(stages, blocks)] == kInf) return std::nullopt;
  Slicing result;
  result.bottleneck = best[at(stages, blocks)];
  result.slot_of_block.assign(static_cast<std::size_t>(blocks), -1);
  int j = blocks;
  for (int b = stages; b >= 1; --b) {
    const int i = from[at(b, j)];
    for (int x = i; x < j; ++x) result.slot_of_block[order[x]] = b - 1;
    j = i;
  }
  return result;
}

// Topological orders of the block DAG to slice: the blocks' own numbering, as soon as possible
// (by longest forward path from a source, which interleaves parallel branches) and as late as
// possible (by longest path to a sink).
std::vector<std::vector<int>> block_orders(const ForwardBlocks& f) {
  const int blocks = f.count;
  std::vector<int> numbering(static_cast<std::size_t>(blocks));
  for (int x = 0; x < blocks; ++x) numbering[x] = x;
  std::vector<int> depth(static_cast<std::size_t>(blocks), 0), height(depth);
  for (int x = 0; x < blocks; ++x)  // predecessors have smaller numbers
    for (int p : f.preds[x]) depth[x] = std::max(depth[x], depth[p] + 1);
  for (int x = blocks - 1; x >= 0; --x)
    for (int p : f.preds[x]) height[p] = std::max(height[p], height[x] + 1);
  std::vector<int> asap = numbering, alap = numbering;
  std::stable_sort(asap.begin(), asap.end(), [&](int a, int b) { return depth[a] < depth[b]; });
  std::stable_sort(alap.begin(), alap.end(), [&](int a, int b) { return height[a] > height[b]; });
  return {numbering, asap, alap};
}

}  // namespace

std::optional<Partition> training_slicing(const Graph& graph, int k, double time_limit_seconds,
                                          const StopFlag* stop, const StashModel& model) {
  const Stopwatch timer;
  const ExactCosts exact(graph, comm_cap(graph));
  const Graph& g = exact.graph();
  const ForwardBlocks f = forward_blocks(g, model);
  const int stages = std::min(k, f.count);
  const std::function<bool()> stopped = [&] {
    return timer.exceeded(time_limit_seconds) || stop_requested(stop);
  };
  std::optional<Slicing> best;
  for (const std::vector<int>& order : block_orders(f)) {
    std::optional<Slicing> s = slice_blocks(g, f, order, stages, model, stopped);
    if (s && (!best || s->bottleneck < best->bottleneck)) best = std::move(s);
    if (stopped()) break;
  }
  if (!best) return std::nullopt;
  return compact_partition(g, f, best->slot_of_block, k);
}

double StashModel::in_flight(int rank, int used) const {
  switch (schedule) {
    case Schedule::inference:
      return 0;
    case Schedule::gpipe:
      return microbatches;
    case Schedule::one_f_one_b:
      return std::min(used - rank, microbatches);
  }
  return 0;
}

StashModel stash_model(const Graph& g, const std::string& schedule, int microbatches) {
  StashModel m;
  if (schedule == "inference") return m;
  if (schedule == "gpipe") {
    m.schedule = StashModel::Schedule::gpipe;
  } else if (schedule == "1f1b") {
    m.schedule = StashModel::Schedule::one_f_one_b;
  } else {
    throw InputError("--schedule: unknown schedule '" + schedule +
                     "' (expected inference, gpipe or 1f1b)");
  }
  if (microbatches < 1)
    throw InputError("--schedule " + schedule +
                     " needs the number of microbatches (--microbatches N, N >= 1)");
  m.microbatches = microbatches;
  std::vector<double> stash(static_cast<std::size_t>(g.num_nodes()), 0.0);
  bool any = false;
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    if (g.is_backward(v) || g.bytes.empty() || !(g.bytes[v] > 0)) continue;
    const auto consumers = g.successors(v);
    if (std::any_of(consumers.begin(), consumers.end(),
                    [&](NodeId w) { return g.is_backward(w); })) {
      // Whole bits, as node memory (model/graph.hpp): every sum stays exact.
      stash[v] = std::ceil(g.bytes[v] * 8) / 8;
      any = true;
    }
  }
  if (any) m.stash = std::move(stash);
  return m;
}

std::vector<double> training_stage_memory(const Graph& g, const Partition& p,
                                          const StashModel& model) {
  std::vector<double> memory = stage_memory(g, p);
  if (!model.active()) return memory;
  std::vector<double> stash(memory.size(), 0.0);
  std::vector<char> used(memory.size(), 0);
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    stash[p.stage_of[v]] += model.stash[v];
    used[p.stage_of[v]] = 1;
  }
  const int count = static_cast<int>(std::count(used.begin(), used.end(), 1));
  int rank = 0;
  for (std::size_t s = 0; s < memory.size(); ++s)
    if (used[s]) memory[s] += stash[s] * model.in_flight(rank++, count);
  return memory;
}

Graph with_optimizer_state(const Graph& g, double factor) {
  Graph scaled = g;
  double total = 0;
  for (double& m : scaled.memory) {
    m = std::ceil(m * (1 + factor) * 8) / 8;
    total += m;
  }
  if (!(total <= kMaxTotalMemory))
    throw InputError(g.name + ": with the optimizer state, the total memory " +
                     describe_bytes(total) + " exceeds 2^50 bytes (1 PiB)");
  return scaled;
}

}  // namespace pipecut
