// Cluster benchmark (docs/clusters.md, docs/results.md "Heterogeneous clusters"): the target of
// a 34-layer chain on 8 devices of 3 classes on 3 hosts proven optimal in under 1 s. For the
// layer-level LLM chains of data/llm-chains/datacenter-mix on data/clusters/datacenter-mix.json
// (4 x H100, 2 x A100, 2 x V100), per chain at k = 8 and k = 4: the median time of
// solve_on_cluster asked to prove optimality (target ratio 1), whether it did, and, as the
// baseline measured in the same run, the time of today's solve of the same chain on 8
// identical devices (every node's A100 time, every link the network's) and the engines'
// splits' bottlenecks over solve's.
// Usage: cluster_bench [--quick] [--repeats R=5] [CHAIN.json...]
// --quick: llama-2-7b-prefill at k = 8, one repeat (the test suite runs it). Exit 1 when a
// chain is not proven optimal or a partition's reported bottleneck is not its evaluation: the
// chain DP is exact, so either is a bug. Times are printed, never checked.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "pipecut/io/cluster_json.hpp"
#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/cluster_cost.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/model/numeric.hpp"
#include "pipecut/solve/api.hpp"
#include "pipecut/solve/cluster_solve.hpp"
#include "pipecut/util/stopwatch.hpp"

using namespace pipecut;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string chain_path(const std::string& name) {
  return std::string(PIPECUT_DATA_DIR) + "/llm-chains/datacenter-mix/" + name + ".json";
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  int repeats = 5;
  std::vector<std::string> chains;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") {
      quick = true;
    } else if (a == "--repeats" && i + 1 < argc) {
      repeats = std::max(1, std::atoi(argv[++i]));
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "usage: cluster_bench [--quick] [--repeats R] [CHAIN.json...]\n");
      return 2;
    } else {
      chains.push_back(a);
    }
  }
  if (chains.empty()) {
    std::vector<std::string> names = {"llama-2-7b-prefill",  "llama-2-7b-decode",
                                      "mistral-7b-prefill",  "mistral-7b-decode",
                                      "llama-2-13b-prefill", "llama-2-13b-decode"};
    if (quick) names.resize(1);
    for (const std::string& n : names) chains.push_back(chain_path(n));
  }
  if (quick) repeats = 1;
  const std::vector<int> ks = quick ? std::vector<int>{8} : std::vector<int>{8, 4};
  try {
    const std::string cluster_file =
        std::string(PIPECUT_DATA_DIR) + "/clusters/datacenter-mix.json";
    const Cluster cluster = read_cluster(cluster_file);
    // Today's model for the baseline time: 8 identical A100s, every link the network's.
    const int reference = *cluster.class_index("A100-40GB");
    std::printf("cluster %s: %d devices, %zu classes, %zu hosts; median of %d run(s)\n",
                cluster.name.c_str(), cluster.num_devices(), cluster.classes.size(),
                cluster.hosts.size(), repeats);
    std::printf("%-22s %5s %3s %10s %7s %12s %10s %8s %9s %9s %9s\n", "chain", "nodes", "k",
                "solve ms", "proven", "bottleneck", "today ms", "x today", "uniform", "memory",
                "compute");
    int failures = 0;
    double slowest = 0;
    for (const std::string& path : chains) {
      ReadOptions read;
      read.cluster = cluster_file;
      const Graph g = read_graph(path, read);
      const ClusterCosts costs(g, cluster, path);
      const Graph today = graph_on_class(costs, reference, cluster.network_bandwidth_gbps);
      for (int k : ks) {
        SolveOptions options;
        options.target_ratio = 1;
        options.time_limit_seconds = 60;
        options.partition.threads = 1;
        std::vector<double> times, today_times;
        Solution s;
        for (int r = 0; r < repeats; ++r) {
          Stopwatch clock;
          s = solve_on_cluster(g, cluster, k, options);
          times.push_back(clock.seconds());
          Stopwatch today_clock;
          (void)solve(today, k, options);
          today_times.push_back(today_clock.seconds());
        }
        const bool proven = s.optimal.value_or(false);
        const double evaluated = evaluate_on_cluster(costs, s.partition).bottleneck;
        if (!proven || evaluated != s.bottleneck()) {
          std::fprintf(stderr, "%s k=%d: %s\n", path.c_str(), k,
                       proven ? "reported bottleneck is not the evaluation" : "not proven optimal");
          ++failures;
        }
        auto split = [&](const char* name) -> std::string {
          try {
            char cell[32];
            std::snprintf(cell, sizeof cell, "%.3f",
                          cluster_baseline(g, cluster, k, name).bottleneck() / s.bottleneck());
            return cell;
          } catch (const NoFeasiblePartitionError&) {
            return "overflow";
          }
        };
        const double t = median(times);
        const double t_today = median(today_times);
        slowest = std::max(slowest, t);
        std::printf("%-22s %5d %3d %10.2f %7s %12.4f %10.2f %8.1f %9s %9s %9s\n", g.name.c_str(),
                    g.num_nodes(), k, 1e3 * t, proven ? "yes" : "NO", s.bottleneck(), 1e3 * t_today,
                    t_today > 0 ? t / t_today : 0.0, split("uniform").c_str(),
                    split("memory-proportional").c_str(), split("compute-proportional").c_str());
      }
    }
    std::printf("slowest proof: %.2f ms (target: under 1 s)\n", 1e3 * slowest);
    std::printf(
        "columns: solve ms = solve_on_cluster proving optimality (median); today ms = "
        "today's solve of the chain on 8 identical A100s (median); x today = their "
        "ratio; uniform, memory, compute = the engines' splits' bottleneck / solve's\n");
    return failures == 0 ? 0 : 1;
  } catch (const Error& e) {
    std::fprintf(stderr, "cluster_bench: %s\n", e.what());
    return 2;
  }
}
