#pragma once
// Numerics of certificates (docs/bounds.md, "Numerics"): the one tolerance of every optimality
// and target test, the margin of computed bounds, the supported range of costs, and exact-cost
// instances, on which every sum of costs that a stage, a downset or a partition can form is
// exact in double, so that the DPs, the slicer and the min cut compute without rounding.
#include <limits>
#include <optional>

#include "pipecut/model/graph.hpp"

namespace pipecut {

// Relative: a partition whose bottleneck exceeds a proven lower bound by at most this fraction
// of the bottleneck is reported as proven optimal. Scale-free: a graph whose costs are all
// multiplied by a power of ten gets the same verdicts.
inline constexpr double kOptimalityTolerance = 1e-5;

// bound >= (1 - kOptimalityTolerance) * bottleneck (always true for a bottleneck of 0).
bool proves_optimal(double bound, double bottleneck);

// The bottleneck a partition search may stop at once `bound` is proven: any partition at most
// this costly satisfies proves_optimal(bound, ·).
double optimality_stop(double bound);

// A value computed on an exact-cost graph by a few divisions or products (W / k, b * T) is
// within a few units in the last place of the true one; certify() lowers it by a relative
// margin of 2^-40, far above that, and never below 0. Sums on an exact-cost graph need no
// margin: they are exact.
double certify(double value);

// Supported costs (work and comm, in any one time unit): 0, or between these two. Beyond them a
// graph is refused with an input error, since its sums could overflow or lose every digit.
inline constexpr double kMinPositiveCost = 1e-30;
inline constexpr double kMaxCost = 1e30;

// Largest comm worth keeping exactly given `upper`, a bound on the optimum that some partition
// satisfying the placement constraints attains (+inf when none is known): a tensor dearer than
// the optimum is never cut by an optimal partition, so capping it at 2 * upper changes no
// optimum and no bound. When no upper bound is given but the graph fits in one stage (no
// capacity, or its total memory within it), the total work is one. +inf when neither.
double comm_cap(const Graph& g, double upper = std::numeric_limits<double>::infinity());

// An exact-cost view of a graph: the graph itself when it already is one, else a copy with
//   - every comm above `cap` lowered to cap, and
//   - every work and comm rounded down to a multiple of a power of two q chosen so that the sum
//     of all work plus every comm counted once per node of its hyperedge is at most 2^50 q.
// Costs only go down (and the cap keeps every optimum, see comm_cap), so a lower bound of the
// view is a lower bound of g, and a partition of the view is one of g (same nodes, same
// edges); its bottleneck on g is what callers report. Costs below q (2^-50 of that sum) become
// 0: the price of exactness, far below kOptimalityTolerance on any real graph.
class ExactCosts {
 public:
  explicit ExactCosts(const Graph& g, double cap = std::numeric_limits<double>::infinity());
  ExactCosts(const ExactCosts&) = delete;
  ExactCosts& operator=(const ExactCosts&) = delete;

  [[nodiscard]] const Graph& graph() const { return copy_ ? *copy_ : original_; }
  [[nodiscard]] bool changed() const { return copy_.has_value(); }
  [[nodiscard]] double quantum() const { return quantum_; }

 private:
  const Graph& original_;
  std::optional<Graph> copy_;
  double quantum_ = 1;
};

// The grid quantum q of ExactCosts for these costs (1 when every cost is 0).
double exact_cost_quantum(const Graph& g, double cap = std::numeric_limits<double>::infinity());

// Floating-point solvers (the MIPs) keep absolute tolerances, so their models are built with
// costs scaled to about 1: a power of two near 1 / reference (1 when reference is 0, negative
// or not finite). Scaling by a power of two is exact.
double unit_scale(double reference);
// g with every work and comm multiplied by `factor` (a power of two: exact).
Graph with_scaled_costs(const Graph& g, double factor);

}  // namespace pipecut
