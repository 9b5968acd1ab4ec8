#pragma once
// Test oracles and generators shared by all test files.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pipecut/model/cost.hpp"
#include "pipecut/model/graph.hpp"

namespace pipecut::testing {

// Exhaustive optimum over every valid pipeline partition (stages may be empty), by depth-first
// assignment along a topological order. Intended for n <= 12, k <= 4.
// Placement constraints carried by the graph are honoured, checked here on their own (not with
// the library's constraint code): nodes sharing g.colour_class share a stage, and with
// g.memory_per_stage every stage's memory is at most that capacity (exact comparison; tests use
// integer bytes). When no partition satisfies them, `feasible` is false and optimum is +inf.
struct BruteForceResult {
  double optimum = 0.0;
  Partition best;
  bool feasible = false;
  long long partitions = 0;  // number of valid partitions enumerated
};
BruteForceResult brute_force_optimum(const Graph& g, int k);

// Calls `visit` with every partition into k stages that keeps every edge forward and satisfies
// the graph's placement constraints (memory capacity, colour classes): the enumeration behind
// both brute-force oracles.
void for_each_valid_partition(const Graph& g, int k,
                              const std::function<void(const Partition&)>& visit);

// Exhaustive optimum over every way to cut `order` into <= k contiguous segments, each segment
// costed by the reference evaluator; only cuts that satisfy the graph's placement constraints
// count (+inf when none does).
double brute_force_order_optimum(const Graph& g, const std::vector<NodeId>& order, int k);

// True when the valid pipeline partition p satisfies g's placement constraints (the oracle's own
// check).
bool satisfies_constraints(const Graph& g, const Partition& p);

struct RandomGraphOptions {
  int nodes = 8;
  double edge_probability = 0.3;
  int max_cost = 5;         // integer costs 0..max_cost: zeros and ties are common
  bool fractional = false;  // add a random fraction to non-zero costs
  bool shuffle_ids = true;  // node indices are not a topological order
  // Zero-work leaves added after the random DAG (model/reductions.hpp): sources feeding 1..3
  // random nodes, and sinks reading one random node (or, one time in four, two nodes).
  int zero_work_sources = 0;
  int zero_work_sinks = 0;
};
Graph random_dag(std::uint64_t seed, const RandomGraphOptions& options);

// Random placement constraints on top of a graph: integer node memory 0..max_memory, a capacity
// between `capacity_low` and `capacity_high` times total memory / k (rounded down; below the
// heaviest node or hull now and then, so some instances are infeasible), and up to max_classes
// colour classes of 2 or 3 random members, labelled by strings or integers. With
// `at_least_heaviest` the capacity is scaled from max(total / k, heaviest node) instead, so that
// neither of the cheap proofs (a node, or the total, above capacity) settles infeasibility.
struct RandomConstraintOptions {
  int max_memory = 6;
  double capacity_low = 0.6;
  double capacity_high = 2.0;
  bool memory = true;
  bool at_least_heaviest = false;
  int max_classes = 2;
};
void add_random_constraints(Graph& g, int k, std::uint64_t seed,
                            const RandomConstraintOptions& options);

// A random training graph (docs/training.md): a random forward DAG, a backward twin for most
// forward nodes in the same colour class (now and then two forward nodes share a class), the
// forward edges reversed between the twins (or, one graph in four, kept in the forward
// direction as Tarnawski et al.'s layer graphs have them), and forward -> backward activation
// edges. Costs are 0 or a small integer times 10^e, e drawn from [min_exponent, max_exponent]
// (times 1 to 2 with `fractional`), or times 2^e with `binary_magnitudes`;
// with `memory`, integer node memory, integer output bytes on forward nodes (their stash:
// docs/training.md, "Memory") and a capacity between 0.5 and 2 times total / k.
struct RandomTrainingOptions {
  int forward_nodes = 4;
  double edge_probability = 0.45;
  double activation_probability = 0.4;
  int min_exponent = 0;
  int max_exponent = 0;
  bool fractional = true;
  // Magnitudes 2^e instead of 10^e, with integer mantissas: costs from 2^-30 to 2^30 (about
  // 1e-9 to 1e9) mixed in one graph stay within the exact oracle's 128 bits.
  bool binary_magnitudes = false;
  bool memory = false;
  int max_memory = 6;
  int k = 2;  // for the capacity
  // Up to this many orphan backward nodes (no forward twin: docs/training.md, "Orphan backward
  // nodes"), each joined by gradient edges to the backward pass, now and then two in one class.
  int orphans = 0;
};
Graph random_training_graph(std::uint64_t seed, const RandomTrainingOptions& options);

// A random topological order of g.
std::vector<NodeId> random_topological_order(const Graph& g, std::uint64_t seed);

// Path of a file under the repository's data/ folder.
std::string data_path(const std::string& relative);

}  // namespace pipecut::testing

namespace pipecut::testing {
// A node with just the MTPP costs, for hand-built graphs.
inline NodeSpec node(std::string id, double work, double comm) {
  NodeSpec s;
  s.id = std::move(id);
  s.work = work;
  s.comm = comm;
  return s;
}
}  // namespace pipecut::testing
