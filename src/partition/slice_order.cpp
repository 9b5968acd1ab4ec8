#include "pipecut/partition/slice_order.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "pipecut/model/constraints.hpp"
#include "pipecut/model/numeric.hpp"

namespace pipecut {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// More segments than nodes never help (at most n can be non-empty), so every entry point works
// with min(k, n) segments: no O(k) memory and no overflow of k + 1 for a huge k.
int useful_segments(int k, int n) { return std::max(1, std::min(k, n)); }

// Widens a threshold by a relative epsilon. Used wherever a threshold only prunes the search: a
// slightly wider window costs a little time. The sums themselves are exact (prepare()).
double widen(double x) { return x * (1 + 1e-9); }

// ceil(load / limit) clamped to [0, k + 1]; 0 / 0 (all costs zero) needs no stage.
int stages_at_least(double load, double limit, int k) {
  const double x = load / limit;
  if (!(x > 0)) return 0;
  return x > k ? k + 1 : static_cast<int>(std::ceil(x));
}

// Read-only view of the order re-indexed by position (filled by prepare()).
struct Positional {
  int n;
  const double* work;
  const double* comm;
  const int* last_consumer;
  const int* pred_begin;
  const int* pred;
  const int* release_begin;
  const int* release;
  const double* prefix_work;
  // Placement constraints, set when the graph has any (`constrained`).
  bool constrained = false;
  const double* prefix_memory = nullptr;  // all zero when there is no capacity
  const char* cut_allowed = nullptr;      // per cut position 0..n
  double capacity = kInf;

  // Memory of the segment [i, j) fits the capacity.
  [[nodiscard]] bool fits(int i, int j) const {
    return fits_capacity(prefix_memory[j] - prefix_memory[i], capacity);
  }
};

// Computes f(i, j) = cost of segment [i, j) for i = j-1 down to `lo`, calling emit(i, cost).
// Growing to the left, adding the node at position i:
//   - its work is added;
//   - if its tensor was received by the segment (stamp[i] == j), it no longer is;
//   - if it has a consumer at position >= j, its tensor is sent out;
//   - each producer p (position < i, so outside) is received, once per right end j.
// Stamps are per position and keyed by j, so no clearing is needed between columns.
template <class Emit>
void segment_costs_ending_at(const Positional& o, int* stamp, int j, int lo, Emit&& emit) {
  double work = 0, in = 0, out = 0;
  for (int i = j - 1; i >= lo; --i) {
    work += o.work[i];
    if (stamp[i] == j) in -= o.comm[i];
    if (o.last_consumer[i] >= j) out += o.comm[i];
    for (int e = o.pred_begin[i]; e < o.pred_begin[i + 1]; ++e) {
      const int p = o.pred[e];
      if (stamp[p] != j) {
        stamp[p] = j;
        in += o.comm[p];
      }
    }
    emit(i, work + in + out);
  }
}

// Keeps f(i, j) for every i of the window [lo, j) in a ring buffer (slot i mod R) as the right
// end j advances. Appending the node at position q to every segment [i, q), and opening the
// one-node segment [q, q+1), changes the costs by:
//   + work(q), and comm(q) if q has consumers (they all lie to its right): every i in [lo, q];
//   + comm(p) for each producer p of q, in the segments that did not yet receive p's tensor:
//     those starting after p and after p's previous consumer, i in (max(p, prev_p), q];
//   - comm(p) for each p whose last consumer is q, in the segments containing p (i <= p):
//     p's tensor no longer leaves them.
// With a difference array each step is O(window + degree) and its inner loop is branch-free,
// against O(window * degree) for recomputing the column from scratch.
class SlidingColumn {
 public:
  SlidingColumn(const Positional& o, int ring, std::vector<double>& values,
                std::vector<double>& delta, std::vector<int>& last_seen)
      : o_(o),
        ring_(ring),
        values_(values.data()),
        delta_(delta.data()),
        last_seen_(last_seen.data()) {
    std::fill(values.begin(), values.end(), 0.0);
    std::fill(delta.begin(), delta.end(), 0.0);
    std::fill(last_seen.begin(), last_seen.end(), -1);
  }

