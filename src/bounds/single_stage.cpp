#include "pipecut/bounds/single_stage.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "bounds/max_flow.hpp"
#include "pipecut/mip/solver.hpp"
#include "pipecut/model/constraints.hpp"
#include "pipecut/model/cost.hpp"
#include "pipecut/model/numeric.hpp"
#include "pipecut/util/stopwatch.hpp"

namespace pipecut {

namespace {

// Marks every node reachable from the marked ones, following successors (forward) or
// predecessors (backward).
std::vector<char> closure(const Graph& g, const std::vector<char>& seed, bool forward) {
  std::vector<char> reached = seed;
  std::vector<NodeId> stack;
  for (NodeId v = 0; v < g.num_nodes(); ++v)
    if (seed[v]) stack.push_back(v);
  while (!stack.empty()) {
    NodeId v = stack.back();
    stack.pop_back();
    for (NodeId u : forward ? g.successors(v) : g.predecessors(v))
      if (!reached[u]) {
        reached[u] = 1;
        stack.push_back(u);
      }
  }
  return reached;
}

// Smallest convex set containing `set`: the nodes on paths between two of its members.
std::vector<char> convex_hull(const Graph& g, const std::vector<char>& set) {
  std::vector<char> down = closure(g, set, false);
  std::vector<char> up = closure(g, set, true);
  std::vector<char> hull(g.num_nodes());
  for (NodeId v = 0; v < g.num_nodes(); ++v) hull[v] = down[v] && up[v];
  return hull;
}

// A power of two above twice the sum of all costs: larger than any finite cut, so it stands in
// for infinite capacity, and on exact costs (model/numeric.hpp) a multiple of their quantum, so
// that the flow's residuals stay exact.
double uncuttable(const Graph& g) {
  double total = 0.0;
  for (NodeId v = 0; v < g.num_nodes(); ++v) total += g.work[v] + g.comm[v];
  if (!(total > 0)) return 1.0;
  int exponent = 0;
  std::frexp(total, &exponent);  // total < 2^exponent
  return std::ldexp(1.0, exponent + 1);
}

// A set that can be a stage of a valid partition, given that it is convex: every block
// (model/constraints.hpp) wholly in or out, and its memory within the capacity.
bool valid_stage_set(const Graph& g, const Constraints& c, const std::vector<char>& set) {
  double memory = 0;
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    if (set[v] != set[c.members(c.block_of[v])[0]]) return false;
    if (set[v]) memory += g.memory[v];
  }
  return !c.capacity || fits_capacity(memory, *c.capacity);
}

// Min cut through v where S must also hold whole blocks: a cycle of uncuttable arcs through the
// members of every hull puts all of them on the source side as soon as one is. Memory cannot be
// expressed in a cut; the convex MIP adds it. `g` must have exact costs: the flow is then exact
// (every residual a multiple of the quantum), and its value is the cut's, with no margin.
MinCutFloor blocked_min_cut_floor(const Graph& g, NodeId v, const Constraints& constraints,
                                  const std::function<bool()>& stop) {
  const int n = g.num_nodes();
  const double big = uncuttable(g);
  // Nodes: graph nodes 0..n-1, then two gadget nodes per costly tensor, then source and sink.
  int tensors = 0;
  for (NodeId u = 0; u < n; ++u)
    if (g.comm[u] > 0 && !g.successors(u).empty()) ++tensors;
  const int source = n + 2 * tensors;
  const int sink = source + 1;
  detail::MaxFlow flow(sink + 1);
  int gadget = n;
  for (NodeId u = 0; u < n; ++u) {
    if (g.work[u] > 0) flow.add_edge(u, sink, g.work[u]);  // paid when u is in S
    if (!(g.comm[u] > 0) || g.successors(u).empty()) continue;
    // Lawler's hyperedge gadget: the middle arc is cut iff the hyperedge has members on both
    // sides.
    const int enter = gadget++;
    const int leave = gadget++;
    flow.add_edge(enter, leave, g.comm[u]);
    flow.add_edge(u, enter, big);
    flow.add_edge(leave, u, big);
    for (NodeId c : g.successors(u)) {
      flow.add_edge(c, enter, big);
      flow.add_edge(leave, c, big);
    }
  }
  for (int b = 0; b < constraints.num_blocks(); ++b) {
    const auto members = constraints.members(b);
    if (members.size() < 2) continue;
    for (std::size_t i = 0; i < members.size(); ++i)
      flow.add_edge(members[i], members[(i + 1) % members.size()], 2.0 * big);
  }
  flow.add_edge(source, v, 2.0 * big);
  const double epsilon = 0.0;  // exact residuals: saturated means 0
  MinCutFloor result;
  result.value = flow.run(source, sink, epsilon, stop);
  result.complete = !flow.stopped();
  std::vector<char> side = flow.source_side(source, epsilon);
  result.source_side.assign(side.begin(), side.begin() + n);
  return result;
}

}  // namespace

