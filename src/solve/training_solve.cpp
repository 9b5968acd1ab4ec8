#include "pipecut/solve/training_solve.hpp"

#include <algorithm>

#include "pipecut/bounds/simple.hpp"
#include "pipecut/model/constraints.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/model/training_projection.hpp"
#include "pipecut/partition/training.hpp"
#include "pipecut/solve/api.hpp"
#include "pipecut/util/stopwatch.hpp"

namespace pipecut {

namespace {

BoundResult downset_result(const TrainingSearchResult& dp, double incumbent) {
  BoundResult r;
  r.method = "downset";
  r.detail = std::to_string(dp.ideals) + " downsets, " + std::to_string(dp.pairs) + " stages";
  switch (dp.status) {
    case TrainingSearchStatus::optimal:
      r.status = BoundStatus::proven;
      r.value = std::min(dp.bottleneck, incumbent);
      break;
    case TrainingSearchStatus::infeasible:
      r.status = BoundStatus::infeasible;
      r.detail = dp.reason;
      break;
    case TrainingSearchStatus::time_limit:
      r.status = BoundStatus::time_limit;
      r.detail += ", " + dp.reason;
      break;
    case TrainingSearchStatus::gave_up:
      r.status = BoundStatus::gave_up;
      r.detail = dp.reason;
      break;
  }
  return r;
}

}  // namespace

BoundResult training_bound(const Graph& g, int k, const std::string& method,
                           const BoundOptions& options, const RunSignals& signals) {
  BoundResult r;
  if (method == "simple") {
    // Valid on a training graph: every node's work lands in one stage, and every forward
    // block in one stage (docs/training.md, "Bounds").
    r.value = simple_lower_bound(g, k);
    r.status = BoundStatus::proven;
  } else if (method == "downset") {
    TrainingSearchOptions o;
    o.incumbent = options.incumbent;
    o.time_limit_seconds = options.time_limit_seconds;
    o.stop = signals.stop;
    o.ideal_limit = options.downset_limit;
    TrainingSearchResult dp = training_downset_search(g, k, o);
    r = downset_result(dp, options.incumbent);
    if (dp.partition) r.partition = std::move(dp.partition);
  } else {
    // Any inference bound of the projection bounds the training graph (docs/training.md,
    // "The projection").
    const TrainingProjection projection = project_training_graph(g);
    r = compute_bound(projection.graph, k, method, options, signals);
    if (r.partition) r.partition = lift_partition(projection, *r.partition);
    r.detail = "on the projection" + (r.detail.empty() ? std::string() : ": " + r.detail);
  }
  r.method = method;
  return r;
}

Solution solve_training(const Graph& g, int k, const SolveOptions& options,
                        const RunControl& control) {
  const Stopwatch timer;
  const double limit = options.time_limit_seconds;
  Solution s;
  s.graph_name = g.name;
  s.k = k;
  s.seed = options.partition.seed;
  const StashModel model = stash_model(g, options.schedule, options.microbatches);
  double bottleneck = std::numeric_limits<double>::infinity();
  auto offer = [&](const Partition& p, const std::string& how) {
    if (partition_problem(g, p) || constraint_violation(g, p)) return;
    if (g.memory_per_stage)
      for (double m : training_stage_memory(g, p, model))
        if (!fits_capacity(m, *g.memory_per_stage)) return;
    const double value = evaluate_partition(g, p).bottleneck;
    if (s.partition.stage_of.empty() || value < bottleneck) {
      s.partition = p;
      bottleneck = value;
      s.algorithm = how;
    }
  };
  auto progress = [&](const std::string& step) {
    if (control.progress)
      control.progress({step, bottleneck, s.lower_bound, timer.seconds()});
  };
  auto take = [&](const BoundResult& r) {
    if (control.bound_finished) control.bound_finished(r);
    if (r.status == BoundStatus::infeasible) throw InfeasibleError(r.detail);
    if (r.value > s.lower_bound) {
      s.lower_bound = r.value;
      s.lower_bound_method = r.method;
    }
    s.bounds.push_back(r);
  };
  {
    BoundResult simple = training_bound(g, std::min(k, g.num_nodes()), "simple", {}, control);
    take(simple);
  }
  if (auto p = training_slicing(g, k, limit > 0 ? 0.3 * limit : 0, control.stop, model))
    offer(*p, "training-slicing");
  progress(s.algorithm);
  auto target_reached = [&] {
    return !s.partition.stage_of.empty() &&
           (bottleneck == 0 || s.lower_bound / bottleneck >= options.target_ratio);
  };
  // The inference portfolio on the projection (docs/training.md, "The projection"), with half
  // the time left: its lower bound is one of g, and its partitions lift to partitions of g
  // (kept when they fit the stash).
  if (!target_reached() && !stop_requested(control.stop)) {
    const TrainingProjection projection = project_training_graph(g);
    SolveOptions inner = options;
    inner.schedule = "inference";
    inner.microbatches = 0;
    inner.optimizer_state = 0;
    inner.time_limit_seconds = limit > 0 ? std::max(0.001, 0.5 * (limit - timer.seconds())) : 0;
    RunControl inner_control;
    inner_control.stop = control.stop;
    const Stopwatch projection_timer;
    BoundResult r;
    r.method = "projection";
    try {
      const Solution inner_solution = solve(projection.graph, k, inner, inner_control);
      offer(lift_partition(projection, inner_solution.partition),
            "projection/" + inner_solution.algorithm);
      r.value = inner_solution.lower_bound;
      r.status = BoundStatus::proven;
      r.detail = std::to_string(projection.graph.num_nodes()) + "-node projection, its bound by " +
                 inner_solution.lower_bound_method;
    } catch (const InfeasibleError& e) {
      r.status = BoundStatus::infeasible;
      r.detail = std::string(e.what()) + " (infeasible at k = " + std::to_string(k) + ")";
    } catch (const NoFeasiblePartitionError& e) {
      r.status = BoundStatus::gave_up;
      r.detail = e.what();
    }
    r.seconds = projection_timer.seconds();
    take(r);
    progress("projection");
  }
  if (!target_reached() && !stop_requested(control.stop)) {
    TrainingSearchOptions o;
    o.incumbent = bottleneck;
    o.time_limit_seconds = limit > 0 ? std::max(0.001, limit - timer.seconds()) : 0;
    o.stop = control.stop;
    o.memory = model;
    const Stopwatch dp_timer;
    TrainingSearchResult dp = training_downset_search(g, k, o);
    if (dp.status == TrainingSearchStatus::infeasible && model.active())
      dp.reason += " with the " + options.schedule + " stash of " +
                   std::to_string(options.microbatches) + " microbatches (infeasible at k = " +
                   std::to_string(k) + ")";
    else if (dp.status == TrainingSearchStatus::infeasible)
      dp.reason += " (infeasible at k = " + std::to_string(k) + ")";
    BoundResult r = downset_result(dp, bottleneck);
    r.seconds = dp_timer.seconds();
    if (dp.partition) offer(*dp.partition, "training-downset");
    take(r);
    progress("downset");
  }
  if (s.partition.stage_of.empty())
    throw NoFeasiblePartitionError(
        std::string(timer.exceeded(limit) ? "within the time limit, " : "") +
        "no partition that " + constraints_phrase(g) + " was found, and infeasibility is not proven");
  s.partition.k = k;
  s.evaluation = evaluate(g, s.partition);
  s.lower_bound = std::min(s.lower_bound, s.evaluation.bottleneck);
  s.optimal = proves_optimal(s.lower_bound, s.evaluation.bottleneck);
  s.stopped = stop_requested(control.stop);
  s.hit_time_limit = !*s.optimal && s.lower_bound / std::max(s.evaluation.bottleneck, 1e-300) <
                                         options.target_ratio && timer.exceeded(limit);
  s.seconds = timer.seconds();
  return s;
}

}  // namespace pipecut
