#pragma once
// Cost evaluation: the single source of truth for the MTPP objective (docs/bounds.md,
// "Notation").
//
// f(P) = w(P) + in(P) + out(P), where
//   in(P)  = sum of comm(u) over distinct u not in P with a consumer in P (received once),
//   out(P) = sum of comm(u) over u in P with at least one consumer outside P (sent once).
// Fast paths elsewhere (slicing DP, bounds) are tested against these functions.
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pipecut/model/graph.hpp"

namespace pipecut {

// A pipeline partition: stage_of[v] in 0..k-1, with stage_of[u] <= stage_of[v] on every edge.
// Stages may be empty.
struct Partition {
  int k = 0;
  std::vector<int> stage_of;
  // On a cluster (docs/clusters.md): the device of each stage (k entries; -1 for an empty
  // stage), distinct over the non-empty stages. Empty = k identical devices, today's model.
  std::vector<int> device_of_stage =
      {};  // (initialised: Partition{k, stage_of} stays warning-free)
};

struct StageCost {
  int stage = 0;
  std::vector<NodeId> nodes;  // ascending
  double work = 0.0;
  double comm_in = 0.0;
  double comm_out = 0.0;
  double cost = 0.0;    // work + comm_in + comm_out
  double memory = 0.0;  // bytes: sum of the nodes' memory (model/constraints.hpp)
  int device = -1;      // on a cluster: the stage's device (model/cluster_cost.hpp)
};

// How many per-stage entries evaluate_partition and stage_memory return for a valid p: p.k when
// k <= n, else the last non-empty stage + 1 (a huge k from a file must not cost O(k) memory).
int stored_stages(const Graph& g, const Partition& p);

struct Evaluation {
  // Stage b at index b: k entries, or, when k exceeds the node count, entries up to the last
  // non-empty stage only (the stages beyond hold nothing and cost 0): see stored_stages.
  std::vector<StageCost> stages;
  double bottleneck = 0.0;   // max cost over stages
  int bottleneck_stage = 0;  // first stage attaining it
  int stages_used = 0;       // non-empty stages

  // The latency of one item through the pipeline: the sum of the stage costs (what --prefer
  // weighs after the bottleneck, docs/clusters.md "Ties").
  [[nodiscard]] double latency() const {
    double sum = 0;
    for (const StageCost& s : stages) sum += s.cost;
    return sum;
  }
};

// Cost of an arbitrary node set (in_set[v] != 0 means v is in the set). O(n + m).
double set_cost(const Graph& g, std::span<const char> in_set);
// set_cost of the one-node set {v} in O(degree): v's work, its tensor sent when it has
// consumers, and its producers' tensors received.
double single_node_cost(const Graph& g, NodeId v);
struct SetCost {
  double work = 0, comm_in = 0, comm_out = 0;
  [[nodiscard]] double total() const { return work + comm_in + comm_out; }
};
SetCost set_cost_breakdown(const Graph& g, std::span<const char> in_set);

// Describes why `p` is not a valid pipeline partition of `g`, or nullopt if it is valid:
// k >= 1, one stage per node, every stage in 0..k-1, every edge forward (on a training graph,
// every edge between two forward nodes: docs/training.md). Placement constraints
// (memory capacity, colour classes) are checked separately by constraint_violation
// (model/constraints.hpp): a partition can be a pipeline and still not be deployable.
std::optional<std::string> partition_problem(const Graph& g, const Partition& p);

// Full per-stage breakdown. Throws InputError if the partition is invalid. O(n + m + k).
Evaluation evaluate_partition(const Graph& g, const Partition& p);

// A tensor that crosses a stage boundary: produced by `producer` in `from_stage` and consumed in
// each of `to_stages` (distinct, ascending, all other than from_stage; all later when the
// partition is valid and the graph has no backward nodes: a training graph's backward tensors
// may flow to earlier stages, docs/training.md). Its `comm` is paid once by the sending stage and once by each receiving
// stage (the tensor cut property), which is how evaluate_partition counts it.
struct BoundaryTensor {
  NodeId producer = 0;
  int from_stage = 0;
  std::vector<int> to_stages;
  double comm = 0.0;
};

// Every cut tensor of a valid partition, by ascending producer index. Throws InputError if the
// partition is invalid.
std::vector<BoundaryTensor> boundary_tensors(const Graph& g, const Partition& p);

// Partition from a topological order cut at positions: stage b holds order[cuts[b]..cuts[b+1]).
// cuts has k+1 entries, cuts[0] = 0, cuts[k] = n, non-decreasing.
Partition partition_from_cuts(const Graph& g, std::span<const NodeId> order,
                              std::span<const int> cuts);

}  // namespace pipecut
