#pragma once
// Exact DP over downsets (Tarnawski et al. 2020; BRIEF §4). A pipeline partition is a chain of
// downsets {} = I_0 <= I_1 <= ... <= I_k = V with stage b = I_b \ I_{b-1}, so
//   F_b(I) = min over downsets J <= I of max(F_{b-1}(J), f(I \ J)),   OPT = F_k(V).
// Only pairs with w(I \ J) <= the incumbent are enumerated (f >= w, and the optimum never uses a
// stage costlier than the incumbent). Exponential in the width of the graph: it counts downsets
// and pairs as it goes and gives up cleanly past the limits in BoundOptions.
//
// Placement constraints: only downsets of the block DAG (model/constraints.hpp) are enumerated,
// i.e. downsets that split no hull, and stages above the capacity are dropped. Both keep every
// valid partition and only valid ones, so the DP stays exact under the constraints; when it
// finds no chain of at most k stages (with no incumbent pruning) that proves infeasibility. No
// node is contracted away: contracting zero-cost nodes is exact without a capacity but not with
// one (BRIEF §8).
#include "pipecut/bounds/bounds.hpp"

namespace pipecut {

struct DownsetDpResult {
  BoundStatus status = BoundStatus::gave_up;  // proven = exact optimum found; infeasible = no
                                              // valid partition exists (`reason` says why)
  double optimum = 0.0;                       // valid lower bound; the optimum when proven
  std::optional<Partition> partition;         // an optimal partition when proven
  long long downsets = 0;
  long long pairs = 0;
  std::string reason;                         // why it gave up, or the infeasibility proof
};

DownsetDpResult downset_dp(const Graph& g, int k, const BoundOptions& options);

}  // namespace pipecut
