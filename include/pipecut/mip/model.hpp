#pragma once
// A small solver-independent mixed-integer linear model: variables with bounds and integrality,
// sparse rows lo <= a.x <= hi, and a linear objective that is always MINIMISED.
// Formulations (bounds/*) build a MipModel; a MipSolver (mip/solver.hpp) solves it. No solver
// headers appear here, so another back end can be added without touching the formulations.
#include <limits>
#include <string>
#include <vector>

namespace pipecut::mip {

inline constexpr double kInfinity = std::numeric_limits<double>::infinity();

using VarId = int;

struct Variable {
  double lower = 0.0;
  double upper = kInfinity;
  double objective = 0.0;
  bool integer = false;
};

struct Term {
  VarId var = 0;
  double coefficient = 0.0;
};

// lower <= sum(terms) <= upper; either side may be infinite.
struct Row {
  std::vector<Term> terms;
  double lower = -kInfinity;
  double upper = kInfinity;
};

class MipModel {
 public:
  VarId add_variable(double lower, double upper, double objective, bool integer);
  VarId add_binary(double objective = 0.0) { return add_variable(0.0, 1.0, objective, true); }
  VarId add_continuous(double lower, double upper, double objective = 0.0) {
    return add_variable(lower, upper, objective, false);
  }
  void add_row(std::vector<Term> terms, double lower, double upper);
  void add_less_equal(std::vector<Term> terms, double upper) {
    add_row(std::move(terms), -kInfinity, upper);
  }
  void add_greater_equal(std::vector<Term> terms, double lower) {
    add_row(std::move(terms), lower, kInfinity);
  }
  void add_equal(std::vector<Term> terms, double value) { add_row(std::move(terms), value, value); }
  // Fixes a variable by tightening both of its bounds.
  void fix(VarId v, double value);

  [[nodiscard]] int num_variables() const { return static_cast<int>(variables_.size()); }
  [[nodiscard]] int num_rows() const { return static_cast<int>(rows_.size()); }
  [[nodiscard]] const std::vector<Variable>& variables() const { return variables_; }
  [[nodiscard]] const std::vector<Row>& rows() const { return rows_; }
  // Objective value of a full assignment.
  [[nodiscard]] double objective_value(const std::vector<double>& values) const;
  // Largest violation of a bound, integrality or row by `values` (0 = feasible).
  [[nodiscard]] double max_violation(const std::vector<double>& values) const;

 private:
  std::vector<Variable> variables_;
  std::vector<Row> rows_;
};

}  // namespace pipecut::mip
