#pragma once
// The experiment runner: partition algorithms and bound methods over a corpus of graphs and a
// set of k values, one result row per (graph, k, kind, method), appended to a JSON-lines file.
//
// Resumable: rows already present in the results file are skipped. Shardable: shard I of N
// takes every N-th (graph, k) pair in a fixed order, so N machines can split one sweep and
// their files can simply be concatenated.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pipecut/io/read_graph.hpp"

namespace pipecut {

struct ExperimentConfig {
  std::vector<std::string> graphs;  // graph files (any supported format)
  std::vector<int> ks = {2, 4, 8, 16, 32, 64};
  // Partition methods: an algorithm name or a SliceGraph preset (partition_options_for_spec),
  // or "solve": the whole portfolio, recorded as a partition row and a bound row.
  std::vector<std::string> algorithms = {"topo", "brkga-100", "brkga-10000"};
  std::vector<std::string> bounds = {"simple", "single", "grouped", "exact", "downset"};
  double time_limit_seconds = 60;        // per algorithm run and per bound method
  double solve_time_limit_seconds = 60;  // per "solve" run (the budget a user gives it)
  double solve_target_ratio = 1.0;       // "solve" runs try to prove optimality
  int threads = 0;                       // 0 = all cores
  std::uint64_t seed = 1;
  int shard_index = 0;  // this shard, 0-based
  int shard_count = 1;
  std::string results_path;  // JSON lines, appended to
  std::string testbed;       // name recorded in every row (e.g. "torchvision")
  // Placement constraints (model/constraints.hpp). capacity_factor > 0 gives every (graph, k)
  // a memory capacity of capacity_factor * (total memory / k), raised to the heaviest block
  // (node or colour-class hull) so that no single block rules the instance out; 0 keeps the
  // capacity the graph is read with (the file's, or read.memory_per_stage).
  double capacity_factor = 0;
  // How every graph is read: its constraint options (memory_per_stage, ignore_memory,
  // ignore_colocation) apply to every instance. With read.cluster (docs/clusters.md) every
  // instance is on that cluster: "solve" is solve_on_cluster, the partition algorithms
  // partition_on_cluster, the bound methods compute_bounds_on_cluster; every k must be at most
  // its device count, and capacity_factor is refused (the cluster gives the capacities).
  ReadOptions read;
};

// One row of the results file. `kind` is "partition" (value = bottleneck found) or "bound"
// (value = lower bound; `partition_value` set when the method also produced a partition).
// Rows are keyed by (path, k, kind, method): `path` is the graph file as given, `graph` its
// name for tables. Under placement constraints a partition row with status "infeasible" (proven)
// or "no_feasible" (none found, nothing proven) has no value (null), and a bound row with status
// "infeasible" carries the proof in `detail`; `capacity` (bytes, null for none) and
// `colour_classes` record the constraints of the instance.
struct ExperimentRow {
  std::string testbed, path, graph, kind, method, status;
  int nodes = 0, edges = 0, k = 0;
  double value = 0, seconds = 0;
  double partition_value = -1;  // -1 = none
  std::optional<double> capacity;
  int colour_classes = 0;
  std::string detail;
  // On a cluster: its name and digest, and for a partition row the device of each non-empty
  // stage in pipeline order. Rows are keyed by the digest too, so that one results file can
  // hold the same sweep on several clusters.
  std::string cluster, cluster_digest;
  std::vector<std::string> devices;
};

struct ExperimentProgress {
  long long done = 0, total = 0, skipped = 0;
  double elapsed_seconds = 0;
  std::string current;  // "graph k=…"
};

// Runs the sweep. `progress` (optional) is called after each (graph, k) pair.
// Returns the number of rows written. Throws InputError on unreadable config/results files;
// an unreadable graph is recorded as a row with status "error" and the sweep goes on.
long long run_experiment(const ExperimentConfig& config,
                         const std::function<void(const ExperimentProgress&)>& progress = {});

// Parses "I/N" (1-based I as users write it) into a 0-based index and a count.
void parse_shard(const std::string& text, int& index, int& count);

}  // namespace pipecut
