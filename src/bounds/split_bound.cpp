#include "pipecut/bounds/split_bound.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "pipecut/model/constraints.hpp"
#include "pipecut/model/cost.hpp"
#include "pipecut/model/numeric.hpp"
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

// The bound's options with its run's stop flag, which every exact search below polls.
struct SplitOptions : BoundOptions {
  const StopFlag* stop = nullptr;
};

SplitOptions with_stop(const BoundOptions& bound_options, const RunSignals& signals) {
  SplitOptions options;
  static_cast<BoundOptions&>(options) = bound_options;
  options.stop = signals.stop;
  return options;
}

// Options of an exact search within `seconds` (0 = none): the bound's stop flag, downset limit
// and threads.
DownsetSearchOptions search_options(const SplitOptions& options, double seconds) {
  DownsetSearchOptions search;
  search.time_limit_seconds = seconds;
  search.stop = options.stop;
  search.downset_limit = options.downset_limit;
  search.threads = options.threads;
  return search;
}

// The same, searching the light-source units of `sub`.
DownsetSearchOptions search_options(const Graph& sub, const SplitOptions& options, double seconds) {
  DownsetSearchOptions search = search_options(options, seconds);
  search.unit_of = light_source_units(sub, derive_constraints(sub));
  return search;
}

// The exact search on G[nodes], with light sources merged, starting from the incumbent's
// restriction when there is one (a valid partition of the subgraph whose stages cost no more).
Side solve_side(const Graph& g, int k, std::span<const NodeId> nodes, const SplitOptions& options,
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

// u's descendants and u itself, ascending.
std::vector<NodeId> with_node(std::span<const NodeId> after, NodeId u) {
  std::vector<NodeId> nodes(after.begin(), after.end());
  nodes.insert(std::ranges::upper_bound(nodes, u), u);
  return nodes;
}

// The chains of single-consumer operators that read only u's tensor, each joined to the unit of
// the operator it feeds (docs/bounds.md, "split", "B's receives"), on top of the light-source
// units of h. For a partition this only restricts the search. For a bound, `rebate` and `slack`
// make up for the receives of u's tensor that joining a chain may add to its consumer's stage.
struct ReaderChains {
  std::vector<int> unit_of;  // unit ids, not dense (ids of the joined chains stay unused)
  StageRebate rebate;        // per node of h
  double slack = 0;          // what u's own stage may lose when the chains move
  int chains = 0;
  bool u_alone = false;  // u is a unit of its own (the rebate's proof needs it)
};

ReaderChains glue_reader_chains(const Graph& h, NodeId u) {
  const int n = h.num_nodes();
  ReaderChains glued;
  glued.unit_of = light_source_units(h, derive_constraints(h));
  std::vector<int>& unit_of = glued.unit_of;
  std::vector<int> unit_size(n, 0);
  for (int x : unit_of) ++unit_size[x];
  glued.u_alone = unit_size[unit_of[u]] == 1;
  // A chain node moves into its consumer's stage: one consumer, no memory under a capacity, no
  // colour class, and a unit of its own.
  auto movable = [&](NodeId v) {
    return h.successors(v).size() == 1 && unit_size[unit_of[v]] == 1 &&
           (h.colour_class.empty() || h.colour_class[v] < 0) &&
           (!h.memory_per_stage || h.memory[v] == 0);
  };
  StageRebate& rebate = glued.rebate;
  rebate.amount = h.comm[u];
  rebate.rebated.assign(n, 0);
  rebate.blocking.assign(n, 0);
  rebate.saving.assign(n, 0.0);
  for (NodeId c : h.successors(u)) {
    const bool head = h.predecessors(c).size() == 1 && movable(c) && h.comm[c] >= h.work[c];
    if (!head) {
      // Sinks that read only u move with u under the leaf reductions: never blocking.
      rebate.blocking[c] = !(h.successors(c).empty() && h.predecessors(c).size() == 1);
      continue;
    }
    std::vector<NodeId> chain{c};
    double work = h.work[c];
    double saving = h.comm[c] - work, kept = h.comm[c] + work;
    for (NodeId next = h.successors(c)[0];
         h.predecessors(next).size() == 1 && movable(next) && h.comm[next] >= work + h.work[next];
         next = h.successors(next)[0]) {
      chain.push_back(next);
      work += h.work[next];
      saving = std::min(saving, h.comm[next] - work);
      kept = std::min(kept, h.comm[next] + work);
    }
    const int consumer_unit = unit_of[h.successors(chain.back())[0]];
    for (NodeId v : chain) unit_of[v] = consumer_unit;
    rebate.rebated[c] = 1;
    rebate.saving[c] = saving;
    glued.slack = std::max(glued.slack, h.comm[u] - kept);
    ++glued.chains;
  }
  // The chains' own unit ids are left unused: the search numbers its units densely itself.
  return glued;
}

// The downset search on h with u's reader chains joined and the rebate (docs/bounds.md), and the
// slack to take off its values. Entries above the incumbent (+ the slack) cannot raise a bound:
// they may stay capped. nullopt when u is not a unit of its own, when `need_chain` and no chain
// joins, or when the search did not finish.
struct RebatedSearch {
  DownsetSearchResult found;
  double slack = 0;
};

std::optional<RebatedSearch> search_with_rebate(const Graph& h, NodeId u, int k,
                                                const SplitOptions& options, bool need_chain) {
  ReaderChains glued = glue_reader_chains(h, u);
  if (!glued.u_alone || (need_chain && glued.chains == 0)) return std::nullopt;
  DownsetSearchOptions search = search_options(options, options.time_limit_seconds);
  search.unit_of = std::move(glued.unit_of);
  search.rebate = std::move(glued.rebate);
  search.pair_limit = options.downset_pair_limit;
  if (options.incumbent < std::numeric_limits<double>::infinity())
    search.incumbent = options.incumbent + glued.slack;
  RebatedSearch result{downset_search(h, k, search), glued.slack};
  if (result.found.status != DownsetStatus::optimal) return std::nullopt;
  return result;
}

}  // namespace

