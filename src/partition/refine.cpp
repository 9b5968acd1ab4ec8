#include "pipecut/partition/refine.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <span>

#include "pipecut/model/error.hpp"
#include "pipecut/util/stopwatch.hpp"

namespace pipecut {

namespace {

// A unit moving to a stage; `to` may be the spare slot that stands for a new stage.
struct UnitMove {
  int unit;
  int to;
};

class Refiner {
 public:
  Refiner(const Graph& g, const Constraints& c, const Partition& start,
          const RefineOptions& options, const std::vector<int>& unit_of)
      : g_(g), c_(c), options_(options), k_(start.k), unit_of_(unit_of) {
    const int n = g.num_nodes();
    if (unit_of_.empty()) unit_of_ = c.block_of;
    int units = 0;
    for (int u : unit_of_) units = std::max(units, u + 1);
    unit_begin_.assign(units + 1, 0);
    for (NodeId v = 0; v < n; ++v) ++unit_begin_[unit_of_[v] + 1];
    for (int u = 0; u < units; ++u) unit_begin_[u + 1] += unit_begin_[u];
    unit_nodes_.resize(n);
    std::vector<int> fill(unit_begin_.begin(), unit_begin_.end() - 1);
    for (NodeId v = 0; v < n; ++v) unit_nodes_[fill[unit_of_[v]]++] = v;
    unit_work_.assign(units, 0.0);
    unit_memory_.assign(units, 0.0);
    for (NodeId v = 0; v < n; ++v) {
      unit_work_[unit_of_[v]] += g.work[v];
      unit_memory_[unit_of_[v]] += g.memory[v];
    }
    // Stages renumbered 0..used-1 in pipeline order (empty stages dropped); the slot `used`
    // stands for a new stage while fewer than k are in use.
    std::vector<int> labels(start.stage_of);
    std::sort(labels.begin(), labels.end());
    labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
    used_ = static_cast<int>(labels.size());
    stage_.resize(n);
    for (NodeId v = 0; v < n; ++v)
      stage_[v] = static_cast<int>(
          std::lower_bound(labels.begin(), labels.end(), start.stage_of[v]) - labels.begin());
    mark_.assign(n, 0);
    recompute();
  }

  RefineResult run() {
    const Stopwatch timer;
    RefineResult result;
    long long since_recompute = 0;
    // Every applied move lowers the sorted vector of stage costs, so the search ends; the cap
    // only guards against floating-point rounding undoing that argument.
    const long long max_moves = 50LL * g_.num_nodes() + 1000;
    while (result.moves < max_moves) {
      if (timer.exceeded(options_.time_limit_seconds) || stop_requested(options_.stop)) {
        result.hit_time_limit = true;
        break;
      }
      if (!improve_once()) break;
      ++result.moves;
      if (++since_recompute == 256) {  // keep the incremental sums from drifting
        recompute();
        since_recompute = 0;
      }
    }
    result.partition.k = k_;
    result.partition.stage_of = stage_;
    result.bottleneck = evaluate_partition(g_, result.partition).bottleneck;
    return result;
  }

 private:
  [[nodiscard]] int units() const { return static_cast<int>(unit_work_.size()); }
  [[nodiscard]] std::span<const NodeId> members(int u) const {
    return {unit_nodes_.data() + unit_begin_[u], unit_nodes_.data() + unit_begin_[u + 1]};
  }
  [[nodiscard]] int unit_stage(int u) const { return stage_[unit_nodes_[unit_begin_[u]]]; }
  [[nodiscard]] int spare() const { return used_; }

  void recompute() {
    cost_.assign(used_ + 1, 0.0);
    memory_.assign(used_ + 1, 0.0);
    stage_units_.assign(used_ + 1, {});
    for (int u = 0; u < units(); ++u) stage_units_[unit_stage(u)].push_back(u);
    for (NodeId v = 0; v < g_.num_nodes(); ++v) {
      cost_[stage_[v]] += g_.work[v];
      memory_[stage_[v]] += g_.memory[v];
    }
    std::vector<int> receivers;
    for (NodeId x = 0; x < g_.num_nodes(); ++x) {
      receivers.clear();
      for (NodeId y : g_.successors(x))
        if (stage_[y] != stage_[x]) receivers.push_back(stage_[y]);
      if (receivers.empty()) continue;
      std::sort(receivers.begin(), receivers.end());
      receivers.erase(std::unique(receivers.begin(), receivers.end()), receivers.end());
      cost_[stage_[x]] += g_.comm[x];
      for (int r : receivers) cost_[r] += g_.comm[x];
    }
  }

  // Stage of y once `moves` are applied.
  [[nodiscard]] int moved_stage(NodeId y, std::span<const UnitMove> moves) const {
    for (const UnitMove& m : moves)
      if (unit_of_[y] == m.unit) return m.to;
    return stage_[y];
  }

