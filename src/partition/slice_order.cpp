#include "pipecut/partition/slice_order.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace pipecut {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Widens a threshold by a relative and absolute epsilon. Used wherever a threshold only prunes
// the search: a slightly wider window costs a little time, a narrower one could lose exactness
// to rounding.
double widen(double x) { return x * (1 + 1e-9) + 1e-12; }

}  // namespace

// ---- preparation ----------------------------------------------------------------------------

static void prepare(const Graph& g, std::span<const NodeId> order, std::vector<int>& position,
                    std::vector<int>& last_consumer, std::vector<int>& stamp,
                    std::vector<int>& release_begin, std::vector<NodeId>& release_list,
                    std::vector<double>& prefix_work) {
  const int n = g.num_nodes();
  position.resize(n);
  for (int i = 0; i < n; ++i) position[order[i]] = i;
  last_consumer.resize(n);
  release_begin.assign(n + 2, 0);
  for (NodeId v = 0; v < n; ++v) {
    int last = -1;
    for (NodeId w : g.successors(v)) last = std::max(last, position[w]);
    last_consumer[v] = last;
    if (last >= 0) ++release_begin[last + 1];
  }
  for (int p = 0; p <= n; ++p) release_begin[p + 1] += release_begin[p];
  release_list.resize(release_begin[n + 1]);
  {
    // Fill positions in order; release_begin is restored afterwards.
    for (NodeId v = 0; v < n; ++v)
      if (last_consumer[v] >= 0) release_list[release_begin[last_consumer[v]]++] = v;
    for (int p = n; p > 0; --p) release_begin[p] = release_begin[p - 1];
    release_begin[0] = 0;
  }
  stamp.assign(n, -1);
  prefix_work.resize(n + 1);
  prefix_work[0] = 0;
  for (int i = 0; i < n; ++i) prefix_work[i + 1] = prefix_work[i] + g.work[order[i]];
}

// ---- segment costs --------------------------------------------------------------------------

// Computes f(i, j) = cost of segment order[i..j) for i = j-1 down to `lo`, calling
// emit(i, cost). Growing to the left, adding node u at position i:
//   - its work is added;
//   - if u's tensor was received by the segment (stamp[u] == j), it no longer is;
//   - if u has a consumer at position >= j, its tensor is sent out;
//   - each producer p of u (position < i, so outside) is received, once per right end j.
// Cost per column: O(sum of in-degrees in the window). Stops early when the work exceeds
// `work_limit` (every further segment costs at least that).
template <class Emit>
static void segment_costs_ending_at(const Graph& g, std::span<const NodeId> order,
                                    const std::vector<int>& last_consumer, std::vector<int>& stamp,
                                    int j, int lo, Emit&& emit) {
  double work = 0, in = 0, out = 0;
  for (int i = j - 1; i >= lo; --i) {
    const NodeId u = order[i];
    work += g.work[u];
    if (stamp[u] == j) in -= g.comm[u];
    if (last_consumer[u] >= j) out += g.comm[u];
    for (NodeId p : g.predecessors(u))
      if (stamp[p] != j) {
        stamp[p] = j;
        in += g.comm[p];
      }
    emit(i, work + in + out);
  }
}

// Greedy slicing used only to obtain an upper bound U on the order's optimum: from each start,
// take the farthest end whose segment costs <= tau (looking ahead while the work allows).
// Returns the achieved bottleneck, or +inf if more than k segments were needed.
static double greedy_slice(const Graph& g, std::span<const NodeId> order,
                           const std::vector<int>& position, const std::vector<int>& release_begin,
                           const std::vector<NodeId>& release_list, std::vector<int>& stamp,
                           int& stamp_clock, int k, double tau) {
  const int n = static_cast<int>(order.size());
  int start = 0, segments = 0;
  double worst = 0;
  while (start < n) {
    if (++segments > k) return kInf;
    const int mark = ++stamp_clock;
    double work = 0, in = 0, out = 0;
    int best_end = -1;
    double best_cost = kInf;
    for (int j = start; j < n; ++j) {
      const NodeId v = order[j];
      work += g.work[v];
      if (work > tau && best_end >= 0) break;
      for (NodeId p : g.predecessors(v))
        if (position[p] < start && stamp[p] != mark) {
          stamp[p] = mark;
          in += g.comm[p];
        }
      if (!g.successors(v).empty()) out += g.comm[v];
      for (int r = release_begin[j]; r < release_begin[j + 1]; ++r) {
        const NodeId p = release_list[r];
        if (position[p] >= start) out -= g.comm[p];  // its last consumer is now inside
      }
      const double cost = work + in + out;
      if (cost <= tau || best_end < 0) {
        // The first node always forms a segment, even above tau (then tau is infeasible).
        if (cost <= tau || j == start) {
          best_end = j + 1;
          best_cost = cost;
        }
      }
      if (work > tau) break;
    }
    worst = std::max(worst, best_cost);
    start = best_end;
  }
  return worst;
}

