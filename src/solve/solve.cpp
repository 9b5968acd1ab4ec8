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
  if (!(options.target_ratio >= 0 && options.target_ratio <= 1))
    throw InputError("target ratio must be in [0, 1]");
  if (!(options.time_limit_seconds >= 0) || std::isinf(options.time_limit_seconds))
    throw InputError("time limit must be a finite number of seconds >= 0");
  // More stages than nodes cannot help: the methods work with at most n stages.
  if (auto proof = infeasibility_proof(g, derive_constraints(g), std::min(k, g.num_nodes())))
    throw InfeasibleError(*proof);
  return detail::Portfolio(g, k, options, control).run();
}

}  // namespace pipecut
