#include "pipecut/solve/solve.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "pipecut/bounds/simple.hpp"
#include "pipecut/model/constraints.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/solve/api.hpp"
#include "pipecut/util/stopwatch.hpp"

namespace pipecut {

bool proves_optimal(double bound, double bottleneck) {
  return bound >= bottleneck - kOptimalityTolerance * std::max(1.0, bottleneck);
}

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
  auto stop_requested_now = [&] { return stop_requested(control.stop); };
  auto out_of_time = [&] { return timer.exceeded(limit) || stop_requested_now(); };

  Partition best;  // no assignment until a partition satisfying the constraints is found
  double bottleneck = std::numeric_limits<double>::infinity();
  double lower_bound = simple_lower_bound(g, stages);
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
  // Every partition is re-evaluated by the reference evaluator before it is trusted.
  auto offer = [&](const Partition& p) -> bool {
    if (partition_problem(g, p) || constraint_violation(g, p)) return false;
    const double value = evaluate_partition(g, p).bottleneck;
    if (!best.stage_of.empty() && value >= bottleneck) return false;
    best = p;
    bottleneck = value;
    return true;
  };

  BoundOptions bound_options;
  bound_options.mip_threads = options.mip_threads;
  bound_options.verbose = options.solver_log;
  bound_options.stop = control.stop;
  // Within solve the DP is one option among several: give up on it early rather than spend
  // seconds enumerating downsets of a wide graph.
  bound_options.downset_limit = 250'000;

  // The single-stage bounds do not depend on the partition: run them first so that the
  // partition search can stop as soon as it reaches them. One sliced order is their incumbent.
  if (const PartitionRun topo = partition_algorithm("topo").run(g, stages, {}); topo.feasible)
    offer(topo.partition);
  algorithm = "topo";
  bound_options.incumbent = bottleneck;
  for (const char* method : {"single-mincut", "single"}) {
    if (proves_optimal(lower_bound, bottleneck) || stop_requested_now()) break;
    bound_options.time_limit_seconds = limit > 0 ? 0.2 * remaining() : 0;
    take_bound(compute_bound(g, stages, method, bound_options));
    report(method);
  }

  if (!proves_optimal(lower_bound, bottleneck) && !stop_requested_now()) {
    PartitionOptions search = options.partition;
    search.time_limit_seconds = limit > 0 ? std::max(0.001, 0.3 * limit) : 0;
    // A partition this close to a proven lower bound is optimal: the search may stop there.
    search.stop_at = lower_bound + kOptimalityTolerance * std::max(1.0, lower_bound);
    search.stop = control.stop;
    const PartitionRun found = partition_algorithm(search.algorithm).run(g, stages, search);
    algorithm = found.description;
    if (found.feasible) offer(found.partition);
  }
  report(algorithm);

  auto reached_target = [&] {
    return bottleneck == 0 || proves_optimal(lower_bound, bottleneck) ||
           lower_bound / bottleneck >= options.target_ratio;
  };
  for (const char* method : {"downset", "grouped", "exact"}) {
    if (reached_target() || out_of_time()) break;
    report(std::string(method) + "...");
    // The grouped MIPs get half of what is left, so the exact MIP still gets a turn.
    bound_options.time_limit_seconds =
        std::string(method) == "grouped" && limit > 0 ? 0.5 * remaining() : remaining();
    bound_options.incumbent = bottleneck;
    bound_options.warm_start =
        best.stage_of.empty() ? std::nullopt : std::optional<Partition>(best);
    bound_options.known_lower_bound = lower_bound;
    BoundResult r = compute_bound(g, stages, method, bound_options);
    if (r.partition && offer(*r.partition)) algorithm += std::string("+") + method;
    take_bound(r);
    report(method);
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
