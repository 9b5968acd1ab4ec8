#include "pipecut/partition/downset.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "pipecut/model/constraints.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/model/numeric.hpp"
#include "pipecut/model/reductions.hpp"
#include "pipecut/partition/multilevel.hpp"
#include "pipecut/partition/slicegraph.hpp"
#include "pipecut/util/stopwatch.hpp"
#include "pipecut/util/threads.hpp"
#include "util/bitset_index.hpp"

namespace pipecut {

namespace {

using Word = BitWord;
constexpr double kInf = std::numeric_limits<double>::infinity();

// The searched structure: core units (the caller's units with reducible sinks and islands
// merged in, floating sources taken out) and floating packs (a floating source with its
// reducible sinks), all in CSR form.
struct UnitGraph {
  int count = 0;
  std::vector<int> core_of;  // per node: core unit, -1 for members of floating packs
  std::vector<int> member_begin;
  std::vector<NodeId> members;
  std::vector<double> work, memory;
  std::vector<int> pred_begin, preds, succ_begin, succs;  // distinct core units
  // Floating packs.
  std::vector<int> pack_of;  // per node: its pack, -1 if none
  std::vector<int> pack_member_begin;
  std::vector<NodeId> pack_members;
  std::vector<double> pack_memory;
  std::vector<int> pack_consumer_begin, pack_consumers;  // distinct core units
  std::vector<int> unit_pack_begin, unit_packs;          // per core unit: packs feeding it
  int floating = 0, sinks = 0;

