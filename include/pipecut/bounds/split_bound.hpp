#pragma once
// The `split` bound (docs/bounds.md, "split"): a reduction bound for graphs too wide for the
// exact downset DP, such as encoder-decoder models whose encoder output feeds every decoder
// layer. For a node u, A = u and its ancestors, B = its descendants. In any partition A lies in
// stages 0..s(u) and B in stages s(u)..k-1, and dropping nodes never raises a stage's cost, so
//   OPT >= min over j = 1..k of max(OPT(G[A], j stages), OPT(G[B], k + 1 - j stages)).
// Both subgraphs are solved exactly by the downset search (one run each gives every j), with
// light sources merged into their consumers (model/reductions.hpp): in G[B] the chains that
// read u's tensor lose their producer and join the operator they feed, which keeps G[B] narrow.
// Nodes that are neither ancestors nor descendants of u are left out (a relaxation). B's row is
// raised by what its stages receive from u (receiving_side_bounds). As a by-product the method
// returns a partition: the better of one built from the rows and one from an exact search with
// u's reader chains joined to their consumers.
#include <optional>
#include <vector>

#include "pipecut/bounds/bounds.hpp"

namespace pipecut {

// Tries the nodes of highest out-degree as u, while time is left; the value is the best bound
// of a split whose two searches both finished (proven), else 0 (gave_up or time_limit).
BoundResult split_bound(const Graph& g, int k, const BoundOptions& options,
                        const RunSignals& signals = {});

// B's side with what its stages receive from u (docs/bounds.md, "split", "B's receives"): entry
// j (1 <= j < size) is a lower bound on the optimum of G[{u} + descendants of u], u's work and
// memory set to 0, with at most j stages (entry 0 is +inf; past the end, the last entry holds).
// The chains that read only u join the operator they feed, with a rebate on the stage cost for
// the receive of u they may add. nullopt when the search did not finish (options' limits) or
// when u merges into another unit.
std::optional<std::vector<double>> receiving_side_bounds(const Graph& g, NodeId u, int k,
                                                         const BoundOptions& options,
                                                         const RunSignals& signals = {});

// A and B as one graph (docs/bounds.md, "split", "A and B together"): a lower bound on the
// optimum of G[A + B] with k stages (so on g's), from the downset search with u's reader chains
// joined and the same rebate, so the stage shared by A's end and B's start is costed once.
// nullopt when no chain joins (G[A + B] is then as wide as g) or the search did not finish.
std::optional<double> joined_sides_bound(const Graph& g, NodeId u, int k,
                                         const BoundOptions& options,
                                         const RunSignals& signals = {});

}  // namespace pipecut
