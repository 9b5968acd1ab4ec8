// The solver-independent MIP layer over CBC.
#include <gtest/gtest.h>

#include "pipecut/mip/solver.hpp"

namespace pipecut::mip {
namespace {

// max 5a + 4b + 3c s.t. 2a + 3b + c <= 5, 4a + b + 2c <= 11, 3a + 4b + 2c <= 8, integers in
// [0, 10]: optimum 13 at (2, 0, 1). Written as a minimisation of the negated objective.
MipModel small_integer_program() {
  MipModel m;
  VarId a = m.add_variable(0, 10, -5, true);
  VarId b = m.add_variable(0, 10, -4, true);
  VarId c = m.add_variable(0, 10, -3, true);
  m.add_less_equal({{a, 2}, {b, 3}, {c, 1}}, 5);
  m.add_less_equal({{a, 4}, {b, 1}, {c, 2}}, 11);
  m.add_less_equal({{a, 3}, {b, 4}, {c, 2}}, 8);
  return m;
}

TEST(MipSolver, SolvesASmallIntegerProgramToOptimality) {
  SolveResult r = make_cbc_solver()->solve(small_integer_program(), {});
  ASSERT_EQ(r.status, SolveStatus::optimal);
  ASSERT_TRUE(r.has_solution);
  EXPECT_NEAR(r.objective, -13, 1e-9);
  EXPECT_NEAR(r.solution[0], 2, 1e-9);
  EXPECT_NEAR(r.solution[2], 1, 1e-9);
  EXPECT_LE(r.best_bound, r.objective + 1e-9);
  EXPECT_GE(r.best_bound, -13 - 1e-6);
}

TEST(MipSolver, ReportsInfeasibility) {
  MipModel m;
  VarId x = m.add_binary();
  VarId y = m.add_binary();
  m.add_greater_equal({{x, 1}, {y, 1}}, 3);
  EXPECT_EQ(make_cbc_solver()->solve(m, {}).status, SolveStatus::infeasible);
}

TEST(MipSolver, AcceptsAFeasibleWarmStartAndIgnoresAnInfeasibleOne) {
  MipModel m = small_integer_program();
  SolveOptions o;
  o.initial_solution = std::vector<double>{1, 1, 0};  // feasible, objective -9
  o.stop_if_objective_at_most = -9;  // stop at the first incumbent: the warm start itself
  SolveResult r = make_cbc_solver()->solve(m, o);
  ASSERT_TRUE(r.has_solution);
  EXPECT_LE(r.objective, -9 + 1e-9);
  o.initial_solution = std::vector<double>{5, 5, 5};  // infeasible: ignored
  o.stop_if_objective_at_most = -kInfinity;
  r = make_cbc_solver()->solve(m, o);
  EXPECT_EQ(r.status, SolveStatus::optimal);
  EXPECT_NEAR(r.objective, -13, 1e-9);
}

TEST(MipSolver, ModelChecksViolations) {
  MipModel m = small_integer_program();
  EXPECT_EQ(m.max_violation({2, 0, 1}), 0.0);
  EXPECT_NEAR(m.max_violation({2, 1, 1}), 4.0, 1e-12);  // 3a + 4b + 2c = 12 > 8
  EXPECT_NEAR(m.max_violation({0.5, 0, 0}), 0.5, 1e-12);  // integrality
  EXPECT_NEAR(m.objective_value({2, 0, 1}), -13, 1e-12);
}

}  // namespace
}  // namespace pipecut::mip
