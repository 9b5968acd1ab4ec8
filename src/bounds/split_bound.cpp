#include "pipecut/bounds/split_bound.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "pipecut/model/constraints.hpp"
#include "pipecut/model/cost.hpp"
#include "pipecut/model/reductions.hpp"
#include "pipecut/partition/downset.hpp"
#include "pipecut/util/stopwatch.hpp"

namespace pipecut {

namespace {

// Nodes reachable from u along successors (forward) or predecessors, u excluded, ascending.
std::vector<NodeId> reachable(const Graph& g, NodeId u, bool forward) {
  std::vector<char> seen(g.num_nodes(), 0);
  std::vector<NodeId> stack{u}, found;
  seen[u] = 1;
  while (!stack.empty()) {
    const NodeId v = stack.back();
    stack.pop_back();
    for (NodeId w : forward ? g.successors(v) : g.predecessors(v))
      if (!seen[w]) {
        seen[w] = 1;
        found.push_back(w);
        stack.push_back(w);
      }
  }
  std::ranges::sort(found);
  return found;
}

struct Side {
  DownsetSearchResult search;
  int nodes = 0;
};

// Options of an exact search on the subgraph `sub` within `seconds` (0 = none): the bound's
// stop flag, downset limit and threads, and the light-source units of `sub`.
DownsetSearchOptions search_options(const Graph& sub, const BoundOptions& options,
                                    double seconds) {
  DownsetSearchOptions search;
  search.time_limit_seconds = seconds;
  search.stop = options.stop;
  search.downset_limit = options.downset_limit;
  search.threads = options.threads;
  search.unit_of = light_source_units(sub, derive_constraints(sub));
  return search;
}

// The exact search on G[nodes], with light sources merged, starting from the incumbent's
// restriction when there is one (a valid partition of the subgraph whose stages cost no more).
Side solve_side(const Graph& g, int k, std::span<const NodeId> nodes, const BoundOptions& options,
                double seconds, NodeId sender = -1) {
  Graph sub = induced_subgraph(g, nodes);
  // The sender's stage sends its tensor (the caller's case analysis): charged as work.
  if (sender >= 0)
    sub.work[std::ranges::lower_bound(nodes, sender) - nodes.begin()] += g.comm[sender];
  DownsetSearchOptions search = search_options(sub, options, seconds);
  search.pair_limit = options.downset_pair_limit;
  if (options.incumbent < std::numeric_limits<double>::infinity() && options.warm_start) {
    Partition restricted{k, {}};
    for (NodeId v : nodes) restricted.stage_of.push_back(options.warm_start->stage_of[v]);
    search.incumbent = options.incumbent;
    search.warm_start = std::move(restricted);
  }
  return {downset_search(sub, k, search), sub.num_nodes()};
}

// Entry j of a capped_optimum_by_stages row: more stages than the row holds do no better than
// its last entry.
double entry(const std::vector<double>& row, int j) {
  return row[std::min<std::size_t>(static_cast<std::size_t>(j), row.size() - 1)];
}

// min over j of max(a[j], b[k + 1 - j]).
double combine(const std::vector<double>& a, const std::vector<double>& b, int k, int* best_j) {
  double best = std::numeric_limits<double>::infinity();
  for (int j = 1; j <= k; ++j) {
    const double value = std::max(entry(a, j), entry(b, k + 1 - j));
    if (value < best) {
      best = value;
      *best_j = j;
    }
  }
  return best;
}

// A partition of g from the split: A optimally in stages 0..j-1 and every other node in
// j..k-1 (no shared stage, so j is chosen again from the rows). That is valid: nothing outside A
// feeds A. The search on A only needs to meet its known optimum, so it is quick; the rest (B and
// the nodes of neither side) is searched afresh, below the incumbent when there is one (a
// partition above it is of no use). Not optimal in general (the rest is solved without the
// tensors it receives from A); nullopt if a search fails, finds nothing below the incumbent, or
// the result breaks a placement constraint. A by-product: it gets a quarter of the time limit.
std::optional<Partition> partition_from_split(const Graph& g, int k, std::span<const NodeId> a,
                                              const std::vector<double>& a_row,
                                              const std::vector<double>& b_row, double a_cap,
                                              double b_cap, const BoundOptions& options,
                                              const Stopwatch& timer) {
  int split = 0;
  double best = std::numeric_limits<double>::infinity();
  for (int j = 1; j < k; ++j) {
    const double value = std::max(entry(a_row, j), entry(b_row, k - j));
    if (value < best && entry(a_row, j) < a_cap && entry(b_row, k - j) < b_cap) {
      best = value;
      split = j;
    }
  }
  if (split == 0) return std::nullopt;
  // Seconds left of this construction's share (+inf without a time limit).
  const double share = options.time_limit_seconds > 0
                           ? 0.25 * options.time_limit_seconds
                           : std::numeric_limits<double>::infinity();
  const Stopwatch construction;
  auto seconds_left = [&] {
    double left = share - construction.seconds();
    if (options.time_limit_seconds > 0)
      left = std::min(left, timer.remaining(options.time_limit_seconds));
    return left;
  };
  auto solve_exactly = [&](std::span<const NodeId> nodes, int stages,
                           double incumbent) -> std::optional<Partition> {
    const double left = seconds_left();
    if (left <= 0) return std::nullopt;
    const Graph sub = induced_subgraph(g, nodes);
    DownsetSearchOptions search = search_options(sub, options, std::isinf(left) ? 0 : left);
    search.incumbent = incumbent;
    DownsetSearchResult found = downset_search(sub, stages, search);
    return found.status == DownsetStatus::optimal ? found.partition : std::nullopt;
  };
  const std::optional<Partition> pa = solve_exactly(a, split, entry(a_row, split));
  if (!pa) return std::nullopt;
  std::vector<char> in_a(g.num_nodes(), 0);
  for (NodeId v : a) in_a[v] = 1;
  std::vector<NodeId> rest;
  for (NodeId v = 0; v < g.num_nodes(); ++v)
    if (!in_a[v]) rest.push_back(v);
  const std::optional<Partition> pb = solve_exactly(rest, k - split, options.incumbent);
  if (!pb) return std::nullopt;
  Partition p{k, std::vector<int>(g.num_nodes(), 0)};
  for (std::size_t i = 0; i < a.size(); ++i) p.stage_of[a[i]] = pa->stage_of[i];
  for (std::size_t i = 0; i < rest.size(); ++i) p.stage_of[rest[i]] = split + pb->stage_of[i];
  if (partition_problem(g, p) || constraint_violation(g, p)) return std::nullopt;
  return p;
}

}  // namespace

BoundResult split_bound(const Graph& g, int k, const BoundOptions& options) {
  const Stopwatch timer;
  BoundResult result;
  const int n = g.num_nodes();
  const int stages = std::min(k, n);  // more stages than nodes cannot help
  // Candidates: the widest producers first (their consumers are what makes a graph wide), ties
  // by index; a split needs nodes on both sides.
  constexpr int kCandidates = 4;
  std::vector<NodeId> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::ranges::stable_sort(order, [&](NodeId a, NodeId b) {
    return g.successors(a).size() > g.successors(b).size();
  });
  int tried = 0;
  bool stopped = false;
  std::string last_reason = "no node has both ancestors and descendants";
  for (NodeId u : order) {
    if (tried == kCandidates || g.successors(u).empty()) break;
    if (g.predecessors(u).empty()) continue;  // A = {u} alone: a weak split
    std::vector<NodeId> before = reachable(g, u, false);
    before.insert(std::ranges::upper_bound(before, u), u);
    const std::vector<NodeId> after = reachable(g, u, true);
    ++tried;
    double left = timer.remaining(options.time_limit_seconds);
    if (options.time_limit_seconds > 0 && left <= 0) {
      stopped = true;
      break;
    }
    // Once a split is proven, the next candidates may only improve it: half of what is left.
    if (result.status == BoundStatus::proven && left > 0) left /= 2;
    const Stopwatch candidate;
    const Side a = solve_side(g, stages, before, options, left);
    const Side b = a.search.status == DownsetStatus::optimal
                       ? solve_side(g, stages, after, options,
                                    left > 0 ? std::max(1e-3, left - candidate.seconds()) : 0)
                       : Side{};
    const DownsetStatus failed = a.search.status != DownsetStatus::optimal ? a.search.status
                                                                         : b.search.status;
    if (failed != DownsetStatus::optimal) {
      last_reason = "split at '" + g.ids[u] + "': " +
                    (a.search.status != DownsetStatus::optimal ? a.search.reason : b.search.reason);
      if (failed == DownsetStatus::time_limit) {
        stopped = true;
        break;
      }
      continue;
    }
    int j = 1;
    double value =
        combine(a.search.capped_optimum_by_stages, b.search.capped_optimum_by_stages, stages, &j);
    // Either u's stage sends u's tensor, which A's last stage then pays on top (docs/bounds.md),
    // or it holds every consumer of u, and costs at least their work and u's.
    double together = g.work[u];
    for (NodeId v : g.successors(u)) together += g.work[v];
    const double seconds_left = timer.remaining(options.time_limit_seconds);  // 0 = no limit
    if (together > value && (options.time_limit_seconds <= 0 || seconds_left > 0)) {
      const Side sending = solve_side(g, stages, before, options, seconds_left, u);
      if (sending.search.status == DownsetStatus::optimal) {
        int j_sending = 1;
        const double with_send = std::min(
            together, combine(sending.search.capped_optimum_by_stages,
                              b.search.capped_optimum_by_stages, stages, &j_sending));
        if (with_send > value) {
          value = with_send;
          j = j_sending;
        }
      }
    }
    // Incremental sums in the searches: keep a rounding margin so the bound stays valid.
    const double bound = std::max(0.0, value - 1e-9 * std::max(1.0, value));
    if (result.status != BoundStatus::proven || bound > result.value) {
      result.value = bound;
      result.detail = "split at '" + g.ids[u] + "': " + std::to_string(a.nodes) + " + " +
                      std::to_string(b.nodes) + " nodes, " + std::to_string(j) + " + " +
                      std::to_string(stages + 1 - j) + " stages, " +
                      std::to_string(a.search.downsets + b.search.downsets) + " downsets";
    }
    if (!result.partition)
      result.partition = partition_from_split(
          g, stages, before, a.search.capped_optimum_by_stages, b.search.capped_optimum_by_stages,
          a.search.cap, b.search.cap, options, timer);
    if (result.partition) result.partition->k = k;  // found with min(k, n) stages
    result.status = BoundStatus::proven;
    if (options.incumbent < std::numeric_limits<double>::infinity() &&
        result.value >= options.incumbent * (1 - 1e-9))
      break;
  }
  if (result.status != BoundStatus::proven) {
    result.status = stopped ? BoundStatus::time_limit : BoundStatus::gave_up;
    result.detail = last_reason;
  }
  return result;
}

}  // namespace pipecut
