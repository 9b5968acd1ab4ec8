// COIN-OR CBC back end of the MipSolver interface. The only file that includes CBC headers.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>

#include "pipecut/mip/solver.hpp"
#include "pipecut/util/stopwatch.hpp"
#include "pipecut/util/threads.hpp"

#include <CbcEventHandler.hpp>
#include <CbcHeuristic.hpp>
#include <CbcHeuristicFPump.hpp>
#include <CbcModel.hpp>
#include <CglClique.hpp>
#include <CglFlowCover.hpp>
#include <CglGomory.hpp>
#include <CglKnapsackCover.hpp>
#include <CoinMessageHandler.hpp>
#include <CoinPackedMatrix.hpp>
#include <OsiClpSolverInterface.hpp>

namespace pipecut::mip {

std::string to_string(SolveStatus s) {
  switch (s) {
    case SolveStatus::optimal:
      return "optimal";
    case SolveStatus::target_reached:
      return "target_reached";
    case SolveStatus::stopped:
      return "stopped";
    case SolveStatus::infeasible:
      return "infeasible";
    case SolveStatus::error:
      return "error";
  }
  return "?";
}

double bound_tolerance(double value) { return 1e-6 * std::max(1.0, std::abs(value)); }

namespace {

// What the event handler saw, shared by CBC's clones of the handler (CBC copies the handler it
// is given, so the flags cannot live in the handler itself).
struct SearchEvents {
  const MipModel* model = nullptr;
  const MipOptions* options = nullptr;
  bool target_reached = false;  // a stop_if_* condition stopped the search
  bool stop_requested = false;  // the cooperative stop flag did
  double reported_bound = -kInfinity;
  double reported_objective = kInfinity;

  void report_bound(double bound) {
    if (!options->on_update || !std::isfinite(bound) || std::abs(bound) >= 1e49 ||
        bound <= reported_bound)
      return;
    reported_bound = bound;
    options->on_update(SolveUpdate{bound, nullptr, kInfinity});
  }
  // Reports `values` if it is feasible for the model and better than what was reported.
  void report_solution(const double* values, int count) {
    if (!options->on_update || values == nullptr || count != model->num_variables()) return;
    std::vector<double> x(values, values + count);
    if (model->max_violation(x) > 1e-6) return;
    const double objective = model->objective_value(x);
    if (!(objective < reported_objective)) return;
    reported_objective = objective;
    options->on_update(SolveUpdate{-kInfinity, &x, objective});
  }
};

// Stops the search once an incumbent is good enough, the proven bound high enough, or a stop is
// requested; reports bounds and incumbents of the main search as they improve. Sub-searches
// that CBC's heuristics run (specialOptions bit 2048) solve other problems: they are ignored.
class EventHandler : public CbcEventHandler {
 public:
  explicit EventHandler(SearchEvents* events) : events_(events) {}
  CbcEventHandler* clone() const override { return new EventHandler(*this); }
  CbcAction event(CbcEvent which) override {
    if (!model_) return noAction;
    const MipOptions& options = *events_->options;
    if (stop_requested(options.stop)) {
      events_->stop_requested = true;
      return stop;
    }
    const bool main_search = (model_->specialOptions() & 2048) == 0;
    if (which == solution || which == heuristicSolution) {
      if (main_search) events_->report_solution(model_->bestSolution(), model_->getNumCols());
      if (model_->getObjValue() <= options.stop_if_objective_at_most) {
        events_->target_reached = true;
        return stop;
      }
    }
    // At tree status events CBC has just recomputed the best bound over all live nodes.
    if (which == treeStatus && main_search)
      events_->report_bound(model_->getBestPossibleObjValue());
    if ((which == node || which == treeStatus) &&
        model_->getBestPossibleObjValue() >= options.stop_if_bound_at_least) {
      events_->target_reached = true;
      return stop;
    }
    return noAction;
  }

 private:
  SearchEvents* events_;
};

// CBC's messages to emit_solver_log; its default handler would print them on stdout.
class LogLineHandler : public CoinMessageHandler {
 public:
  explicit LogLineHandler(const MipOptions* options) : options_(options) {}
  int print() override {
    emit_solver_log(*options_, messageBuffer());
    return 0;
  }
  [[nodiscard]] CoinMessageHandler* clone() const override { return new LogLineHandler(*this); }

 private:
  const MipOptions* options_;
};

template <class... Args>
void log_line(const MipOptions& options, const char* format, Args... args) {
  char line[256];
  std::snprintf(line, sizeof line, format, args...);
  emit_solver_log(options, line);
}

double to_coin(double x, double coin_infinity) {
  if (x == kInfinity) return coin_infinity;
  if (x == -kInfinity) return -coin_infinity;
  return x;
}

class CbcSolver : public MipSolver {
 public:
  [[nodiscard]] std::string name() const override { return "cbc"; }