  // Adds the cost changes of one tensor to deltas_.
  void tensor_delta(NodeId x, std::span<const UnitMove> moves) {
    const int sender_before = stage_[x];
    const int sender_after = moved_stage(x, moves);
    before_.clear();
    after_.clear();
    for (NodeId y : g_.successors(x)) {
      if (stage_[y] != sender_before) before_.push_back(stage_[y]);
      const int s = moved_stage(y, moves);
      if (s != sender_after) after_.push_back(s);
    }
    for (std::vector<int>* list : {&before_, &after_}) {
      std::sort(list->begin(), list->end());
      list->erase(std::unique(list->begin(), list->end()), list->end());
    }
    const double c = g_.comm[x];
    if (c == 0) return;
    if (!before_.empty()) deltas_.emplace_back(sender_before, -c);
    for (int r : before_) deltas_.emplace_back(r, -c);
    if (!after_.empty()) deltas_.emplace_back(sender_after, c);
    for (int r : after_) deltas_.emplace_back(r, c);
  }

  // The costliest changed stage before and after `moves` (O(degree of the moved units)), and
  // whether the moves fit the capacity. Stages whose cost does not change are left out: they
  // cannot decide whether the potential goes down.
  bool evaluate(std::span<const UnitMove> moves, double& max_before, double& max_after) {
    deltas_.clear();
    ++stamp_;
    for (const UnitMove& m : moves) {
      const int from = unit_stage(m.unit);
      deltas_.emplace_back(from, -unit_work_[m.unit]);
      deltas_.emplace_back(m.to, unit_work_[m.unit]);
      for (NodeId x : members(m.unit)) {
        if (mark_[x] != stamp_) {
          mark_[x] = stamp_;
          tensor_delta(x, moves);
        }
        for (NodeId p : g_.predecessors(x))
          if (mark_[p] != stamp_) {
            mark_[p] = stamp_;
            tensor_delta(p, moves);
          }
      }
    }
    if (c_.capacity) {
      std::vector<std::pair<int, double>>& memory_change = memory_deltas_;
      memory_change.clear();
      for (const UnitMove& m : moves) {
        memory_change.emplace_back(unit_stage(m.unit), -unit_memory_[m.unit]);
        memory_change.emplace_back(m.to, unit_memory_[m.unit]);
      }
      std::sort(memory_change.begin(), memory_change.end());
      for (std::size_t i = 0; i < memory_change.size();) {
        const int s = memory_change[i].first;
        double change = 0;
        for (; i < memory_change.size() && memory_change[i].first == s; ++i)
          change += memory_change[i].second;
        if (change > 0 && !fits_capacity(memory_[s] + change, *c_.capacity)) return false;
      }
    }
    std::sort(deltas_.begin(), deltas_.end());
    max_before = max_after = 0;
    bool changed = false;
    for (std::size_t i = 0; i < deltas_.size();) {
      const int s = deltas_[i].first;
      double change = 0;
      for (; i < deltas_.size() && deltas_[i].first == s; ++i) change += deltas_[i].second;
      if (std::abs(change) <= 1e-12 * cost_[s]) continue;
      changed = true;
      max_before = std::max(max_before, cost_[s]);
      max_after = std::max(max_after, cost_[s] + change);
    }
    return changed;
  }

  static bool improves(double max_before, double max_after) {
    return max_after < max_before * (1 - 1e-9);
  }

  // Whether unit u may leave its stage forwards (no consumer outside u stays in its stage) or
  // backwards (no producer outside u stays in its stage). `except` is a unit that moves the
  // other way at the same time (a swap partner).
  [[nodiscard]] bool can_leave(int u, bool forward, int except = -1) const {
    const int from = unit_stage(u);
    for (NodeId x : members(u)) {
      for (NodeId y : forward ? g_.successors(x) : g_.predecessors(x)) {
        if (unit_of_[y] == u) continue;
        if (unit_of_[y] == except) return false;  // the partner would end up on the wrong side
        if (stage_[y] == from) return false;
      }
    }
    return true;
  }

  // Applies `moves`, whose cost changes the last evaluate(moves) left in deltas_.
  void apply(std::span<const UnitMove> moves) {
    for (const auto& [s, change] : deltas_) cost_[s] += change;
    for (const UnitMove& m : moves) {
      const int from = unit_stage(m.unit);
      memory_[from] -= unit_memory_[m.unit];
      memory_[m.to] += unit_memory_[m.unit];
      auto& list = stage_units_[from];
      list.erase(std::find(list.begin(), list.end(), m.unit));
      stage_units_[m.to].push_back(m.unit);
    }
    for (const UnitMove& m : moves)
      for (NodeId x : members(m.unit)) stage_[x] = m.to;
  }