  // Appends position q; afterwards slot i mod R holds f(i, q + 1) for i in [lo, q].
  // Requires lo <= q and lo non-decreasing across calls.
  void append(int q, int lo) {
    const int len = q - lo + 1;
    values_[q % ring_] = 0.0;
    double run = o_.work[q] + (o_.last_consumer[q] >= 0 ? o_.comm[q] : 0.0);
    for (int e = o_.pred_begin[q]; e < o_.pred_begin[q + 1]; ++e) {
      const int p = o_.pred[e];
      const int from = std::max(std::max(p, last_seen_[p]) + 1, lo);
      last_seen_[p] = q;
      if (from <= q) delta_[from - lo] += o_.comm[p];  // on until the end of the window
    }
    for (int r = o_.release_begin[q]; r < o_.release_begin[q + 1]; ++r) {
      const int p = o_.release[r];
      if (p >= lo) {  // off for i in [lo, p]
        run -= o_.comm[p];
        delta_[p - lo + 1] += o_.comm[p];
      }
    }
    int slot = lo % ring_;
    for (int t = 0; t < len; ++t) {
      run += delta_[t];
      delta_[t] = 0.0;
      values_[slot] += run;
      slot = slot + 1 == ring_ ? 0 : slot + 1;
    }
    delta_[len] = 0.0;
  }

 private:
  const Positional& o_;
  int ring_;
  double* values_;
  double* delta_;
  int* last_seen_;
};

// Grows a segment [start, j) to the right, calling visit(j_end, cost, work) after each node.
// Adding the node at position j: its producers outside the segment are received (once per
// segment, via stamps keyed by `mark`); its own tensor is sent if it has consumers (they all
// lie to the right); producers inside whose last consumer is j no longer send.
// visit returns false to stop.
template <class Visit>
void segment_costs_starting_at(const Positional& o, int* stamp, int mark, int start,
                               Visit&& visit) {
  double work = 0, in = 0, out = 0;
  for (int j = start; j < o.n; ++j) {
    work += o.work[j];
    for (int e = o.pred_begin[j]; e < o.pred_begin[j + 1]; ++e) {
      const int p = o.pred[e];
      if (p < start && stamp[p] != mark) {
        stamp[p] = mark;
        in += o.comm[p];
      }
    }
    if (o.last_consumer[j] >= 0) out += o.comm[j];
    for (int r = o.release_begin[j]; r < o.release_begin[j + 1]; ++r)
      if (o.release[r] >= start) out -= o.comm[o.release[r]];  // last consumer now inside
    if (!visit(j + 1, work + in + out, work)) return;
  }
}

// Greedy slicing used only to obtain an upper bound on the order's optimum: from each start,
// take the farthest end whose segment costs <= tau (looking ahead while the work allows).
// Returns the achieved bottleneck (a valid slicing's value), or +inf if more than k segments
// were needed.
// Under placement constraints only allowed ends whose segment fits the capacity count, and the
// slicing fails (+inf) when no end within tau is allowed. With tau = +inf it takes the farthest
// allowed end, which needs the fewest segments of any slicing (the usual stays-ahead argument:
// segment memory only grows with the segment), so it decides the order's feasibility exactly.
template <bool kConstrained>
double greedy_slice(const Positional& o, int* stamp, int& stamp_clock, int k, double tau,
                    std::vector<int>* ends = nullptr) {
  if (ends) ends->clear();
  int start = 0, segments = 0;
  double worst = 0;
  while (start < o.n) {
    if (++segments > k) return kInf;
    int best_end = kConstrained ? -1 : start + 1;
    double best_cost = kInf;
    segment_costs_starting_at(o, stamp, ++stamp_clock, start,
                              [&](int end, double cost, double work) {
                                if constexpr (kConstrained) {
                                  if (!o.fits(start, end))
                                    return false;  // longer segments hold even more memory
                                  if (o.cut_allowed[end] && cost <= tau) {
                                    best_end = end;
                                    best_cost = cost;
                                  }
                                } else {
                                  if (end == start + 1)
                                    best_cost = cost;  // a single node always forms a segment
                                  if (cost <= tau) {
                                    best_end = end;
                                    best_cost = cost;
                                  }
                                }
                                return work <= tau;  // longer segments cost more than tau
                              });
    if (best_end < 0) return kInf;
    worst = std::max(worst, best_cost);
    start = best_end;
    if (ends) ends->push_back(best_end);
  }
  return worst;
}

// An achievable bottleneck of the order (+inf when a constrained order has no valid slicing).
// `best_tau`, when given, receives the threshold whose greedy slicing attains the result.
template <bool kConstrained>
double greedy_upper_bound(const Positional& o, int* stamp, int k, double heaviest,
                          double* best_tau = nullptr) {
  const double total = o.prefix_work[o.n];
  double best = total;  // one segment holding everything costs exactly the total work
  if (best_tau) *best_tau = kInf;
  double lo = std::max(total / k, heaviest), hi = total;
  int stamp_clock = o.n + 1;  // above every right-end stamp used by the DP
  if constexpr (kConstrained) {
    // One segment may not be allowed: start from the farthest-reaching valid slicing.
    best = greedy_slice<true>(o, stamp, stamp_clock, k, kInf);
    if (!(best < kInf)) return kInf;
    hi = best;
  }
  for (int iter = 0; iter < 14 && lo < hi * (1 - 1e-3); ++iter) {
    const double tau = 0.5 * (lo + hi);
    const double achieved = greedy_slice<kConstrained>(o, stamp, stamp_clock, k, tau);
    if (achieved < kInf) {
      if (achieved < best && best_tau) *best_tau = tau;
      best = std::min(best, achieved);
      hi = std::min(tau, achieved);
    } else {
      lo = tau;
    }
  }
  return best;
}

}  // namespace

