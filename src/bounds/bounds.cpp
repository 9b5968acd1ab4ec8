// compute_bound: one entry point for every bound method.
#include "pipecut/bounds/bounds.hpp"

#include "pipecut/bounds/downset_dp.hpp"
#include "pipecut/solve/training_solve.hpp"
#include "pipecut/bounds/mip_bounds.hpp"
#include "pipecut/bounds/simple.hpp"
#include "pipecut/bounds/single_stage.hpp"
#include "pipecut/bounds/split_bound.hpp"
#include "pipecut/model/constraints.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/util/stopwatch.hpp"
#include "util/registry.hpp"

namespace pipecut {

std::string to_string(BoundStatus s) {
  switch (s) {
    case BoundStatus::proven:
      return "proven";
    case BoundStatus::time_limit:
      return "time_limit";
    case BoundStatus::gave_up:
      return "gave_up";
    case BoundStatus::infeasible:
      return "infeasible";
    case BoundStatus::not_applicable:
      return "not_applicable";
  }
  return "?";
}

namespace {

BoundResult run_simple(const Graph& g, int k, const BoundOptions&, const RunSignals&) {
  BoundResult r;
  r.value = simple_lower_bound(g, k);
  r.status = BoundStatus::proven;
  return r;
}

BoundResult from_single_stage(const Graph& g, const SingleStageResult& single) {
  BoundResult r;
  r.value = single.value;
  r.status = single.status;
  if (single.argmax >= 0) r.detail = "node '" + g.ids[single.argmax] + "'";
  return r;
}

BoundResult run_single_mincut(const Graph& g, int, const BoundOptions& options,
                              const RunSignals& signals) {
  return from_single_stage(g, single_stage_mincut_bound(g, options, signals));
}

BoundResult run_single_convex(const Graph& g, int, const BoundOptions& options,
                              const RunSignals& signals) {
  const SingleStageResult single = single_stage_convex_bound(g, options, signals);
  BoundResult r = from_single_stage(g, single);
  r.detail += (r.detail.empty() ? "" : ", ") + std::to_string(single.candidates_solved) + " MIPs";
  return r;
}

BoundResult run_downset(const Graph& g, int k, const BoundOptions& options,
                        const RunSignals& signals) {
  DownsetDpResult dp = downset_dp(g, k, options, signals);
  BoundResult r;
  r.value = dp.optimum;
  r.status = dp.status;
  r.partition = std::move(dp.partition);
  r.more_time_may_help = dp.more_time_may_help;
  r.detail = std::to_string(dp.downsets) + " downsets, " + std::to_string(dp.pairs) + " stages";
  if (!dp.reason.empty()) r.detail += " (" + dp.reason + ")";
  if (dp.status == BoundStatus::infeasible) r.detail = dp.reason;
  return r;
}

}  // namespace

const std::vector<BoundMethod>& bound_methods() {
  static const std::vector<BoundMethod> methods = {
      {"simple", "max(W/k, heaviest node): work must be shared by k stages", run_simple},
      {"single-mincut", "single-stage floor without convexity: one hypergraph min cut per node",
       run_single_mincut},
      {"single", "single-stage floor: the cheapest convex stage around each node (small MIPs)",
       run_single_convex},
      {"downset", "exact DP over downsets; gives up on wide graphs", run_downset},
      {"split",
       "exact DPs on the ancestors and the descendants of one node, stages shared between them",
       [](const Graph& g, int k, const BoundOptions& o, const RunSignals& s) {
         return split_bound(g, k, o, s);
       }},
      {"grouped", "3-group MIP relaxations (stages before, at and after each position)",
       [](const Graph& g, int k, const BoundOptions& o, const RunSignals& s) {
         return grouped_mip_bound(g, k, o, s);
       }},
      {"exact", "the full MIP, warm-started; its proven bound at the time limit",
       [](const Graph& g, int k, const BoundOptions& o, const RunSignals& s) {
         return exact_mip_bound(g, k, o, s);
       }},
  };
  return methods;
}

std::vector<std::string> bound_method_names() { return registered_names(bound_methods()); }

const BoundMethod& bound_method(const std::string& name) {
  return find_registered(bound_methods(), name, "bound method");
}

BoundResult compute_bound(const Graph& g, int k, const std::string& method,
                          const BoundOptions& options, const RunSignals& signals) {
  if (k < 1) throw InputError("k must be at least 1 (got " + std::to_string(k) + ")");
  const BoundMethod& m = bound_method(method);
  const Stopwatch timer;
  BoundResult result;
  if (auto proof = infeasibility_proof(g, derive_constraints(g), k)) {
    result.status = BoundStatus::infeasible;
    result.detail = *proof;
  } else if (g.is_training()) {
    // Only the bounds proven for training graphs run (docs/training.md, "Bounds").
    result = training_bound(g, k, m.name, options, signals);
  } else {
    result = m.run(g, k, options, signals);
  }
  // Without a capacity, or with the whole graph within it, one stage holding everything is a
  // valid partition: a method that reports no partition then failed numerically (CBC did, on
  // costs sixty binary orders apart: docs/bounds.md, "Numerics"). It proves nothing.
  if (result.status == BoundStatus::infeasible && fits_one_stage(g)) {
    result.status = BoundStatus::gave_up;
    result.value = 0;
    result.partition.reset();
    result.detail = "no bound: it reported no partition, but the whole graph fits one stage (" +
                    result.detail + ")";
  }
  result.method = m.name;
  result.seconds = timer.seconds();
  return result;
}

}  // namespace pipecut

namespace pipecut {

const OptionCatalogue<BoundOptions>& bound_option_catalogue() {
  static const OptionCatalogue<BoundOptions> catalogue = [] {
    OptionCatalogue<BoundOptions> c;
    using O = BoundOptions;
    declare(c,
            option("time-limit", OptionKind::number, "Seconds per bound method (0 = no limit)")
                .in_unit("s")
                .at_least(0),
            &O::time_limit_seconds);
    declare(c,
            option("mip-threads", OptionKind::integer,
                   "MIP solver threads (0 = all cores); more than 1 may change the bound "
                   "reached within the time limit from run to run")
                .at_least(0),
            &O::mip_threads);
    declare(c,
            option("threads", OptionKind::integer,
                   "Worker threads of the downset DP (0 = all cores); its results do not "
                   "depend on it")
                .at_least(0),
            &O::threads);
    declare(c,
            option("solver-log", OptionKind::flag, "Show the MIP solver's log on stderr")
                .also("verbose"),
            &O::solver_log);
    return c;
  }();
  return catalogue;
}

}  // namespace pipecut