  [[nodiscard]] int packs() const { return static_cast<int>(pack_memory.size()); }
};

// CSR from (key, value) pairs; values per key sorted and distinct.
void build_csr(int keys, std::vector<std::pair<int, int>>& pairs, std::vector<int>& begin,
               std::vector<int>& values) {
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  begin.assign(keys + 1, 0);
  for (const auto& [key, value] : pairs) ++begin[key + 1];
  for (int i = 0; i < keys; ++i) begin[i + 1] += begin[i];
  values.resize(pairs.size());
  for (std::size_t i = 0; i < pairs.size(); ++i) values[i] = pairs[i].second;
}

UnitGraph build_units(const Graph& g, const Constraints& c, const DownsetSearchOptions& options) {
  const int n = g.num_nodes();
  const std::vector<int>& base = options.unit_of.empty() ? c.block_of : options.unit_of;
  if (static_cast<int>(base.size()) != n)
    throw InputError("downset search: unit_of must have one entry per node");
  int base_count = 0;
  for (int u : base) {
    if (u < 0) throw InputError("downset search: negative unit id");
    base_count = std::max(base_count, u + 1);
  }
  // Every block inside one unit, and the unit quotient acyclic (Kahn's algorithm on it).
  if (!options.unit_of.empty()) {
    std::vector<int> unit_of_block(c.num_blocks(), -1);
    for (NodeId v = 0; v < n; ++v) {
      int& u = unit_of_block[c.block_of[v]];
      if (u >= 0 && u != base[v])
        throw InputError("downset search: a unit splits a block of the placement constraints");
      u = base[v];
    }
    std::vector<std::pair<int, int>> edges;
    for (NodeId a = 0; a < n; ++a)
      for (NodeId b : g.successors(a))
        if (base[a] != base[b]) edges.emplace_back(base[a], base[b]);
    std::vector<int> begin, target;
    build_csr(base_count, edges, begin, target);
    std::vector<int> indegree(base_count, 0);
    for (int t : target) ++indegree[t];
    std::vector<int> ready;
    for (int u = 0; u < base_count; ++u)
      if (indegree[u] == 0) ready.push_back(u);
    int seen = 0;
    while (!ready.empty()) {
      const int u = ready.back();
      ready.pop_back();
      ++seen;
      for (int e = begin[u]; e < begin[u + 1]; ++e)
        if (--indegree[target[e]] == 0) ready.push_back(target[e]);
    }
    if (seen != base_count) throw InputError("downset search: the units are not convex");
  }

  const LeafReductions r =
      options.reductions
          ? find_leaf_reductions(
                g, c, options.unit_of.empty() ? std::span<const int>{} : std::span<const int>(base))
          : LeafReductions{std::vector<char>(n, 0), std::vector<NodeId>(n, -1),
                           std::vector<char>(n, 0)};
  UnitGraph u;
  u.floating = r.floating_sources;
  u.sinks = r.reducible_sinks;
  u.pack_of.assign(n, -1);
  std::vector<int> pack_of_source(n, -1);
  for (NodeId s = 0; s < n; ++s)
    if (r.floating_source[s]) {
      pack_of_source[s] = u.packs();
      u.pack_of[s] = u.packs();
      u.pack_memory.push_back(0.0);
    }
  // Where each node goes: a pack, or a base unit (sinks follow their producer, islands the
  // anchor: the base unit of the first node that stays in the core).
  std::vector<int> target_base(n, -1);
  int anchor = -1;
  for (NodeId v = 0; v < n && anchor < 0; ++v)
    if (!r.island[v] && !r.floating_source[v] &&
        !(r.sink_producer[v] >= 0 && r.floating_source[r.sink_producer[v]]))
      anchor = base[r.sink_producer[v] >= 0 ? r.sink_producer[v] : v];
  for (NodeId v = 0; v < n; ++v) {
    if (r.floating_source[v]) continue;
    const NodeId p = r.sink_producer[v];
    if (p >= 0 && r.floating_source[p]) {
      u.pack_of[v] = pack_of_source[p];
    } else if (p >= 0) {
      target_base[v] = base[p];
    } else if (r.island[v]) {
      target_base[v] = anchor;
    } else {
      target_base[v] = base[v];
    }
  }
  // Core units: base units that keep a member, renumbered densely.
  std::vector<int> core_of_base(base_count, -1);
  u.core_of.assign(n, -1);
  for (NodeId v = 0; v < n; ++v) {
    if (target_base[v] < 0) continue;
    int& id = core_of_base[target_base[v]];
    if (id < 0) id = u.count++;
    u.core_of[v] = id;
  }
  u.work.assign(u.count, 0.0);
  u.memory.assign(u.count, 0.0);
  std::vector<std::pair<int, int>> pairs;
  for (NodeId v = 0; v < n; ++v)
    if (u.core_of[v] >= 0) {
      u.work[u.core_of[v]] += g.work[v];
      u.memory[u.core_of[v]] += g.memory[v];
      pairs.emplace_back(u.core_of[v], v);
    }
  build_csr(u.count, pairs, u.member_begin, u.members);
  pairs.clear();
  for (NodeId v = 0; v < n; ++v)
    if (u.pack_of[v] >= 0) {
      u.pack_memory[u.pack_of[v]] += g.memory[v];
      pairs.emplace_back(u.pack_of[v], v);
    }
  build_csr(u.packs(), pairs, u.pack_member_begin, u.pack_members);
  // Edges between core units, and from packs to the core units that consume them.
  std::vector<std::pair<int, int>> forward, backward, consumers, feeds;
  for (NodeId a = 0; a < n; ++a)
    for (NodeId b : g.successors(a)) {
      const int ua = u.core_of[a], ub = u.core_of[b];
      if (ua >= 0 && ub >= 0 && ua != ub) {
        forward.emplace_back(ua, ub);
        backward.emplace_back(ub, ua);
      } else if (ua < 0 && ub >= 0) {
        consumers.emplace_back(u.pack_of[a], ub);
        feeds.emplace_back(ub, u.pack_of[a]);
      }
    }
  build_csr(u.count, forward, u.succ_begin, u.succs);
  build_csr(u.count, backward, u.pred_begin, u.preds);
  build_csr(u.packs(), consumers, u.pack_consumer_begin, u.pack_consumers);
  build_csr(u.count, feeds, u.unit_pack_begin, u.unit_packs);
  return u;
}

// Every downset of the core unit DAG as a bitset, with a Zobrist hash and an open-addressing
// index. Ids are assigned breadth first from the empty set, so they grow with size. Beside the
// index, every downset I keeps its *down edges*: for each maximal unit x of I, the id of
// I \ {x}; the stage enumeration walks them and never hashes.
class DownsetTable {
 public:
  explicit DownsetTable(int units) : index_(units) {}
  [[nodiscard]] int size() const { return index_.size(); }
  [[nodiscard]] int words() const { return index_.words(); }
  [[nodiscard]] const Word* bits(int id) const { return index_.bits(id); }
  [[nodiscard]] std::uint64_t hash(int id) const { return index_.hash(id); }
  [[nodiscard]] std::uint64_t key(int unit) const { return index_.key(unit); }
  [[nodiscard]] long long edges() const { return static_cast<long long>(raw_edges_.size()); }

  // Adds I u {x} (given as bits and hash) reached from downset `from`; returns its id.
  int insert(const Word* bits, std::uint64_t h, int from, int x) {
    const int id = index_.insert(bits, h).first;
    if (from >= 0) raw_edges_.push_back({id, x, from});
    return id;
  }
  // Groups the down edges by downset (call once, after the last insert).
  void finish() {
    std::sort(raw_edges_.begin(), raw_edges_.end(), [](const RawEdge& a, const RawEdge& b) {
      return a.id != b.id ? a.id < b.id : a.unit < b.unit;
    });
    down_begin_.assign(size() + 1, 0);
    for (const RawEdge& e : raw_edges_) ++down_begin_[e.id + 1];
    for (int i = 0; i < size(); ++i) down_begin_[i + 1] += down_begin_[i];
    down_unit_.resize(raw_edges_.size());
    down_to_.resize(raw_edges_.size());
    for (std::size_t i = 0; i < raw_edges_.size(); ++i) {
      down_unit_[i] = raw_edges_[i].unit;
      down_to_[i] = raw_edges_[i].from;
    }
    raw_edges_.clear();
    raw_edges_.shrink_to_fit();
    index_.forget_index();
  }
  [[nodiscard]] int down_begin(int id) const { return down_begin_[id]; }
  [[nodiscard]] int down_end(int id) const { return down_begin_[id + 1]; }
  [[nodiscard]] int down_unit(int e) const { return down_unit_[e]; }
  [[nodiscard]] int down_to(int e) const { return down_to_[e]; }
  // The id of I \ {x} for a maximal unit x of I.
  [[nodiscard]] int without(int id, int x) const {
    for (int e = down_begin_[id]; e < down_begin_[id + 1]; ++e)
      if (down_unit_[e] == x) return down_to_[e];
    return -1;
  }