// ---- preparation ----------------------------------------------------------------------------

// Re-indexes the order by position into the workspace; O(n + m).
static Positional prepare(const Graph& g, std::span<const NodeId> order, SliceWorkspace& ws) {
  auto& [position, work_at, comm_at, last_consumer_at, pred_begin_at, pred_at, release_begin,
         release_at, prefix_work, stamp, column, column_delta, last_seen, layers, layer_first,
         layer_last, prefix_cost, count, parent, prefix_memory, cut_allowed, class_span] = ws;
  const int n = g.num_nodes();
  position.resize(n);
  for (int i = 0; i < n; ++i) position[order[i]] = i;
  work_at.resize(n);
  comm_at.resize(n);
  last_consumer_at.resize(n);
  pred_begin_at.resize(n + 1);
  pred_at.resize(g.num_edges());
  release_begin.assign(n + 1, 0);
  release_at.resize(n);
  prefix_work.resize(n + 1);
  prefix_work[0] = 0;
  // Costs rounded down to the exact-cost grid (model/numeric.hpp): every segment cost, added
  // and taken off again by the sliding column, is then exact, so the DP's optimum and its
  // reconstruction agree to the last bit. The slicing is re-evaluated on g by the callers.
  const double q = exact_cost_quantum(g);
  int e = 0;
  for (int i = 0; i < n; ++i) {
    const NodeId v = order[i];
    work_at[i] = std::floor(g.work[v] / q) * q;
    comm_at[i] = std::floor(g.comm[v] / q) * q;
    prefix_work[i + 1] = prefix_work[i] + work_at[i];
    int last = -1;
    for (NodeId w : g.successors(v)) last = std::max(last, position[w]);
    last_consumer_at[i] = last;
    pred_begin_at[i] = e;
    for (NodeId u : g.predecessors(v)) pred_at[e++] = position[u];
  }
  pred_begin_at[n] = e;
  // Release lists: the positions whose last consumer is at position j, as a CSR over j.
  for (int i = 0; i < n; ++i)
    if (last_consumer_at[i] >= 0) ++release_begin[last_consumer_at[i] + 1];
  for (int j = 0; j < n; ++j) release_begin[j + 1] += release_begin[j];
  {
    std::vector<int>& fill = stamp;  // borrowed as scratch; reset below
    fill.assign(release_begin.begin(), release_begin.end() - 1);
    for (int i = 0; i < n; ++i)
      if (last_consumer_at[i] >= 0) release_at[fill[last_consumer_at[i]]++] = i;
  }
  stamp.assign(n, -1);
  Positional o{n,
               work_at.data(),
               comm_at.data(),
               last_consumer_at.data(),
               pred_begin_at.data(),
               pred_at.data(),
               release_begin.data(),
               release_at.data(),
               prefix_work.data()};
  if (!g.memory_per_stage && g.colour_class.empty()) return o;
  // Placement constraints: memory prefix sums, and the cut positions inside no class's span.
  o.constrained = true;
  prefix_memory.assign(n + 1, 0.0);
  if (g.memory_per_stage) {
    o.capacity = *g.memory_per_stage;
    for (int i = 0; i < n; ++i) prefix_memory[i + 1] = prefix_memory[i] + g.memory[order[i]];
  }
  cut_allowed.assign(n + 1, 1);
  if (!g.colour_class.empty()) {
    std::vector<int>& span = class_span;
    span.assign(2 * g.colour_labels.size(), -1);
    for (int i = 0; i < n; ++i) {
      const int c = g.colour_class[order[i]];
      if (c < 0) continue;
      if (span[2 * c] < 0) span[2 * c] = i;
      span[2 * c + 1] = i;
    }
    // Cuts at positions first+1 .. last separate members; mark them with a difference count.
    std::vector<int>& inside = count;  // borrowed as scratch
    inside.assign(n + 2, 0);
    for (std::size_t c = 0; c < g.colour_labels.size(); ++c) {
      if (span[2 * c] < 0) continue;  // a label no node carries
      ++inside[span[2 * c] + 1];
      --inside[span[2 * c + 1] + 1];
    }
    for (int p = 0, open = 0; p <= n; ++p) {
      open += inside[p];
      cut_allowed[p] = open == 0;
    }
  }
  o.prefix_memory = prefix_memory.data();
  o.cut_allowed = cut_allowed.data();
  return o;
}

