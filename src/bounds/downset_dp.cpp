#include "pipecut/bounds/downset_dp.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

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

}  // namespace

DownsetDpResult downset_dp(const Graph& g, int k, const BoundOptions& options) {
  const Stopwatch timer;
  const int n = g.num_nodes();
  const int requested_k = k;
  // More stages than nodes cannot help (at most n are non-empty): the layered DP below runs
  // min(k, n) layers, so a huge k costs no time.
  k = std::min(k, n);
  DownsetDpResult result;
  // The clock is read once per ~2^20 elementary steps (`work` counts them), however the steps
  // are spread over the loops below: one step of a loop may cost O(n + m).
  long long work_since_check = 0;
  auto out_of_time = [&](long long work) {
    work_since_check += work;
    if (work_since_check < (1 << 20)) return false;
    work_since_check = 0;
    return timer.exceeded(options.time_limit_seconds) || stop_requested(options.stop);
  };
  const long long step_cost = 1 + n + g.num_edges();  // scanning every node and edge once
  // An upper bound on the optimum restricts the stages worth enumerating.
  double upper = options.incumbent;
  // The warm start is returned as optimal in one corner case below: only one for this k will do.
  std::optional<Partition> fallback;
  if (options.warm_start && options.warm_start->k == requested_k &&
      !partition_problem(g, *options.warm_start))
    fallback = options.warm_start;
  if (!(upper < std::numeric_limits<double>::infinity())) {
    SliceGraphResult sliced = slice_default_order(g, requested_k);
    upper = sliced.bottleneck;
    fallback = sliced.partition;
  }
  const double stage_limit = upper * (1 + 1e-9) + 1e-12;

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
    if (out_of_time(step_cost)) {
      result.status = BoundStatus::time_limit;
      result.reason = "time limit while enumerating downsets";
      result.downsets = table.size();
      return result;
    }
    std::memcpy(scratch.data(), table.bits(id), sizeof(Word) * words);
    for (NodeId v = 0; v < n; ++v) {
      if (test_bit(scratch.data(), v)) continue;
      bool ready = true;
      for (NodeId p : g.predecessors(v)) ready = ready && test_bit(scratch.data(), p);
      if (!ready) continue;
      flip_bit(scratch.data(), v);
      table.insert(scratch.data());
      flip_bit(scratch.data(), v);
    }
  }
  const int num_downsets = table.size();
  result.downsets = num_downsets;

  // 2. For each downset I, every J <= I with w(I \ J) <= upper, by removing nodes of I whose
  //    successors inside I are already removed. The removed set S = I \ J is costed
  //    incrementally: tensor u's hyperedge {u} u consumers(u) is cut iff 0 < members in S < size.
  std::vector<int> edge_size(n);
  for (NodeId u = 0; u < n; ++u) edge_size[u] = 1 + static_cast<int>(g.successors(u).size());
  std::vector<int> in_removed(n, 0);  // members of hyperedge u currently in S
  std::vector<std::vector<Transition>> into(num_downsets);
  std::vector<int> seen_stamp(num_downsets, -1);
  long long pairs = 0;
  std::vector<Word> current(words);
  struct Frame {
    NodeId removed;
    double work, cut;
  };
  for (int id = 1; id < num_downsets; ++id) {
    if (out_of_time(1)) {
      result.status = BoundStatus::time_limit;
      result.reason = "time limit while costing stages";
      result.pairs = pairs;
      return result;
    }
    std::memcpy(current.data(), table.bits(id), sizeof(Word) * words);
    into[id].push_back({id, 0.0});  // an empty stage
    seen_stamp[id] = id;
    double work = 0.0, cut = 0.0;
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
    std::vector<std::vector<NodeId>> pending_stack;
    std::vector<NodeId> removed_stack;
    // Iterative DFS: at each level, the list of candidate nodes to remove next.
    auto removable = [&](std::vector<NodeId>& out) {
      out.clear();
      for (NodeId x = 0; x < n; ++x) {
        if (!test_bit(current.data(), x)) continue;
        bool free = true;
        for (NodeId y : g.successors(x)) free = free && !test_bit(current.data(), y);
        if (free && work + g.work[x] <= stage_limit) out.push_back(x);
      }
    };
    pending_stack.emplace_back();
    removable(pending_stack.back());
    while (!pending_stack.empty()) {
      if (out_of_time(step_cost)) {
        result.status = BoundStatus::time_limit;
        result.reason = "time limit while costing stages";
        result.pairs = pairs;
        return result;
      }
      if (pending_stack.back().empty()) {
        pending_stack.pop_back();
        if (!removed_stack.empty()) {  // undo the removal that opened this level
          NodeId x = removed_stack.back();
          removed_stack.pop_back();
          toggle(x, -1);
          work -= g.work[x];
          flip_bit(current.data(), x);
        }
        continue;
      }
      NodeId x = pending_stack.back().back();
      pending_stack.back().pop_back();
      flip_bit(current.data(), x);
      const int j = table.find(current.data());
      if (j < 0 || seen_stamp[j] == id) {
        flip_bit(current.data(), x);
        continue;
      }
      seen_stamp[j] = id;
      toggle(x, +1);
      work += g.work[x];
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
      if (out_of_time(1 + static_cast<long long>(into[id].size()))) {
        result.status = BoundStatus::time_limit;
        result.reason = "time limit in the layered DP";
        result.pairs = pairs;
        return result;
      }
      double best = inf;
      for (const Transition& t : into[id]) best = std::min(best, std::max(previous[t.from], t.cost));
      next[id] = best;
    }
    std::swap(previous, next);
  }
  const int all = num_downsets - 1;  // V is the last downset found (largest)
  double optimum = previous[all];
  if (!(optimum < inf)) {
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
  p.k = requested_k;
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
