#include "pipecut/partition/algorithms.hpp"

#include <algorithm>

#include "pipecut/model/constraints.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/model/numeric.hpp"
#include "pipecut/partition/multilevel.hpp"
#include "pipecut/partition/proportional_split.hpp"
#include "pipecut/partition/training.hpp"
#include "pipecut/util/stopwatch.hpp"
#include "util/registry.hpp"

namespace pipecut {

namespace {

PartitionRun run_topo(const Graph& g, int k, const PartitionOptions& options,
                      const RunSignals& signals) {
  const Stopwatch timer;
  const SliceGraphResult r = slice_default_order(g, k, [&] {
    return timer.exceeded(options.time_limit_seconds) || stop_requested(signals.stop);
  });
  return {r.feasible, r.partition, r.bottleneck, "topo", r.hit_time_limit, r.seconds};
}

PartitionRun run_multilevel(const Graph& g, int k, const PartitionOptions& options,
                            const RunSignals& signals) {
  MultilevelOptions config;
  if (options.population > 0) config.population = options.population;
  if (options.generations > 0) config.generations = options.generations;
  config.seed = options.seed;
  config.threads = options.threads;
  config.time_limit_seconds = options.time_limit_seconds;
  config.stop = signals.stop;
  const Stopwatch timer;
  const MultilevelResult r = multilevel_partition(g, k, config);
  return {r.feasible,
          r.partition,
          r.bottleneck,
          "multilevel(levels=" + std::to_string(r.levels) +
              ",coarsest=" + std::to_string(r.coarsest_clusters) + ")",
          r.hit_time_limit,
          timer.seconds()};
}

PartitionRun run_slicegraph(const Graph& g, int k, const PartitionOptions& options,
                            const RunSignals& signals) {
  const BrkgaConfig config = brkga_config(options, signals.stop);
  const SliceGraphResult r = slicegraph(g, k, config);
  return {r.feasible,
          r.partition,
          r.bottleneck,
          "slicegraph(population=" + std::to_string(config.population) +
              ",generations=" + std::to_string(config.generations) + ")",
          r.hit_time_limit,
          r.seconds};
}

// An engine's split on k identical devices (docs/partitioning.md, "Baselines"): the default
// topological order in min(k, n) slices of equal operator counts, memory or work.
template <int Rule>
PartitionRun run_engine_split(const Graph& g, int k, const PartitionOptions&, const RunSignals&) {
  const Stopwatch timer;
  const std::string& name = engine_split_names()[Rule];
  const std::vector<NodeId> order = topological_order(g);
  const std::vector<double> shares(static_cast<std::size_t>(std::min(k, g.num_nodes())), 1.0);
  std::function<double(NodeId, int)> amount = [](NodeId, int) { return 1.0; };
  const bool has_memory =
      std::any_of(g.memory.begin(), g.memory.end(), [](double m) { return m > 0; });
  if (Rule == 1 && has_memory) amount = [&g](NodeId v, int) { return g.memory[v]; };
  if (Rule == 2) amount = [&g](NodeId v, int) { return g.work[v]; };
  PartitionRun r;
  r.partition = partition_from_cuts(g, order, proportional_cuts(order, shares, amount, Rule == 0));
  r.partition.k = k;
  r.feasible = !constraint_violation(g, r.partition);
  r.bottleneck = r.feasible ? evaluate_partition(g, r.partition).bottleneck : 0.0;
  if (!r.feasible) r.partition = {};
  r.description = name;
  r.seconds = timer.seconds();
  return r;
}

// Every algorithm searches the exact-cost view of the graph (model/numeric.hpp), where its sums
// do not round however the costs' magnitudes mix; the bottleneck it reports is the graph's.
template <PartitionRun (*Run)(const Graph&, int, const PartitionOptions&, const RunSignals&)>
PartitionRun on_exact_costs(const Graph& g, int k, const PartitionOptions& options,
                            const RunSignals& signals) {
  if (g.is_training()) {
    // These searches walk every edge as if it went forward: a training graph gets the optimal
    // slicing of its forward block order instead (docs/training.md, "Solving").
    const Stopwatch timer;
    PartitionRun r;
    r.description = "training-slicing";
    if (auto p = training_slicing(g, k, options.time_limit_seconds, signals.stop)) {
      r.partition = std::move(*p);
      r.bottleneck = evaluate_partition(g, r.partition).bottleneck;
    } else {
      r.feasible = false;
      r.hit_time_limit = timer.exceeded(options.time_limit_seconds) || stop_requested(signals.stop);
    }
    r.seconds = timer.seconds();
    return r;
  }
  const ExactCosts exact(g, comm_cap(g));
  PartitionRun r = Run(exact.graph(), k, options, signals);
  if (exact.changed() && r.feasible) r.bottleneck = evaluate_partition(g, r.partition).bottleneck;
  return r;
}

}  // namespace

const std::vector<PartitionAlgorithm>& partition_algorithms() {
  static const std::vector<PartitionAlgorithm> algorithms = {
      {"slicegraph", "genetic search over topological orders (BRKGA), each order sliced optimally",
       on_exact_costs<run_slicegraph>},
      {"topo", "one default topological order, sliced optimally", on_exact_costs<run_topo>},
      {"multilevel",
       "coarsen into convex clusters, solve the coarsest level (SliceGraph, exact when small), "
       "then local moves and exact window searches at every level",
       on_exact_costs<run_multilevel>},
      {"uniform",
       "an engine's split: the default topological order in slices of equal operator counts "
       "(vLLM, TensorRT-LLM)",
       run_engine_split<0>},
      {"memory-proportional",
       "an engine's split: slices of the default order in proportion to the devices' memory "
       "(llama.cpp, exo)",
       run_engine_split<1>},
      {"compute-proportional",
       "an engine's split: slices of the default order in proportion to the devices' speed",
       run_engine_split<2>},
  };
  return algorithms;
}

std::vector<std::string> partition_algorithm_names() {
  return registered_names(partition_algorithms());
}

const PartitionAlgorithm& partition_algorithm(const std::string& name) {
  return find_registered(partition_algorithms(), name, "partition algorithm");
}

std::vector<std::string> slicegraph_preset_names() { return {"brkga-100", "brkga-10000"}; }

BrkgaConfig brkga_config(const PartitionOptions& options, const StopFlag* stop) {
  std::optional<BrkgaConfig> preset = BrkgaConfig::preset(options.preset);
  if (!preset)
    throw InputError("unknown SliceGraph preset '" + options.preset + "' (expected one of " +
                     comma_list(slicegraph_preset_names()) + ")");
  BrkgaConfig c = *preset;
  if (options.population > 0) c.population = options.population;
  if (options.generations > 0) c.generations = options.generations;
  c.seed = options.seed;
  c.threads = options.threads;
  c.time_limit_seconds = options.time_limit_seconds;
  c.stop_at = options.stop_at;
  c.stop = stop;
  return c;
}

PartitionOptions partition_options_for_spec(const std::string& spec) {
  PartitionOptions options;
  const std::vector<std::string> presets = slicegraph_preset_names();
  if (std::find(presets.begin(), presets.end(), spec) != presets.end()) {
    options.algorithm = "slicegraph";
    options.preset = spec;
    return options;
  }
  for (const PartitionAlgorithm& a : partition_algorithms())
    if (a.name == spec) {
      options.algorithm = spec;
      return options;
    }
  throw InputError("unknown partition method '" + spec +
                   "' (expected an algorithm: " + comma_list(partition_algorithm_names()) +
                   ", or a SliceGraph preset: " + comma_list(presets) + ")");
}

}  // namespace pipecut