// ---- k = 2: one cut, O(n + m) ---------------------------------------------------------------

// Best single cut position c in 0..n minimising max(f(0, c), f(c, n)); returns (value, c), or
// (+inf, -1) when no cut satisfies the placement constraints.
template <bool kConstrained>
static std::pair<double, int> best_single_cut(const Positional& o, int* stamp,
                                              std::vector<double>& prefix_cost) {
  prefix_cost.assign(o.n + 1, 0.0);
  segment_costs_starting_at(o, stamp, o.n + 1, 0, [&](int end, double cost, double) {
    prefix_cost[end] = cost;
    return true;
  });
  double best = prefix_cost[o.n];  // c = n: everything in the first stage
  int cut = o.n;
  if constexpr (kConstrained) {
    if (!o.fits(0, o.n)) {
      best = kInf;
      cut = -1;
    }
  }
  segment_costs_ending_at(o, stamp, o.n, 0, [&](int i, double cost) {
    if constexpr (kConstrained) {
      if (!o.cut_allowed[i] || !o.fits(0, i) || !o.fits(i, o.n)) return;
    }
    const double v = std::max(prefix_cost[i], cost);
    if (v <= best) {  // prefer earlier cuts on ties: deterministic either way
      best = v;
      cut = i;
    }
  });
  return {best, cut};
}

// ---- the layered DP -------------------------------------------------------------------------

// Smallest start i (from `lo` on) of a segment [i, j) that can be a stage: work within `limit`
// and, under a capacity, memory within it. Non-decreasing in j, as the sliding column needs.
template <bool kConstrained>
static int window_start(const Positional& o, int j, int lo, double limit) {
  while (o.prefix_work[j] - o.prefix_work[lo] > limit) ++lo;
  if constexpr (kConstrained) {
    while (lo < j && !o.fits(lo, j)) ++lo;
  }
  return lo;
}

