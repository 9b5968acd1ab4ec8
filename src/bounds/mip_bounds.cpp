#include "pipecut/bounds/mip_bounds.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>

#include "pipecut/bounds/simple.hpp"
#include "pipecut/mip/solver.hpp"
#include "pipecut/model/constraints.hpp"
#include "pipecut/model/numeric.hpp"
#include "pipecut/util/stopwatch.hpp"

namespace pipecut {

namespace {

// A pipeline of `capacity.size()` ordered groups: group g holds nodes with position g, positions
// never decrease along an edge, and f(group g) <= capacity[g] * T. Minimises T. capacity[g] is
// the number of pipeline stages group g stands for, so under a memory capacity C the group's
// memory is at most capacity[g] * C (a knapsack row per group).
// Variables: at_least[B][g] = [position(B) >= g] for g = 1..G-1 and each block B of
// model/constraints.hpp (every member of a block shares its block's variables: a block always
// lies in one stage, hence in one group); binary, non-increasing in g, non-decreasing along
// edges. member_g(B) = at_least[B][g] - at_least[B][g+1] (affine, with at_least[B][0] = 1 and
// at_least[B][G] = 0); cut[t][g] >= |member_g(t) - member_g(c)| for every consumer c of tensor t
// outside t's block, i.e. t's hyperedge is cut by group g.
struct GroupModel {
  mip::MipModel model;
  int groups = 0;
  int n = 0;
  const Constraints* constraints = nullptr;
  mip::VarId makespan = 0;
  std::vector<mip::VarId> at_least;  // blocks * (groups - 1), block-major
  bool abandoned = false;            // building stopped at the time limit: the model is partial
  std::vector<NodeId> costly_tensors;
  std::vector<mip::VarId> cut;  // costly_tensors.size() * groups
  [[nodiscard]] mip::VarId block_var(int block, int g) const {
    return at_least[std::size_t(block) * (groups - 1) + (g - 1)];
  }
  [[nodiscard]] mip::VarId at_least_var(NodeId v, int g) const {
    return block_var(constraints->block_of[v], g);
  }
  // Terms of member_g(B), and its constant part.
  void member_terms_of_block(int block, int g, double scale, std::vector<mip::Term>& terms,
                             double& constant) const {
    if (g == 0)
      constant += scale;
    else
      terms.push_back({block_var(block, g), scale});
    if (g + 1 < groups) terms.push_back({block_var(block, g + 1), -scale});
  }
  void member_terms(NodeId v, int g, double scale, std::vector<mip::Term>& terms,
                    double& constant) const {
    member_terms_of_block(constraints->block_of[v], g, scale, terms, constant);
  }
};

// Work of each node together with all its ancestors (upstream = true) or descendants.
// Bitsets over node indices: O(n^2 / 64) memory, used only for graphs up to kMaxClosureNodes.
constexpr int kMaxClosureNodes = 8000;
std::vector<double> closure_work(const Graph& g, bool upstream) {
  const int n = g.num_nodes();
  const std::size_t words = (static_cast<std::size_t>(n) + 63) / 64;
  std::vector<std::uint64_t> sets(words * n, 0);
  const std::vector<NodeId> order = topological_order(g);
  std::vector<double> work(n, 0.0);
  for (int i = 0; i < n; ++i) {
    const NodeId v = upstream ? order[i] : order[n - 1 - i];
    std::uint64_t* set = &sets[words * v];
    set[v / 64] |= std::uint64_t{1} << (v % 64);
    for (NodeId u : upstream ? g.predecessors(v) : g.successors(v)) {
      const std::uint64_t* other = &sets[words * u];
      for (std::size_t w = 0; w < words; ++w) set[w] |= other[w];
    }
    for (std::size_t w = 0; w < words; ++w)
      for (std::uint64_t bits = set[w]; bits; bits &= bits - 1)
        work[v] +=
            g.work[static_cast<NodeId>(w * 64 + static_cast<std::size_t>(__builtin_ctzll(bits)))];
  }
  return work;
}

// Fixes positions that no solution with T <= upper can take. Groups 0..p hold v and all its
// ancestors, and a group's cost is at least its work, so work(ancestors + v) <=
// (capacity[0] + ... + capacity[p]) * T: p is at least the first group whose cumulative
// capacity reaches it. Symmetrically for descendants and the groups after v. Every partition
// with bottleneck <= upper (the warm start among them) satisfies the fixings, so the model's
// optimum over T <= upper is unchanged.
void fix_positions_by_work(const Graph& g, const std::vector<double>& capacity, double upper,
                           GroupModel& gm) {
  if (!std::isfinite(upper) || upper <= 0 || g.num_nodes() > kMaxClosureNodes) return;
  const int groups = gm.groups;
  const Constraints& c = *gm.constraints;
  const std::vector<double> up = closure_work(g, true), down = closure_work(g, false);
  std::vector<double> cumulative(groups + 1, 0.0);  // capacity of groups [0, p)
  for (int p = 0; p < groups; ++p) cumulative[p + 1] = cumulative[p] + capacity[p];
  const double slack = 1 + 1e-9;  // rounding may only weaken a fixing
  // A block's position is every member's: each member's range holds, so their intersection does.
  std::vector<int> lowest(c.num_blocks(), 0), highest(c.num_blocks(), groups - 1);
  for (NodeId v = 0; v < gm.n; ++v) {
    int low = 0;  // smallest p with work(ancestors + v) <= cumulative[p + 1] * upper
    while (low < groups - 1 && up[v] > cumulative[low + 1] * upper * slack) ++low;
    int high = groups - 1;  // groups high..G-1 have capacity for the descendants
    while (high > 0 && down[v] > (cumulative[groups] - cumulative[high]) * upper * slack) --high;
    const int block = c.block_of[v];
    lowest[block] = std::max(lowest[block], low);
    highest[block] = std::min(highest[block], high);
  }
  for (int block = 0; block < c.num_blocks(); ++block) {
    if (lowest[block] > highest[block]) continue;  // only by rounding; leave the block free
    for (int b = 1; b <= lowest[block]; ++b) gm.model.fix(gm.block_var(block, b), 1.0);
    for (int b = highest[block] + 1; b < groups; ++b) gm.model.fix(gm.block_var(block, b), 0.0);
  }
}

// `out_of_time` is polled while the rows are added (a large model takes a second or more to
// build); when it fires the model is left partial and marked abandoned.
GroupModel build_group_model(const Graph& g, const Constraints& constraints,
                             const std::vector<double>& capacity, double lower, double upper,
                             const std::function<bool()>& out_of_time) {
  GroupModel gm;
  gm.groups = static_cast<int>(capacity.size());
  gm.n = g.num_nodes();
  gm.constraints = &constraints;
  const int groups = gm.groups;
  const int blocks = constraints.num_blocks();
  mip::MipModel& m = gm.model;
  gm.makespan = m.add_continuous(std::max(0.0, lower), upper, 1.0);
  for (int block = 0; block < blocks; ++block)
    for (int b = 1; b < groups; ++b) gm.at_least.push_back(m.add_binary());
  fix_positions_by_work(g, capacity, upper, gm);
  for (int block = 0; block < blocks; ++block)
    for (int b = 1; b + 1 < groups; ++b)
      m.add_greater_equal({{gm.block_var(block, b), 1.0}, {gm.block_var(block, b + 1), -1.0}}, 0.0);
  std::vector<std::pair<int, int>> block_edges;
  for (NodeId u = 0; u < gm.n; ++u)
    for (NodeId v : g.successors(u))
      if (constraints.block_of[u] != constraints.block_of[v])
        block_edges.emplace_back(constraints.block_of[u], constraints.block_of[v]);
  std::sort(block_edges.begin(), block_edges.end());
  block_edges.erase(std::unique(block_edges.begin(), block_edges.end()), block_edges.end());
  for (std::size_t i = 0; i < block_edges.size(); ++i) {
    if (i % 64 == 0 && out_of_time()) {
      gm.abandoned = true;
      return gm;
    }
    const auto [from, to] = block_edges[i];
    for (int b = 1; b < groups; ++b)  // position(from) >= b implies position(to) >= b
      m.add_greater_equal({{gm.block_var(to, b), 1.0}, {gm.block_var(from, b), -1.0}}, 0.0);
  }
  auto crosses_blocks = [&](NodeId t, NodeId c) {
    return constraints.block_of[t] != constraints.block_of[c];
  };
  for (NodeId t = 0; t < gm.n; ++t) {
    if (!(g.comm[t] > 0)) continue;
    const auto consumers = g.successors(t);
    if (std::any_of(consumers.begin(), consumers.end(),
                    [&](NodeId c) { return crosses_blocks(t, c); }))
      gm.costly_tensors.push_back(t);  // a tensor used only inside its block is never cut
  }
  for (std::size_t i = 0; i < gm.costly_tensors.size(); ++i) {
    if (i % 64 == 0 && out_of_time()) {
      gm.abandoned = true;
      return gm;
    }
    const NodeId t = gm.costly_tensors[i];
    for (int b = 0; b < groups; ++b) {
      const mip::VarId cut = m.add_continuous(0.0, 1.0);
      gm.cut.push_back(cut);
      for (NodeId c : g.successors(t))
        for (double sign : {1.0, -1.0}) {
          if (!crosses_blocks(t, c)) continue;
          // cut >= sign * (member_b(t) - member_b(c))
          std::vector<mip::Term> terms{{cut, 1.0}};
          double constant = 0.0;
          gm.member_terms(t, b, -sign, terms, constant);
          gm.member_terms(c, b, sign, terms, constant);
          // cut - sign*member(t) + sign*member(c) + constant >= 0; constants cancel here.
          m.add_greater_equal(std::move(terms), -constant);
        }
    }
  }
  // Stage cost: sum_B w(B) member_b(B) + sum_t c(t) cut[t][b] <= capacity[b] * T.
  std::vector<double> block_work(blocks, 0.0);
  for (NodeId v = 0; v < gm.n; ++v) block_work[constraints.block_of[v]] += g.work[v];
  for (int b = 0; b < groups; ++b) {
    std::vector<mip::Term> terms;
    double constant = 0.0;
    for (int block = 0; block < blocks; ++block)
      if (block_work[block] > 0)
        gm.member_terms_of_block(block, b, block_work[block], terms, constant);
    for (std::size_t i = 0; i < gm.costly_tensors.size(); ++i)
      terms.push_back({gm.cut[i * groups + b], g.comm[gm.costly_tensors[i]]});
    terms.push_back({gm.makespan, -capacity[b]});
    m.add_less_equal(std::move(terms), -constant);
  }
  // Knapsack: sum_B (M(B) / C) member_b(B) <= capacity[b] (memory in units of C keeps the row
  // well scaled for the solver).
  if (constraints.capacity) {
    const double bytes = *constraints.capacity;
    for (int b = 0; b < groups; ++b) {
      std::vector<mip::Term> terms;
      double constant = 0.0;
      for (int block = 0; block < blocks; ++block)
        if (constraints.block_memory[block] > 0)
          gm.member_terms_of_block(block, b, constraints.block_memory[block] / bytes, terms,
                                   constant);
      if (terms.empty() && constant == 0.0) continue;
      m.add_less_equal(std::move(terms), capacity[b] - constant);
    }
  }
  return gm;
}

// The model's variable values for a partition with stage_of[v] in 0..groups-1.
std::vector<double> group_assignment(const Graph& g, const GroupModel& gm,
                                     const std::vector<int>& position,
                                     const std::vector<double>& capacity) {
  std::vector<double> x(gm.model.num_variables(), 0.0);
  for (NodeId v = 0; v < gm.n; ++v)
    for (int b = 1; b < gm.groups; ++b) x[gm.at_least_var(v, b)] = position[v] >= b ? 1.0 : 0.0;
  std::vector<double> group_cost(gm.groups, 0.0);
  for (NodeId v = 0; v < gm.n; ++v) group_cost[position[v]] += g.work[v];
  for (std::size_t i = 0; i < gm.costly_tensors.size(); ++i) {
    const NodeId t = gm.costly_tensors[i];
    for (int b = 0; b < gm.groups; ++b) {
      bool cut = false;
      for (NodeId c : g.successors(t)) cut = cut || ((position[t] == b) != (position[c] == b));
      x[gm.cut[i * gm.groups + b]] = cut ? 1.0 : 0.0;
      if (cut) group_cost[b] += g.comm[t];
    }
  }
  double makespan = gm.model.variables()[gm.makespan].lower;
  for (int b = 0; b < gm.groups; ++b)
    if (capacity[b] > 0) makespan = std::max(makespan, group_cost[b] / capacity[b]);
  x[gm.makespan] = makespan;
  return x;
}

std::vector<int> positions_from(const GroupModel& gm, const std::vector<double>& x) {
  std::vector<int> position(gm.n, 0);
  for (NodeId v = 0; v < gm.n; ++v)
    for (int b = 1; b < gm.groups; ++b)
      if (x[gm.at_least_var(v, b)] > 0.5) position[v] = b;
  return position;
}

// A valid bound from a solver's proven bound.
// A bound streamed by a worker before it failed is still proven, so only its value matters.
double solver_bound(const mip::SolveResult& r) {
  if (!(r.best_bound > -mip::kInfinity) || !std::isfinite(r.best_bound)) return 0.0;
  return std::max(0.0, r.best_bound - mip::bound_tolerance(r.best_bound));
}

// Nonzero coefficients of build_group_model's model (an upper bound, before fixings), computed
// without building it so that an oversized model is refused before it takes the memory.
long long group_model_nonzeros(const Graph& g, int groups) {
  long long consumers = 0;  // (costly tensor, consumer) pairs
  long long costly = 0;
  for (NodeId t = 0; t < g.num_nodes(); ++t)
    if (g.comm[t] > 0 && !g.successors(t).empty()) {
      ++costly;
      consumers += static_cast<long long>(g.successors(t).size());
    }
  const long long n = g.num_nodes(), m = g.num_edges(), G = groups;
  return 2 * n * std::max(0LL, G - 2)             // at_least chains
         + 2 * m * (G - 1)                        // precedence
         + 2 * consumers * G * 5                  // cut[t][b] >= +-(member_b(t) - member_b(c))
         + G * (2 * n + costly + 1)               // stage costs
         + (g.memory_per_stage ? 2 * n * G : 0);  // knapsack rows (at most one per node)
}

// Stage indices renumbered 0, 1, ... in order, skipping empty stages: the same partition (stage
// costs do not depend on the indices) with every index below the number of nodes.
std::vector<int> compact_stages(const std::vector<int>& stage_of) {
  std::vector<int> used = stage_of;
  std::sort(used.begin(), used.end());
  used.erase(std::unique(used.begin(), used.end()), used.end());
  std::vector<int> compact(stage_of.size());
  for (std::size_t v = 0; v < stage_of.size(); ++v)
    compact[v] =
        static_cast<int>(std::lower_bound(used.begin(), used.end(), stage_of[v]) - used.begin());
  return compact;
}

// One line saying the model is too large to build.
std::string too_large(long long nonzeros) {
  return "model too large (" + std::to_string(nonzeros / 1'000'000) + "M nonzeros, limit " +
         std::to_string(mip::kMaxModelNonzeros / 1'000'000) + "M)";
}

double upper_limit(const BoundOptions& o) {
  return std::isfinite(o.incumbent) ? o.incumbent * (1 + 1e-7) : mip::kInfinity;
}

// The MIP solver's tolerances are absolute: each MIP runs on the exact-cost view of the graph
// with its costs scaled by a power of two (exact) so that the optimum is about 1, and its bound
// is scaled back. Its margin (bound_tolerance) is then relative to the bound whatever the unit.
template <class Run>
BoundResult on_scaled_view(const Graph& graph, int k, const BoundOptions& options,
                           const RunSignals& signals, Run run) {
  const ExactCosts exact(graph, comm_cap(graph, options.incumbent));
  const double reference =
      std::isfinite(options.incumbent) && options.incumbent > 0
          ? options.incumbent
          : std::max(options.known_lower_bound, simple_lower_bound(exact.graph(), k));
  const double scale = unit_scale(reference);
  Graph g = with_scaled_costs(exact.graph(), scale);
  // CBC's tolerances are absolute: beside costs near 1, one of 2^-60 can make it judge a
  // feasible model infeasible. Costs are rounded down to a multiple of 2^-36 (docs/bounds.md,
  // "Numerics"): they only go down, so the bound stays valid, and n of them lose at most
  // n * 2^-36 of the reference.
  constexpr double kMipCostGrid = 0x1p-36;
  for (double& w : g.work) w = std::floor(w / kMipCostGrid) * kMipCostGrid;
  for (double& c : g.comm) c = std::floor(c / kMipCostGrid) * kMipCostGrid;
  BoundOptions scaled = options;
  scaled.incumbent *= scale;
  // The simple bound of the view before the rounding below (valid for the graph, and exact when
  // scaled by a power of two): the MIP's floor, so that no MIP bound falls below it.
  scaled.known_lower_bound =
      std::max(options.known_lower_bound, simple_lower_bound(exact.graph(), k)) * scale;
  BoundResult result = run(g, k, scaled, signals);
  result.value /= scale;
  return result;
}

BoundResult exact_mip_bound_scaled(const Graph& g, int k, const BoundOptions& options,
                                   const RunSignals& signals) {
  const Stopwatch timer;
  BoundResult result;
  result.method = "exact";
  // More stages than nodes cannot help (at most n are non-empty): model min(k, n) stages, so a
  // huge k costs no memory. Partitions found still say k.
  const int stages = std::min(k, g.num_nodes());
  const std::vector<double> capacity(stages, 1.0);
  const Constraints constraints = derive_constraints(g);
  // T >= the simple bound is valid (OPT satisfies it) and lifts the weak LP relaxation.
  const double floor = std::max(options.known_lower_bound, simple_lower_bound(g, k));
  // A warm start is a partition for this k, or it is ignored.
  const bool warm = options.warm_start && options.warm_start->k == k &&
                    !partition_problem(g, *options.warm_start) &&
                    !constraint_violation(g, *options.warm_start);
  // The model is built only when it fits in memory; the floor is valid either way.
  if (const long long nonzeros = group_model_nonzeros(g, stages);
      nonzeros > mip::kMaxModelNonzeros) {
    result.value = floor;
    result.status = BoundStatus::gave_up;
    result.detail = too_large(nonzeros);
    result.seconds = timer.seconds();
    return result;
  }
  GroupModel gm = build_group_model(g, constraints, capacity, floor, upper_limit(options), [&] {
    return timer.exceeded(options.time_limit_seconds) || stop_requested(signals.stop);
  });
  if (gm.abandoned) {
    result.value = floor;
    result.status = BoundStatus::time_limit;
    if (warm) result.partition = options.warm_start;  // never worse than the start
    result.detail = "time limit while building the model";
    result.seconds = timer.seconds();
    return result;
  }
  const auto solver = mip::make_cbc_solver();
  mip::MipOptions so;
  // What is left after building the model (at least a moment, since 0 means no limit).
  if (options.time_limit_seconds > 0)
    so.time_limit_seconds = std::max(1e-3, timer.remaining(options.time_limit_seconds));
  so.threads = options.mip_threads;
  so.solver_log = options.solver_log;
  so.log = signals.log;
  so.stop = signals.stop;
  if (warm) {
    std::vector<double> start_values =
        group_assignment(g, gm, compact_stages(options.warm_start->stage_of), capacity);
    if (gm.model.max_violation(start_values) <= 1e-7) so.initial_solution = std::move(start_values);
  }
  mip::SolveResult solved = solver->solve(gm.model, so);
  if (solved.status == mip::SolveStatus::infeasible && so.initial_solution) {
    // The warm start is feasible, so "infeasible" means the solver found nothing better than it
    // (CBC cuts off at the warm start's objective from the root LP on): it is optimal.
    const double value = gm.model.objective_value(*so.initial_solution);
    result.value = std::max(floor, value - mip::bound_tolerance(value));
    result.partition = options.warm_start;
    result.status = BoundStatus::proven;
    result.detail = "0 nodes (the warm start is optimal)";
    result.seconds = timer.seconds();
    return result;
  }
  if (solved.status == mip::SolveStatus::infeasible && !std::isfinite(options.incumbent)) {
    // Nothing but the placement constraints restricts the model: no valid partition exists.
    result.status = BoundStatus::infeasible;
    result.detail = "the exact MIP has no solution: no partition into at most " +
                    std::to_string(k) + " stages " + constraints_phrase(g);
    result.seconds = timer.seconds();
    return result;
  }
  if (solved.status == mip::SolveStatus::infeasible) {
    // Only possible when T <= incumbent cuts every partition off, i.e. by rounding: the
    // incumbent is optimal.
    result.value = std::isfinite(options.incumbent)
                       ? options.incumbent - mip::bound_tolerance(options.incumbent)
                       : 0.0;
    if (warm) result.partition = options.warm_start;
    result.status = BoundStatus::proven;
  } else {
    // The model contains T >= known_lower_bound, so that bound is the model's bound too. A bound
    // the solver proved before it failed is still valid.
    result.value = std::max(solver_bound(solved), floor);
    result.status = solved.status == mip::SolveStatus::optimal   ? BoundStatus::proven
                    : solved.status == mip::SolveStatus::stopped ? BoundStatus::time_limit
                                                                 : BoundStatus::gave_up;
    if (solved.has_solution) {
      Partition p{k, positions_from(gm, solved.solution)};
      // Never trusted: the solver's tolerances could admit a stage a few bytes over capacity.
      if (!partition_problem(g, p) && !constraint_violation(g, p)) result.partition = std::move(p);
    }
  }
  // Never worse than the start (the solver may stop, or round, before it beats it).
  if (warm && (!result.partition || evaluate_partition(g, *result.partition).bottleneck >
                                        evaluate_partition(g, *options.warm_start).bottleneck))
    result.partition = options.warm_start;
  result.detail = std::to_string(solved.nodes) + " nodes";
  if (!solved.message.empty()) result.detail += " (" + solved.message + ")";
  result.seconds = timer.seconds();
  return result;
}

BoundResult grouped_mip_bound_scaled(const Graph& g, int k, const BoundOptions& options,
                                     const RunSignals& signals) {
  const Stopwatch timer;
  BoundResult result;
  result.method = "grouped";
  result.status = BoundStatus::proven;
  result.value = 0.0;
  // Positions beyond the number of nodes add nothing (OPT for k stages is OPT for min(k, n)),
  // and a huge k must not cost O(k): the relaxation is built for min(k, n) stages.
  k = std::min(k, g.num_nodes());
  if (const long long nonzeros = group_model_nonzeros(g, 3); nonzeros > mip::kMaxModelNonzeros) {
    result.value = std::max(options.known_lower_bound, simple_lower_bound(g, k));
    result.status = BoundStatus::gave_up;
    result.detail = too_large(nonzeros);
    result.seconds = timer.seconds();
    return result;
  }
  auto solver = mip::make_cbc_solver();
  const double target = options.incumbent;
  // Middle positions first: their two outer groups are both large, which tends to bind.
  std::vector<int> positions;
  for (int b = 0; b < k; ++b) positions.push_back(b);
  std::stable_sort(positions.begin(), positions.end(), [k](int a, int b) {
    return std::abs(2 * a - (k - 1)) < std::abs(2 * b - (k - 1));
  });
  int best_position = -1;
  std::string problem;  // why a position failed, if one did
  const Constraints constraints = derive_constraints(g);
  for (std::size_t i = 0; i < positions.size(); ++i) {
    if (result.value >= target - mip::bound_tolerance(target)) break;
    const int b = positions[i];
    const std::vector<double> capacity{double(b), 1.0, double(k - b - 1)};
    // T >= any bound already proven (OPT satisfies it): the simple bound, earlier positions.
    const double floor =
        std::max({options.known_lower_bound, simple_lower_bound(g, k), result.value});
    GroupModel gm = build_group_model(g, constraints, capacity, floor, upper_limit(options), [&] {
      return timer.exceeded(options.time_limit_seconds) || stop_requested(signals.stop);
    });
    if (gm.abandoned) {
      result.status = BoundStatus::time_limit;
      break;
    }
    // This position's share of what is left once its model is built.
    double budget = 0;
    if (stop_requested(signals.stop)) {
      result.status = BoundStatus::time_limit;
      break;
    }
    if (options.time_limit_seconds > 0) {
      const double remaining = options.time_limit_seconds - timer.seconds();
      if (remaining <= 0.01) {
        result.status = BoundStatus::time_limit;
        break;
      }
      budget = remaining / double(positions.size() - i);
    }
    mip::MipOptions so;
    so.time_limit_seconds = budget;
    so.threads = options.mip_threads;
    so.solver_log = options.solver_log;
    so.log = signals.log;
    so.stop = signals.stop;
    so.stop_if_objective_at_most = floor;  // this position cannot raise the maximum
    so.stop_if_bound_at_least = target;
    mip::SolveResult solved = solver->solve(gm.model, so);
    double value =
        std::max(solver_bound(solved), solved.status == mip::SolveStatus::error ? 0.0 : floor);
    if (solved.status == mip::SolveStatus::infeasible && !std::isfinite(target)) {
      // The grouping is a relaxation of every valid partition (each stage within C, so each
      // group within its stage count times C): none exists.
      result.status = BoundStatus::infeasible;
      result.value = 0.0;
      result.detail = "the grouped relaxation at position " + std::to_string(b) +
                      " has no solution: no partition into at most " + std::to_string(k) +
                      " stages " + constraints_phrase(g);
      result.seconds = timer.seconds();
      return result;
    }
    if (solved.status == mip::SolveStatus::infeasible && std::isfinite(target))
      value = target - mip::bound_tolerance(target);  // T <= incumbent excludes everything
    // The solver's own status says whether this position is settled (optimal, infeasible, or
    // an early stop that answers it) or was cut short.
    if (solved.status == mip::SolveStatus::stopped && result.status == BoundStatus::proven)
      result.status = BoundStatus::time_limit;
    if (solved.status == mip::SolveStatus::error) {
      result.status = BoundStatus::gave_up;
      if (problem.empty()) problem = solved.message;
    }
    if (value > result.value) {
      result.value = value;
      best_position = b;
    }
  }
  if (best_position >= 0) result.detail = "position " + std::to_string(best_position);
  if (!problem.empty()) result.detail += (result.detail.empty() ? "" : ", ") + problem;
  result.seconds = timer.seconds();
  return result;
}

}  // namespace

BoundResult exact_mip_bound(const Graph& g, int k, const BoundOptions& options,
                            const RunSignals& signals) {
  return on_scaled_view(g, k, options, signals, exact_mip_bound_scaled);
}

BoundResult grouped_mip_bound(const Graph& g, int k, const BoundOptions& options,
                              const RunSignals& signals) {
  return on_scaled_view(g, k, options, signals, grouped_mip_bound_scaled);
}

}  // namespace pipecut