std::optional<std::vector<double>> receiving_side_bounds(const Graph& graph, NodeId u, int k,
                                                         const BoundOptions& bound_options,
                                                         const RunSignals& signals) {
  const SplitOptions options = with_stop(bound_options, signals);
  // The rebate is computed from these costs: they must be exact (model/numeric.hpp).
  const ExactCosts exact(graph, comm_cap(graph, options.incumbent));
  const Graph& g = exact.graph();
  const std::vector<NodeId> nodes = with_node(reachable(g, u, true), u);
  Graph h = induced_subgraph(g, nodes);
  const auto hu = static_cast<NodeId>(std::ranges::lower_bound(nodes, u) - nodes.begin());
  // u's work and memory belong to A; dropping them (and u's colour class) only lowers costs.
  h.work[hu] = 0;
  h.memory[hu] = 0;
  if (!h.colour_class.empty()) h.colour_class[hu] = -1;
  const std::optional<RebatedSearch> searched = search_with_rebate(h, hu, k, options, false);
  if (!searched) return std::nullopt;
  std::vector<double> row = searched->found.capped_optimum_by_stages;
  for (std::size_t j = 1; j < row.size(); ++j) row[j] = std::max(0.0, row[j] - searched->slack);
  return row;
}

std::optional<double> joined_sides_bound(const Graph& graph, NodeId u, int k,
                                         const BoundOptions& bound_options,
                                         const RunSignals& signals) {
  const SplitOptions options = with_stop(bound_options, signals);
  const ExactCosts exact(graph, comm_cap(graph, options.incumbent));
  const Graph& g = exact.graph();
  std::vector<NodeId> nodes = reachable(g, u, false);
  nodes.push_back(u);
  for (NodeId v : reachable(g, u, true)) nodes.push_back(v);
  std::ranges::sort(nodes);
  const Graph sub = induced_subgraph(g, nodes);
  const auto su = static_cast<NodeId>(std::ranges::lower_bound(nodes, u) - nodes.begin());
  // Without a chain to join, G[A + B] is as wide as the graph the whole DP gave up on.
  const std::optional<RebatedSearch> searched = search_with_rebate(sub, su, k, options, true);
  if (!searched) return std::nullopt;
  return std::max(0.0, searched->found.bottleneck - searched->slack);
}

