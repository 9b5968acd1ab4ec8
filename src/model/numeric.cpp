#include "pipecut/model/numeric.hpp"

#include <algorithm>
#include <cmath>

#include "pipecut/model/constraints.hpp"

namespace pipecut {

bool proves_optimal(double bound, double bottleneck) {
  return bottleneck <= 0 || bound >= bottleneck * (1 - kOptimalityTolerance);
}

// (1 + t) * (1 - t) < 1, so a bottleneck B <= (1 + t) * L has (1 - t) * B <= L even after the
// two roundings of these products (t is far above a unit in the last place).
double optimality_stop(double bound) { return bound * (1 + kOptimalityTolerance); }

double certify(double value) {
  if (!(value > 0)) return 0.0;
  return value * (1 - 0x1p-40);
}

double comm_cap(const Graph& g, double upper) {
  if (upper < std::numeric_limits<double>::infinity()) return 2 * upper;
  // One stage holding everything sends and receives nothing: it costs the total work.
  if (!fits_one_stage(g)) return std::numeric_limits<double>::infinity();
  return 2 * g.total_work();
}

namespace {

// Sum of all work plus each comm (capped) once per node of its hyperedge: at least any sum of
// costs that one stage, one downset or all stages of a partition together can form.
double cost_magnitude(const Graph& g, double cap) {
  double total = 0;
  for (NodeId v = 0; v < g.num_nodes(); ++v)
    total += g.work[v] + std::min(g.comm[v], cap) * static_cast<double>(1 + g.successors(v).size());
  return total;
}

double quantum_for(double magnitude) {
  if (!(magnitude > 0)) return 1.0;
  int exponent = 0;
  std::frexp(magnitude, &exponent);  // magnitude < 2^exponent
  return std::ldexp(1.0, exponent - 50);
}

bool on_grid(double x, double q) { return std::floor(x / q) == x / q; }

}  // namespace

double exact_cost_quantum(const Graph& g, double cap) {
  return quantum_for(cost_magnitude(g, cap));
}

ExactCosts::ExactCosts(const Graph& g, double cap) : original_(g) {
  // The magnitude is rounded, but its quantum is a power of two at least 2^-50 of it: the
  // slack of 4 between 2^50 and 2^53 absorbs any rounding of the sum.
  quantum_ = exact_cost_quantum(g, cap);
  const double q = quantum_;
  bool exact = true;
  for (NodeId v = 0; v < g.num_nodes() && exact; ++v)
    exact = g.comm[v] <= cap && on_grid(g.work[v], q) && on_grid(g.comm[v], q);
  if (exact) return;
  Graph& copy = copy_.emplace(g);
  for (NodeId v = 0; v < copy.num_nodes(); ++v) {
    copy.work[v] = std::floor(copy.work[v] / q) * q;
    copy.comm[v] = std::floor(std::min(copy.comm[v], cap) / q) * q;
  }
}

double unit_scale(double reference) {
  if (!(reference > 0) || !std::isfinite(reference)) return 1.0;
  int exponent = 0;
  std::frexp(reference, &exponent);  // reference in [2^(exponent-1), 2^exponent)
  return std::ldexp(1.0, -exponent);
}

Graph with_scaled_costs(const Graph& g, double factor) {
  Graph scaled = g;
  for (double& w : scaled.work) w *= factor;
  for (double& c : scaled.comm) c *= factor;
  return scaled;
}

}  // namespace pipecut