namespace pipecut {

const OptionCatalogue<PartitionOptions>& partition_option_catalogue() {
  static const OptionCatalogue<PartitionOptions> catalogue = [] {
    std::string algorithms;
    for (const PartitionAlgorithm& a : partition_algorithms())
      algorithms += (algorithms.empty() ? "" : "; ") + a.name + ": " + a.description;
    OptionCatalogue<PartitionOptions> c;
    using O = PartitionOptions;
    declare(c,
            option("algorithm", OptionKind::choice, "Partition algorithm (" + algorithms + ")")
                .one_of(partition_algorithm_names),
            &O::algorithm);
    declare(c,
            option("preset", OptionKind::choice,
                   "SliceGraph preset of Archer et al.: brkga-100 (population 10 x 10 "
                   "generations) or brkga-10000 (100 x 100)")
                .one_of(slicegraph_preset_names),
            &O::preset);
    declare(
        c,
        option("population", OptionKind::integer, "SliceGraph population size; 0 = the preset's")
            .at_least(0),
        &O::population);
    declare(c,
            option("generations", OptionKind::integer, "SliceGraph generations; 0 = the preset's")
                .at_least(0),
            &O::generations);
    declare(
        c,
        option("seed", OptionKind::count, "Random seed; results are identical for the same seed"),
        &O::seed);
    declare(c,
            option("threads", OptionKind::integer,
                   "Worker threads of the partition search (0 = all cores); SliceGraph's "
                   "results do not depend on it")
                .at_least(0),
            &O::threads);
    declare(c,
            option("time-limit", OptionKind::number,
                   "Stop after this many seconds with the best partition found so far "
                   "(0 = no limit)")
                .in_unit("s")
                .at_least(0),
            &O::time_limit_seconds);
    return c;
  }();
  return catalogue;
}

}  // namespace pipecut
