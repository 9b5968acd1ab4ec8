#pragma once
// The front door of the pipecut library: partition a graph, bound it, solve it, evaluate a
// partition. Reading a graph (read_graph) is one layer up, in pipecut/io/read_graph.hpp: solve
// never includes io (README "Layout"); pipecut/pipecut.hpp includes both. The CLI, the experiment
// runner and the Python binding are thin layers over these functions. Every default lives once,
// in the option struct of its concern:
//   ReadOptions       (pipecut/io/read_graph.hpp)         file format and cost model
//   PartitionOptions  (pipecut/partition/algorithms.hpp)  algorithm, preset, seed, threads
//   BoundOptions      (pipecut/bounds/bounds.hpp)         time limit per method, MIP threads
//   SolveOptions      (pipecut/solve/solve.hpp)           target ratio, whole-run time limit
// Errors are exceptions derived from pipecut::Error (pipecut/model/error.hpp). Times are in the
// graph's unit (milliseconds for every bundled reader), time limits in wall-clock seconds.
#include <optional>
#include <string>
#include <vector>

#include "pipecut/bounds/bounds.hpp"
#include "pipecut/model/cost.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/model/graph.hpp"
#include "pipecut/partition/algorithms.hpp"
#include "pipecut/solve/solution.hpp"
#include "pipecut/solve/solve.hpp"
#include "pipecut/version.hpp"

namespace pipecut {

// The number of stages to use: `k` when given (InputError unless >= 1), else the graph's own
// (pipecut.graph `default_k`, Tarnawski `maxFPGAs`), else an InputError saying -k is needed.
int stages_to_use(const Graph& g, std::optional<int> k);

// One partition algorithm (options.algorithm), with the simple lower bound max(W/k, max w).
// Placement constraints: InfeasibleError when a cheap proof shows that no valid partition
// exists (infeasibility_proof), NoFeasiblePartitionError when the algorithm found none.
Solution partition_graph(const Graph& g, int k, const PartitionOptions& options = {},
                         const RunControl& control = {});

struct BoundsReport {
  std::vector<BoundResult> bounds;  // one per method, in the order run
  BoundResult best;                 // the largest value
  double incumbent = 0.0;           // bottleneck of the quick partition the methods pruned with
                                    // (+inf when that partition violates the constraints)
  // Set when a method proved that no partition satisfies the placement constraints: the proof
  // in one line. The methods after it are not run.
  std::optional<std::string> infeasible;
};

// Runs the named bound methods (all of bound_methods() when `methods` is empty), each with
// options.time_limit_seconds. A cheap partition (one topological order, sliced optimally) gives
// them an upper bound to prune with; it never affects validity.
BoundsReport compute_bounds(const Graph& g, int k, const std::vector<std::string>& methods = {},
                            const BoundOptions& options = {}, const RunControl& control = {});

// Validates `p` against `g` (InputError naming the first problem) and costs it with the
// reference evaluator. Placement constraints are not checked here: constraint_violation
// (model/constraints.hpp) says whether the partition is deployable. `stages` lists the non-empty
// stages only, each with its index; O(n + m) whatever p.k, so a partition file with a huge k is
// cheap.
Evaluation evaluate(const Graph& g, const Partition& p);

}  // namespace pipecut
