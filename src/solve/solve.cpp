#include "pipecut/solve/solve.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "pipecut/model/constraints.hpp"
#include "pipecut/model/error.hpp"
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
  // More stages than nodes cannot help: the methods work with at most n stages.
  if (auto proof = infeasibility_proof(g, derive_constraints(g), std::min(k, g.num_nodes())))
    throw InfeasibleError(*proof);
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