  SolveResult solve(const MipModel& m, const MipOptions& options) override {
    const Stopwatch timer;
    SolveResult result;
    if (stop_requested(options.stop)) {
      result.status = SolveStatus::stopped;
      result.message = "stop requested";
      return result;
    }
    OsiClpSolverInterface lp;
    const double inf = lp.getInfinity();
    const int num_vars = m.num_variables();

    // Row-ordered CSR in one go (appending rows one by one reallocates).
    std::vector<int> row_start, row_length, index;
    std::vector<double> value, row_lower, row_upper;
    for (const Row& row : m.rows()) {
      row_start.push_back(static_cast<int>(index.size()));
      row_length.push_back(static_cast<int>(row.terms.size()));
      for (const Term& t : row.terms) {
        index.push_back(t.var);
        value.push_back(t.coefficient);
      }
      row_lower.push_back(to_coin(row.lower, inf));
      row_upper.push_back(to_coin(row.upper, inf));
    }
    row_start.push_back(static_cast<int>(index.size()));
    CoinPackedMatrix matrix(false, num_vars, m.num_rows(), static_cast<int>(index.size()),
                            value.data(), index.data(), row_start.data(), row_length.data());
    std::vector<double> col_lower, col_upper, objective;
    for (const Variable& var : m.variables()) {
      col_lower.push_back(to_coin(var.lower, inf));
      col_upper.push_back(to_coin(var.upper, inf));
      objective.push_back(var.objective);
    }
    lp.loadProblem(matrix, col_lower.data(), col_upper.data(), objective.data(), row_lower.data(),
                   row_upper.data());
    for (int j = 0; j < num_vars; ++j)
      if (m.variables()[j].integer) lp.setInteger(j);
    lp.messageHandler()->setLogLevel(0);
    lp.setHintParam(OsiDoReducePrint, true, OsiHintTry);

    CbcModel model(lp);
    // Both handlers outlive the model, which only borrows them. passInMessageHandler gives the
    // LP solver the same handler: it gets its own, silent one back.
    LogLineHandler log_handler(&options), lp_handler(&options);
    model.passInMessageHandler(&log_handler);
    model.solver()->passInMessageHandler(&lp_handler);
    model.setLogLevel(options.solver_log ? 1 : 0);
    model.messageHandler()->setLogLevel(options.solver_log ? 1 : 0);
    model.solver()->messageHandler()->setLogLevel(0);
    // Tight tolerances: the proven bound is used as a certificate, so CBC must not stop early
    // on its default gaps, nor prune with its default cutoff increment of 1e-5.
    model.setAllowableGap(1e-9);
    model.setAllowableFractionGap(1e-9);
    model.setAllowablePercentageGap(1e-7);
    model.setDblParam(CbcModel::CbcCutoffIncrement, 1e-9);
    model.setIntegerTolerance(1e-7);
    if (options.time_limit_seconds > 0) model.setMaximumSeconds(options.time_limit_seconds);
    model.setUseElapsedTime(true);  // limits are wall-clock; CPU time lags on a busy machine
    // Root cut rounds are not interrupted by the time limit: keep them few.
    model.setMaximumCutPassesAtRoot(10);
    model.setMaximumCutPasses(2);
    // Default strong branching can spend the whole budget at the root of a large model.
    // No strong branching and no dynamic pseudo-cost trust: on large degenerate models each
    // strong-branching LP is slow and the root is not interruptible, and Debian's CBC 2.10.8
    // aborts on an assertion in CbcBranchDynamicDecision::betterBranch on some of our small
    // models (seen with the grouped relaxation) when dynamic pseudo-costs are on.
    model.setNumberStrong(0);
    model.setNumberBeforeTrust(0);
    const int threads = resolve_threads(options.threads);
    if (threads > 1) model.setNumberThreads(threads);

    // No probing and no mixed-integer rounding cuts: on models whose costs span many binary
    // orders (a graph mixing 2^-30 and 2^30 ms) both cut off the optimum, and CBC then proved
    // bounds above it (docs/bounds.md, "Numerics"). The other generators passed the same oracle.
    CglGomory gomory;
    gomory.setLimit(300);
    CglKnapsackCover knapsack;
    CglClique clique;
    clique.setStarCliqueReport(false);
    clique.setRowCliqueReport(false);
    CglFlowCover flow;
    model.addCutGenerator(&gomory, -1, "Gomory");
    model.addCutGenerator(&knapsack, -1, "Knapsack");
    model.addCutGenerator(&clique, -1, "Clique");
    model.addCutGenerator(&flow, -1, "FlowCover");
    CbcRounding rounding(model);
    model.addHeuristic(&rounding);
    CbcHeuristicFPump pump(model);
    pump.setMaximumPasses(20);
    if (!options.initial_solution) model.addHeuristic(&pump);  // a warm start makes it moot

    if (options.initial_solution && m.max_violation(*options.initial_solution) <= 1e-7) {
      const std::vector<double>& start_values = *options.initial_solution;
      model.setBestSolution(start_values.data(), num_vars, m.objective_value(start_values), false);
    }
    SearchEvents events;
    events.model = &m;
    events.options = &options;
    if (options.initial_solution && m.max_violation(*options.initial_solution) <= 1e-7)
      events.report_solution(options.initial_solution->data(), num_vars);
    EventHandler handler(&events);
    model.passInEventHandler(&handler);

    const double before_lp = timer.seconds();
    // The root LP is not covered by CBC's own time limit: give Clp the budget too, for the
    // root only. Node LPs must never be cut short by it (an abandoned node LP must not be
    // mistaken for a pruned node), so the limit is removed before branch and bound.
    ClpSimplex* clp = dynamic_cast<OsiClpSolverInterface*>(model.solver())->getModelPtr();
    if (options.time_limit_seconds > 0) clp->setMaximumWallSeconds(options.time_limit_seconds);
    model.initialSolve();
    clp = dynamic_cast<OsiClpSolverInterface*>(model.solver())->getModelPtr();
    clp->setMaximumWallSeconds(-1.0);
    if (options.solver_log)
      log_line(options, "[cbc] %d vars, %d rows: built in %.2f s, root LP at %.2f s", num_vars,
               m.num_rows(), before_lp, timer.seconds());
    if (model.solver()->isProvenOptimal())
      events.report_bound(model.solver()->getObjValue());  // the root LP relaxes the MIP
    if (model.solver()->isProvenPrimalInfeasible()) {
      result.status = SolveStatus::infeasible;
      result.best_bound = kInfinity;
    } else if (!model.solver()->isProvenOptimal() && !model.solver()->isProvenDualInfeasible()) {
      // Root LP stopped by the time limit (or failed): no bound beyond -infinity.
      result.status =
          model.solver()->isIterationLimitReached() ||
                  model.solver()->isPrimalObjectiveLimitReached() ||
                  (options.time_limit_seconds > 0 && timer.seconds() >= options.time_limit_seconds)
              ? SolveStatus::stopped
              : SolveStatus::error;
      result.message =
          result.status == SolveStatus::error ? "the root LP failed" : "time limit in the root LP";
    } else if (const double now = timer.seconds();
               options.time_limit_seconds > 0 &&
               options.time_limit_seconds - now < now - before_lp) {
      // Branch and bound starts by solving the root LP again, which alone would overrun what
      // is left: stop here with the root LP bound (a valid bound: it relaxes the MIP) and the
      // warm start as the incumbent.
      result.status = SolveStatus::stopped;
      result.message = "time limit after the root LP";
      result.best_bound = model.solver()->getObjValue();
      if (options.initial_solution && m.max_violation(*options.initial_solution) <= 1e-7) {
        result.has_solution = true;
        result.solution = *options.initial_solution;
        result.objective = m.objective_value(result.solution);
        result.best_bound = std::min(result.best_bound, result.objective);
      }
    } else {
      if (options.time_limit_seconds > 0)  // CBC's clock starts now: give it what is left
        model.setMaximumSeconds(std::max(0.01, options.time_limit_seconds - timer.seconds()));
      model.branchAndBound();
      if (options.solver_log)
        log_line(options, "[cbc] branch and bound done at %.2f s", timer.seconds());
      result.nodes = model.getNodeCount();
      const double* best = model.bestSolution();
      if (best) {
        result.has_solution = true;
        result.solution.assign(best, best + num_vars);
        result.objective = m.objective_value(result.solution);
      }
      if (model.isProvenOptimal()) {
        result.status = SolveStatus::optimal;
      } else if (model.isProvenInfeasible() && !best) {
        result.status = SolveStatus::infeasible;
      } else if (events.target_reached) {
        result.status = SolveStatus::target_reached;
      } else {
        result.status = SolveStatus::stopped;
        result.message = events.stop_requested ? "stop requested" : "time limit";
      }
      if (result.status == SolveStatus::infeasible) {
        result.best_bound = kInfinity;
      } else {
        double bound = model.getBestPossibleObjValue();
        if (!std::isfinite(bound) || std::abs(bound) >= 1e49) bound = -kInfinity;
        // When the search finished, the optimum is the incumbent (up to the tight gap).
        if (result.status == SolveStatus::optimal && result.has_solution)
          bound = std::max(bound, std::min(model.getObjValue(), result.objective) -
                                      1e-9 * std::max(1.0, std::abs(result.objective)));
        if (result.has_solution) bound = std::min(bound, result.objective);
        result.best_bound = bound;
      }
    }
    result.seconds = timer.seconds();
    if (options.solver_log) log_line(options, "[cbc] returning at %.2f s", result.seconds);
    return result;
  }
};

}  // namespace

std::unique_ptr<MipSolver> make_in_process_cbc_solver() { return std::make_unique<CbcSolver>(); }

std::unique_ptr<MipSolver> make_cbc_solver() {
  return make_worker_process_solver(make_in_process_cbc_solver());
}

void emit_solver_log(const MipOptions& options, std::string line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (options.log)
    options.log(line);
  else
    std::fprintf(stderr, "%s\n", line.c_str());
}

}  // namespace pipecut::mip
