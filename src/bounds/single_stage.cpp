#include "pipecut/bounds/single_stage.hpp"

#include <algorithm>
#include <numeric>

#include "bounds/max_flow.hpp"
#include "pipecut/mip/solver.hpp"
#include "pipecut/model/cost.hpp"
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

// Sum of all costs: larger than any finite cut, so it stands in for infinite capacity.
double cost_scale(const Graph& g) {
  double total = 1.0;
  for (NodeId v = 0; v < g.num_nodes(); ++v) total += g.work[v] + g.comm[v];
  return total;
}

// Valid lower bound from a computed floating-point value.
double certified(double value) { return std::max(0.0, value - 1e-9 * std::max(1.0, value)); }

}  // namespace

MinCutFloor min_cut_floor(const Graph& g, NodeId v, const std::function<bool()>& stop) {
  const int n = g.num_nodes();
  const double big = 2.0 * cost_scale(g);
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
  flow.add_edge(source, v, 2.0 * big);
  const double epsilon = 1e-12 * big;
  MinCutFloor result;
  result.value = flow.run(source, sink, epsilon, stop);
  result.complete = !flow.stopped();
  std::vector<char> side = flow.source_side(source, epsilon);
  result.source_side.assign(side.begin(), side.begin() + n);
  return result;
}

SingleStageResult single_stage_mincut_bound(const Graph& g, const BoundOptions& options) {
  const Stopwatch timer;
  SingleStageResult r;
  r.floor.assign(g.num_nodes(), 0.0);
  const std::function<bool()> out_of_time = [&] {
    return timer.exceeded(options.time_limit_seconds) || stop_requested(options.stop);
  };
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    if (out_of_time()) {
      r.status = BoundStatus::time_limit;
      break;
    }
    // An interrupted flow still bounds v's floor from below.
    const MinCutFloor cut = min_cut_floor(g, v, out_of_time);
    r.floor[v] = certified(cut.value);
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

// min f(S) over convex S = D n U containing v (D a downset, U an upset). Variables: d, u binary;
// s = d AND u (continuous, integral when d, u are); cut[t] >= |s[t] - s[c]| per consumer c.
// Nonzeros of convex_floor_model (the same for every v), without building it.
long long convex_floor_nonzeros(const Graph& g) {
  long long consumers = 0;
  for (NodeId t = 0; t < g.num_nodes(); ++t)
    if (g.comm[t] > 0) consumers += static_cast<long long>(g.successors(t).size());
  return 7LL * g.num_nodes() + 4LL * g.num_edges() + 6 * consumers;
}

mip::MipModel convex_floor_model(const Graph& g, NodeId v) {
  const int n = g.num_nodes();
  mip::MipModel m;
  std::vector<mip::VarId> down(n), up(n), in_set(n);
  for (NodeId x = 0; x < n; ++x) {
    down[x] = m.add_binary();
    up[x] = m.add_binary();
    in_set[x] = m.add_continuous(0.0, 1.0, g.work[x]);
    m.add_less_equal({{in_set[x], 1.0}, {down[x], -1.0}}, 0.0);
    m.add_less_equal({{in_set[x], 1.0}, {up[x], -1.0}}, 0.0);
    m.add_greater_equal({{in_set[x], 1.0}, {down[x], -1.0}, {up[x], -1.0}}, -1.0);
  }
  std::vector<char> self(n, 0);
  self[v] = 1;
  const std::vector<char> ancestors = closure(g, self, false);
  const std::vector<char> descendants = closure(g, self, true);
  for (NodeId x = 0; x < n; ++x) {
    if (ancestors[x]) m.fix(down[x], 1.0);    // D is a downset containing v
    if (descendants[x]) m.fix(up[x], 1.0);    // U is an upset containing v
  }
  for (NodeId x = 0; x < n; ++x)
    for (NodeId y : g.successors(x)) {
      m.add_less_equal({{down[y], 1.0}, {down[x], -1.0}}, 0.0);  // y in D => x in D
      m.add_less_equal({{up[x], 1.0}, {up[y], -1.0}}, 0.0);      // x in U => y in U
    }
  for (NodeId t = 0; t < n; ++t) {
    if (!(g.comm[t] > 0) || g.successors(t).empty()) continue;
    const mip::VarId cut = m.add_continuous(0.0, 1.0, g.comm[t]);
    for (NodeId c : g.successors(t)) {
      m.add_greater_equal({{cut, 1.0}, {in_set[t], -1.0}, {in_set[c], 1.0}}, 0.0);
      m.add_greater_equal({{cut, 1.0}, {in_set[c], -1.0}, {in_set[t], 1.0}}, 0.0);
    }
  }
  return m;
}

}  // namespace

SingleStageResult single_stage_convex_bound(const Graph& g, const BoundOptions& options) {
  const Stopwatch timer;
  const int n = g.num_nodes();
  SingleStageResult r;
  r.floor.assign(n, 0.0);
  // upper[v]: f of the best convex set containing v seen so far (floor(v) <= upper[v]).
  std::vector<double> upper(n);
  std::vector<char> settled(n, 0);  // floor[v] is v's exact floor (up to tolerance)
  for (NodeId v = 0; v < n; ++v) {
    // f({v}) in O(degree) (set_cost would take O(n + m) per node): v's work, its tensor sent
    // when it has consumers, and the tensors of its (distinct) producers received.
    upper[v] = g.work[v] + (g.successors(v).empty() ? 0.0 : g.comm[v]);
    for (NodeId p : g.predecessors(v)) upper[v] += g.comm[p];
  }
  auto offer_convex_set = [&](const std::vector<char>& set) {
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
    return timer.exceeded(options.time_limit_seconds) || stop_requested(options.stop);
  };
  for (NodeId v = 0; v < n; ++v) {
    if (time_is_up()) {
      out_of_time = true;
      break;
    }
    MinCutFloor cut = min_cut_floor(g, v, time_is_up);
    raise(v, certified(cut.value));
    if (!cut.complete) {  // the flow so far still bounds v's floor from below
      out_of_time = true;
      break;
    }
    std::vector<char> hull = convex_hull(g, cut.source_side);
    offer_convex_set(hull);
    if (hull == cut.source_side) settled[v] = 1;
  }
  const double target = options.incumbent;
  auto done = [&] { return r.value >= target - 1e-9 * std::max(1.0, target); };

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
    if (stop_requested(options.stop)) {
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
    mip::MipModel model = convex_floor_model(g, v);
    mip::SolveOptions so;
    so.time_limit_seconds = remaining;
    so.threads = 1;  // many tiny MIPs: threads do not pay
    so.verbose = options.verbose;
    so.stop = options.stop;
    // Once a convex set no better than the current maximum is found, v cannot raise it.
    so.stop_if_objective_at_most = r.value;
    so.stop_if_bound_at_least = target;
    mip::SolveResult solved = solver->solve(model, so);
    ++r.candidates_solved;
    if (solved.has_solution) {
      std::vector<char> set(n);
      for (NodeId x = 0; x < n; ++x) set[x] = solved.solution[3 * x + 2] > 0.5;
      offer_convex_set(convex_hull(g, set));
    }
    // A failed solve may still have proven a bound before it failed (a worker streams them).
    if (solved.status == mip::SolveStatus::error) incomplete = true;
    const double proven = std::min(solved.best_bound, upper[v]);
    if (proven > -mip::kInfinity) raise(v, std::max(0.0, proven - mip::bound_tolerance(proven)));
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

}  // namespace pipecut
