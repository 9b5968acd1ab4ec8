#include "pipecut/solve/solve.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "pipecut/model/constraints.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/partition/training.hpp"
#include "pipecut/solve/training_solve.hpp"
#include "solve/portfolio.hpp"

namespace pipecut {

double Solution::ratio() const {
  const double b = bottleneck();
  if (b <= 0) return 1.0;
  return lower_bound / b;
}

Solution solve(const Graph& g, int k, const SolveOptions& options, const RunControl& control) {
  if (k < 1) throw InputError("k must be at least 1 (got " + std::to_string(k) + ")");
  check_options(options, solve_option_catalogue());
  // Training memory (docs/training.md, "Memory"): a schedule needs its microbatch count, and
  // optimizer state scales every node's memory before anything else sees it.
  (void)stash_model(g, options.schedule, options.microbatches);
  if (options.optimizer_state > 0) {
    SolveOptions rest = options;
    rest.optimizer_state = 0;
    return solve(with_optimizer_state(g, options.optimizer_state), k, rest, control);
  }
  // More stages than nodes cannot help: the methods work with at most n stages.
  if (auto proof = infeasibility_proof(g, derive_constraints(g), std::min(k, g.num_nodes())))
    throw InfeasibleError(*proof);
  // A training graph gets its own search on the forward structure (docs/training.md).
  if (g.is_training()) return solve_training(g, k, options, control);
  return detail::Portfolio(g, k, options, control).run();
}

}  // namespace pipecut

namespace pipecut {

const OptionCatalogue<SolveOptions>& solve_option_catalogue() {
  static const OptionCatalogue<SolveOptions> catalogue = [] {
    OptionCatalogue<SolveOptions> c;
    using O = SolveOptions;
    declare(c,
            option("target-ratio", OptionKind::number,
                   "Stop once lower_bound / bottleneck reaches this (1 = prove optimality)")
                .at_least(0)
                .at_most(1),
            &O::target_ratio);
    declare(c,
            option("time-limit", OptionKind::number,
                   "Limit of the whole search; the best partition and bound found so far are "
                   "returned (0 = no limit). Reading the input and writing the results come on "
                   "top")
                .in_unit("s")
                .at_least(0),
            &O::time_limit_seconds);
    declare(c,
            option("prefer", OptionKind::choice,
                   "Which of the partitions that reach the best bottleneck to return: devices = "
                   "the fewest devices (stages), then the least latency (sum of the stage "
                   "costs); latency = the least latency, then the fewest devices; none = the "
                   "first found (docs/partitioning.md, \"Ties\"; docs/clusters.md, \"Ties\")")
                .one_of([] {
                  return std::vector<std::string>{"devices", "latency", "none"};
                }),
            &O::prefer);
    declare(c,
            option("schedule", OptionKind::choice,
                   "Pipeline schedule whose activation stash counts against the memory capacity "
                   "on a training graph: inference = none; gpipe = every microbatch in flight; "
                   "1f1b = min(k - s, microbatches) at stage s (docs/training.md, \"Memory\")")
                .one_of([] {
                  return std::vector<std::string>{"inference", "gpipe", "1f1b"};
                }),
            &O::schedule);
    declare(c,
            option("microbatches", OptionKind::integer,
                   "Microbatches per step, for --schedule gpipe and 1f1b (0 = not given)")
                .at_least(0),
            &O::microbatches);
    declare(c,
            option("optimizer-state", OptionKind::number,
                   "Optimizer state per byte of weights (Adam with fp32 moments on fp32 weights: "
                   "2): stage memory counts weights times 1 + this")
                .at_least(0),
            &O::optimizer_state);
    // solve sets the partition search's own time limit and the bounds' per-method limits.
    for (auto& entry :
         nested_options(partition_option_catalogue(), &O::partition,
                        {"algorithm", "preset", "population", "generations", "seed", "threads"}))
      c.push_back(std::move(entry));
    for (auto& entry :
         nested_options(bound_option_catalogue(), &O::bounds, {"mip-threads", "solver-log"}))
      c.push_back(std::move(entry));
    return c;
  }();
  return catalogue;
}

}  // namespace pipecut
