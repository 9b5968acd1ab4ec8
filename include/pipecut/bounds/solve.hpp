#pragma once
// The solve pipeline behind `pipecut solve`: a partition from SliceGraph, then the bound
// portfolio cheapest first (simple, single-stage min-cut and convex, downset DP, grouped MIP,
// exact MIP warm-started with the incumbent), until lower_bound / bottleneck reaches the target
// or the time runs out. A better partition found by an exact method replaces the incumbent
// (always re-evaluated with evaluate_partition).
#include <functional>
#include <string>
#include <vector>

#include "pipecut/bounds/bounds.hpp"
#include "pipecut/partition/slicegraph.hpp"

namespace pipecut {

struct SolveConfig {
  BrkgaConfig brkga;               // SliceGraph settings; its time limit is set by solve
  double target_ratio = 0.99;      // stop once lower_bound / bottleneck >= this
  double time_limit_seconds = 60;  // whole run; 0 = none
  int threads = 0;                 // SliceGraph decoding threads (0 = all cores)
  // MIP solver threads. 1 keeps runs reproducible (parallel branch and bound is not).
  int mip_threads = 1;
  bool verbose = false;            // solver logs on stderr
  // Called after every step with the current bottleneck, bound and step name (may be empty).
  std::function<void(double bottleneck, double bound, const std::string& step)> progress;
};

struct SolveOutcome {
  Partition partition;
  double bottleneck = 0.0;          // recomputed by evaluate_partition
  double lower_bound = 0.0;         // valid, and <= bottleneck
  std::string lower_bound_method;
  std::string algorithm;            // e.g. "slicegraph(population=100,generations=100)+exact"
  bool optimal = false;             // proves_optimal(lower_bound, bottleneck)
  bool hit_time_limit = false;      // stopped by the time limit before reaching the target
  double seconds = 0.0;
  std::vector<BoundResult> bounds;  // every method run, in order
};

// A bound this close to the bottleneck proves it optimal: every bound is certified with a
// relative margin of at most 1e-7 (mip::bound_tolerance), so 1e-6 leaves room for it.
bool proves_optimal(double bound, double bottleneck);

SolveOutcome solve_mtpp(const Graph& g, int k, const SolveConfig& config);

}  // namespace pipecut
