#pragma once
// The solver interface behind every MIP formulation, and the COIN-OR CBC implementation.
//
// make_cbc_solver() runs every solve in a worker process (a fork of the caller) that the parent
// kills at the deadline or on a stop request, so a solve honours its time limit whatever the
// model size (CBC's root LP cannot be interrupted), and a crash inside CBC (it has aborted on an
// internal assertion) costs that one solve, not the caller. The bound and incumbent found so far
// are streamed back as they improve and kept when the worker is killed. docs/bounds.md, "MIPs in
// a worker process", has the details and the measured overhead.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pipecut/mip/model.hpp"
#include "pipecut/util/log.hpp"
#include "pipecut/util/stop.hpp"

namespace pipecut::mip {

// Progress of a solve, reported as it happens.
struct SolveUpdate {
  double best_bound = -kInfinity;                 // proven lower bound on the optimum so far
  const std::vector<double>* solution = nullptr;  // a new feasible incumbent, or null
  double objective = kInfinity;                   // objective of *solution
};

struct MipOptions {
  double time_limit_seconds = 0;  // 0 = no limit
  int threads = 1;                // 0 = all cores; 1 keeps runs deterministic
  bool solver_log = false;        // produce the solver's log (see `log`)
  // Receives the solver's log lines when `solver_log`, one line per call without its newline. None:
  // they go to stderr. Never stdout, which may carry a JSON document.
  LogCallback log;
  // A feasible assignment of every variable (warm start); ignored when infeasible.
  std::optional<std::vector<double>> initial_solution;
  // Early stops (the search is abandoned as soon as either holds; the proven bound so far is
  // still valid): an incumbent with objective <= stop_if_objective_at_most was found, or the
  // proven bound reached stop_if_bound_at_least. Status target_reached then.
  double stop_if_objective_at_most = -kInfinity;
  double stop_if_bound_at_least = kInfinity;
  // Optional cooperative stop: the solve returns what it has, with status stopped.
  const StopFlag* stop = nullptr;
  // Optional: called with every improvement of the proven bound and every new incumbent.
  std::function<void(const SolveUpdate&)> on_update;
};

// Passes one solver log line (a trailing newline is dropped) to options.log, or to stderr when
// there is none: the one place that decides where solver logs go.
void emit_solver_log(const MipOptions& options, std::string line);

enum class SolveStatus {
  optimal,         // solved to the (tight) gap tolerance
  target_reached,  // stopped early because a stop_if_* condition held (that question is settled)
  stopped,         // time limit or stop request; see has_solution / best_bound
  infeasible,      // proven infeasible
  error,           // the solver failed or its worker died (see message); best_bound is what was
                   // proven before that, or -infinity
};
std::string to_string(SolveStatus s);

struct SolveResult {
  SolveStatus status = SolveStatus::error;
  bool has_solution = false;
  std::vector<double> solution;  // one value per variable when has_solution
  double objective = kInfinity;  // of `solution`
  // Best proven lower bound on the optimum (minimisation), as reported by the solver. Callers
  // that certify bounds subtract bound_tolerance(best_bound) before using it.
  double best_bound = -kInfinity;
  double seconds = 0.0;
  long long nodes = 0;
  std::string message;  // why the solve stopped early or failed, when it did (one line)
};

// Safety margin to subtract from a solver's bound: covers the integrality tolerance and the
// relative/absolute gaps the CBC back end is configured with (1e-9), with room to spare.
double bound_tolerance(double value);

class MipSolver {
 public:
  virtual ~MipSolver() = default;
  virtual SolveResult solve(const MipModel& model, const MipOptions& options) = 0;
  [[nodiscard]] virtual std::string name() const = 0;
};

// COIN-OR CBC (CbcModel over OsiClpSolverInterface), each solve in a worker process. When other
// threads are running in the caller's process, forking is not safe (a lock held by another
// thread would stay locked in the child) and the solve runs in-process instead (message says
// so); the CLI and the tests call it from a single thread.
std::unique_ptr<MipSolver> make_cbc_solver();

// CBC in the calling process: no isolation; the time limit is CBC's own (its root LP cannot be
// interrupted). For comparisons and for callers that cannot fork.
std::unique_ptr<MipSolver> make_in_process_cbc_solver();

// Runs `inner` in a forked worker process per solve (see make_cbc_solver).
std::unique_ptr<MipSolver> make_worker_process_solver(std::unique_ptr<MipSolver> inner);

// Largest model (in nonzero coefficients) that the formulations build: about 100 bytes each
// between the model and the solver's copies, so about 1 GB. Larger models are refused (their
// root LP would take far longer than any practical time limit anyway).
inline constexpr long long kMaxModelNonzeros = 10'000'000;

}  // namespace pipecut::mip
