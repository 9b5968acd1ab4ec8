#pragma once
// The `downset` bound: the exact search over chains of downsets (partition/downset.hpp) with the
// blocks of the placement constraints as units and the exact leaf reductions, so that when it
// finishes its value is the optimum. Only stages whose work is at most the incumbent are
// enumerated (f >= w, and the optimum never uses a stage costlier than the incumbent).
// Exponential in the width of the graph: it counts downsets and pairs as it goes and gives up
// cleanly past the limits in BoundOptions.
#include "pipecut/bounds/bounds.hpp"

namespace pipecut {

struct DownsetDpResult {
  BoundStatus status = BoundStatus::gave_up;  // proven = exact optimum found
  double optimum = 0.0;                       // valid lower bound; the optimum when proven
  std::optional<Partition> partition;         // an optimal partition when proven
  long long downsets = 0;
  long long pairs = 0;
  std::string reason;               // why it gave up
  bool more_time_may_help = false;  // see BoundResult
};

DownsetDpResult downset_dp(const Graph& g, int k, const BoundOptions& options,
                           const RunSignals& signals = {});

}  // namespace pipecut
