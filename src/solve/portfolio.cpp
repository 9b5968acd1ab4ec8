#include "solve/portfolio.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "pipecut/model/error.hpp"
#include "pipecut/partition/refine.hpp"
#include "pipecut/partition/window_search.hpp"
#include "pipecut/solve/api.hpp"

namespace pipecut::detail {

using Shares = PortfolioShares;

Portfolio::Portfolio(const Graph& g, int k, const SolveOptions& options, const RunControl& control)
    : g_(g),
      k_(k),
      stages_(std::min(k, g.num_nodes())),
      options_(options),
      control_(control),
      limit_(options.time_limit_seconds),
      constraints_(derive_constraints(g)),
      leaves_(find_leaf_reductions(g, constraints_)),
      view_cap_(comm_cap(g)) {
  exact_.emplace(g_, view_cap_);
  bound_options_.mip_threads = options.bounds.mip_threads;
  bound_options_.threads = options.partition.threads;
  bound_options_.solver_log = options.bounds.solver_log;
  // Within solve the DP is one option among several: give up on it early rather than spend
  // seconds enumerating downsets of a wide graph. Pairs cost no memory: time bounds them.
  bound_options_.downset_limit = 250'000;
  if (limit_ > 0) bound_options_.downset_pair_limit = 0;
  search_ = options.partition;
}

// ---- time ----------------------------------------------------------------------------------

double Portfolio::remaining() const {  // 0 = unlimited, as for every method's time limit
  return limit_ > 0 ? std::max(0.001, limit_ - timer_.seconds()) : 0.0;
}

double Portfolio::budget(double share) const {
  return limit_ > 0 ? std::max(0.001, share * remaining()) : 0.0;
}

bool Portfolio::stop_requested_now() const { return stop_requested(control_.stop); }

bool Portfolio::out_of_time() const { return timer_.exceeded(limit_) || stop_requested_now(); }

bool Portfolio::reached_target() const {
  return bottleneck_ == 0 || proves_optimal(lower_bound_, bottleneck_) ||
         lower_bound_ / bottleneck_ >= options_.target_ratio;
}

void Portfolio::report(const std::string& step) const {
  if (control_.progress) control_.progress({step, bottleneck_, lower_bound_, timer_.seconds()});
}

// ---- bookkeeping ---------------------------------------------------------------------------

void Portfolio::take_bound(const BoundResult& r) {
  if (control_.bound_finished) control_.bound_finished(r);
  if (r.status == BoundStatus::infeasible) {
    if (!best_.stage_of.empty())  // a valid partition is in hand: the proof must be wrong
      throw std::logic_error(r.method + " claims infeasibility of a feasible instance");
    throw InfeasibleError(r.detail);
  }
  bounds_.push_back(r);
  if (r.value > lower_bound_) {
    lower_bound_ = r.value;
    lower_bound_method_ = r.method;
  }
}

// Every partition goes through the exact leaf reductions and local refinement (neither can make
// it worse), then the reference evaluator, before it is trusted.
bool Portfolio::offer(const Partition& found) {
  if (found.stage_of.empty() || partition_problem(g_, found) || constraint_violation(g_, found))
    return false;
  Partition p = apply_leaf_reductions(g_, leaves_, found);
  RefineOptions refine;
  refine.stop = control_.stop;
  refine.time_limit_seconds = budget(Shares::refine);
  p = apply_leaf_reductions(g_, leaves_,
                            refine_partition(view(), constraints_, p, refine).partition);
  const double value = evaluate_partition(g_, p).bottleneck;
  if (!best_.stage_of.empty() && value >= bottleneck_) return false;
  best_ = p;
  bottleneck_ = value;
  if (2 * bottleneck_ < view_cap_ / 4) {  // the view's cap is far above the incumbent now
    view_cap_ = comm_cap(g_, bottleneck_);
    exact_.emplace(g_, view_cap_);
  }
  return true;
}

const BoundResult& Portfolio::run_bound(const std::string& method, double seconds) {
  report(method + "...");
  bound_options_.time_limit_seconds = seconds;
  bound_options_.incumbent = bottleneck_;
  bound_options_.warm_start =
      best_.stage_of.empty() ? std::nullopt : std::optional<Partition>(best_);
  bound_options_.known_lower_bound = lower_bound_;
  BoundResult r = compute_bound(view(), stages_, method, bound_options_, control_);
  if (r.partition && offer(*r.partition)) algorithm_ += "+" + method;
  take_bound(r);
  report(method);
  return bounds_.back();
}

// ---- steps ---------------------------------------------------------------------------------

// One sliced order is the first incumbent. On a long chain with few stages even one slicing
// takes seconds: it gets a share of the time, then its greedy slicing stands.
void Portfolio::first_slicing() {
  PartitionOptions first;
  first.time_limit_seconds = budget(Shares::first_slicing);
  if (const PartitionRun topo = partition_algorithm("topo").run(view(), stages_, first, control_);
      topo.feasible)
    offer(topo.partition);
  algorithm_ = "topo";
}

// The exact DP settles narrow graphs (most transformer graphs) outright, in seconds; on wide
// ones it gives up at once (too many downsets, or a sample of its stages says they would take
// far longer than its share). Worth a second try later only if time, not size, stopped it.
// Returns whether it did not finish.
bool Portfolio::exact_dp() {
  if (reached_target() || out_of_time()) return false;
  const BoundResult& dp = run_bound("downset", budget(Shares::downset));
  retry_downset_ = dp.more_time_may_help;
  return dp.status != BoundStatus::proven;
}

// The single-stage bounds do not depend on the partition: they run before the partition
// search, which may stop as soon as it reaches them.
void Portfolio::single_stage_bounds() {
  bound_options_.incumbent = bottleneck_;
  // Without hulls a node's floor is at most the cost of the node alone (a convex set holding
  // it), so neither single-stage bound can exceed the costliest single node: when that is below
  // the bound already proven, they cannot help (on large graphs they take seconds).
  double costliest_node = std::numeric_limits<double>::infinity();
  if (constraints_.hulls == 0) {
    costliest_node = 0;
    for (NodeId v = 0; v < g_.num_nodes(); ++v)
      costliest_node = std::max(costliest_node, single_node_cost(view(), v));
  }
  for (const char* method : {"single-mincut", "single"}) {
    if (reached_target() || stop_requested_now() || costliest_node <= lower_bound_) break;
    bound_options_.time_limit_seconds = budget(Shares::single_stage);
    take_bound(compute_bound(view(), stages_, method, bound_options_, control_));
    report(method);
  }
}

void Portfolio::partition_search() {
  if (!reached_target() && !stop_requested_now()) {
    search_.time_limit_seconds =
        limit_ > 0 ? std::min(remaining(), Shares::partition_search * limit_) : 0;
    // A partition this close to a proven lower bound is optimal: the search may stop there.
    search_.stop_at = optimality_stop(lower_bound_);
    const PartitionRun found =
        partition_algorithm(search_.algorithm).run(view(), stages_, search_, control_);
    algorithm_ = found.description;
    offer(found.partition);
  }
  report(algorithm_);
}

// Exact window searches around the stage boundaries (the finest level of the multilevel
// scheme); a search whose window covered every block proves its partition optimal.
void Portfolio::windows(double seconds) {
  report("windows...");
  WindowSearchOptions windows;
  windows.time_limit_seconds = seconds;
  windows.stop = control_.stop;
  windows.downset_limit = window_downsets_;
  windows.threads = options_.partition.threads;
  if (limit_ > 0) windows.pair_limit = 0;
  const WindowSearchResult w = window_search(view(), best_, windows);
  if (offer(w.partition)) algorithm_ += "+windows";
  if (w.optimal && w.bottleneck <= bottleneck_) {
    BoundResult proof;
    proof.method = "downset";
    proof.status = BoundStatus::proven;
    proof.value = w.bottleneck;  // the view's optimum, summed exactly
    proof.detail = "window search over every block";
    take_bound(proof);
  }
  report("windows");
}

void Portfolio::multilevel() {
  PartitionOptions multilevel = search_;
  multilevel.algorithm = "multilevel";
  multilevel.time_limit_seconds = budget(Shares::multilevel);
  report("multilevel...");
  if (offer(partition_algorithm("multilevel").run(view(), stages_, multilevel, control_).partition))
    algorithm_ += "+multilevel";
  report("multilevel");
}

// Time left while the gap is open (every bound method finished or gave up): it goes to the
// partition, with wider windows and restarts of the searches from other seeds, and to a MIP
// bound that stopped at its time limit when more time than it had is now left (it restarts
// from scratch, with the better incumbent and bound).
void Portfolio::restart_round(int round) {
  if (limit_ > 0) {
    const BoundResult* stopped = nullptr;
    for (const BoundResult& r : bounds_)
      if ((r.method == "grouped" || r.method == "exact") && r.status == BoundStatus::time_limit &&
          (!stopped || r.value > stopped->value))
        stopped = &r;
    if (stopped && budget(Shares::mip_restart) > 1.5 * stopped->seconds) {
      const std::string method = stopped->method;
      run_bound(method, budget(Shares::mip_restart));
      if (reached_target() || out_of_time()) return;
    }
  }
  window_downsets_ *= 2;
  windows(budget(Shares::round_windows));
  if (reached_target() || out_of_time()) return;
  PartitionOptions restart = search_;
  restart.seed = search_.seed + static_cast<std::uint64_t>(round);
  restart.time_limit_seconds = budget(Shares::round_search);
  restart.stop_at = optimality_stop(lower_bound_);
  restart.algorithm = round % 2 == 1 ? "multilevel" : search_.algorithm;
  report(restart.algorithm + "...");
  if (offer(
          partition_algorithm(restart.algorithm).run(view(), stages_, restart, control_).partition))
    algorithm_ += "+" + restart.algorithm + "(seed=" + std::to_string(restart.seed) + ")";
  report(restart.algorithm);
}

// ---- the sequence (docs/partitioning.md, "The solve portfolio") ----------------------------

Solution Portfolio::run() {
  // The simple bound first, recorded like every other: the certificate always lists its bounds.
  take_bound(compute_bound(view(), stages_, "simple", {}));
  first_slicing();
  const bool downset_unfinished = exact_dp();
  single_stage_bounds();
  partition_search();
  if (retry_downset_ && !reached_target() && !out_of_time())
    run_bound("downset", budget(Shares::downset_retry));
  // Too wide for the DP as a whole: the DPs on the two sides of one node may still finish.
  if (downset_unfinished && !reached_target() && !out_of_time())
    run_bound("split", budget(Shares::split));
  if (!reached_target() && !out_of_time()) windows(budget(Shares::windows));
  if (!reached_target() && !out_of_time()) multilevel();
  // The grouped MIPs get a share of what is left, so the exact MIP still gets a turn.
  if (!reached_target() && !out_of_time()) run_bound("grouped", budget(Shares::grouped));
  if (!reached_target() && !out_of_time()) run_bound("exact", remaining());
  for (int round = 1; round <= 1000 && !reached_target() && !out_of_time(); ++round) {
    restart_round(round);
    if (limit_ <= 0) break;  // without a time limit one round is enough
  }

  break_ties();
  if (best_.stage_of.empty())
    throw NoFeasiblePartitionError(std::string(out_of_time() ? "within the time limit, " : "") +
                                   "no partition that " + constraints_phrase(g_) +
                                   " was found, and infeasibility is not proven");
  Solution s;
  s.graph_name = g_.name;
  s.k = k_;
  s.partition = best_;
  s.partition.k = k_;
  s.evaluation = evaluate(g_, s.partition);
  s.lower_bound = std::min(lower_bound_, s.evaluation.bottleneck);
  s.lower_bound_method = lower_bound_method_;
  s.optimal = proves_optimal(s.lower_bound, s.evaluation.bottleneck);
  s.algorithm = algorithm_;
  s.seed = options_.partition.seed;
  s.stopped = stop_requested_now();
  s.hit_time_limit = !reached_target() && timer_.exceeded(limit_);
  s.bounds = std::move(bounds_);
  s.seconds = timer_.seconds();
  return s;
}

}  // namespace pipecut::detail