 private:
  struct RawEdge {
    int id, unit, from;
  };
  BitsetIndex index_;
  std::vector<RawEdge> raw_edges_;
  std::vector<int> down_begin_, down_unit_, down_to_;
};

// The stage rebate per core unit (DownsetSearchOptions::rebate). `lower` gives a stage's
// rebated cost from its cost and its units.
struct UnitRebate {
  double amount = 0;
  std::vector<char> rebated, blocking;
  std::vector<double> saving;

  UnitRebate(const UnitGraph& units, const StageRebate& r, int n) : amount(r.amount) {
    if (amount <= 0) return;
    if (static_cast<int>(r.rebated.size()) != n || static_cast<int>(r.blocking.size()) != n ||
        static_cast<int>(r.saving.size()) != n)
      throw InputError("downset search: the stage rebate needs one entry per node");
    rebated.assign(units.count, 0);
    blocking.assign(units.count, 0);
    saving.assign(units.count, 0.0);
    for (NodeId v = 0; v < n; ++v) {
      const int x = units.core_of[v];
      if (r.rebated[v]) {
        // A floating leaf sits wherever its consumers are: its stage's rebate would be unknown.
        if (x < 0 || r.saving[v] < 0)
          throw InputError("downset search: a rebated node is a floating leaf or saves < 0");
        rebated[x] = 1;
        saving[x] += r.saving[v];
      }
      // A blocking node in a floating pack is ignored: that only raises rebates (still a bound).
      if (r.blocking[v] && x >= 0) blocking[x] = 1;
    }
  }

  [[nodiscard]] bool active() const { return amount > 0; }

  [[nodiscard]] double lower(double cost, const std::vector<int>& stage_units) const {
    bool eligible = false;
    double saved = 0;
    for (int x : stage_units) {
      if (blocking[x]) return cost;
      eligible = eligible || rebated[x];
      saved += saving[x];
    }
    return eligible ? cost - std::max(0.0, amount - saved) : cost;
  }
};

// Visits every stage S = I \ J (J a proper sub-downset of I) with w(S) <= limit and memory
// within the capacity, each once, by removing maximal units of I: a unit is tried once per
// branch and skipped for the rest of it (so no removal set repeats), and a unit becomes
// removable when its last successor is removed. S is costed incrementally: tensor u's hyperedge
// {u} + consumers(u) is cut iff 0 < members in S < its size. A branch is pruned when its work
// plus the tensors it must send past I (whose consumers stay outside any stage inside I) exceeds
// the limit: that part of the cost only grows as the branch goes deeper.
class StageEnumerator {
 public:
  StageEnumerator(const Graph& g, const UnitGraph& u, const DownsetTable& table, double limit,
                  double capacity)
      : g_(g),
        u_(u),
        table_(table),
        limit_(limit),
        capacity_(capacity),
        in_removed_(g.num_nodes(), 0),
        edge_size_(g.num_nodes()),
        pack_count_(u.packs(), 0),
        pack_stamp_(u.packs(), -1),
        unit_stamp_(u.count, -1),
        succ_left_(u.count, 0),
        external_of_(u.count, 0.0),
        forbidden_(u.count, 0) {
    for (NodeId v = 0; v < g.num_nodes(); ++v)
      edge_size_[v] = 1 + static_cast<int>(g.successors(v).size());
  }

  long long steps = 0;
  long long visited = 0;  // stages visited within the limit

