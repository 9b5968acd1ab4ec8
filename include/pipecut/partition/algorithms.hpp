#pragma once
// Partition algorithms by name: the one registry behind the CLI's --algorithm, the experiment
// runner and the Python binding. Each entry has a one-line description and a function; the
// options every algorithm reads, with their defaults, are PartitionOptions below.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pipecut/model/cost.hpp"
#include "pipecut/model/graph.hpp"
#include "pipecut/partition/slicegraph.hpp"
#include "pipecut/util/options.hpp"
#include "pipecut/util/run_signals.hpp"

namespace pipecut {

struct PartitionOptions {
  std::string algorithm = "slicegraph";  // a name from partition_algorithms()
  // SliceGraph preset of Archer et al.: "brkga-100" (population 10 x 10 generations) or
  // "brkga-10000" (100 x 100).
  std::string preset = "brkga-10000";
  int population = 0;   // > 0 overrides the preset's population
  int generations = 0;  // > 0 overrides the preset's number of generations
  std::uint64_t seed = 1;
  int threads = 0;                // worker threads, 0 = all cores; never changes the result
  double time_limit_seconds = 0;  // 0 = none; when hit, the best partition so far is returned
  // Stop as soon as a partition with bottleneck <= stop_at is found (0 = never). solve sets it
  // just above a proven lower bound: nothing better can exist.
  double stop_at = 0;
};

// The user-facing options of PartitionOptions (util/options.hpp): algorithm, preset,
// population, generations, seed, threads, time-limit.
const OptionCatalogue<PartitionOptions>& partition_option_catalogue();

// What an algorithm returns. The bottleneck is the algorithm's own figure: callers that report
// it re-evaluate the partition with evaluate_partition.
struct PartitionRun {
  // false: no partition found that satisfies the placement constraints (model/constraints.hpp);
  // `partition` then assigns nothing. A heuristic's failure proves nothing about the instance.
  bool feasible = true;
  Partition partition;
  double bottleneck = 0.0;
  std::string description;  // the algorithm with its parameters, e.g. "slicegraph(population=..)"
  bool hit_time_limit = false;  // stopped by the time limit or a stop request
  double seconds = 0.0;
};

struct PartitionAlgorithm {
  std::string name;
  std::string description;  // one line, for --help and docs
  // On a stop request (signals.stop) it returns the best partition so far.
  std::function<PartitionRun(const Graph& g, int k, const PartitionOptions& options,
                             const RunSignals& signals)>
      run;
};

// Every algorithm, in the order --help lists them.
const std::vector<PartitionAlgorithm>& partition_algorithms();
// The algorithm called `name`; InputError listing the known names if there is none.
const PartitionAlgorithm& partition_algorithm(const std::string& name);
std::vector<std::string> partition_algorithm_names();

// The SliceGraph presets' names ("brkga-100", "brkga-10000").
std::vector<std::string> slicegraph_preset_names();
// BRKGA settings for `options`: its preset with the overrides applied, polling `stop`.
// Throws InputError for an unknown preset.
BrkgaConfig brkga_config(const PartitionOptions& options, const StopFlag* stop = nullptr);

// Options for a short algorithm spec as the experiment runner names its methods: an algorithm
// name ("topo", "slicegraph") or a SliceGraph preset ("brkga-100" = slicegraph with that preset).
// Other fields keep their defaults. Throws InputError for an unknown spec.
PartitionOptions partition_options_for_spec(const std::string& spec);

}  // namespace pipecut
