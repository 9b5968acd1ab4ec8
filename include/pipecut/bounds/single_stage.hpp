#pragma once
// Single-stage bounds (docs/bounds.md, "single"). Every node v lies in some stage P of an optimal
// partition, P is convex and f(P) <= OPT, so floor(v) = min{ f(S) : S convex, v in S } <= OPT for
// every v.
//   - min-cut version: drops convexity; min over all S containing v is a hypergraph min cut
//     (w(S) + cost of the tensor hyperedges {u} u consumers(u) that S cuts), one max-flow per v.
//   - convex version: S = D n U for a downset D and an upset U, one small MIP per candidate v.
// Neither depends on k. Values are in the graph's time unit.
// Under placement constraints (model/constraints.hpp) v's stage holds v's whole block and every
// block it touches, and fits the capacity; both versions require S to be a union of blocks
// (valid because every valid stage is), and the convex version adds the knapsack row M(S) <= C.
#include <functional>
#include <vector>

#include "pipecut/bounds/bounds.hpp"
#include "pipecut/model/graph.hpp"

namespace pipecut {

struct SingleStageResult {
  double value = 0.0;  // max over nodes of the proven floor (valid lower bound)
  // gave_up: MIPs too large or failed (floors kept); infeasible: a block exceeds the capacity
  BoundStatus status = BoundStatus::proven;
  NodeId argmax = -1;          // node attaining `value`, -1 if none
  std::vector<double> floor;   // per node: a valid lower bound on its floor
  int candidates_solved = 0;   // convex MIPs run
  int candidates_skipped = 0;  // convex candidates pruned without a MIP
};

// Min cut value for every node (exact up to floating point). Polynomial; stops with status
// time_limit (and the floors computed so far) at options.time_limit_seconds.
SingleStageResult single_stage_mincut_bound(const Graph& g, const BoundOptions& options = {},
                                            const RunSignals& signals = {});

// Convex floors: starts from the min-cut floors, then solves the convex MIP for the candidates
// that can still raise the maximum, most promising first. Stops early once the bound reaches
// options.incumbent (nothing more to prove) or the time limit runs out (status time_limit).
SingleStageResult single_stage_convex_bound(const Graph& g, const BoundOptions& options,
                                            const RunSignals& signals = {});

// Minimum hypergraph cut through v: min over S containing v (and whole blocks) of f(S), with a
// minimising S. `stop`, when given, is polled during the max-flow; once it returns true the
// result is marked incomplete: `value` is then only a lower bound on the floor (the flow found so
// far), and `source_side` is some set containing v.
struct MinCutFloor {
  double value = 0.0;
  std::vector<char> source_side;
  bool complete = true;
};
MinCutFloor min_cut_floor(const Graph& g, NodeId v, const std::function<bool()>& stop = {});

}  // namespace pipecut
