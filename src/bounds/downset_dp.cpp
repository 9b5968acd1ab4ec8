#include "pipecut/bounds/downset_dp.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "pipecut/model/constraints.hpp"
#include "pipecut/partition/slicegraph.hpp"
#include "pipecut/util/stopwatch.hpp"

namespace pipecut {

namespace {

using Word = std::uint64_t;

// All downsets as bitsets in one flat array, with an open-addressing index.
class DownsetTable {
 public:
  explicit DownsetTable(int n) : words_((n + 63) / 64), slots_(1 << 16, -1) {}

  [[nodiscard]] int size() const { return count_; }
  [[nodiscard]] const Word* bits(int id) const { return data_.data() + std::size_t(id) * words_; }
  [[nodiscard]] int words() const { return words_; }

  // Id of the downset `bits`, or -1.
  [[nodiscard]] int find(const Word* bits) const {
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash(bits) & mask;; i = (i + 1) & mask) {
      if (slots_[i] < 0) return -1;
      if (std::memcmp(this->bits(slots_[i]), bits, sizeof(Word) * words_) == 0) return slots_[i];
    }
  }
  // Adds `bits` if new; returns its id.
  int insert(const Word* bits) {
    if (int id = find(bits); id >= 0) return id;
    data_.insert(data_.end(), bits, bits + words_);
    int id = count_++;
    if (2 * std::size_t(count_) > slots_.size()) rehash();
    else place(id);
    return id;
  }

 private:
  [[nodiscard]] std::size_t hash(const Word* bits) const {
    std::uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < words_; ++i) {
      h ^= bits[i] + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
      h *= 0xff51afd7ed558ccdULL;
    }
    return static_cast<std::size_t>(h ^ (h >> 33));
  }
  void place(int id) {
    std::size_t mask = slots_.size() - 1;
    std::size_t i = hash(bits(id)) & mask;
    while (slots_[i] >= 0) i = (i + 1) & mask;
    slots_[i] = id;
  }
  void rehash() {
    slots_.assign(slots_.size() * 2, -1);
    for (int id = 0; id < count_; ++id) place(id);
  }
  int words_;
  int count_ = 0;
  std::vector<Word> data_;
  std::vector<int> slots_;
};

bool test_bit(const Word* bits, int v) { return (bits[v >> 6] >> (v & 63)) & 1; }
void flip_bit(Word* bits, int v) { bits[v >> 6] ^= Word{1} << (v & 63); }

struct Transition {
  int from;     // J
  double cost;  // f(I \ J)
};

// The block DAG of model/constraints.hpp with each block's work, distinct predecessor and
// successor blocks. Downsets of blocks are exactly the downsets that split no hull.
struct Blocks {
  const Constraints& c;
  std::vector<double> work;
  std::vector<std::vector<int>> preds, succs;

  Blocks(const Graph& g, const Constraints& constraints)
      : c(constraints), work(c.num_blocks(), 0.0), preds(c.num_blocks()), succs(c.num_blocks()) {
    for (NodeId u = 0; u < g.num_nodes(); ++u) {
      work[c.block_of[u]] += g.work[u];
      for (NodeId v : g.successors(u))
        if (c.block_of[u] != c.block_of[v]) {
          succs[c.block_of[u]].push_back(c.block_of[v]);
          preds[c.block_of[v]].push_back(c.block_of[u]);
        }
    }
    for (auto* lists : {&preds, &succs})
      for (auto& list : *lists) {
        std::sort(list.begin(), list.end());
        list.erase(std::unique(list.begin(), list.end()), list.end());
      }
  }
  // A block is in a downset bitset iff its first member is (downsets never split blocks).
  [[nodiscard]] bool in(const Word* bits, int b) const { return test_bit(bits, c.members(b)[0]); }
  void flip(Word* bits, int b) const {
    for (NodeId v : c.members(b)) flip_bit(bits, v);
  }
};

}  // namespace

