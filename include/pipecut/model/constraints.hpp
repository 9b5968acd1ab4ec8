#pragma once
// Placement constraints (README, "Placement constraints"): a memory capacity per stage and
// must-colocate groups.
//
// Memory: node memory m(v) >= 0 bytes (parameters, folded constants) is resident on the device
// that runs v's stage. Stage memory M(P) = sum of m(v) over v in P. With a capacity C (bytes per
// stage) every stage needs M(P) <= C. Activations (working memory) are not in this linear model.
//
// Colocation: nodes of one colour class must share a stage. Stages are convex (every node on a
// path between two nodes of a stage is in it), so a class forces its convex hull into that
// stage. Blocks make this exact: contract every class to one vertex; every strongly connected
// component of that quotient must share a stage (a cycle through contracted classes forces equal
// stages along it), and contracting the components gives a DAG whose vertices are convex sets.
// Those sets are the blocks: every node is in exactly one block, a block of more than one node
// is a hull, and every valid partition keeps each block in one stage. Algorithms use blocks to
// generate orders and downsets; costs stay on the original graph (a contracted block would have
// several output tensors, which the one-tensor-per-node cost model cannot express).
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pipecut/model/cost.hpp"
#include "pipecut/model/graph.hpp"

namespace pipecut {

struct Constraints {
  std::optional<double> capacity;    // C in bytes per stage; none = no memory limit
  int colour_classes = 0;            // distinct colour classes in the graph
  std::vector<int> block_of;         // per node: its block
  std::vector<int> block_begin;      // CSR over blocks (size blocks + 1); blocks are numbered in a
  std::vector<NodeId> block_nodes;   // topological order of the block DAG, members in a
                                     // topological order of the graph
  std::vector<double> block_memory;  // sum of m(v) over each block
  int hulls = 0;                     // blocks with more than one node

  [[nodiscard]] int num_blocks() const { return static_cast<int>(block_memory.size()); }
  [[nodiscard]] std::span<const NodeId> members(int block) const {
    return {block_nodes.data() + block_begin[block], block_nodes.data() + block_begin[block + 1]};
  }
  // Whether anything restricts the partitions: a capacity, or a hull.
  [[nodiscard]] bool active() const { return capacity.has_value() || hulls > 0; }
};

// The constraints of `g`: capacity = g.memory_per_stage, classes = g.colour_class. O(n + m).
Constraints derive_constraints(const Graph& g);

// M <= C, exactly: node memory is a whole number of bits and a graph holds at most
// kMaxTotalMemory (model/graph.hpp), so every sum of node memories is exact in any order.
bool fits_capacity(double memory, double capacity);

// Whether one stage holding every node fits the capacity (always, without one): then that stage
// is a valid partition for every k >= 1, and no instance on g is infeasible.
bool fits_one_stage(const Graph& g);

// A one-line proof that no valid partition into at most k stages exists, from the cheap
// arguments: a node or a hull whose memory exceeds C, or total memory above k * C. nullopt when
// none of them applies (the instance may still be infeasible).
std::optional<std::string> infeasibility_proof(const Graph& g, const Constraints& c, int k);

// Describes the first constraint a pipeline partition violates, in one line naming the colour
// class or the stage, or nullopt when it satisfies them all. `p` must be a valid pipeline
// partition (partition_problem(g, p) is nullopt).
std::optional<std::string> constraint_violation(const Graph& g, const Partition& p);
// The colour-class part of it alone (a class split over two stages), which a cluster's check
// shares (model/cluster_cost.hpp).
std::optional<std::string> colour_class_violation(const Graph& g, const Partition& p);

// Stage memory of every stage of a valid partition (stored_stages entries, model/cost.hpp).
std::vector<double> stage_memory(const Graph& g, const Partition& p);

// What a valid partition must do, for messages: "fits the memory capacity", "keeps every
// colour class together", or both joined by "and".
std::string constraints_phrase(const Graph& g);

// "17185374208 bytes (16 GiB)": exact bytes, and binary units for humans.
std::string describe_bytes(double bytes);

}  // namespace pipecut