// Optimal bottleneck for k >= 3 of the prepared order (see optimal_bottleneck for `cutoff`).
// Under constraints a segment longer than the memory window is never a stage, and no layer
// holds a finite value at a cut position that splits a colour class.
// `stop` is polled every 256 positions; when it fires, `*stopped` is set and the greedy value
// is returned (achievable, not necessarily optimal).
template <bool kConstrained>
static double layered_bottleneck(const Positional& o, SliceWorkspace& ws, int k, double cutoff,
                                 const SliceStop& stop, bool* stopped) {
  const int n = o.n;
  const double total = o.prefix_work[n];
  double heaviest = 0;
  for (int i = 0; i < n; ++i) heaviest = std::max(heaviest, o.work[i]);

  const double greedy = greedy_upper_bound<kConstrained>(o, ws.stamp.data(), k, heaviest);
  if constexpr (kConstrained) {
    if (!(greedy < kInf)) return kInf;  // exact: no valid slicing of this order exists
  }
  // Invariant: the order's optimum is <= greedy. Only segments with work <= limit can be part of
  // a slicing better than min(greedy, cutoff).
  const double limit = widen(std::min(greedy, cutoff));

  // Window: lo(j) = smallest i with work[i, j) <= limit; non-decreasing in j.
  int max_window = 1;
  for (int j = 1, lo = 0; j <= n; ++j) {
    lo = window_start<kConstrained>(o, j, lo, limit);
    max_window = std::max(max_window, j - lo);
  }
  // Ring buffer over prefix lengths i, one row of R slots per layer b = 0..k.
  const int R = max_window + 1;
  ws.layers.assign(static_cast<std::size_t>(k + 1) * R, kInf);
  ws.column.resize(R);
  ws.column_delta.resize(R + 1);
  ws.last_seen.resize(n);
  SlidingColumn column(o, R, ws.column, ws.column_delta, ws.last_seen);
  double* const layers = ws.layers.data();
  double* const col = ws.column.data();
  auto layer = [&](int b) { return layers + static_cast<std::size_t>(b) * R; };
  layer(0)[0] = 0.0;  // the empty prefix with zero stages
  // The prefix lengths i at which layer b holds in-band (possibly finite) values form an
  // interval [layer_first[b], layer_last[b]] (see the band below); outside it values are +inf,
  // so the inner loops skip them.
  ws.layer_first.assign(k + 1, n + 1);
  ws.layer_last.assign(k + 1, -1);
  ws.layer_first[0] = ws.layer_last[0] = 0;

  for (int j = 1, lo = 0, sj = 1 % R; j <= n; ++j, sj = (sj + 1 == R ? 0 : sj + 1)) {
    if ((j & 255) == 0 && stop && stop()) {
      *stopped = true;
      return greedy;
    }
    lo = window_start<kConstrained>(o, j, lo, limit);
    lo = std::min(lo, j - 1);  // only a cutoff below a single node's work can push it further
    // Column of segment costs f(i, j), i in [lo, j), at ring slots i mod R.
    column.append(j - 1, lo);
    if constexpr (kConstrained) {
      if (!o.cut_allowed[j]) {  // no stage ends here; also clears the slots from R positions ago
        for (int b = 0; b <= k; ++b) layer(b)[sj] = kInf;
        continue;
      }
    }
    // Band: the states (b, j) that can lie on a slicing of value <= limit need
    // work[0, j) <= b * limit and work[j, n) <= (k - b) * limit. Both ends of the band are
    // non-decreasing in j. One layer of slack on each side keeps rounding harmless.
    const double pre = o.prefix_work[j], suf = total - pre;
    const int b_lo = std::max(1, stages_at_least(pre, limit, k) - 1);
    const int b_hi = std::min(k, k - stages_at_least(suf, limit, k) + 1);
    for (int b = 0; b <= k; ++b) {
      double* cur = layer(b);
      if (b < b_lo || b > b_hi) {  // also clears the slot's value from R positions ago
        cur[sj] = kInf;
        continue;
      }
      ws.layer_first[b] = std::min(ws.layer_first[b], j);
      ws.layer_last[b] = j;
      const double* prev = layer(b - 1);
      double best = prev[sj];  // stage b-1 left empty
      // Previous cut i: segment [i, j) fits the window, and (b-1, i) is in band.
      const int i_from = std::max(lo, ws.layer_first[b - 1]);
      const int i_to = std::min(j - 1, ws.layer_last[b - 1]);
      if (i_from <= i_to) {
        // Slots i_from..i_to, split where the ring wraps, so the loops are contiguous.
        const int s_from = i_from % R, s_to = i_to % R;
        const int first_end = s_from <= s_to ? s_to + 1 : R;
        for (int s = s_from; s < first_end; ++s) best = std::min(best, std::max(prev[s], col[s]));
        if (s_from > s_to)
          for (int s = 0; s <= s_to; ++s) best = std::min(best, std::max(prev[s], col[s]));
      }
      cur[sj] = best;
    }
  }
  const double result = layer(k)[n % R];
  // If the cutoff pruned the optimum away, the greedy value is still achievable.
  return std::min(result, greedy);
}