DownsetDpResult downset_dp(const Graph& g, int k, const BoundOptions& options) {
  const Stopwatch timer;
  const int n = g.num_nodes();
  DownsetDpResult result;
  auto out_of_time = [&] {
    return timer.exceeded(options.time_limit_seconds) || stop_requested(options.stop);
  };
  // Placement constraints: downsets of blocks (no hull split), stages within the capacity.
  const Constraints constraints = derive_constraints(g);
  if (auto proof = infeasibility_proof(g, constraints, k)) {
    result.status = BoundStatus::infeasible;
    result.reason = *proof;
    return result;
  }
  const Blocks blocks(g, constraints);
  const int num_blocks = constraints.num_blocks();
  const double capacity = constraints.capacity.value_or(std::numeric_limits<double>::infinity());
  // An upper bound on the optimum restricts the stages worth enumerating. Without one (no valid
  // partition known) every stage within the capacity is enumerated.
  double upper = options.incumbent;
  std::optional<Partition> fallback = options.warm_start;
  if (!(upper < std::numeric_limits<double>::infinity())) {
    SliceGraphResult sliced = slice_default_order(g, k);
    if (sliced.feasible) {
      upper = sliced.bottleneck;
      fallback = sliced.partition;
    }
  }
  const bool have_upper = upper < std::numeric_limits<double>::infinity();
  const double stage_limit = have_upper ? upper * (1 + 1e-9) + 1e-12 : upper;

  // 1. Enumerate downsets breadth-first from the empty set: ids grow with downset size, so
  //    every sub-downset J of I has a smaller id than I.
  DownsetTable table(n);
  const int words = table.words();
  std::vector<Word> scratch(words, 0);
  table.insert(scratch.data());
  std::vector<int> missing_preds(n);
  // The bitsets alone must stay within ~256 MB, whatever the configured count limit.
  const long long downset_limit = std::min<long long>(
      options.downset_limit, (256LL << 20) / (static_cast<long long>(sizeof(Word)) * words));
  for (int id = 0; id < table.size(); ++id) {
    if (table.size() > downset_limit) {
      result.reason = "more than " + std::to_string(downset_limit) + " downsets";
      result.downsets = table.size();
      return result;
    }
    if ((id & 1023) == 0 && out_of_time()) {
      result.status = BoundStatus::time_limit;
      result.reason = "time limit while enumerating downsets";
      result.downsets = table.size();
      return result;
    }
    std::memcpy(scratch.data(), table.bits(id), sizeof(Word) * words);
    for (int b = 0; b < num_blocks; ++b) {
      if (blocks.in(scratch.data(), b)) continue;
      bool ready = true;
      for (int p : blocks.preds[b]) ready = ready && blocks.in(scratch.data(), p);
      if (!ready) continue;
      blocks.flip(scratch.data(), b);
      table.insert(scratch.data());
      blocks.flip(scratch.data(), b);
    }
  }
  const int num_downsets = table.size();
  result.downsets = num_downsets;

  // 2. For each downset I, every J <= I with w(I \ J) <= upper and M(I \ J) <= C, by removing
  //    blocks of I whose successors inside I are already removed (work and memory only grow as
  //    blocks are removed, so both limits prune exactly). The removed set S = I \ J is costed
  //    incrementally: tensor u's hyperedge {u} u consumers(u) is cut iff 0 < members in S < size.
  std::vector<int> edge_size(n);
  for (NodeId u = 0; u < n; ++u) edge_size[u] = 1 + static_cast<int>(g.successors(u).size());
  std::vector<int> in_removed(n, 0);  // members of hyperedge u currently in S
  std::vector<std::vector<Transition>> into(num_downsets);
  std::vector<int> seen_stamp(num_downsets, -1);
  long long pairs = 0;
  std::vector<Word> current(words);
  for (int id = 1; id < num_downsets; ++id) {
    if ((id & 255) == 0 && out_of_time()) {
      result.status = BoundStatus::time_limit;
      result.reason = "time limit while costing stages";
      result.pairs = pairs;
      return result;
    }
    std::memcpy(current.data(), table.bits(id), sizeof(Word) * words);
    into[id].push_back({id, 0.0});  // an empty stage
    seen_stamp[id] = id;
    double work = 0.0, cut = 0.0, memory = 0.0;
    // Depth-first over removal sets; each J is expanded once (stamped).
    auto toggle = [&](NodeId x, int delta) {
      // Updates `cut` for the hyperedges containing x: its own tensor and its inputs'.
      auto update = [&](NodeId u) {
        const bool was_cut = in_removed[u] > 0 && in_removed[u] < edge_size[u];
        in_removed[u] += delta;
        const bool now_cut = in_removed[u] > 0 && in_removed[u] < edge_size[u];
        if (was_cut != now_cut) cut += now_cut ? g.comm[u] : -g.comm[u];
      };
      update(x);
      for (NodeId p : g.predecessors(x)) update(p);
    };
    std::vector<std::vector<int>> pending_stack;
    std::vector<int> removed_stack;
    // Iterative DFS: at each level, the list of candidate blocks to remove next.
    auto removable = [&](std::vector<int>& out) {
      out.clear();
      for (int x = 0; x < num_blocks; ++x) {
        if (!blocks.in(current.data(), x)) continue;
        bool free = true;
        for (int y : blocks.succs[x]) free = free && !blocks.in(current.data(), y);
        if (free && work + blocks.work[x] <= stage_limit &&
            fits_capacity(memory + constraints.block_memory[x], capacity))
          out.push_back(x);
      }
    };
    auto remove_block = [&](int x, int delta) {
      for (NodeId v : constraints.members(x)) toggle(v, delta);
      work += delta * blocks.work[x];
      memory += delta * constraints.block_memory[x];
      blocks.flip(current.data(), x);
    };
    pending_stack.emplace_back();
    removable(pending_stack.back());
    long long steps = 0;
    while (!pending_stack.empty()) {
      if ((++steps & 4095) == 0 && out_of_time()) {
        result.status = BoundStatus::time_limit;
        result.reason = "time limit while costing stages";
        result.pairs = pairs;
        return result;
      }
      if (pending_stack.back().empty()) {
        pending_stack.pop_back();
        if (!removed_stack.empty()) {  // undo the removal that opened this level
          const int x = removed_stack.back();
          removed_stack.pop_back();
          remove_block(x, -1);
        }
        continue;
      }
      const int x = pending_stack.back().back();
      pending_stack.back().pop_back();
      blocks.flip(current.data(), x);
      const int j = table.find(current.data());
      blocks.flip(current.data(), x);
      if (j < 0 || seen_stamp[j] == id) continue;
      seen_stamp[j] = id;
      remove_block(x, +1);
      removed_stack.push_back(x);
      const double cost = work + cut;
      if (cost <= stage_limit) {
        into[id].push_back({j, cost});
        if (++pairs > options.downset_pair_limit) {
          result.reason = "more than " + std::to_string(options.downset_pair_limit) +
                          " (downset, stage) pairs";
          result.pairs = pairs;
          return result;
        }
      }
      pending_stack.emplace_back();
      removable(pending_stack.back());
    }
  }
  result.pairs = pairs;

  // 3. Layered DP over the transitions; two layers of values.
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> previous(num_downsets, inf), next(num_downsets);
  previous[0] = 0.0;
  for (int b = 1; b <= k; ++b) {
    next[0] = 0.0;
    for (int id = 1; id < num_downsets; ++id) {
      double best = inf;
      for (const Transition& t : into[id]) best = std::min(best, std::max(previous[t.from], t.cost));
      next[id] = best;
    }
    std::swap(previous, next);
  }
  const int all = num_downsets - 1;  // V is the last downset found (largest)
  double optimum = previous[all];
  if (!(optimum < inf)) {
    if (!have_upper) {
      // Every stage within the capacity was enumerated: no chain of at most k exists.
      result.status = BoundStatus::infeasible;
      result.reason = "the exact downset DP found no chain of at most " + std::to_string(k) +
                      " stages that " + constraints_phrase(g);
      return result;
    }
    // No partition within `upper` (only possible by rounding): the fallback is optimal.
    result.status = BoundStatus::proven;
    result.optimum = upper * (1 - 1e-9);
    result.partition = fallback;
    return result;
  }
  // 4. Reconstruct with the threshold `optimum`: fewest stages to reach each downset.
  std::vector<int> stages(num_downsets, k + 1), parent(num_downsets, -1);
  stages[0] = 0;
  for (int id = 1; id < num_downsets; ++id)
    for (const Transition& t : into[id])
      if (t.from != id && t.cost <= optimum && stages[t.from] + 1 < stages[id]) {
        stages[id] = stages[t.from] + 1;
        parent[id] = t.from;
      }
  Partition p;
  p.k = k;
  p.stage_of.assign(n, 0);
  int stage = stages[all] - 1;
  for (int id = all; id != 0 && id >= 0; id = parent[id], --stage)
    for (NodeId v = 0; v < n; ++v)
      if (test_bit(table.bits(id), v) && !test_bit(table.bits(parent[id]), v))
        p.stage_of[v] = stage;
  result.status = BoundStatus::proven;
  // Incremental costing accumulates rounding: keep a margin so the bound stays valid.
  result.optimum = std::max(0.0, optimum - 1e-9 * std::max(1.0, optimum));
  result.partition = std::move(p);
  return result;
}

}  // namespace pipecut
