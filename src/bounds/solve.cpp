#include "pipecut/bounds/solve.hpp"

#include <algorithm>

#include "pipecut/bounds/simple.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/util/stopwatch.hpp"

namespace pipecut {

bool proves_optimal(double bound, double bottleneck) {
  return bound >= bottleneck - 1e-6 * std::max(1.0, bottleneck);
}

SolveOutcome solve_mtpp(const Graph& g, int k, const SolveConfig& config) {
  if (k < 1) throw InputError("k must be at least 1 (got " + std::to_string(k) + ")");
  const Stopwatch timer;
  const double limit = config.time_limit_seconds;
  auto remaining = [&]() -> double {  // 0 = unlimited, as for every method's time limit
    return limit > 0 ? std::max(0.001, limit - timer.seconds()) : 0.0;
  };
  auto out_of_time = [&] { return limit > 0 && timer.seconds() >= limit; };
  SolveOutcome out;
  auto report = [&](const std::string& step) {
    if (config.progress) config.progress(out.bottleneck, out.lower_bound, step);
  };
  auto take_bound = [&](const BoundResult& r) {
    out.bounds.push_back(r);
    if (r.value > out.lower_bound) {
      out.lower_bound = r.value;
      out.lower_bound_method = r.method;
    }
  };

  BoundOptions options;
  options.threads = config.mip_threads;
  options.verbose = config.verbose;
  // Within solve the DP is one option among several: give up on it early rather than spend
  // seconds enumerating downsets of a wide graph.
  options.downset_limit = 250'000;
  out.lower_bound = simple_lower_bound(g, k);
  out.lower_bound_method = "simple";

  // The single-stage bounds do not depend on the partition: run them first so that SliceGraph
  // can stop as soon as it reaches them. The default order's slicing is their incumbent.
  SliceGraphResult quick = slice_default_order(g, k);
  out.partition = quick.partition;
  out.bottleneck = evaluate_partition(g, quick.partition).bottleneck;
  options.incumbent = out.bottleneck;
  for (const char* method : {"single-mincut", "single"}) {
    if (proves_optimal(out.lower_bound, out.bottleneck)) break;
    options.time_limit_seconds = limit > 0 ? 0.2 * remaining() : 0;
    take_bound(compute_bound(g, k, method, options));
    report(method);
  }

  BrkgaConfig brkga = config.brkga;
  brkga.threads = config.threads;
  brkga.time_limit_seconds = limit > 0 ? std::max(0.001, 0.3 * limit) : 0;
  // A partition this close to a lower bound is proven optimal: SliceGraph may stop there.
  brkga.stop_at = out.lower_bound + 1e-6 * std::max(1.0, out.lower_bound);
  out.algorithm = "slicegraph(population=" + std::to_string(brkga.population) +
                  ",generations=" + std::to_string(brkga.generations) + ")";
  if (!proves_optimal(out.lower_bound, out.bottleneck)) {
    SliceGraphResult found = slicegraph(g, k, brkga);
    const double value = evaluate_partition(g, found.partition).bottleneck;
    if (value < out.bottleneck) {
      out.bottleneck = value;
      out.partition = found.partition;
    }
    out.hit_time_limit = found.hit_time_limit;
  }
  report("slicegraph");

  auto reached_target = [&] {
    return out.bottleneck == 0 || proves_optimal(out.lower_bound, out.bottleneck) ||
           out.lower_bound / out.bottleneck >= config.target_ratio;
  };
  for (const char* method : {"downset", "grouped", "exact"}) {
    if (reached_target()) break;
    if (out_of_time()) break;
    report(std::string(method) + "...");
    // The grouped MIPs get half of what is left, so the exact MIP still gets a turn.
    options.time_limit_seconds =
        std::string(method) == "grouped" && limit > 0 ? 0.5 * remaining() : remaining();
    options.incumbent = out.bottleneck;
    options.warm_start = out.partition;
    options.known_lower_bound = out.lower_bound;
    BoundResult r = compute_bound(g, k, method, options);
    if (r.partition && !partition_problem(g, *r.partition)) {
      const double value = evaluate_partition(g, *r.partition).bottleneck;  // never trusted
      if (value < out.bottleneck) {
        out.bottleneck = value;
        out.partition = *r.partition;
        out.algorithm += std::string("+") + method;
      }
    }
    take_bound(r);
    report(method);
  }
  out.lower_bound = std::min(out.lower_bound, out.bottleneck);
  out.optimal = proves_optimal(out.lower_bound, out.bottleneck);
  out.hit_time_limit = !reached_target() && out_of_time();
  out.seconds = timer.seconds();
  return out;
}

}  // namespace pipecut
