#pragma once
// The solver interface behind every MIP formulation, and the COIN-OR CBC implementation.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pipecut/mip/model.hpp"

namespace pipecut::mip {

struct SolveOptions {
  double time_limit_seconds = 0;  // 0 = no limit
  int threads = 1;                // 0 = all cores; 1 keeps runs deterministic
  bool verbose = false;           // solver log on stderr
  // A feasible assignment of every variable (warm start); ignored when infeasible.
  std::optional<std::vector<double>> initial_solution;
  // Early stops (the search is abandoned as soon as either holds; the proven bound so far is
  // still valid): an incumbent with objective <= stop_if_objective_at_most was found, or the
  // proven bound reached stop_if_bound_at_least.
  double stop_if_objective_at_most = -kInfinity;
  double stop_if_bound_at_least = kInfinity;
};

enum class SolveStatus {
  optimal,      // solved to the (tight) gap tolerance
  stopped,      // time limit or early stop; see has_solution / best_bound
  infeasible,   // proven infeasible
  error,        // the solver failed; best_bound is -infinity
};
std::string to_string(SolveStatus s);

struct SolveResult {
  SolveStatus status = SolveStatus::error;
  bool has_solution = false;
  std::vector<double> solution;     // one value per variable when has_solution
  double objective = kInfinity;     // of `solution`
  // Best proven lower bound on the optimum (minimisation), as reported by the solver. Callers
  // that certify bounds subtract tolerance_for(best_bound) before using it.
  double best_bound = -kInfinity;
  double seconds = 0.0;
  long long nodes = 0;
};

// Safety margin to subtract from a solver's bound: covers the integrality tolerance and the
// relative/absolute gaps the CBC back end is configured with (1e-9), with room to spare.
double bound_tolerance(double value);

class MipSolver {
 public:
  virtual ~MipSolver() = default;
  virtual SolveResult solve(const MipModel& model, const SolveOptions& options) = 0;
  [[nodiscard]] virtual std::string name() const = 0;
  // False when this solver cannot be expected to honour `time_limit_seconds` (> 0) on `model`,
  // e.g. because a phase it cannot interrupt would overrun it many times over. Callers then
  // skip the model rather than start it.
  [[nodiscard]] virtual bool fits_time_limit(const MipModel& model,
                                             double time_limit_seconds) const = 0;
};

// COIN-OR CBC (CbcModel over OsiClpSolverInterface).
std::unique_ptr<MipSolver> make_cbc_solver();

}  // namespace pipecut::mip
