#include "pipecut/solve/solve.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "pipecut/bounds/simple.hpp"
#include "pipecut/model/constraints.hpp"
#include "pipecut/model/numeric.hpp"
#include "pipecut/model/reductions.hpp"
#include "pipecut/partition/refine.hpp"
#include "pipecut/partition/window_search.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/solve/api.hpp"
#include "pipecut/util/stopwatch.hpp"

namespace pipecut {

double Solution::ratio() const {
  const double b = bottleneck();
  if (b <= 0) return 1.0;
  return lower_bound / b;
}

Solution solve(const Graph& g, int k, const SolveOptions& options, const RunControl& control) {
  if (k < 1) throw InputError("k must be at least 1 (got " + std::to_string(k) + ")");
  if (!(options.target_ratio >= 0 && options.target_ratio <= 1))
    throw InputError("target ratio must be in [0, 1]");
  if (!(options.time_limit_seconds >= 0) || std::isinf(options.time_limit_seconds))
    throw InputError("time limit must be a finite number of seconds >= 0");
  // More stages than nodes cannot help: the methods work with at most n stages.
  const int stages = std::min(k, g.num_nodes());
  if (auto proof = infeasibility_proof(g, derive_constraints(g), stages))
    throw InfeasibleError(*proof);
  const Stopwatch timer;
  const double limit = options.time_limit_seconds;
  auto remaining = [&]() -> double {  // 0 = unlimited, as for every method's time limit
    return limit > 0 ? std::max(0.001, limit - timer.seconds()) : 0.0;
  };
  // A step's time limit: `share` of what is left (0 = unlimited).
  auto budget = [&](double share) { return limit > 0 ? std::max(0.001, share * remaining()) : 0.0; };
  auto stop_requested_now = [&] { return stop_requested(control.stop); };
  auto out_of_time = [&] { return timer.exceeded(limit) || stop_requested_now(); };

  const Constraints constraints = derive_constraints(g);
  const LeafReductions leaves = find_leaf_reductions(g, constraints);
  Partition best;  // no assignment until a partition satisfying the constraints is found
  double bottleneck = std::numeric_limits<double>::infinity();  // of `best`, on g
  // Every method works on an exact-cost view of g (model/numeric.hpp): its sums do not round,
  // so its bounds hold however the costs' magnitudes mix. The view caps comm at twice the best
  // bottleneck, so it is made again when that falls far below the cap it was made with.
  std::optional<ExactCosts> exact;
  double view_cap = comm_cap(g);
  exact.emplace(g, view_cap);
  auto view = [&]() -> const Graph& { return exact->graph(); };
  auto refresh_view = [&] {
    if (bottleneck < std::numeric_limits<double>::infinity() && 2 * bottleneck < view_cap / 4) {
      view_cap = comm_cap(g, bottleneck);
      exact.emplace(g, view_cap);
    }
  };
  double lower_bound = 0;
  std::string lower_bound_method = "simple";
  std::string algorithm;
  std::vector<BoundResult> bounds;
  auto report = [&](const std::string& step) {
    if (control.progress) control.progress({step, bottleneck, lower_bound, timer.seconds()});
  };
  auto take_bound = [&](const BoundResult& r) {
    if (control.bound_finished) control.bound_finished(r);
    if (r.status == BoundStatus::infeasible) {
      if (!best.stage_of.empty())  // a valid partition is in hand: the proof must be wrong
        throw std::logic_error(r.method + " claims infeasibility of a feasible instance");
      throw InfeasibleError(r.detail);
    }
    bounds.push_back(r);
    if (r.value > lower_bound) {
      lower_bound = r.value;
      lower_bound_method = r.method;
    }
  };
  // The simple bound first, recorded like every other: the certificate always lists its bounds.
  take_bound(compute_bound(view(), stages, "simple", {}));
  // Every partition goes through the exact leaf reductions and local refinement (neither can
  // make it worse), then the reference evaluator, before it is trusted.
  auto offer = [&](const Partition& found) -> bool {
    if (found.stage_of.empty() || partition_problem(g, found) || constraint_violation(g, found))
      return false;
    Partition p = apply_leaf_reductions(g, leaves, found);
    RefineOptions refine;
    refine.stop = control.stop;
    refine.time_limit_seconds = budget(0.05);
    p = apply_leaf_reductions(g, leaves, refine_partition(view(), constraints, p, refine).partition);
    const double value = evaluate_partition(g, p).bottleneck;
    if (!best.stage_of.empty() && value >= bottleneck) return false;
    best = p;
    bottleneck = value;
    refresh_view();
    return true;
  };

  auto reached_target = [&] {
    return bottleneck == 0 || proves_optimal(lower_bound, bottleneck) ||
           lower_bound / bottleneck >= options.target_ratio;
  };

  BoundOptions bound_options;
  bound_options.mip_threads = options.mip_threads;
  bound_options.threads = options.partition.threads;
  bound_options.verbose = options.solver_log;
  bound_options.log = control.log;
  bound_options.stop = control.stop;
  // Within solve the DP is one option among several: give up on it early rather than spend
  // seconds enumerating downsets of a wide graph. Pairs cost no memory: time bounds them.
  bound_options.downset_limit = 250'000;
  if (limit > 0) bound_options.downset_pair_limit = 0;

  // One sliced order is the first incumbent.
  {
    // On a long chain with few stages even one slicing takes seconds: it gets a share of the
    // time, then its greedy slicing stands.
    PartitionOptions first;
    first.time_limit_seconds = budget(0.1);
    first.stop = control.stop;
    if (const PartitionRun topo = partition_algorithm("topo").run(view(), stages, first);
        topo.feasible)
      offer(topo.partition);
  }
  algorithm = "topo";
  auto run_bound = [&](const char* method, double seconds) -> const BoundResult& {
    report(std::string(method) + "...");
    bound_options.time_limit_seconds = seconds;
    bound_options.incumbent = bottleneck;
    bound_options.warm_start =
        best.stage_of.empty() ? std::nullopt : std::optional<Partition>(best);
    bound_options.known_lower_bound = lower_bound;
    BoundResult r = compute_bound(view(), stages, method, bound_options);
    if (r.partition && offer(*r.partition)) algorithm += std::string("+") + method;
    take_bound(r);
    report(method);
    return bounds.back();
  };
  // The exact DP settles narrow graphs (most transformer graphs) outright, in seconds; on wide
  // ones it gives up at once (too many downsets, or a sample of its stages says they would take
  // far longer than its share). Worth a second try later only if time, not size, stopped it.
  bool retry_downset = false, downset_unfinished = false;
  if (!reached_target() && !out_of_time()) {
    const BoundResult& dp = run_bound("downset", budget(0.1));
    downset_unfinished = dp.status != BoundStatus::proven;
    // Its stages, not its downsets, took too long: a better incumbent and more time may do.
    retry_downset = (dp.status == BoundStatus::time_limit || dp.status == BoundStatus::gave_up) &&
                    (dp.detail.find("costing") != std::string::npos ||
                     dp.detail.find("estimated") != std::string::npos);
  }
  // The single-stage bounds do not depend on the partition: run them before the partition
  // search, which may stop as soon as it reaches them.
  bound_options.incumbent = bottleneck;
  // Without hulls a node's floor is at most the cost of the node alone (a convex set holding
  // it), so neither single-stage bound can exceed the costliest single node: when that is below
  // the bound already proven, they cannot help (on large graphs they take seconds).
  double costliest_node = std::numeric_limits<double>::infinity();
  if (constraints.hulls == 0) {
    costliest_node = 0;
    for (NodeId v = 0; v < g.num_nodes(); ++v)
      costliest_node = std::max(costliest_node, single_node_cost(view(), v));
  }
  for (const char* method : {"single-mincut", "single"}) {
    if (reached_target() || stop_requested_now() || costliest_node <= lower_bound) break;
    bound_options.time_limit_seconds = budget(0.2);
    take_bound(compute_bound(view(), stages, method, bound_options));
    report(method);
  }

  PartitionOptions search = options.partition;
  search.stop = control.stop;
  if (!reached_target() && !stop_requested_now()) {
    search.time_limit_seconds = limit > 0 ? std::min(remaining(), 0.25 * limit) : 0;
    // A partition this close to a proven lower bound is optimal: the search may stop there.
    search.stop_at = optimality_stop(lower_bound);
    const PartitionRun found = partition_algorithm(search.algorithm).run(view(), stages, search);
    algorithm = found.description;
    offer(found.partition);
  }
  report(algorithm);

  // Exact window searches around the stage boundaries (the finest level of the multilevel
  // scheme); a search whose window covered every block proves its partition optimal.
  long long window_downsets = 100'000;
  auto run_windows = [&](double seconds) {
    report("windows...");
    WindowSearchOptions windows;
    windows.time_limit_seconds = seconds;
    windows.stop = control.stop;
    windows.downset_limit = window_downsets;
    windows.threads = options.partition.threads;
    if (limit > 0) windows.pair_limit = 0;
    const WindowSearchResult w = window_search(view(), best, windows);
    if (offer(w.partition)) algorithm += "+windows";
    if (w.optimal && w.bottleneck <= bottleneck) {
      BoundResult proof;
      proof.method = "downset";
      proof.status = BoundStatus::proven;
      proof.value = w.bottleneck;  // the view's optimum, summed exactly
      proof.detail = "window search over every block";
      take_bound(proof);
    }
    report("windows");
  };

  if (retry_downset && !reached_target() && !out_of_time()) run_bound("downset", budget(0.2));
  // Too wide for the DP as a whole: the DPs on the two sides of one node may still finish.
  if (downset_unfinished && !reached_target() && !out_of_time()) run_bound("split", budget(0.3));
  if (!reached_target() && !out_of_time()) run_windows(budget(0.25));
  if (!reached_target() && !out_of_time()) {
    PartitionOptions multilevel = search;
    multilevel.algorithm = "multilevel";
    multilevel.time_limit_seconds = budget(0.3);
    report("multilevel...");
    if (offer(partition_algorithm("multilevel").run(view(), stages, multilevel).partition))
      algorithm += "+multilevel";
    report("multilevel");
  }
  // The grouped MIPs get half of what is left, so the exact MIP still gets a turn.
  if (!reached_target() && !out_of_time()) run_bound("grouped", budget(0.5));
  if (!reached_target() && !out_of_time()) run_bound("exact", remaining());

  // Time left while the gap is open (every bound method finished or gave up): it goes to the
  // partition, with wider windows and restarts of the searches from other seeds, and to a MIP
  // bound that stopped at its time limit when more time than it had is now left (it restarts
  // from scratch, with the better incumbent and bound).
  for (int round = 1; round <= 1000 && !reached_target() && !out_of_time(); ++round) {
    if (limit > 0) {
      const BoundResult* stopped = nullptr;
      for (const BoundResult& r : bounds)
        if ((r.method == "grouped" || r.method == "exact") && r.status == BoundStatus::time_limit &&
            (!stopped || r.value > stopped->value))
          stopped = &r;
      if (stopped && budget(0.5) > 1.5 * stopped->seconds) {
        const std::string method = stopped->method;
        run_bound(method.c_str(), budget(0.5));
        if (reached_target() || out_of_time()) break;
      }
    }
    window_downsets *= 2;
    run_windows(budget(0.4));
    if (reached_target() || out_of_time()) break;
    PartitionOptions restart = search;
    restart.seed = search.seed + static_cast<std::uint64_t>(round);
    restart.time_limit_seconds = budget(0.5);
    restart.stop_at = optimality_stop(lower_bound);
    restart.algorithm = round % 2 == 1 ? "multilevel" : search.algorithm;
    report(restart.algorithm + "...");
    if (offer(partition_algorithm(restart.algorithm).run(view(), stages, restart).partition))
      algorithm += "+" + restart.algorithm + "(seed=" + std::to_string(restart.seed) + ")";
    report(restart.algorithm);
    if (limit <= 0) break;  // without a time limit one round is enough
  }

  if (best.stage_of.empty())
    throw NoFeasiblePartitionError(
        std::string(out_of_time() ? "within the time limit, " : "") + "no partition that " +
        constraints_phrase(g) + " was found, and infeasibility is not proven");

  Solution s;
  s.graph_name = g.name;
  s.k = k;
  s.partition = best;
  s.partition.k = k;
  s.evaluation = evaluate(g, s.partition);
  s.lower_bound = std::min(lower_bound, s.evaluation.bottleneck);
  s.lower_bound_method = lower_bound_method;
  s.optimal = proves_optimal(s.lower_bound, s.evaluation.bottleneck);
  s.algorithm = algorithm;
  s.seed = options.partition.seed;
  s.stopped = stop_requested_now();
  s.hit_time_limit = !reached_target() && timer.exceeded(limit);
  s.bounds = std::move(bounds);
  s.seconds = timer.seconds();
  return s;
}

}  // namespace pipecut
