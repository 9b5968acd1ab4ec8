#pragma once
// solve and the bound methods on a training graph (docs/training.md, "Solving").
#include <string>

#include "pipecut/bounds/bounds.hpp"
#include "pipecut/solve/solve.hpp"

namespace pipecut {

// solve() on a graph with backward nodes: an optimal slicing of the forward block order first,
// then the exact downset DP of the forward structure with it as incumbent; the lower bound is
// the simple bound, or the DP's optimum when it finishes. Placement constraints as in solve().
Solution solve_training(const Graph& g, int k, const SolveOptions& options,
                        const RunControl& control);

// A bound method on a training graph: `simple` as on any graph, `downset` the training DP, and
// every other method not_applicable (its proof assumes that every edge goes forward).
BoundResult training_bound(const Graph& g, int k, const std::string& method,
                           const BoundOptions& options, const RunSignals& signals);

}  // namespace pipecut