double OrderSlicer::optimal_bottleneck(const Graph& g, std::span<const NodeId> order, int k,
                                       SliceWorkspace& ws, double cutoff, const SliceStop& stop,
                                       bool* stopped) {
  k = useful_segments(k, g.num_nodes());
  bool ignored = false;
  if (!stopped) stopped = &ignored;
  *stopped = false;
  const Positional o = prepare(g, order, ws);
  if (o.constrained) {
    if (k == 1) return o.fits(0, o.n) ? o.prefix_work[o.n] : kInf;
    if (k == 2) return best_single_cut<true>(o, ws.stamp.data(), ws.prefix_cost).first;
    return layered_bottleneck<true>(o, ws, k, cutoff, stop, stopped);
  }
  if (k == 1) return o.prefix_work[o.n];  // one segment: no tensor leaves it
  if (k == 2) return best_single_cut<false>(o, ws.stamp.data(), ws.prefix_cost).first;
  return layered_bottleneck<false>(o, ws, k, cutoff, stop, stopped);
}

namespace {

// Reconstruction for k >= 3: fewest segments such that each costs <= `optimum` (and satisfies
// the constraints). Returns the segment ends, or an empty list if there is none. The optimum may
// have come from the greedy's (rightward) sums, which can differ from the leftward ones in the
// last bits, hence the widened test. O(n) memory.
template <bool kConstrained>
std::vector<int> fewest_segment_ends(const Positional& o, SliceWorkspace& ws, int k, double optimum,
                                     const SliceStop& stop, bool* stopped) {
  const int n = o.n;
  const double limit = widen(optimum);
  constexpr int kUnreached = std::numeric_limits<int>::max();
  ws.count.assign(n + 1, kUnreached);
  ws.parent.assign(n + 1, -1);
  ws.count[0] = 0;
  int R = 1;
  for (int j = 1, lo = 0; j <= n; ++j) {
    lo = window_start<kConstrained>(o, j, lo, limit);
    R = std::max(R, j - lo + 1);
  }
  ws.column.resize(R);
  ws.column_delta.resize(R + 1);
  ws.last_seen.resize(n);
  SlidingColumn column(o, R, ws.column, ws.column_delta, ws.last_seen);
  for (int j = 1, lo = 0; j <= n; ++j) {
    if ((j & 255) == 0 && stop && stop()) {
      *stopped = true;
      return {};
    }
    lo = window_start<kConstrained>(o, j, lo, limit);
    lo = std::min(lo, j - 1);
    column.append(j - 1, lo);
    if constexpr (kConstrained) {
      if (!o.cut_allowed[j] || !o.fits(lo, j)) continue;
    }
    for (int i = lo; i < j; ++i) {
      const double cost = ws.column[i % R];
      if (cost <= limit && ws.count[i] != kUnreached && ws.count[i] + 1 < ws.count[j]) {
        ws.count[j] = ws.count[i] + 1;
        ws.parent[j] = i;
      }
    }
  }
  std::vector<int> ends;
  if (ws.count[n] > k) return ends;
  for (int j = n; j > 0; j = ws.parent[j]) ends.push_back(j);
  std::reverse(ends.begin(), ends.end());
  return ends;
}

// The greedy slicing's segment ends: valid, within the greedy bound (or empty when a
// constrained order has no valid slicing).
template <bool kConstrained>
std::vector<int> greedy_segment_ends(const Positional& o, SliceWorkspace& ws, int k) {
  double heaviest = 0;
  for (int i = 0; i < o.n; ++i) heaviest = std::max(heaviest, o.work[i]);
  double tau = kInf;
  greedy_upper_bound<kConstrained>(o, ws.stamp.data(), k, heaviest, &tau);
  std::vector<int> ends;
  std::fill(ws.stamp.begin(), ws.stamp.end(), -1);  // forget the bound's passes' stamps
  int clock = o.n + 1;  // above every right-end stamp, as in greedy_upper_bound
  if (!(greedy_slice<kConstrained>(o, ws.stamp.data(), clock, k, tau, &ends) < kInf)) {
    if constexpr (!kConstrained)
      ends = {o.n};  // one segment: the total work
    else
      ends.clear();
  }
  return ends;
}

// Segment ends of an optimal slicing (k >= 1), or an empty list when there is no valid one.
// When `stop` fires, the greedy slicing's ends instead, and `*stopped` is set.
template <bool kConstrained>
std::vector<int> optimal_segment_ends(const Positional& o, SliceWorkspace& ws, int k,
                                      const SliceStop& stop, bool* stopped) {
  const int n = o.n;
  if (k == 1) {
    if constexpr (kConstrained) {
      if (!o.fits(0, n)) return {};
    }
    return {n};
  }
  if (k == 2) {
    const int cut = best_single_cut<kConstrained>(o, ws.stamp.data(), ws.prefix_cost).second;
    std::vector<int> ends;
    if (cut < 0) return ends;
    if (cut > 0) ends.push_back(cut);
    if (cut < n) ends.push_back(n);
    return ends;
  }
  const double optimum = layered_bottleneck<kConstrained>(o, ws, k, kInf, stop, stopped);
  if (!(optimum < kInf)) return {};
  std::vector<int> ends;
  if (!*stopped) ends = fewest_segment_ends<kConstrained>(o, ws, k, optimum, stop, stopped);
  if (*stopped) return greedy_segment_ends<kConstrained>(o, ws, k);
  // The reconstruction repeats the DP's sums, which are exact (prepare()): it always succeeds.
  if (ends.empty()) throw std::logic_error("slice_order: reconstruction found no slicing");
  return ends;
}

}  // namespace

