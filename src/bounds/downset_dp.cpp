#include "pipecut/bounds/downset_dp.hpp"

#include <algorithm>

#include "pipecut/partition/downset.hpp"

namespace pipecut {

DownsetDpResult downset_dp(const Graph& g, int k, const BoundOptions& options,
                           const RunSignals& signals) {
  DownsetSearchOptions search;
  search.incumbent = options.incumbent;
  search.warm_start = options.warm_start;
  search.floor = options.known_lower_bound;
  search.time_limit_seconds = options.time_limit_seconds;
  search.stop = signals.stop;
  search.downset_limit = options.downset_limit;
  search.pair_limit = options.downset_pair_limit;
  search.threads = options.threads;
  const DownsetSearchResult found = downset_search(g, k, search);
  DownsetDpResult result;
  result.downsets = found.downsets;
  result.pairs = found.pairs;
  result.reason = found.reason;
  // Its stages, not its downsets, took too long.
  result.more_time_may_help =
      found.stop == DownsetStop::stage_time_estimate || found.stop == DownsetStop::stage_time;
  switch (found.status) {
    case DownsetStatus::optimal:
      result.status = BoundStatus::proven;
      // The optimum of the exact-cost view, summed without rounding (model/numeric.hpp).
      result.optimum = found.bottleneck;
      result.partition = found.partition;
      break;
    case DownsetStatus::infeasible:
      result.status = BoundStatus::infeasible;
      break;
    case DownsetStatus::gave_up:
      result.status = BoundStatus::gave_up;
      break;
    case DownsetStatus::time_limit:
      result.status = BoundStatus::time_limit;
      break;
  }
  return result;
}

}  // namespace pipecut
