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
  MipOptions o;
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
  EXPECT_NEAR(m.max_violation({2, 1, 1}), 4.0, 1e-12);    // 3a + 4b + 2c = 12 > 8
  EXPECT_NEAR(m.max_violation({0.5, 0, 0}), 0.5, 1e-12);  // integrality
  EXPECT_NEAR(m.objective_value({2, 0, 1}), -13, 1e-12);
}

}  // namespace
}  // namespace pipecut::mip

// The worker process around a solver (mip/solver.hpp): fake inner solvers stand in for CBC
// misbehaving, so that every way a worker can end is exercised deterministically.
#include <unistd.h>

#include <condition_variable>
#include <csignal>
#include <mutex>
#include <thread>

#include "pipecut/util/stopwatch.hpp"

namespace pipecut::mip {
namespace {

// Streams a bound and an incumbent of small_integer_program(), then misbehaves as told.
class MisbehavingSolver : public MipSolver {
 public:
  enum class Then { hang, abort, throw_error, finish };
  explicit MisbehavingSolver(Then then) : then_(then) {}
  [[nodiscard]] std::string name() const override { return "fake"; }
  SolveResult solve(const MipModel&, const MipOptions& options) override {
    const std::vector<double> incumbent{1, 1, 0};  // feasible, objective -9
    if (options.on_update) {
      options.on_update(SolveUpdate{-14.5, nullptr, kInfinity});
      options.on_update(SolveUpdate{-kInfinity, &incumbent, -9});
    }
    switch (then_) {
      case Then::hang:
        for (;;) ::pause();  // ignores its time limit, like an uninterruptible root LP
      case Then::abort:
        std::abort();  // like an assertion inside CBC
      case Then::throw_error:
        throw std::runtime_error("out of cheese");
      case Then::finish:
        break;
    }
    SolveResult r;
    r.status = SolveStatus::optimal;
    r.best_bound = static_cast<double>(::getpid());  // says which process solved
    return r;
  }

 private:
  Then then_;
};

SolveResult run_in_worker(MisbehavingSolver::Then then, const MipOptions& options) {
  auto solver = make_worker_process_solver(std::make_unique<MisbehavingSolver>(then));
  return solver->solve(small_integer_program(), options);
}

TEST(MipWorker, AHangingSolveIsKilledAtItsDeadlineKeepingWhatItStreamed) {
  MipOptions o;
  o.time_limit_seconds = 0.5;
  const Stopwatch timer;
  const SolveResult r = run_in_worker(MisbehavingSolver::Then::hang, o);
  EXPECT_LT(timer.seconds(), 5.0);  // killed at 0.5 s plus a short grace
  EXPECT_EQ(r.status, SolveStatus::stopped);
  EXPECT_NE(r.message.find("time limit"), std::string::npos) << r.message;
  EXPECT_EQ(r.best_bound, -14.5);
  ASSERT_TRUE(r.has_solution);
  EXPECT_EQ(r.objective, -9);
  EXPECT_EQ(r.solution, (std::vector<double>{1, 1, 0}));
}

TEST(MipWorker, ACrashIsAnErrorNamingTheSignalAndKeepsTheStreamedBound) {
  ::testing::internal::CaptureStderr();  // abort() may print
  const SolveResult r = run_in_worker(MisbehavingSolver::Then::abort, {});
  ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(r.status, SolveStatus::error);
  EXPECT_NE(r.message.find("signal " + std::to_string(SIGABRT)), std::string::npos) << r.message;
  EXPECT_EQ(r.best_bound, -14.5);
  EXPECT_TRUE(r.has_solution);
}

TEST(MipWorker, AnExceptionInTheSolverIsAnErrorWithItsMessage) {
  const SolveResult r = run_in_worker(MisbehavingSolver::Then::throw_error, {});
  EXPECT_EQ(r.status, SolveStatus::error);
  EXPECT_NE(r.message.find("out of cheese"), std::string::npos) << r.message;
  EXPECT_EQ(r.best_bound, -14.5);
}

TEST(MipWorker, AStopRequestKillsTheWorker) {
  StopFlag stop;
  stop.request();
  MipOptions o;
  o.stop = &stop;  // no time limit: only the stop ends it
  const SolveResult r = run_in_worker(MisbehavingSolver::Then::hang, o);
  EXPECT_EQ(r.status, SolveStatus::stopped);
  EXPECT_EQ(r.message, "stop requested");
}

TEST(MipWorker, SolvesInAChildProcessUnlessOtherThreadsRun) {
  EXPECT_NE(run_in_worker(MisbehavingSolver::Then::finish, {}).best_bound,
            static_cast<double>(::getpid()));
  // With another thread running, forking is not safe: the solve runs in this process.
  std::mutex mutex;
  std::condition_variable wake;
  bool done = false;
  std::thread other([&] {
    std::unique_lock<std::mutex> lock(mutex);
    wake.wait(lock, [&] { return done; });
  });
  const SolveResult in_process = run_in_worker(MisbehavingSolver::Then::finish, {});
  {
    std::lock_guard<std::mutex> lock(mutex);
    done = true;
  }
  wake.notify_one();
  other.join();
  EXPECT_EQ(in_process.best_bound, static_cast<double>(::getpid()));
}

TEST(MipWorker, CbcInTheWorkerMatchesCbcInProcess) {
  const SolveResult isolated = make_cbc_solver()->solve(small_integer_program(), {});
  const SolveResult local = make_in_process_cbc_solver()->solve(small_integer_program(), {});
  EXPECT_EQ(isolated.status, SolveStatus::optimal);
  EXPECT_EQ(isolated.status, local.status);
  EXPECT_EQ(isolated.objective, local.objective);
  EXPECT_EQ(isolated.solution, local.solution);
  EXPECT_EQ(isolated.best_bound, local.best_bound);
}

TEST(MipSolver, EarlyStopsAreNeverReportedAsTimeLimits) {
  // CBC may also finish this tiny program at the root before any stop applies: optimal then.
  MipOptions o;
  o.stop_if_objective_at_most = -9;
  const SolveStatus found = make_cbc_solver()->solve(small_integer_program(), o).status;
  EXPECT_TRUE(found == SolveStatus::target_reached || found == SolveStatus::optimal)
      << to_string(found);
  o.stop_if_objective_at_most = -kInfinity;
  o.stop_if_bound_at_least = -100;  // the root bound alone reaches it
  const SolveStatus bounded = make_cbc_solver()->solve(small_integer_program(), o).status;
  EXPECT_TRUE(bounded == SolveStatus::target_reached || bounded == SolveStatus::optimal)
      << to_string(bounded);
}

}  // namespace
}  // namespace pipecut::mip
