#pragma once
// The inference instance a training graph projects to (docs/training.md, "The projection").
//
// Each block of the training graph (docs/training.md, "The forward structure": a forward node or
// hull with its backward twins, or an orphan unit) becomes one node with the block's work and
// memory. Every order constraint between blocks (docs/training.md, rules 1 and 5) is an edge,
// and every tensor that can cross a boundary is the output of a node of zero work and memory
// whose edges go to the blocks of its producer and consumers (or of the producer's block, when
// those are exactly its successors). Stage costs of the projection are those of the training
// graph's exact-cost view: a lower bound of the projection is one of the training graph, and a
// partition of it lifts to a training partition that costs no more than it (its tensor nodes
// aside, which cost nothing).
#include <vector>

#include "pipecut/model/cost.hpp"
#include "pipecut/model/graph.hpp"

namespace pipecut {

struct TrainingProjection {
  Graph graph;  // an inference graph (no backward nodes)
  // Per training node, its projection node.
  std::vector<NodeId> node_of;
};

// The projection of training graph g (InputError if g has no backward node). Memory stays the
// weights alone (no stash), and the capacity and colour classes of g's forward nodes carry over.
TrainingProjection project_training_graph(const Graph& g);

// The training partition of a partition of the projection: every node in its projection node's
// stage. Valid for g when `projected` is valid for the projection.
Partition lift_partition(const TrainingProjection& projection, const Partition& projected);

}  // namespace pipecut
