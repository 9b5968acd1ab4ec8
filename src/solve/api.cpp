#include "pipecut/solve/api.hpp"

#include <algorithm>
#include <cmath>

#include "pipecut/bounds/simple.hpp"
#include "pipecut/model/constraints.hpp"
#include "pipecut/util/stopwatch.hpp"

namespace pipecut {

int stages_to_use(const Graph& g, std::optional<int> k) {
  if (k) {
    if (*k < 1) throw InputError("k must be at least 1 (got " + std::to_string(*k) + ")");
    return *k;
  }
  if (g.default_k) return *g.default_k;
  throw InputError(g.name + ": the number of stages is needed (-k): this graph does not give one");
}

Evaluation evaluate(const Graph& g, const Partition& p) {
  if (auto problem = partition_problem(g, p)) throw InputError("invalid partition: " + *problem);
  // Renumber the used stages 0..used-1 (order kept), evaluate, then restore their indices.
  std::vector<int> used(p.stage_of.begin(), p.stage_of.end());
  std::sort(used.begin(), used.end());
  used.erase(std::unique(used.begin(), used.end()), used.end());
  Partition compact{static_cast<int>(used.size()), std::vector<int>(p.stage_of.size())};
  for (std::size_t v = 0; v < p.stage_of.size(); ++v)
    compact.stage_of[v] =
        static_cast<int>(std::lower_bound(used.begin(), used.end(), p.stage_of[v]) - used.begin());
  Evaluation e = evaluate_partition(g, compact);
  for (StageCost& s : e.stages) s.stage = used[s.stage];
  e.bottleneck_stage = used[e.bottleneck_stage];
  return e;
}

Solution partition_graph(const Graph& g, int k, const PartitionOptions& options,
                         const RunControl& control) {
  if (k < 1) throw InputError("k must be at least 1 (got " + std::to_string(k) + ")");
  check_options(options, partition_option_catalogue());
  const int stages = std::min(k, g.num_nodes());  // more stages than nodes cannot help
  const PartitionAlgorithm& algorithm = partition_algorithm(options.algorithm);
  if (auto proof = infeasibility_proof(g, derive_constraints(g), stages))
    throw InfeasibleError(*proof);
  const Stopwatch timer;
  const PartitionRun run = algorithm.run(g, stages, options, control);
  if (!run.feasible)
    throw NoFeasiblePartitionError(
        algorithm.name + " found no partition that " + constraints_phrase(g) +
        "; infeasibility is not proven (pipecut solve or the exact bound methods can settle it)");
  Solution s;
  s.graph_name = g.name;
  s.k = k;
  s.partition = run.partition;
  s.partition.k = k;
  s.evaluation = evaluate(g, s.partition);
  s.lower_bound = std::min(simple_lower_bound(g, stages), s.evaluation.bottleneck);
  s.lower_bound_method = "simple";
  s.algorithm = run.description;
  s.seed = options.seed;
  s.stopped = stop_requested(control.stop);
  s.hit_time_limit = run.hit_time_limit && !s.stopped;
  s.seconds = timer.seconds();
  if (control.progress)
    control.progress({algorithm.name, s.evaluation.bottleneck, s.lower_bound, s.seconds});
  return s;
}

BoundsReport compute_bounds(const Graph& g, int k, const std::vector<std::string>& methods,
                            const BoundOptions& options, const RunControl& control) {
  if (k < 1) throw InputError("k must be at least 1 (got " + std::to_string(k) + ")");
  const int stages = std::min(k, g.num_nodes());  // more stages than nodes cannot help
  check_options(options, bound_option_catalogue());
  const std::vector<std::string> names = methods.empty() ? bound_method_names() : methods;
  for (const std::string& name : names) bound_method(name);  // unknown names fail before any work
  const Stopwatch timer;
  BoundsReport report;
  BoundOptions run_options = options;
  if (!std::isfinite(run_options.incumbent)) {
    const PartitionRun quick = partition_algorithm("topo").run(g, stages, {}, {control.stop, {}});
    if (quick.feasible) {
      run_options.incumbent = evaluate_partition(g, quick.partition).bottleneck;
      if (!run_options.warm_start) run_options.warm_start = quick.partition;
    }
  }
  report.incumbent = run_options.incumbent;
  for (const std::string& name : names) {
    if (stop_requested(control.stop)) break;
    BoundResult r = compute_bound(g, stages, name, run_options, control);
    if (control.bound_finished) control.bound_finished(r);
    if (report.bounds.empty() || r.value > report.best.value) report.best = r;
    const bool infeasible = r.status == BoundStatus::infeasible;
    if (infeasible) report.infeasible = r.detail;
    report.bounds.push_back(std::move(r));
    if (control.progress)
      control.progress({name, report.incumbent, report.best.value, timer.seconds()});
    if (infeasible) break;  // nothing left to bound
  }
  return report;
}

}  // namespace pipecut
