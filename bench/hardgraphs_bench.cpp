// Hard graphs (docs/partitioning.md): partition quality of multilevel and of the window search
// against SliceGraph (brkga-10000) in the same run, and the exact downset DP with and without
// the leaf reductions, and with a floor (docs/bounds.md): the best bound `solve` has when the DP
// starts (simple and single-stage methods), and a tight one (0.99 x the optimum); on wide or
// communication-heavy graphs, REGAL-like graphs and transformer operator graphs.
// Every partition is re-evaluated; ratios are against the best partition of the row (1 = best).
// Usage: hardgraphs_bench [--quick] [--seconds S] [--k K,K,...] [GRAPH...]
// Without GRAPHs: the BERT-3 sample, the transformer corpus when present, and generated wide,
// communication-heavy graphs.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "pipecut/bounds/bounds.hpp"
#include "pipecut/gen/synthetic.hpp"
#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/constraints.hpp"
#include "pipecut/model/reductions.hpp"
#include "pipecut/partition/downset.hpp"
#include "pipecut/partition/multilevel.hpp"
#include "pipecut/partition/refine.hpp"
#include "pipecut/partition/slicegraph.hpp"
#include "pipecut/partition/window_search.hpp"
#include "pipecut/util/stopwatch.hpp"

using namespace pipecut;

namespace {

struct Method {
  const char* name;
  double value = 0, seconds = 0;
};

// A generated graph of about `nodes` nodes from `o`, named PREFIX-NODES-sSEED.
Graph generated_graph(SyntheticGraphOptions o, const std::string& prefix, std::uint64_t seed,
                      int nodes) {
  o.seed = seed;
  o.nodes = nodes;
  return generate_synthetic_graph(
      o, prefix + "-" + std::to_string(nodes) + "-s" + std::to_string(seed));
}

// Wide blocks of up to 6 branches with big tensors and long skips: communication is comparable
// to work and the downset DP meets tens of thousands of downsets.
Graph wide_graph(std::uint64_t seed, int nodes) {
  SyntheticGraphOptions o;
  o.branch_probability = 0.8;
  o.max_branches = 6;
  o.tensor_mean_mb = 16;
  o.long_skip_probability = 0.2;
  return generated_graph(o, "wide", seed, nodes);
}

// A REGAL-like graph (`pipecut generate --preset regal`).
Graph regal_graph(std::uint64_t seed, int nodes) {
  return generated_graph(synthetic_preset("regal"), "regal", seed, nodes);
}

std::string status_text(const DownsetSearchResult& r) {
  switch (r.status) {
    case DownsetStatus::optimal:
      return "optimal";
    case DownsetStatus::infeasible:
      return "infeasible";
    case DownsetStatus::gave_up:
      return "gave_up";
    case DownsetStatus::time_limit:
      return "time_limit";
  }
  return "?";
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  double seconds = 20;
  std::vector<int> ks = {2, 4, 8, 16, 32, 64};
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") {
      quick = true;
    } else if (arg == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else if (arg == "--k" && i + 1 < argc) {
      ks.clear();
      std::stringstream list(argv[++i]);
      for (std::string item; std::getline(list, item, ',');) ks.push_back(std::atoi(item.c_str()));
    } else {
      paths.push_back(arg);
    }
  }
  std::vector<Graph> graphs;
  const std::string data = PIPECUT_DATA_DIR;
  if (paths.empty()) {
    graphs.push_back(read_graph(data + "/samples/pipecut/bert_l-3_inference.json"));
    if (quick) {
      graphs.push_back(wide_graph(1, 150));
      graphs.push_back(regal_graph(1, 60));
    } else {
      const std::filesystem::path corpus = data + "/corpus/transformers";
      std::vector<std::string> found;
      if (std::filesystem::is_directory(corpus))
        for (const auto& entry : std::filesystem::directory_iterator(corpus))
          if (entry.path().string().ends_with(".onnx.gz")) found.push_back(entry.path().string());
      std::sort(found.begin(), found.end());
      for (const std::string& path : found) graphs.push_back(read_graph(path));
      for (int seed = 1; seed <= 3; ++seed) graphs.push_back(wide_graph(seed, 800));
      for (int seed = 1; seed <= 3; ++seed) graphs.push_back(regal_graph(seed, 200 + 100 * seed));
    }
  } else {
    for (const std::string& path : paths) graphs.push_back(read_graph(path));
  }
  if (quick) {
    seconds = std::min(seconds, 2.0);
    ks = {4, 16};
  }

