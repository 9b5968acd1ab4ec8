// COIN-OR CBC back end of the MipSolver interface. The only file that includes CBC headers.
#include <algorithm>
#include <cstdio>
#include <cmath>
#include <thread>

#include "pipecut/mip/solver.hpp"
#include "pipecut/util/stopwatch.hpp"

#include <CbcEventHandler.hpp>
#include <CbcHeuristic.hpp>
#include <CbcHeuristicFPump.hpp>
#include <CbcModel.hpp>
#include <CglClique.hpp>
#include <CglFlowCover.hpp>
#include <CglGomory.hpp>
#include <CglKnapsackCover.hpp>
#include <CglMixedIntegerRounding2.hpp>
#include <CglProbing.hpp>
#include <CoinPackedMatrix.hpp>
#include <OsiClpSolverInterface.hpp>

namespace pipecut::mip {

std::string to_string(SolveStatus s) {
  switch (s) {
    case SolveStatus::optimal: return "optimal";
    case SolveStatus::stopped: return "stopped";
    case SolveStatus::infeasible: return "infeasible";
    case SolveStatus::error: return "error";
  }
  return "?";
}

double bound_tolerance(double value) { return 1e-7 * std::max(1.0, std::abs(value)); }

namespace {

// Stops the search once an incumbent is good enough or the proven bound high enough.
class EarlyStopHandler : public CbcEventHandler {
 public:
  EarlyStopHandler(double objective_at_most, double bound_at_least)
      : objective_at_most_(objective_at_most), bound_at_least_(bound_at_least) {}
  CbcEventHandler* clone() const override { return new EarlyStopHandler(*this); }
  CbcAction event(CbcEvent which) override {
    if (!model_) return noAction;
    if ((which == solution || which == heuristicSolution) &&
        model_->getObjValue() <= objective_at_most_)
      return stop;
    if ((which == node || which == treeStatus) &&
        model_->getBestPossibleObjValue() >= bound_at_least_)
      return stop;
    return noAction;
  }

 private:
  double objective_at_most_;
  double bound_at_least_;
};

double to_coin(double x, double coin_infinity) {
  if (x == kInfinity) return coin_infinity;
  if (x == -kInfinity) return -coin_infinity;
  return x;
}

class CbcSolver : public MipSolver {
 public:
  [[nodiscard]] std::string name() const override { return "cbc"; }

  // CBC cannot interrupt the root LP, whose time grows faster than linearly with the model
  // (measured on the exact MTPP model: 23k rows ~4 s, 197k rows ~130 s on one core).
  [[nodiscard]] bool fits_time_limit(const MipModel& m, double time_limit_seconds) const override {
    if (time_limit_seconds <= 0) return true;
    const double max_rows = 15000.0 * std::pow(std::max(time_limit_seconds, 0.5) / 2.0, 0.625);
    return m.num_rows() <= max_rows;
  }

  SolveResult solve(const MipModel& m, const SolveOptions& options) override {
    const Stopwatch timer;
    SolveResult result;
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
    model.setLogLevel(options.verbose ? 1 : 0);
    model.messageHandler()->setLogLevel(options.verbose ? 1 : 0);
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
    int threads = options.threads;
    if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (threads > 1) model.setNumberThreads(threads);

    CglProbing probing;
    probing.setUsingObjective(1);
    probing.setMaxPass(3);
    probing.setMaxProbe(100);
    probing.setMaxLook(50);
    CglGomory gomory;
    gomory.setLimit(300);
    CglKnapsackCover knapsack;
    CglClique clique;
    clique.setStarCliqueReport(false);
    clique.setRowCliqueReport(false);
    CglMixedIntegerRounding2 mir;
    CglFlowCover flow;
    model.addCutGenerator(&probing, -1, "Probing");
    model.addCutGenerator(&gomory, -1, "Gomory");
    model.addCutGenerator(&knapsack, -1, "Knapsack");
    model.addCutGenerator(&clique, -1, "Clique");
    model.addCutGenerator(&mir, -1, "MIR2");
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
    EarlyStopHandler handler(options.stop_if_objective_at_most, options.stop_if_bound_at_least);
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
    if (options.verbose)
      std::fprintf(stderr, "[cbc] %d vars, %d rows: built in %.2f s, root LP at %.2f s\n", num_vars,
                   m.num_rows(), before_lp,
                   timer.seconds());
    if (model.solver()->isProvenPrimalInfeasible()) {
      result.status = SolveStatus::infeasible;
      result.best_bound = kInfinity;
    } else if (!model.solver()->isProvenOptimal() && !model.solver()->isProvenDualInfeasible()) {
      // Root LP stopped by the time limit (or failed): no bound beyond -infinity.
      result.status = model.solver()->isIterationLimitReached() ||
                              model.solver()->isPrimalObjectiveLimitReached() ||
                              (options.time_limit_seconds > 0 &&
                               timer.seconds() >= options.time_limit_seconds)
                          ? SolveStatus::stopped
                          : SolveStatus::error;
    } else if (const double now = timer.seconds();
               options.time_limit_seconds > 0 &&
               options.time_limit_seconds - now < now - before_lp) {
      // Branch and bound starts by solving the root LP again, which alone would overrun what
      // is left: stop here with the root LP bound (a valid bound: it relaxes the MIP) and the
      // warm start as the incumbent.
      result.status = SolveStatus::stopped;
      result.best_bound = model.solver()->getObjValue();
      if (options.initial_solution && m.max_violation(*options.initial_solution) <= 1e-7) {
        result.has_solution = true;
        result.solution = *options.initial_solution;
        result.objective = m.objective_value(result.solution);
        result.best_bound = std::min(result.best_bound, result.objective);
      }
    } else {
      if (options.time_limit_seconds > 0)  // CBC's clock starts now: give it what is left
        model.setMaximumSeconds(std::max(
            0.01, options.time_limit_seconds -
                      timer.seconds()));
      model.branchAndBound();
      if (options.verbose)
        std::fprintf(stderr, "[cbc] branch and bound done at %.2f s\n",
                     timer.seconds());
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
      } else {
        result.status = SolveStatus::stopped;
      }
      if (result.status == SolveStatus::infeasible) {
        result.best_bound = kInfinity;
      } else {
        double bound = model.getBestPossibleObjValue();
        if (!std::isfinite(bound) || std::abs(bound) >= 1e49) bound = -kInfinity;
        // When the search finished, the optimum is the incumbent (up to the tight gap).
        if (result.status == SolveStatus::optimal && result.has_solution)
          bound = std::max(bound, std::min(model.getObjValue(), result.objective) - 1e-9 *
                                      std::max(1.0, std::abs(result.objective)));
        if (result.has_solution) bound = std::min(bound, result.objective);
        result.best_bound = bound;
      }
    }
    result.seconds =
        timer.seconds();
    if (options.verbose) std::fprintf(stderr, "[cbc] returning at %.2f s\n", result.seconds);
    return result;
  }
};

}  // namespace

std::unique_ptr<MipSolver> make_cbc_solver() { return std::make_unique<CbcSolver>(); }

}  // namespace pipecut::mip
