#pragma once
// An exhaustive oracle in exact arithmetic, for bounds at any scale of numbers. Every cost of a
// graph is a dyadic rational (a double), so all of them are integer multiples of 2^e for the
// smallest exponent e among them; stage costs are then integers, summed in 128 bits without
// rounding. Graphs whose costs span more than about 60 binary orders (beyond 128 bits once
// summed) are refused with std::logic_error: the tests keep within that.
#include <string>

#include "pipecut/model/cost.hpp"
#include "pipecut/model/graph.hpp"

namespace pipecut::testing {

__extension__ typedef __int128 Int128;  // GCC's and Clang's 128-bit integer

// units * 2^exponent, exactly.
struct ExactValue {
  Int128 units = 0;
  int exponent = 0;
  bool infinite = false;
};

// The integer form of g's costs: every work and comm as a multiple of 2^exponent.
class ExactCostTable {
 public:
  explicit ExactCostTable(const Graph& g);
  // The bottleneck of a valid partition p of g, exactly.
  [[nodiscard]] ExactValue bottleneck(const Partition& p) const;
  [[nodiscard]] int exponent() const { return exponent_; }

 private:
  const Graph& g_;
  int exponent_ = 0;
  std::vector<Int128> work_, comm_;
};

struct ExactBruteForce {
  bool feasible = false;
  ExactValue optimum;  // infinite when no partition satisfies the constraints
  Partition best;
  long long partitions = 0;
};

// The optimum over every valid pipeline partition into at most k stages that satisfies g's
// placement constraints (same enumeration as brute_force_optimum), in exact arithmetic.
ExactBruteForce exact_brute_force_optimum(const Graph& g, int k);

// The sign of x - v, exactly (v must be finite); x must be finite.
int compare(double x, const ExactValue& v);
// x <= v * factor, with factor = 1 + small (in long double: factor's own rounding is far below
// the tolerances it stands for).
bool at_most_scaled(const ExactValue& x, const ExactValue& v, long double factor);
std::string to_string(const ExactValue& v);

}  // namespace pipecut::testing
