#pragma once
// The solve portfolio: partition searches and lower bounds in one run, until lower_bound /
// bottleneck reaches the target ratio or the time runs out. The steps, their order and their
// shares of the time are described once, in docs/partitioning.md ("The solve portfolio").
#include <functional>
#include <string>

#include "pipecut/bounds/bounds.hpp"
#include "pipecut/model/numeric.hpp"  // proves_optimal, kOptimalityTolerance
#include "pipecut/partition/algorithms.hpp"
#include "pipecut/solve/solution.hpp"
#include "pipecut/util/run_signals.hpp"

namespace pipecut {

struct SolveOptions {
  // The partition algorithm and its settings (SliceGraph, preset brkga-10000, seed, threads);
  // its time limit and stop target are set by solve.
  PartitionOptions partition;
  // The bound methods' settings. solve uses `mip_threads` and `solver_log` (the log goes to
  // RunControl::log); it sets their time limits, incumbents and warm starts itself, and runs the
  // combinatorial bounds with partition.threads, one thread count for the whole run.
  BoundOptions bounds;
  double target_ratio = 0.99;      // stop once lower_bound / bottleneck >= this (1 = prove)
  double time_limit_seconds = 60;  // whole run; 0 = none
  // Among the partitions that reach the bottleneck found, which one to return
  // (docs/partitioning.md and docs/clusters.md, "Ties"): "devices" the fewest devices, then the
  // least latency (the sum of the stage costs); "latency" the least latency, then the fewest
  // devices; "none" whichever the search found. The certificate is on the bottleneck alone.
  std::string prefer = "devices";
  // Memory of a training pipeline (docs/training.md, "Memory"): stage memory is weights times
  // (1 + optimizer_state) plus the stage's stash times its microbatches in flight under the
  // schedule ("inference": none; "gpipe": microbatches; "1f1b": min(k - s, microbatches)).
  // "inference" with optimizer_state 0 leaves every result as it is without them.
  std::string schedule = "inference";
  int microbatches = 0;  // 0 = not given (gpipe and 1f1b need it)
  double optimizer_state = 0;
};

// The user-facing options of SolveOptions (util/options.hpp): target-ratio, time-limit, the
// partition options and the bound options solve reads.
const OptionCatalogue<SolveOptions>& solve_option_catalogue();

// Where a long run stands, reported after every step.
struct Progress {
  std::string step;         // the method that just ran, or "name..." for one about to start
  double bottleneck = 0.0;  // best partition so far
  double lower_bound = 0.0;
  double seconds = 0.0;  // since the run started
};

// How a front end watches and steers a run; every member is optional. `stop` and `log`
// (RunSignals) reach every method of the run; they are in no option struct.
struct RunControl : RunSignals {
  std::function<void(const Progress&)> progress;
  std::function<void(const BoundResult&)> bound_finished;  // after each bound method
};

// k >= 1 (InputError otherwise); more stages than nodes cannot help, so k is capped at the node
// count internally while the solution keeps the k asked for.
// Placement constraints (model/constraints.hpp) are honoured throughout, and "optimal" means
// optimal among the partitions that satisfy them. InfeasibleError when no such partition
// exists (a cheap proof, or an exact method that found no chain); NoFeasiblePartitionError
// when none was found and infeasibility was not proven before the time limit.
Solution solve(const Graph& g, int k, const SolveOptions& options = {},
               const RunControl& control = {});

}  // namespace pipecut