static double upper_bound_for_order(const Graph& g, std::span<const NodeId> order, int k,
                                    const std::vector<int>& position,
                                    const std::vector<int>& release_begin,
                                    const std::vector<NodeId>& release_list,
                                    std::vector<int>& stamp, double total_work,
                                    double heaviest) {
  // One segment holding everything costs exactly the total work (no tensor leaves it).
  double best = total_work;
  double lo = std::max(total_work / k, heaviest), hi = total_work;
  int stamp_clock = 1 << 30;  // distinct from the right-end stamps used by the DP (< n+1)
  for (int iter = 0; iter < 14 && lo < hi * (1 - 1e-3); ++iter) {
    const double tau = 0.5 * (lo + hi);
    const double achieved =
        greedy_slice(g, order, position, release_begin, release_list, stamp, stamp_clock, k, tau);
    if (achieved < kInf) {
      best = std::min(best, achieved);
      hi = std::min(tau, achieved);
    } else {
      lo = tau;
    }
  }
  // The greedy used stamps from a separate range; reset for the DP.
  std::fill(stamp.begin(), stamp.end(), -1);
  return best;
}

// ---- the DP ---------------------------------------------------------------------------------

double OrderSlicer::optimal_bottleneck(const Graph& g, std::span<const NodeId> order, int k,
                                       SliceWorkspace& ws, double cutoff) {
  const int n = g.num_nodes();
  prepare(g, order, ws.position, ws.last_consumer, ws.stamp, ws.release_begin, ws.release_list,
          ws.prefix_work);
  const double total = ws.prefix_work[n];
  double heaviest = 0;
  for (double w : g.work) heaviest = std::max(heaviest, w);
  if (k == 1) return total;

  const double greedy = upper_bound_for_order(g, order, k, ws.position, ws.release_begin,
                                              ws.release_list, ws.stamp, total, heaviest);
  // Invariant: the order's optimum is <= greedy. Only segments with work <= limit can be part of
  // a slicing better than min(greedy, cutoff).
  const double limit = widen(std::min(greedy, cutoff));

  // Window: lo_of(j) = smallest i with work(order[i..j)) <= limit; non-decreasing in j.
  int max_window = 1;
  {
    int lo = 0;
    for (int j = 1; j <= n; ++j) {
      while (ws.prefix_work[j] - ws.prefix_work[lo] > limit) ++lo;
      max_window = std::max(max_window, j - lo);
    }
  }
  // Ring buffer over prefix lengths i, one row of R slots per layer b = 0..k.
  const int R = max_window + 1;
  const int K = k;
  ws.layers.assign(static_cast<std::size_t>(K + 1) * R, kInf);
  ws.column.assign(R, kInf);
  auto slot = [R](int i) { return i % R; };
  auto layer = [&](int b) { return ws.layers.data() + static_cast<std::size_t>(b) * R; };
  layer(0)[slot(0)] = 0.0;  // empty prefix with zero stages

  int lo = 0;
  for (int j = 1; j <= n; ++j) {
    while (ws.prefix_work[j] - ws.prefix_work[lo] > limit) ++lo;
    // Column of segment costs f(i, j), i in [lo, j), stored at ring slots.
    double* col = ws.column.data();
    segment_costs_ending_at(g, order, ws.last_consumer, ws.stamp, j, lo,
                            [&](int i, double cost) { col[slot(i)] = cost; });
    // Band: states (b, j) that can lie on a slicing of value <= limit.
    const double pre = ws.prefix_work[j], suf = total - pre;
    const int b_min = std::max(1, static_cast<int>(std::ceil(pre / limit - 1e-9)));
    const int b_max = K - std::max(0, static_cast<int>(std::ceil(suf / limit - 1e-9)));
    const int sj = slot(j);
    layer(0)[sj] = kInf;  // zero stages cover only the empty prefix
    // The range [lo, j) of slots, split where the ring wraps, so inner loops are contiguous.
    const int s_lo = slot(lo);
    const int first_end = (s_lo <= slot(j - 1)) ? slot(j - 1) + 1 : R;
    const int second_end = (s_lo <= slot(j - 1)) ? 0 : slot(j - 1) + 1;
    for (int b = 1; b <= K; ++b) {
      double* cur = layer(b);
      if (b < b_min - 1 || b > b_max + 1) {  // one layer of slack keeps rounding harmless
        cur[sj] = kInf;
        continue;
      }
      const double* prev = layer(b - 1);
      double best = prev[sj];  // stage b-1 left empty
      for (int s = s_lo; s < first_end; ++s) best = std::min(best, std::max(prev[s], col[s]));
      for (int s = 0; s < second_end; ++s) best = std::min(best, std::max(prev[s], col[s]));
      cur[sj] = best;
    }
  }
  const double result = layer(K)[slot(n)];
  // If the cutoff pruned the optimum away, the greedy value is still achievable.
  return std::min(result, greedy);
}