SliceResult OrderSlicer::slice(const Graph& g, std::span<const NodeId> order, int k,
                               SliceWorkspace& ws, const SliceStop& stop) {
  const int n = g.num_nodes();
  k = useful_segments(k, n);
  SliceResult r;
  const Positional o = prepare(g, order, ws);
  bool stopped = false;
  const std::vector<int> ends = o.constrained
                                    ? optimal_segment_ends<true>(o, ws, k, stop, &stopped)
                                    : optimal_segment_ends<false>(o, ws, k, stop, &stopped);
  r.optimal = !stopped;
  if (ends.empty()) {
    r.feasible = false;
    r.bottleneck = kInf;
    return r;
  }
  r.cuts.assign(k + 1, n);
  r.cuts[0] = 0;
  for (std::size_t s = 0; s < ends.size(); ++s) r.cuts[s + 1] = ends[s];
  r.stages_used = static_cast<int>(ends.size());
  // Report the reference evaluator's value, not the incremental sums.
  r.bottleneck = evaluate_partition(g, partition_from_cuts(g, order, r.cuts)).bottleneck;
  return r;
}

SliceResult slice_order(const Graph& g, std::span<const NodeId> order, int k,
                        const SliceStop& stop) {
  SliceWorkspace ws;
  return OrderSlicer::slice(g, order, k, ws, stop);
}

SliceResult slice_order_quadratic(const Graph& g, std::span<const NodeId> order, int k) {
  // B[b][j] = min over i <= j of max(B[b-1][i], f(i, j)), with f(j, j) = 0 (an empty stage).
  const int n = g.num_nodes();
  k = useful_segments(k, n);
  SliceWorkspace ws;
  const Positional o = prepare(g, order, ws);
  std::vector<std::vector<double>> B(k + 1, std::vector<double>(n + 1, kInf));
  std::vector<std::vector<int>> arg(k + 1, std::vector<int>(n + 1, 0));
  std::vector<double> col(n + 1);
  for (int b = 0; b <= k; ++b) B[b][0] = 0;  // an empty prefix needs no stage
  for (int j = 1; j <= n; ++j) {
    segment_costs_ending_at(o, ws.stamp.data(), j, 0, [&](int i, double cost) { col[i] = cost; });
    col[j] = 0;
    for (int b = 1; b <= k; ++b)
      for (int i = 0; i <= j; ++i) {
        const double c = std::max(B[b - 1][i], col[i]);
        if (c < B[b][j]) {
          B[b][j] = c;
          arg[b][j] = i;
        }
      }
  }
  SliceResult r;
  r.cuts.assign(k + 1, 0);
  for (int b = k, j = n; b > 0; --b) {
    r.cuts[b] = j;
    j = arg[b][j];
  }
  Evaluation e = evaluate_partition(g, partition_from_cuts(g, order, r.cuts));
  r.bottleneck = e.bottleneck;
  r.stages_used = e.stages_used;
  return r;
}

}  // namespace pipecut