  // Renumbers stages so that the spare slot becomes a real stage right after `after` (or before
  // stage 0 when after = -1), and empty stages disappear. O(n + k); happens at most a few times.
  void renumber(int after) {
    std::vector<int> label(used_ + 1, -1);
    int next = 0;
    if (after < 0 && !stage_units_[spare()].empty()) label[spare()] = next++;
    for (int s = 0; s < used_; ++s) {
      if (!stage_units_[s].empty()) label[s] = next++;
      if (s == after && !stage_units_[spare()].empty()) label[spare()] = next++;
    }
    for (NodeId v = 0; v < g_.num_nodes(); ++v) stage_[v] = label[stage_[v]];
    used_ = next;
    recompute();
  }

  // One improving move or swap, costliest stages first; false when there is none.
  bool improve_once() {
    std::vector<int> order(used_);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int a, int b) { return cost_[a] > cost_[b]; });
    const bool can_open = used_ < k_;
    for (int s : order) {
      UnitMove best{-1, -1};
      double best_after = 0, best_before = 0;
      bool best_opens = false;
      int best_after_stage = 0;
      for (int u : stage_units_[s]) {
        for (int direction : {+1, -1}) {
          const bool forward = direction > 0;
          const bool has_neighbour = forward ? s + 1 < used_ : s > 0;
          if (!has_neighbour && !can_open) continue;
          if (!can_leave(u, forward)) continue;
          for (int opening = 0; opening <= 1; ++opening) {
            if (opening ? !can_open : !has_neighbour) continue;
            const UnitMove move{u, opening ? spare() : s + direction};
            double before = 0, after = 0;
            if (!evaluate({&move, 1}, before, after) || !improves(before, after)) continue;
            if (best.unit < 0 || after < best_after ||
                (after == best_after && before > best_before)) {
              best = move;
              best_after = after;
              best_before = before;
              best_opens = opening;
              best_after_stage = forward ? s : s - 1;
            }
          }
        }
      }
      if (best.unit >= 0) {
        double before = 0, after = 0;
        evaluate({&best, 1}, before, after);
        apply({&best, 1});
        if (best_opens || stage_units_[s].empty()) renumber(best_opens ? best_after_stage : used_);
        return true;
      }
      if (options_.swaps && try_swap(s)) return true;
    }
    return false;
  }

  // The best improving swap of a unit of stage s with one of a neighbouring stage, among the
  // heaviest movable units on each side (a cap keeps this from going quadratic).
  bool try_swap(int s) {
    constexpr std::size_t kCandidates = 24;
    auto movable = [&](int stage, bool forward, int except) {
      std::vector<int> list;
      for (int u : stage_units_[stage])
        if (can_leave(u, forward, except)) list.push_back(u);
      std::sort(list.begin(), list.end(),
                [&](int a, int b) { return unit_work_[a] > unit_work_[b]; });
      if (list.size() > kCandidates) list.resize(kCandidates);
      return list;
    };
    std::array<UnitMove, 2> best{UnitMove{-1, -1}, UnitMove{-1, -1}};
    double best_after = 0;
    for (int other : {s - 1, s + 1}) {
      if (other < 0 || other >= used_) continue;
      const int early = std::min(s, other), late = std::max(s, other);
      for (int a : movable(early, true, -1))
        for (int b : movable(late, false, -1)) {
          if (!can_leave(a, true, b) || !can_leave(b, false, a)) continue;
          const std::array<UnitMove, 2> moves{UnitMove{a, late}, UnitMove{b, early}};
          double before = 0, after = 0;
          if (!evaluate(moves, before, after) || !improves(before, after)) continue;
          if (best[0].unit < 0 || after < best_after) {
            best = moves;
            best_after = after;
          }
        }
    }
    if (best[0].unit < 0) return false;
    double before = 0, after = 0;
    evaluate(best, before, after);
    apply(best);
    return true;
  }

  const Graph& g_;
  const Constraints& c_;
  RefineOptions options_;
  int k_;
  int used_ = 0;
  std::vector<int> unit_of_;
  std::vector<int> unit_begin_;
  std::vector<NodeId> unit_nodes_;
  std::vector<double> unit_work_, unit_memory_;
  std::vector<int> stage_;
  std::vector<double> cost_, memory_;
  std::vector<std::vector<int>> stage_units_;
  std::vector<int> mark_;
  int stamp_ = 0;
  std::vector<std::pair<int, double>> deltas_, memory_deltas_;
  std::vector<int> before_, after_;
};

}  // namespace

RefineResult refine_partition(const Graph& g, const Constraints& constraints,
                              const Partition& start, const RefineOptions& options,
                              const std::vector<int>& unit_of) {
  if (auto problem = partition_problem(g, start)) throw InputError("refine: " + *problem);
  if (!unit_of.empty() && static_cast<int>(unit_of.size()) != g.num_nodes())
    throw InputError("refine: unit_of must have one entry per node");
  Refiner refiner(g, constraints, start, options, unit_of);
  return refiner.run();
}

}  // namespace pipecut