  // visit(j, cost, removed units) -> false to stop early. `check` is called every few thousand
  // steps and stops the enumeration when it returns true. Returns false if stopped.
  template <class Visit, class Check>
  bool run(int id, Visit&& visit, Check&& check) {
    id_ = current_ = id;
    work_ = cut_ = memory_ = external_ = forbidden_in_ = 0.0;
    arena_.clear();
    frames_.clear();
    removed_.clear();
    for (int e = table_.down_begin(id); e < table_.down_end(id); ++e)
      if (fits(table_.down_unit(e))) arena_.push_back(table_.down_unit(e));
    frames_.push_back({0, static_cast<int>(arena_.size()), 0, -1, id});
    bool completed = true;
    while (!frames_.empty()) {
      if ((++steps & 4095) == 0 && check()) {
        completed = false;
        break;
      }
      const std::size_t top = frames_.size() - 1;
      if (frames_[top].next == frames_[top].end) {
        const Frame f = frames_[top];
        frames_.pop_back();
        for (int i = f.begin; i < f.end; ++i) set_forbidden(arena_[i], false);
        if (f.removed >= 0) {
          restore(f.removed, f.parent);
          set_forbidden(f.removed, true);  // tried: it stays in J for the rest of the parent
        }
        arena_.resize(f.begin);
        continue;
      }
      const int x = arena_[frames_[top].next++];
      if (!fits(x)) {
        set_forbidden(x, true);
        continue;
      }
      const int parent = current_;
      remove(x);
      const int begin = static_cast<int>(arena_.size());
      if (work_ + external_ + forbidden_in_ <= limit_) {
        // The child branch: the candidates after x, then the units x's removal freed.
        const int from = frames_[top].next, to = frames_[top].end;
        for (int i = from; i < to; ++i) arena_.push_back(arena_[i]);
        for (int e = u_.pred_begin[x]; e < u_.pred_begin[x + 1]; ++e) {
          const int p = u_.preds[e];
          if (successors_left(p) == 0 && fits(p)) arena_.push_back(p);
        }
      }
      frames_.push_back({begin, static_cast<int>(arena_.size()), begin, x, parent});
      const double cost = work_ + cut_;
      if (cost <= limit_ && (++visited, !visit(current_, cost, removed_))) {
        completed = false;
        break;
      }
    }
    // Undo whatever is still removed (early stop).
    while (!frames_.empty()) {
      const Frame f = frames_.back();
      for (int i = f.begin; i < f.end; ++i) set_forbidden(arena_[i], false);
      if (f.removed >= 0) restore(f.removed, f.parent);
      frames_.pop_back();
    }
    return completed;
  }

 private:
  struct Frame {
    int begin, end, next;
    int removed;  // the unit whose removal opened this frame, -1 for the root
    int parent;   // the downset before that removal
  };

  // Successors of unit x still in the current set, counted from I on first use in this run.
  int& successors_left(int x) {
    if (unit_stamp_[x] != id_) {
      unit_stamp_[x] = id_;
      const Word* outer = table_.bits(id_);
      int count = 0;
      for (int e = u_.succ_begin[x]; e < u_.succ_begin[x + 1]; ++e)
        count += test_bit(outer, u_.succs[e]);
      succ_left_[x] = count;
      external_of_[x] = external(x);
    }
    return succ_left_[x];
  }
  [[nodiscard]] bool fits(int x) const {
    return work_ + external_ + forbidden_in_ + u_.work[x] <= limit_ &&
           fits_capacity(memory_ + u_.memory[x], capacity_);
  }
  void toggle(NodeId x, int delta) {
    auto update = [&](NodeId t) {
      const int before = in_removed_[t];
      const bool was_cut = before > 0 && before < edge_size_[t];
      in_removed_[t] = before + delta;
      const bool now_cut = in_removed_[t] > 0 && in_removed_[t] < edge_size_[t];
      if (was_cut != now_cut) cut_ += now_cut ? g_.comm[t] : -g_.comm[t];
      return before;
    };
    update(x);
    for (NodeId p : g_.predecessors(x)) {
      const int before = update(p);
      // A tried unit stays in J: the stage receives its tensor whatever is removed later.
      const int unit = u_.core_of[p];
      if (unit >= 0 && forbidden_[unit] && (before == 0) != (in_removed_[p] == 0))
        forbidden_in_ += in_removed_[p] > 0 ? g_.comm[p] : -g_.comm[p];
    }
  }
  // Marks unit x as tried in the current branch (or clears the mark), with the tensors it sends
  // into the current stage.
  void set_forbidden(int x, bool on) {
    if (forbidden_[x] == on) return;
    forbidden_[x] = on;
    for (int i = u_.member_begin[x]; i < u_.member_begin[x + 1]; ++i) {
      const NodeId t = u_.members[i];
      if (in_removed_[t] > 0) forbidden_in_ += on ? g_.comm[t] : -g_.comm[t];
    }
  }
  void toggle_pack(int pack, int delta) {
    for (int i = u_.pack_member_begin[pack]; i < u_.pack_member_begin[pack + 1]; ++i)
      toggle(u_.pack_members[i], delta);
    memory_ += delta * u_.pack_memory[pack];
  }
  // Comm of the members of x whose tensor has a consumer outside I (core nodes only: their
  // consumers are core nodes).
  [[nodiscard]] double external(int x) const {
    const Word* outer = table_.bits(id_);
    double sum = 0;
    for (int i = u_.member_begin[x]; i < u_.member_begin[x + 1]; ++i) {
      const NodeId t = u_.members[i];
      for (NodeId y : g_.successors(t))
        if (!test_bit(outer, u_.core_of[y])) {
          sum += g_.comm[t];
          break;
        }
    }
    return sum;
  }
  void remove(int x) {
    current_ = table_.without(current_, x);
    work_ += u_.work[x];
    memory_ += u_.memory[x];
    successors_left(x);  // makes external_of_[x] current
    external_ += external_of_[x];
    for (int e = u_.pred_begin[x]; e < u_.pred_begin[x + 1]; ++e) --successors_left(u_.preds[e]);
    removed_.push_back(x);
    for (int i = u_.member_begin[x]; i < u_.member_begin[x + 1]; ++i) toggle(u_.members[i], +1);
    // A floating source leaves with the last of its consumer units.
    for (int e = u_.unit_pack_begin[x]; e < u_.unit_pack_begin[x + 1]; ++e) {
      const int pack = u_.unit_packs[e];
      if (pack_stamp_[pack] != id_) {  // consumer units in I, counted on first use
        pack_stamp_[pack] = id_;
        int count = 0;
        for (int c = u_.pack_consumer_begin[pack]; c < u_.pack_consumer_begin[pack + 1]; ++c)
          count += test_bit(table_.bits(id_), u_.pack_consumers[c]);
        pack_count_[pack] = count;
      }
      if (--pack_count_[pack] == 0) toggle_pack(pack, +1);
    }
  }
  void restore(int x, int parent) {
    for (int e = u_.unit_pack_begin[x]; e < u_.unit_pack_begin[x + 1]; ++e) {
      const int pack = u_.unit_packs[e];
      if (pack_count_[pack]++ == 0) toggle_pack(pack, -1);
    }
    for (int i = u_.member_begin[x]; i < u_.member_begin[x + 1]; ++i) toggle(u_.members[i], -1);
    for (int e = u_.pred_begin[x]; e < u_.pred_begin[x + 1]; ++e) ++succ_left_[u_.preds[e]];
    work_ -= u_.work[x];
    memory_ -= u_.memory[x];
    external_ -= external_of_[x];
    removed_.pop_back();
    current_ = parent;
  }