MinCutFloor min_cut_floor(const Graph& graph, NodeId v, const std::function<bool()>& stop) {
  const ExactCosts exact(graph);
  return blocked_min_cut_floor(exact.graph(), v, derive_constraints(exact.graph()), stop);
}

SingleStageResult single_stage_mincut_bound(const Graph& graph, const BoundOptions& options,
                                            const RunSignals& signals) {
  const Stopwatch timer;
  const ExactCosts exact(graph, comm_cap(graph, options.incumbent));
  const Graph& g = exact.graph();
  const Constraints constraints = derive_constraints(g);
  SingleStageResult r;
  r.floor.assign(g.num_nodes(), 0.0);
  const std::function<bool()> out_of_time = [&] {
    return timer.exceeded(options.time_limit_seconds) || stop_requested(signals.stop);
  };
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    if (out_of_time()) {
      r.status = BoundStatus::time_limit;
      break;
    }
    // An interrupted flow still bounds v's floor from below.
    const MinCutFloor cut = blocked_min_cut_floor(g, v, constraints, out_of_time);
    r.floor[v] = cut.value;
    if (r.argmax < 0 || r.floor[v] > r.value) {
      r.value = r.floor[v];
      r.argmax = v;
    }
    if (!cut.complete) {
      r.status = BoundStatus::time_limit;
      break;
    }
  }
  return r;
}

namespace {

// Nonzeros of convex_floor_model without building it: an upper bound (a block of several
// nodes has one set of variables, not one per node).
long long convex_floor_nonzeros(const Graph& g) {
  long long consumers = 0;
  for (NodeId t = 0; t < g.num_nodes(); ++t)
    if (g.comm[t] > 0) consumers += static_cast<long long>(g.successors(t).size());
  return 7LL * g.num_nodes() + 4LL * g.num_edges() + 6 * consumers;
}

// min f(S) * scale over convex S = D n U containing v (D a downset, U an upset) that can be a
// stage of a valid partition. Under placement constraints D and U are unions of blocks (the
// stages up to and from v's stage), so each block has one pair of variables; with a capacity,
// S's memory is at most C. Variables per block B: d, u binary; s = d AND u (continuous, integral
// when d, u are); cut[t] >= |s[t] - s[c]| per consumer c in another block. `in_set` receives s's
// ids.
mip::MipModel convex_floor_model(const Graph& g, const Constraints& c, NodeId v, double scale,
                                 std::vector<mip::VarId>& in_set) {
  const int n = g.num_nodes();
  const int blocks = c.num_blocks();
  mip::MipModel m;
  std::vector<double> block_work(blocks, 0.0);
  for (NodeId x = 0; x < n; ++x) block_work[c.block_of[x]] += g.work[x];
  std::vector<mip::VarId> down(blocks), up(blocks);
  in_set.assign(blocks, 0);
  for (int b = 0; b < blocks; ++b) {
    down[b] = m.add_binary();
    up[b] = m.add_binary();
    in_set[b] = m.add_continuous(0.0, 1.0, scale * block_work[b]);
    m.add_less_equal({{in_set[b], 1.0}, {down[b], -1.0}}, 0.0);
    m.add_less_equal({{in_set[b], 1.0}, {up[b], -1.0}}, 0.0);
    m.add_greater_equal({{in_set[b], 1.0}, {down[b], -1.0}, {up[b], -1.0}}, -1.0);
  }
  std::vector<char> self(n, 0);
  for (NodeId x : c.members(c.block_of[v])) self[x] = 1;
  const std::vector<char> ancestors = closure(g, self, false);
  const std::vector<char> descendants = closure(g, self, true);
  for (NodeId x = 0; x < n; ++x) {
    if (ancestors[x]) m.fix(down[c.block_of[x]], 1.0);  // D is a downset containing v
    if (descendants[x]) m.fix(up[c.block_of[x]], 1.0);  // U is an upset containing v
  }
  std::vector<std::pair<int, int>> block_edges;
  for (NodeId x = 0; x < n; ++x)
    for (NodeId y : g.successors(x))
      if (c.block_of[x] != c.block_of[y]) block_edges.emplace_back(c.block_of[x], c.block_of[y]);
  std::sort(block_edges.begin(), block_edges.end());
  block_edges.erase(std::unique(block_edges.begin(), block_edges.end()), block_edges.end());
  for (auto [x, y] : block_edges) {
    m.add_less_equal({{down[y], 1.0}, {down[x], -1.0}}, 0.0);  // y in D => x in D
    m.add_less_equal({{up[x], 1.0}, {up[y], -1.0}}, 0.0);      // x in U => y in U
  }
  for (NodeId t = 0; t < n; ++t) {
    if (!(g.comm[t] > 0)) continue;
    std::vector<int> other_blocks;
    for (NodeId x : g.successors(t))
      if (c.block_of[x] != c.block_of[t]) other_blocks.push_back(c.block_of[x]);
    std::sort(other_blocks.begin(), other_blocks.end());
    other_blocks.erase(std::unique(other_blocks.begin(), other_blocks.end()), other_blocks.end());
    if (other_blocks.empty()) continue;  // consumed only inside its own block: never cut
    const mip::VarId cut = m.add_continuous(0.0, 1.0, scale * g.comm[t]);
    const mip::VarId own = in_set[c.block_of[t]];
    for (int b : other_blocks) {
      m.add_greater_equal({{cut, 1.0}, {own, -1.0}, {in_set[b], 1.0}}, 0.0);
      m.add_greater_equal({{cut, 1.0}, {in_set[b], -1.0}, {own, 1.0}}, 0.0);
    }
  }
  if (c.capacity) {  // memory in units of C keeps the row well scaled
    std::vector<mip::Term> terms;
    for (int b = 0; b < blocks; ++b)
      if (c.block_memory[b] > 0) terms.push_back({in_set[b], c.block_memory[b] / *c.capacity});
    if (!terms.empty()) m.add_less_equal(std::move(terms), 1.0);
  }
  return m;
}

}  // namespace