namespace {

// Entry j of a capped_optimum_by_stages row: more stages than the row holds do no better than
// its last entry. An empty row (no search result) proves nothing.
double entry(const std::vector<double>& row, int j) {
  if (row.size() < 2) return 0.0;
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
                                              double b_cap, const SplitOptions& options,
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
  const double share = options.time_limit_seconds > 0 ? 0.25 * options.time_limit_seconds
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

// A partition of g with u's reader chains joined to their consumers: the exact search on
// G[A + B] with those units (below the incumbent), then the nodes of neither side placed by the
// exact search on g whose units are the stages found, each whole, and those nodes. The chains
// that float between u and their consumers are what makes G[B] wide; joined, the search is
// exact over every partition that keeps them with their consumer, and the stage shared by A's
// end and B's start is costed as one (which the split's own partition cannot do). nullopt when
// no chain joins, a search fails or finds nothing below the incumbent, or a block of the
// placement constraints holds a node of neither side and another node. A by-product: it gets a
// quarter of the time limit.
std::optional<Partition> partition_with_chains_joined(const Graph& g, int k, NodeId u,
                                                      std::span<const NodeId> before,
                                                      std::span<const NodeId> after,
                                                      const SplitOptions& options,
                                                      const Stopwatch& timer) {
  std::vector<NodeId> sides(before.begin(), before.end());
  sides.insert(sides.end(), after.begin(), after.end());
  std::ranges::sort(sides);
  const Graph sub = induced_subgraph(g, sides);
  ReaderChains glued = glue_reader_chains(
      sub, static_cast<NodeId>(std::ranges::lower_bound(sides, u) - sides.begin()));
  if (glued.chains == 0) return std::nullopt;
  const Stopwatch construction;
  auto seconds_left = [&] {
    if (options.time_limit_seconds <= 0) return 0.0;  // none
    return std::min(0.25 * options.time_limit_seconds - construction.seconds(),
                    timer.remaining(options.time_limit_seconds));
  };
  auto search_within = [&](const Graph& graph, std::vector<int> unit_of) {
    DownsetSearchOptions search = search_options(options, std::max(1e-3, seconds_left()));
    if (options.time_limit_seconds <= 0) search.time_limit_seconds = 0;
    search.unit_of = std::move(unit_of);
    search.incumbent = options.incumbent;
    const DownsetSearchResult found = downset_search(graph, k, search);
    return found.status == DownsetStatus::optimal ? found.partition : std::nullopt;
  };
  const std::optional<Partition> joined = search_within(sub, std::move(glued.unit_of));
  if (!joined) return std::nullopt;
  Partition p{k, std::vector<int>(g.num_nodes(), -1)};
  for (std::size_t i = 0; i < sides.size(); ++i) p.stage_of[sides[i]] = joined->stage_of[i];
  if (static_cast<int>(sides.size()) < g.num_nodes()) {
    // Units: stage b is unit b, every node of neither side a unit after them. A path through
    // such nodes runs from A to B, so from a stage up to u's to a stage from u's on: the quotient
    // is acyclic, and only u's stage may have such a path leave and come back. The nodes on
    // those paths join u's stage, which keeps it convex.
    const int shared = p.stage_of[u];
    auto reached = [&](bool forward) {
      std::vector<char> seen(g.num_nodes(), 0);
      std::vector<NodeId> stack;
      for (NodeId v = 0; v < g.num_nodes(); ++v)
        if (p.stage_of[v] == shared) stack.push_back(v);
      while (!stack.empty()) {
        const NodeId v = stack.back();
        stack.pop_back();
        for (NodeId w : forward ? g.successors(v) : g.predecessors(v))
          if (p.stage_of[w] < 0 && !seen[w]) {
            seen[w] = 1;
            stack.push_back(w);
          }
      }
      return seen;
    };
    const std::vector<char> after_shared = reached(true), before_shared = reached(false);
    // The argument is per node: a node of neither side that shares a block of the placement
    // constraints with another node gives up.
    const Constraints constraints = derive_constraints(g);
    std::vector<int> block_size(constraints.num_blocks(), 0);
    for (int b : constraints.block_of) ++block_size[b];
    std::vector<int> unit_of(g.num_nodes());
    int next = k;
    for (NodeId v = 0; v < g.num_nodes(); ++v) {
      if (p.stage_of[v] >= 0) {
        unit_of[v] = p.stage_of[v];
        continue;
      }
      if (block_size[constraints.block_of[v]] > 1) return std::nullopt;
      unit_of[v] = after_shared[v] && before_shared[v] ? shared : next++;
    }
    // Stages left empty leave unit ids unused: the search numbers its units densely itself.
    if (options.time_limit_seconds > 0 && seconds_left() <= 0) return std::nullopt;
    const std::optional<Partition> placed = search_within(g, std::move(unit_of));
    if (!placed) return std::nullopt;
    p.stage_of = placed->stage_of;
  }
  if (partition_problem(g, p) || constraint_violation(g, p)) return std::nullopt;
  return p;
}

}  // namespace

BoundResult split_bound(const Graph& graph, int k, const BoundOptions& bound_options,
                        const RunSignals& signals) {
  const Stopwatch timer;
  const SplitOptions options = with_stop(bound_options, signals);
  // Every value below is an optimum of the exact-cost view or a max / min of such optima: exact.
  const ExactCosts exact(graph, comm_cap(graph, options.incumbent));
  const Graph& g = exact.graph();
  BoundResult result;
  const int n = g.num_nodes();
  const int stages = std::min(k, n);  // more stages than nodes cannot help
  // Candidates: the widest producers first (their consumers are what makes a graph wide), ties
  // by index; a split needs nodes on both sides.
  constexpr int kCandidates = 4;
  std::vector<NodeId> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::ranges::stable_sort(
      order, [&](NodeId a, NodeId b) { return g.successors(a).size() > g.successors(b).size(); });
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
    const DownsetStatus failed =
        a.search.status != DownsetStatus::optimal ? a.search.status : b.search.status;
    if (failed != DownsetStatus::optimal) {
      last_reason = "split at '" + g.ids[u] + "': " +
                    (a.search.status != DownsetStatus::optimal ? a.search.reason : b.search.reason);
      if (failed == DownsetStatus::time_limit) {
        stopped = true;
        break;
      }
      continue;
    }
    // B's row, raised where what its stages receive from u proves more (docs/bounds.md).
    std::vector<double> b_row = b.search.capped_optimum_by_stages;
    bool receives = false;
    if (options.time_limit_seconds <= 0 || left > candidate.seconds()) {
      BoundOptions receiving_options = options;
      receiving_options.time_limit_seconds = left > 0 ? left - candidate.seconds() : 0;
      if (const auto row = receiving_side_bounds(g, u, stages, receiving_options, signals)) {
        b_row.resize(std::max(b_row.size(), row->size()), b_row.back());
        for (std::size_t m = 1; m < b_row.size(); ++m)
          if (entry(*row, static_cast<int>(m)) > b_row[m]) {
            b_row[m] = entry(*row, static_cast<int>(m));
            receives = true;
          }
      }
    }
    int j = 1;
    double value = combine(a.search.capped_optimum_by_stages, b_row, stages, &j);
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
            together, combine(sending.search.capped_optimum_by_stages, b_row, stages, &j_sending));
        if (with_send > value) {
          value = with_send;
          j = j_sending;
        }
      }
    }
    // A and B searched as one graph, chains joined with the rebate: the stage they share is
    // costed once (docs/bounds.md). Only worth it when the two-sided value leaves a gap.
    bool whole = false;
    const double whole_seconds = timer.remaining(options.time_limit_seconds);  // 0 = no limit
    if (value < options.incumbent && (options.time_limit_seconds <= 0 || whole_seconds > 0)) {
      BoundOptions whole_options = options;
      whole_options.time_limit_seconds = whole_seconds;
      // Strictly better only: equal values may differ in the last bits between builds.
      if (const auto joined = joined_sides_bound(g, u, stages, whole_options, signals);
          joined && *joined > value * (1 + 1e-9)) {
        value = *joined;
        whole = true;
      }
    }
    if (!(value < std::numeric_limits<double>::infinity())) {
      // Without an incumbent the rows are the sides' optima: +inf for every split of the stages
      // means that one side has no partition within the constraints, so g has none either.
      result.status = BoundStatus::infeasible;
      result.value = 0.0;
      result.detail = "the ancestors and the descendants of '" + g.ids[u] +
                      "' have no partitions into " + std::to_string(k) + " stages in all that " +
                      constraints_phrase(g);
      result.partition.reset();
      return result;
    }
    const double bound = value;  // optima of the exact-cost view, and their maxima: exact
    if (result.status != BoundStatus::proven || bound > result.value) {
      result.value = bound;
      result.detail =
          "split at '" + g.ids[u] + "': " + std::to_string(a.nodes) + " + " +
          std::to_string(b.nodes) + " nodes, " +
          (whole ? std::string("searched together with B's reader chains joined")
                 : std::to_string(j) + " + " + std::to_string(stages + 1 - j) + " stages, " +
                       std::to_string(a.search.downsets + b.search.downsets) + " downsets" +
                       (receives ? ", with B's receives" : ""));
    }
    if (!result.partition) {
      // Two constructions from the split, the better one kept.
      result.partition = partition_with_chains_joined(g, stages, u, before, after, options, timer);
      std::optional<Partition> from_rows = partition_from_split(
          g, stages, before, a.search.capped_optimum_by_stages, b.search.capped_optimum_by_stages,
          a.search.cap, b.search.cap, options, timer);
      if (from_rows &&
          (!result.partition || evaluate_partition(g, *from_rows).bottleneck <
                                    evaluate_partition(g, *result.partition).bottleneck))
        result.partition = std::move(from_rows);
    }
    if (result.partition) result.partition->k = k;  // found with min(k, n) stages
    result.status = BoundStatus::proven;
    if (options.incumbent < std::numeric_limits<double>::infinity() &&
        result.value >= options.incumbent)
      break;
  }
  if (result.status != BoundStatus::proven) {
    result.status = stopped ? BoundStatus::time_limit : BoundStatus::gave_up;
    result.detail = last_reason;
  }
  return result;
}

}  // namespace pipecut