  const Graph& g_;
  const UnitGraph& u_;
  const DownsetTable& table_;
  double limit_, capacity_;
  std::vector<int> in_removed_, edge_size_;
  std::vector<int> pack_count_, pack_stamp_;
  std::vector<int> unit_stamp_, succ_left_;
  std::vector<double> external_of_;
  std::vector<char> forbidden_;  // per unit: tried in the current branch, so it stays in J
  double forbidden_in_ = 0;      // comm of the tensors tried units send into the stage
  int id_ = 0, current_ = 0;
  double work_ = 0, cut_ = 0, memory_ = 0, external_ = 0;
  std::vector<int> arena_;
  std::vector<Frame> frames_;
  std::vector<int> removed_;
};

}  // namespace

DownsetSearchResult downset_search(const Graph& graph, int k, const DownsetSearchOptions& options) {
  if (k < 1) throw InputError("k must be at least 1 (got " + std::to_string(k) + ")");
  // Stage costs are summed incrementally (added and taken off again): on exact costs
  // (model/numeric.hpp) every such sum is exact, so the optimum found is the view's exactly. A
  // rebate is computed by the caller from its graph's costs, which must then already be exact.
  const bool rebated = options.rebate.amount > 0;
  const ExactCosts exact(graph, rebated ? kInf : comm_cap(graph, options.incumbent));
  if (rebated && exact.changed())
    throw std::logic_error("downset search: a stage rebate needs a graph with exact costs");
  const Graph& g = exact.graph();
  const Stopwatch timer;
  DownsetSearchResult result;
  auto out_of_time = [&] {
    return timer.exceeded(options.time_limit_seconds) || stop_requested(options.stop);
  };
  const Constraints constraints = derive_constraints(g);
  if (auto proof = infeasibility_proof(g, constraints, k)) {
    result.status = DownsetStatus::infeasible;
    result.stop = DownsetStop::infeasible;
    result.reason = *proof;
    return result;
  }
  const UnitGraph units = build_units(g, constraints, options);
  const UnitRebate rebate(units, options.rebate, g.num_nodes());
  result.units = units.count;
  result.floating_sources = units.floating;
  result.reduced_sinks = units.sinks;
  const double capacity = constraints.capacity.value_or(kInf);

  // An upper bound on the optimum restricts the stages worth enumerating.
  double upper = options.incumbent;
  // The warm start may be returned as optimal below: only a valid one for this k will do.
  std::optional<Partition> fallback;
  if (options.warm_start && options.warm_start->k == k &&
      !partition_problem(g, *options.warm_start) && !constraint_violation(g, *options.warm_start))
    fallback = options.warm_start;
  if (!(upper < kInf)) {
    // Sliced with the units as colour classes, so that the incumbent keeps them whole.
    SliceGraphResult sliced =
        options.unit_of.empty()
            ? slice_default_order(g, k, out_of_time)
            : slice_default_order(
                  with_clusters_as_classes(
                      g, ClusterLevel{options.unit_of,
                                      static_cast<int>(std::ranges::max(options.unit_of)) + 1}),
                  k, out_of_time);
    if (sliced.feasible) {
      upper = sliced.bottleneck;
      fallback = sliced.partition;
    }
  }
  const bool have_upper = upper < kInf;
  // The incumbent may come from a costlier graph than the view (rounded sums, or costs above
  // the view's): widened a little, a stage that costs it is enumerated in any case.
  const double limit = have_upper ? upper * (1 + 1e-9) : kInf;
  // More stages than units cannot help.
  const int stages = std::min(k, std::max(1, units.count));
  const int layers = stages + 1;

  // 1. Downsets, breadth first.
  DownsetTable table(units.count);
  const int words = table.words();
  const double bytes_per_downset = 8.0 * words + 8.0 * layers + 8.0 + 8.0 + 4.0;
  const long long downset_limit =
      std::min<long long>(options.downset_limit,
                          static_cast<long long>(options.memory_limit_bytes / bytes_per_downset));
  // Work of each downset and the comm of the tensors it sends out (produced inside, consumed
  // outside; floating sources left out, which only lowers it).
  std::vector<double> downset_work(1, 0.0), downset_cut(1, 0.0);
  std::vector<int> downset_size(1, 0);
  {
    std::vector<Word> scratch(words, 0);
    std::vector<int> stamp(g.num_nodes(), -1);
    int stamp_id = 0;
    auto sends_out = [&](NodeId t) {
      for (NodeId y : g.successors(t))
        if (!test_bit(scratch.data(), units.core_of[y])) return true;
      return false;
    };
    // Each downset's ready units (not in it, every predecessor in it), kept for the downsets of
    // the size being expanded and the next: a child's are its parent's, minus the unit added,
    // plus that unit's successors that it completes.
    std::vector<std::vector<int>> ready_of;  // by id - ready_base
    int ready_base = 0;
    {
      std::vector<int> sources;
      for (int x = 0; x < units.count; ++x)
        if (units.pred_begin[x] == units.pred_begin[x + 1]) sources.push_back(x);
      ready_of.push_back(std::move(sources));
    }
    table.insert(scratch.data(), 0, -1, -1);
    for (int id = 0; id < table.size(); ++id) {
      if (table.size() > downset_limit ||
          static_cast<double>(table.edges()) * 8.0 >
              options.memory_limit_bytes - bytes_per_downset * table.size()) {
        result.stop =
            table.size() > downset_limit ? DownsetStop::downset_limit : DownsetStop::memory_budget;
        result.reason = table.size() > downset_limit
                            ? "more than " + std::to_string(downset_limit) + " downsets"
                            : "downsets beyond the memory budget";
        result.downsets = table.size();
        return result;
      }
      if ((id & 1023) == 0 && out_of_time()) {
        result.status = DownsetStatus::time_limit;
        result.stop = DownsetStop::enumeration_time;
        result.reason = "time limit while enumerating downsets";
        result.downsets = table.size();
        return result;
      }
      std::memcpy(scratch.data(), table.bits(id), sizeof(Word) * words);
      const std::uint64_t h = table.hash(id);
      // Downsets of smaller sizes are done: drop their ready lists.
      if (id > 0 && downset_size[id] != downset_size[id - 1]) {
        const int keep_from = id;
        ready_of.erase(ready_of.begin(), ready_of.begin() + (keep_from - ready_base));
        ready_base = keep_from;
      }
      const std::vector<int> ready = ready_of[id - ready_base];
      for (int x : ready) {
        flip_bit(scratch.data(), x);
        const int before = table.size();
        table.insert(scratch.data(), h ^ table.key(x), id, x);
        if (table.size() > before) {
          std::vector<int> child;
          child.reserve(ready.size() + 4);
          for (int y : ready)
            if (y != x) child.push_back(y);
          for (int e = units.succ_begin[x]; e < units.succ_begin[x + 1]; ++e) {
            const int y = units.succs[e];
            bool complete = true;
            for (int f = units.pred_begin[y]; f < units.pred_begin[y + 1] && complete; ++f)
              complete = test_bit(scratch.data(), units.preds[f]);
            if (complete) child.push_back(y);
          }
          ready_of.push_back(std::move(child));
          double cut = downset_cut[id];
          ++stamp_id;
          for (int i = units.member_begin[x]; i < units.member_begin[x + 1]; ++i) {
            const NodeId t = units.members[i];
            if (sends_out(t)) cut += g.comm[t];
            for (NodeId u : g.predecessors(t)) {
              const int pu = units.core_of[u];
              if (pu < 0 || pu == x || stamp[u] == stamp_id) continue;
              stamp[u] = stamp_id;
              if (!sends_out(u)) cut -= g.comm[u];  // x held its last consumer outside
            }
          }
          downset_work.push_back(downset_work[id] + units.work[x]);
          downset_size.push_back(downset_size[id] + 1);
          downset_cut.push_back(std::max(0.0, cut));
        }
        flip_bit(scratch.data(), x);
      }
    }
    table.finish();
  }
  const int num_downsets = table.size();
  result.downsets = num_downsets;
  // Ids of each size form a range (breadth-first order): size_begin[s] is the first of size s.
  std::vector<int> size_begin(downset_size.back() + 2, num_downsets);
  for (int id = num_downsets - 1; id >= 0; --id) size_begin[downset_size[id]] = id;

  // 2. F_b(I) for b = 0..stages, downsets in id order (every J < I has a smaller id). Only
  //    values within the limit matter (the optimum is within it), so each downset keeps the
  //    first layer whose value is within it (`need`), and a stage is skipped without reading
  //    F(J) when its cost cannot beat the row built so far. The row is kept non-increasing in b
  //    as it is built (an extra stage may stay empty), so it is final once every J is seen.
  std::vector<double> F(static_cast<std::size_t>(num_downsets) * layers, kInf);
  std::vector<int> need(num_downsets, layers);
  for (int b = 0; b < layers; ++b) F[b] = 0.0;
  need[0] = 0;
  // Layers worth computing: the stages before I send its outgoing tensors and the stages after
  // receive them, so with every stage within the limit, b >= (w(I) + cut(I)) / limit and
  // stages - b >= (w(V \ I) + cut(I)) / limit. A downset with no such layer is never part of a
  // chain within the limit: its stages are not enumerated. `last` holds the largest layer.
  // A rebate is at most what its stage receives, except in the one stage that may hold the
  // rebate's source (docs/bounds.md): the loads lose one amount.
  const double total_work = downset_work.back();
  auto stages_for = [&](double load) {
    if (!(limit < kInf)) return 0;
    const double x = load / limit * (1 - 1e-9) - 1e-12;
    // A limit near 0 (an incumbent of 0) makes x huge, or NaN for 0 / 0: any value above
    // `stages` means the same, and a NaN load needs no stage.
    return !(x > 0) ? 0 : static_cast<int>(std::ceil(std::min(x, 1e9)));
  };
  std::vector<int> last(num_downsets, stages);
  for (int id = 0; id < num_downsets; ++id)
    last[id] = stages - stages_for(total_work - downset_work[id] + downset_cut[id] - rebate.amount);
  const int threads = resolve_threads(options.threads);
  std::vector<StageEnumerator> enumerators;
  // With a rebate, a stage up to one amount above the limit may get within it.
  const double stage_limit = limit + rebate.amount;
  for (int t = 0; t < threads; ++t)
    enumerators.emplace_back(g, units, table, stage_limit, capacity);
  // Under a time limit, a sample of downsets (evenly spread over the sizes) estimates the time
  // the stages will take; the search gives up at once when the estimate is far beyond what is
  // left, so that the time goes to other methods.
  if (options.time_limit_seconds > 0 && num_downsets > 4096) {
    const int samples = 64;
    const Stopwatch sampling;
    long long sampled_pairs = 0;
    for (int i = 1; i <= samples; ++i) {
      const int id = static_cast<int>(static_cast<long long>(num_downsets - 1) * i / (samples + 1));
      enumerators[0].run(
          id, [&](int, double, const std::vector<int>&) { return ++sampled_pairs > 0; },
          [] { return false; });
    }
    const double estimate = sampling.seconds() / samples * num_downsets / threads;
    const double left = options.time_limit_seconds - timer.seconds();
    if (estimate > 3 * left) {
      result.stop = DownsetStop::stage_time_estimate;
      result.reason = "estimated " + std::to_string(static_cast<long long>(estimate)) +
                      " s to cost the stages of " + std::to_string(num_downsets) + " downsets";
      result.pairs = sampled_pairs;
      return result;
    }
  }
  // Downsets of one size depend only on smaller ones: each size is shared among the threads.
  // Every row is computed by the same sums whatever thread computes it, so the result does not
  // depend on the number of threads.
  std::atomic<long long> pairs{0};
  std::atomic<DownsetStop> failure{DownsetStop::none};  // pair_limit or stage_time
  // With a floor (a lower bound on the optimum), a layer whose value is at most the floor is
  // settled: lowering it further cannot change the optimum (docs/bounds.md).
  const double floor = options.floor > 0 ? options.floor : -kInf;
  auto compute_row = [&](int id, StageEnumerator& enumerator, std::vector<double>& row) {
    std::fill(row.begin(), row.end(), kInf);
    const int lowest = stages_for(downset_work[id] + downset_cut[id] - rebate.amount);
    if (lowest > last[id]) return;
    int settled = layers;  // the row is non-increasing: layers from here are at most the floor
    bool all_settled = false;
    auto improve = [&](int b, double value) {
      if (value <= floor) settled = std::min(settled, b);
      for (; b < layers && value < row[b]; ++b) row[b] = value;
    };
    const bool completed = enumerator.run(
        id,
        [&](int j, double cost, const std::vector<int>& stage_units) {
          if (rebate.active()) {
            cost = rebate.lower(cost, stage_units);
            if (cost > limit) return true;
          }
          if (options.pair_limit > 0 &&
              pairs.fetch_add(1, std::memory_order_relaxed) >= options.pair_limit) {
            failure = DownsetStop::pair_limit;
            return false;
          }
          const int first = need[j] + 1, end = std::min(layers, last[j] + 2);
          if (first >= end || first >= settled || cost >= row[first]) return true;
          const double* from = &F[static_cast<std::size_t>(j) * layers];
          for (int b = first; b < end; ++b) {
            if (from[b - 1] <= cost) {  // F_{b-1}(J) only falls with b: cost decides from here
              improve(b, cost);
              break;
            }
            improve(b, from[b - 1]);
          }
          if (settled <= std::max(1, lowest)) {  // every layer that can hold I is settled
            all_settled = true;
            return false;
          }
          return true;
        },
        [&] { return failure != DownsetStop::none || out_of_time(); });
    if (!completed && !all_settled) {
      DownsetStop none = DownsetStop::none;
      failure.compare_exchange_strong(none, DownsetStop::stage_time);
      return;
    }
    std::copy(row.begin() + 1, row.end(), F.begin() + static_cast<std::ptrdiff_t>(id) * layers + 1);
    for (int b = 1; b < layers; ++b)
      if (row[b] <= limit && row[b] < kInf) {
        need[id] = b;
        break;
      }
  };
  std::vector<std::vector<double>> rows(threads, std::vector<double>(layers));
  for (std::size_t size = 1; size + 1 < size_begin.size() && failure == DownsetStop::none; ++size) {
    const int lo = size_begin[size], hi = size_begin[size + 1];
    const int workers = std::min(threads, (hi - lo) / 16);
    if (workers <= 1) {
      for (int id = lo; id < hi && failure == DownsetStop::none; ++id)
        compute_row(id, enumerators[0], rows[0]);
      continue;
    }
    std::atomic<int> next{lo};
    std::vector<std::thread> pool;
    for (int t = 0; t < workers; ++t)
      pool.emplace_back([&, t] {
        for (int id = next++; id < hi && failure == DownsetStop::none; id = next++)
          compute_row(id, enumerators[t], rows[t]);
      });
    for (std::thread& th : pool) th.join();
  }
  long long visited = 0;
  for (const StageEnumerator& e : enumerators) visited += e.visited;
  result.pairs = visited;
  result.stop = failure;
  if (failure == DownsetStop::pair_limit) {
    result.reason = "more than " + std::to_string(options.pair_limit) + " (downset, stage) pairs";
    return result;
  }
  if (failure == DownsetStop::stage_time) {
    result.status = DownsetStatus::time_limit;
    result.reason = "time limit while costing stages";
    return result;
  }

  const int all = num_downsets - 1;  // V: the only downset of the last size
  const double optimum = F[static_cast<std::size_t>(all) * layers + stages];
  // Values above the limit were never computed (they are above the incumbent): cap them. With
  // no incumbent every value was computed (+inf: no chain of that many stages).
  result.cap = have_upper ? upper : kInf;
  result.capped_optimum_by_stages.assign(layers, kInf);
  for (int b = 1; b < layers; ++b) {
    const double value = F[static_cast<std::size_t>(all) * layers + b];
    result.capped_optimum_by_stages[b] = !have_upper      ? value
                                         : value <= limit ? std::min(value, upper)
                                                          : upper;
  }
  if (!(optimum <= limit && optimum < kInf)) {
    if (!have_upper) {
      result.status = DownsetStatus::infeasible;
      result.stop = DownsetStop::infeasible;
      result.reason = "the exact downset DP found no chain of at most " + std::to_string(k) +
                      " stages that " + constraints_phrase(g);
      return result;
    }
    // Nothing below the incumbent (only possible by rounding): the incumbent is optimal.
    result.status = DownsetStatus::optimal;
    result.bottleneck = upper;
    result.partition = fallback;
    if (fallback) result.partition_bottleneck = evaluate_partition(graph, *fallback).bottleneck;
    return result;
  }

  // 3. Reconstruct: from V with all stages, find a stage that attains F (the enumeration
  //    repeats the same floating-point sums, so the value is met exactly).
  std::vector<int> unit_stage(units.count, -1);
  int id = all, b = stages;
  while (id != 0) {
    const double* values = &F[static_cast<std::size_t>(id) * layers];
    if (b > 1 && values[b] == values[b - 1]) {
      --b;
      continue;
    }
    int next = -1;
    enumerators[0].run(
        id,
        [&](int j, double cost, const std::vector<int>& removed) {
          if (rebate.active()) cost = rebate.lower(cost, removed);
          if (std::max(F[static_cast<std::size_t>(j) * layers + b - 1], cost) > values[b])
            return true;
          next = j;
          for (int x : removed) unit_stage[x] = b - 1;
          return false;
        },
        [] { return false; });
    // The enumeration repeats the DP's exact sums: a stage attaining F is always found.
    if (next < 0) throw std::logic_error("downset search: reconstruction failed");
    id = next;
    --b;
  }
  Partition p;
  p.k = k;
  p.stage_of.assign(g.num_nodes(), 0);
  for (NodeId v = 0; v < g.num_nodes(); ++v)
    if (units.core_of[v] >= 0) p.stage_of[v] = unit_stage[units.core_of[v]];
  for (int pack = 0; pack < units.packs(); ++pack) {
    int stage = stages;
    for (int e = units.pack_consumer_begin[pack]; e < units.pack_consumer_begin[pack + 1]; ++e)
      stage = std::min(stage, unit_stage[units.pack_consumers[e]]);
    for (int i = units.pack_member_begin[pack]; i < units.pack_member_begin[pack + 1]; ++i)
      p.stage_of[units.pack_members[i]] = stage;
  }
  result.status = DownsetStatus::optimal;
  result.bottleneck = optimum;
  result.partition_bottleneck = evaluate_partition(graph, p).bottleneck;
  result.partition = std::move(p);
  return result;
}

}  // namespace pipecut