  const char* slicegraph_preset = quick ? "brkga-100" : "brkga-10000";
  std::printf(
      "%-24s %3s %5s | %11s %6s | %11s %6s | %11s %6s | %9s %7s %9s | %9s %7s | %7s %7s %7s %7s "
      "%7s %7s\n",
      "graph", "k", "nodes", slicegraph_preset, "s", "multilevel", "s", "windows", "s", "dp", "s",
      "downsets", "dp-plain", "s", "floor", "time", "stages", "floor", "time", "stages");
  int failures = 0;
  std::vector<double> log_ratio(3, 0.0);
  std::vector<int> within(3, 0);
  int rows = 0;
  // The floor's effect, over the rows where the DP finished with and without it: geometric means
  // of the time and visited-stage ratios (floor / none).
  struct FloorRun {
    bool tight;
    double log_time = 0, log_stages = 0;
    int rows = 0;
  };
  FloorRun floor_runs[] = {{false}, {true}};
  for (const Graph& g : graphs) {
    const Constraints constraints = derive_constraints(g);
    for (int k : ks) {
      if (k > g.num_nodes()) continue;
      std::vector<Method> methods = {{slicegraph_preset}, {"multilevel"}, {"windows"}};
      {
        BrkgaConfig config = *BrkgaConfig::preset(slicegraph_preset);
        config.threads = 1;
        const Stopwatch t;
        const SliceGraphResult r = slicegraph(g, k, config);
        methods[0].seconds = t.seconds();
        methods[0].value = evaluate_partition(g, r.partition).bottleneck;
      }
      {
        MultilevelOptions options;
        options.threads = 1;
        options.time_limit_seconds = seconds;
        const Stopwatch t;
        const MultilevelResult r = multilevel_partition(g, k, options);
        methods[1].seconds = t.seconds();
        methods[1].value = evaluate_partition(g, r.partition).bottleneck;
      }
      {
        const Stopwatch t;
        BrkgaConfig config = *BrkgaConfig::preset("brkga-100");
        config.threads = 1;
        const SliceGraphResult start = slicegraph(g, k, config);
        const RefineResult refined = refine_partition(g, constraints, start.partition);
        WindowSearchOptions options;
        options.time_limit_seconds = std::max(0.001, seconds - t.seconds());
        const WindowSearchResult r = window_search(g, refined.partition, options);
        methods[2].seconds = t.seconds();
        methods[2].value = evaluate_partition(g, r.partition).bottleneck;
      }
      double best = methods[0].value;
      for (const Method& m : methods) best = std::min(best, m.value);
      DownsetSearchOptions dp;
      dp.time_limit_seconds = seconds;
      dp.incumbent = best;
      const Stopwatch t1;
      const DownsetSearchResult exact = downset_search(g, k, dp);
      const double exact_seconds = t1.seconds();
      // Without the leaf reductions (the same search when the graph has no reducible leaf).
      dp.reductions = false;
      const Stopwatch t2;
      const bool has_leaves = !find_leaf_reductions(g, constraints).empty();
      const DownsetSearchResult plain = has_leaves ? downset_search(g, k, dp) : exact;
      const double plain_seconds = has_leaves ? t2.seconds() : exact_seconds;
      if (exact.status == DownsetStatus::optimal) {
        // The DP's optimum can be no worse than any partition found (self-check).
        if (exact.partition_bottleneck > best * (1 + 1e-9)) {
          std::printf("ERROR: the exact optimum %.9f is above a partition found (%.9f)\n",
                      exact.partition_bottleneck, best);
          ++failures;
        }
        best = std::min(best, exact.partition_bottleneck);
      }
      std::printf("%-24.24s %3d %5d |", g.name.c_str(), k, g.num_nodes());
      for (std::size_t m = 0; m < methods.size(); ++m) {
        const double ratio = methods[m].value / best;
        std::printf(" %11.6f %6.2f |", ratio, methods[m].seconds);
        log_ratio[m] += std::log(ratio);
        within[m] += ratio <= 1.001;
      }
      std::printf(" %9s %7.2f %9lld | %9s %7.2f |", status_text(exact).c_str(), exact_seconds,
                  exact.downsets, status_text(plain).c_str(), plain_seconds);
      if (exact.status == DownsetStatus::optimal) {
        // Two floors: the best of the cheap bounds solve runs before the DP, and a tight one
        // (0.99 x the optimum), as when the DP runs again after a strong bound.
        BoundOptions cheap;
        cheap.time_limit_seconds = seconds;
        cheap.incumbent = best;
        double cheap_floor = 0;
        for (const char* method : {"simple", "single-mincut", "single"})
          cheap_floor = std::max(cheap_floor, compute_bound(g, k, method, cheap).value);
        dp.reductions = true;
        for (FloorRun& run : floor_runs) {
          dp.floor = run.tight ? 0.99 * exact.bottleneck : cheap_floor;
          const Stopwatch t;
          const DownsetSearchResult floored = downset_search(g, k, dp);
          const double floored_seconds = t.seconds();
          if (floored.status != DownsetStatus::optimal) {
            std::printf(" %7s %7s %7s", "-", "-", "-");
            continue;
          }
          if (std::abs(floored.bottleneck - exact.bottleneck) > 1e-9 * exact.bottleneck) {
            std::printf("\nERROR: the floor changed the optimum (%.9f, not %.9f)\n",
                        floored.bottleneck, exact.bottleneck);
            ++failures;
          }
          const double time_ratio = floored_seconds / std::max(1e-6, exact_seconds);
          const double stage_ratio = static_cast<double>(std::max(1LL, floored.pairs)) /
                                     static_cast<double>(std::max(1LL, exact.pairs));
          std::printf(" %7.4f %7.3f %7.3f", dp.floor / exact.bottleneck, time_ratio, stage_ratio);
          run.log_time += std::log(time_ratio);
          run.log_stages += std::log(stage_ratio);
          ++run.rows;
        }
      }
      std::printf("\n");
      std::fflush(stdout);
      ++rows;
    }
  }
  std::printf("\nover %d rows (partition / best of the row; within = at most 0.1 %% above):\n",
              rows);
  const char* names[] = {slicegraph_preset, "multilevel", "windows"};
  for (int m = 0; m < 3; ++m)
    std::printf("  %-12s geometric mean %.5f, within 0.1 %%: %d\n", names[m],
                rows ? std::exp(log_ratio[m] / rows) : 1.0, within[m]);
  for (const FloorRun& run : floor_runs)
    if (run.rows > 0)
      std::printf(
          "  dp with the %s floor, over %d rows solved both ways: time x %.3f, visited "
          "stages x %.3f (geometric means, floor / none)\n",
          run.tight ? "tight (0.99 x optimum)" : "cheap bounds'", run.rows,
          std::exp(run.log_time / run.rows), std::exp(run.log_stages / run.rows));
  return failures == 0 ? 0 : 1;
}
