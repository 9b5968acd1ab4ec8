#pragma once
// Exact reductions of zero-work leaves (docs/bounds.md, "Exact reductions"). Profiled operator
// graphs hold many operators with no work that only feed others (parameters) or only consume
// (shape queries, unused outputs). Each free-floating one doubles the number of downsets, yet
// where they go barely matters. Two dominance rules say where they can go in some optimal
// partition, so that every method may place them instead of searching over them:
//   - a *floating source* s (no work, no producer) can sit in the stage of its earliest
//     consumer: its old stage stops sending s's tensor, the new one stops receiving it and sends
//     it on at most once; no other stage changes;
//   - a *reducible sink* t (no work, no consumer, exactly one producer p) can sit in p's stage:
//     t's stage may stop receiving p's tensor, and p's stage may stop sending it.
// Neither move raises any stage's cost. Under a memory capacity the moved node carries its
// memory into another stage, so the rules apply only to nodes with zero memory (or when no
// capacity is set); a node in a colour class with other members never moves alone, so it is not
// reduced either. A reducible sink of a floating source moves with the source; a source whose
// consumers are all its own reducible sinks is not floating (it and its sinks form a zero-cost
// island that may sit anywhere). Zero-work nodes with no edges at all are *islands*: placing
// them anywhere costs nothing, so they may join the first stage.
#include <span>
#include <vector>

#include "pipecut/model/constraints.hpp"
#include "pipecut/model/cost.hpp"
#include "pipecut/model/graph.hpp"

namespace pipecut {

struct LeafReductions {
  std::vector<char> floating_source;  // per node: 1 for a floating source
  std::vector<NodeId> sink_producer;  // per node: the producer of a reducible sink, else -1
  std::vector<char> island;           // per node: 1 for a zero-work node with no edges
  int floating_sources = 0;
  int reducible_sinks = 0;
  int islands = 0;

  [[nodiscard]] bool empty() const {
    return floating_sources == 0 && reducible_sinks == 0 && islands == 0;
  }
};

// The reducible leaves of g under its constraints (blocks and capacity from `c`). With
// `unit_of` (one id per node), nodes that share their unit with others are not reduced either:
// they move with their unit. O(n + m).
LeafReductions find_leaf_reductions(const Graph& g, const Constraints& c,
                                    std::span<const int> unit_of = {});

// Applies both rules to a valid partition: every floating source moves to the earliest stage
// among its consumers, every reducible sink to its producer's stage (after its producer moved,
// when that producer is a floating source), every island to the first non-empty stage. The
// result is valid, satisfies the same constraints as `p`, and no stage costs more than in `p`.
// O(n + m).
Partition apply_leaf_reductions(const Graph& g, const LeafReductions& r, const Partition& p);

// The same rules on a topological order: every island first, every floating source (with its
// reducible sinks) right before its first consumer, every other reducible sink right after its
// producer; the other nodes keep their relative order. The optimal slicing of the result is never
// worse than that of `order`: applying the rules to any slicing of `order` gives a slicing of it.
// O(n + m).
std::vector<NodeId> apply_leaf_reductions(const Graph& g, const LeafReductions& r,
                                          std::span<const NodeId> order);

// Light sources (docs/bounds.md, "Light sources"): a unit U (a union of blocks, all in one stage)
// with no producer outside it, whose tensors are consumed outside U only by one unit T, may sit
// in T's stage when w(U) <= the comm of U's tensors that T consumes: T's stage gains w(U) and
// stops receiving those tensors, U's old stage only loses. Under a capacity only units without
// memory move. Starting from the blocks, merges such sources into their consumer until none is
// left (or a unit would pass `max_unit_size` nodes) and returns the unit of every node (ids
// 0..units-1, in order of first node). The units are convex, unions of blocks, with an acyclic
// quotient, and some optimal partition keeps every one whole: they may be the downset search's
// units. O(passes * (n + m)).
std::vector<int> light_source_units(const Graph& g, const Constraints& c, int max_unit_size = 256);

}  // namespace pipecut