SliceResult OrderSlicer::slice(const Graph& g, std::span<const NodeId> order, int k,
                               SliceWorkspace& ws) {
  const int n = g.num_nodes();
  SliceResult r;
  r.bottleneck = optimal_bottleneck(g, order, k, ws, kInf);
  // Reconstruction: fewest segments such that each costs <= the optimum, computed with the same
  // arithmetic as the DP (so the optimum's own segments pass the test). O(n) memory.
  const double target = r.bottleneck;
  const double limit = widen(target);
  std::fill(ws.stamp.begin(), ws.stamp.end(), -1);
  ws.count.assign(n + 1, std::numeric_limits<int>::max());
  ws.parent.assign(n + 1, -1);
  ws.count[0] = 0;
  int lo = 0;
  for (int j = 1; j <= n; ++j) {
    while (ws.prefix_work[j] - ws.prefix_work[lo] > limit) ++lo;
    segment_costs_ending_at(g, order, ws.last_consumer, ws.stamp, j, lo, [&](int i, double cost) {
      if (cost <= target && ws.count[i] != std::numeric_limits<int>::max() &&
          ws.count[i] + 1 < ws.count[j]) {
        ws.count[j] = ws.count[i] + 1;
        ws.parent[j] = i;
      }
    });
  }
  std::vector<int> ends;
  if (k == 1 || ws.count[n] > k) {
    // k == 1 (or a rounding corner): a single segment is the answer.
    ends = {n};
  } else {
    for (int j = n; j > 0; j = ws.parent[j]) ends.push_back(j);
    std::reverse(ends.begin(), ends.end());
  }
  r.cuts.assign(k + 1, n);
  r.cuts[0] = 0;
  for (std::size_t s = 0; s < ends.size(); ++s) r.cuts[s + 1] = ends[s];
  r.stages_used = static_cast<int>(ends.size());
  // Report the reference evaluator's value, not the incremental sums.
  r.bottleneck = evaluate_partition(g, partition_from_cuts(g, order, r.cuts)).bottleneck;
  return r;
}

SliceResult slice_order(const Graph& g, std::span<const NodeId> order, int k) {
  SliceWorkspace ws;
  return OrderSlicer::slice(g, order, k, ws);
}

SliceResult slice_order_quadratic(const Graph& g, std::span<const NodeId> order, int k) {
  // B[b][j] = min over i <= j of max(B[b-1][i], f(i, j)), f(j, j) = 0 (empty stage).
  const int n = g.num_nodes();
  std::vector<int> position, last_consumer, stamp, release_begin;
  std::vector<NodeId> release_list;
  std::vector<double> prefix_work;
  prepare(g, order, position, last_consumer, stamp, release_begin, release_list, prefix_work);
  std::vector<std::vector<double>> B(k + 1, std::vector<double>(n + 1, kInf));
  std::vector<std::vector<int>> arg(k + 1, std::vector<int>(n + 1, 0));
  std::vector<double> col(n + 1);
  for (int b = 0; b <= k; ++b) B[b][0] = 0;  // an empty prefix needs no stage
  for (int j = 1; j <= n; ++j) {
    segment_costs_ending_at(g, order, last_consumer, stamp, j, 0,
                            [&](int i, double cost) { col[i] = cost; });
    col[j] = 0;
    for (int b = 1; b <= k; ++b)
      for (int i = 0; i <= j; ++i) {
        double c = std::max(B[b - 1][i], col[i]);
        if (c < B[b][j]) {
          B[b][j] = c;
          arg[b][j] = i;
        }
      }
  }
  SliceResult r;
  r.cuts.assign(k + 1, 0);
  r.cuts[k] = n;
  for (int b = k, j = n; b > 0; --b) {
    r.cuts[b] = j;
    j = arg[b][j];
  }
  r.cuts[0] = 0;
  Partition p = partition_from_cuts(g, order, r.cuts);
  Evaluation e = evaluate_partition(g, p);
  r.bottleneck = e.bottleneck;
  r.stages_used = e.stages_used;
  return r;
}

}  // namespace pipecut