namespace {

SingleStageResult convex_bound_on_view(const Graph& g, const BoundOptions& options,
                                       const RunSignals& signals) {
  const Stopwatch timer;
  const int n = g.num_nodes();
  const Constraints constraints = derive_constraints(g);
  SingleStageResult r;
  r.floor.assign(n, 0.0);
  for (double memory : constraints.block_memory)
    if (constraints.capacity && !fits_capacity(memory, *constraints.capacity)) {
      r.status = BoundStatus::infeasible;  // a block that fits no stage
      return r;
    }
  // upper[v]: f of the best valid stage set containing v seen so far (floor(v) <= upper[v]).
  // The first candidate is v's block, convex and the smallest set that can hold v.
  std::vector<double> upper(n, std::numeric_limits<double>::infinity());
  std::vector<char> settled(n, 0);  // floor[v] is v's exact floor (up to tolerance)
  for (int b = 0; b < constraints.num_blocks(); ++b) {
    const auto members = constraints.members(b);
    if (members.size() == 1) {  // O(degree); set_cost would take O(n + m) per node
      const NodeId v = members[0];
      if (!constraints.capacity || fits_capacity(g.memory[v], *constraints.capacity))
        upper[v] = single_node_cost(g, v);
      continue;
    }
    std::vector<char> block(n, 0);
    for (NodeId v : members) block[v] = 1;
    if (!valid_stage_set(g, constraints, block)) continue;  // then no valid partition exists
    const double cost = set_cost(g, block);
    for (NodeId v : members) upper[v] = cost;
  }
  auto offer_convex_set = [&](const std::vector<char>& set) {
    if (!valid_stage_set(g, constraints, set)) return;
    const double cost = set_cost(g, set);
    for (NodeId x = 0; x < n; ++x)
      if (set[x]) upper[x] = std::min(upper[x], cost);
  };
  auto raise = [&](NodeId v, double value) {
    r.floor[v] = std::max(r.floor[v], value);
    if (r.argmax < 0 || r.floor[v] > r.value) {
      r.value = r.floor[v];
      r.argmax = v;
    }
  };
  // Min-cut floors first: a valid bound for every node, and exact when the cut is convex.
  bool out_of_time = false;
  const std::function<bool()> time_is_up = [&] {
    return timer.exceeded(options.time_limit_seconds) || stop_requested(signals.stop);
  };
  for (NodeId v = 0; v < n; ++v) {
    if (time_is_up()) {
      out_of_time = true;
      break;
    }
    MinCutFloor cut = blocked_min_cut_floor(g, v, constraints, time_is_up);
    raise(v, cut.value);
    if (!cut.complete) {  // the flow so far still bounds v's floor from below
      out_of_time = true;
      break;
    }
    std::vector<char> hull = convex_hull(g, cut.source_side);
    offer_convex_set(hull);
    if (hull == cut.source_side && valid_stage_set(g, constraints, hull)) settled[v] = 1;
  }
  const double target = options.incumbent;
  auto done = [&] { return proves_optimal(r.value, target); };

  std::vector<NodeId> candidates(n);
  std::iota(candidates.begin(), candidates.end(), 0);
  // Most promising first: the candidates whose floor can be highest.
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](NodeId a, NodeId b) { return upper[a] > upper[b]; });
  auto solver = mip::make_cbc_solver();
  // Every candidate's MIP has the same size; one that would not fit in memory is not built.
  const bool model_fits = convex_floor_nonzeros(g) <= mip::kMaxModelNonzeros;
  bool incomplete = false;  // a candidate was skipped or its solve failed: not proven
  for (NodeId v : candidates) {
    if (done() || out_of_time) break;
    if (stop_requested(signals.stop)) {
      out_of_time = true;
      break;
    }
    if (settled[v] || upper[v] <= r.value || r.floor[v] >= upper[v]) {  // cannot raise the maximum
      ++r.candidates_skipped;
      continue;
    }
    if (!model_fits) {
      incomplete = true;
      break;
    }
    double remaining = 0;
    if (options.time_limit_seconds > 0) {
      remaining = options.time_limit_seconds - timer.seconds();
      if (remaining <= 0.01) {
        out_of_time = true;
        break;
      }
    }
    std::vector<mip::VarId> in_set;
    // Objective values in units of about upper[v] (a power of two: exact).
    const double scale = unit_scale(upper[v]);
    mip::MipModel model = convex_floor_model(g, constraints, v, scale, in_set);
    mip::MipOptions so;
    so.time_limit_seconds = remaining;
    so.threads = 1;  // many tiny MIPs: threads do not pay
    so.solver_log = options.solver_log;
    so.log = signals.log;
    so.stop = signals.stop;
    // Once a convex set no better than the current maximum is found, v cannot raise it.
    so.stop_if_objective_at_most = r.value * scale;
    so.stop_if_bound_at_least = target * scale;
    mip::SolveResult solved = solver->solve(model, so);
    ++r.candidates_solved;
    if (solved.has_solution) {
      std::vector<char> set(n);
      for (NodeId x = 0; x < n; ++x)
        set[x] = solved.solution[in_set[constraints.block_of[x]]] > 0.5;
      offer_convex_set(convex_hull(g, set));
    }
    // A failed solve may still have proven a bound before it failed (a worker streams them).
    if (solved.status == mip::SolveStatus::error) incomplete = true;
    if (solved.best_bound > -mip::kInfinity && std::isfinite(solved.best_bound)) {
      const double certified = solved.best_bound - mip::bound_tolerance(solved.best_bound);
      raise(v, std::max(0.0, std::min(certified / scale, upper[v])));
    }
    if (solved.status == mip::SolveStatus::stopped) {  // the time limit or a stop request
      out_of_time = true;
      break;
    }
  }
  r.status = out_of_time  ? BoundStatus::time_limit
             : incomplete ? BoundStatus::gave_up
                          : BoundStatus::proven;
  return r;
}

}  // namespace

// On the exact-cost view: the min-cut floors are exact there, and each candidate's MIP scales
// its costs by a power of two near 1 / (the candidate's best set so far), so that the MIP
// solver's absolute tolerances become relative ones (model/numeric.hpp).
SingleStageResult single_stage_convex_bound(const Graph& graph, const BoundOptions& options,
                                            const RunSignals& signals) {
  const ExactCosts exact(graph, comm_cap(graph, options.incumbent));
  return convex_bound_on_view(exact.graph(), options, signals);
}

}  // namespace pipecut
