#pragma once
// Test oracles and generators shared by all test files.
#include <cstdint>
#include <string>
#include <vector>

#include "pipecut/model/cost.hpp"
#include "pipecut/model/graph.hpp"

namespace pipecut::testing {

// Exhaustive optimum over every valid pipeline partition (stages may be empty), by depth-first
// assignment along a topological order. Intended for n <= 12, k <= 4.
struct BruteForceResult {
  double optimum = 0.0;
  Partition best;
  long long partitions = 0;  // number of valid partitions enumerated
};
BruteForceResult brute_force_optimum(const Graph& g, int k);

// Exhaustive optimum over every way to cut `order` into <= k contiguous segments, each segment
// costed by the reference evaluator.
double brute_force_order_optimum(const Graph& g, const std::vector<NodeId>& order, int k);

struct RandomGraphOptions {
  int nodes = 8;
  double edge_probability = 0.3;
  int max_cost = 5;           // integer costs 0..max_cost: zeros and ties are common
  bool fractional = false;    // add a random fraction to non-zero costs
  bool shuffle_ids = true;    // node indices are not a topological order
};
Graph random_dag(std::uint64_t seed, const RandomGraphOptions& options);

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
