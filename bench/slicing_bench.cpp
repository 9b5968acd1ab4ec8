// Slicing DP and SliceGraph benchmark. Prints, for generated DNN-shaped DAGs (pipecut generate):
//   - order evaluations per second of the slicing DP and of the straightforward O(k n^2) DP run
//     in the same process on the same orders, the speed-up ratio, and whether answers agree;
//   - SliceGraph wall time for the paper's presets.
// Usage: slicing_bench [--quick]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "pipecut/gen/synthetic.hpp"
#include "pipecut/partition/slice_order.hpp"
#include "pipecut/partition/slicegraph.hpp"

using namespace pipecut;
using Clock = std::chrono::steady_clock;

namespace {

// The benchmark graphs: `pipecut generate`'s DNN-shaped graphs (residual blocks, branches,
// skips) with its default shape parameters.
Graph generated_dag(int n, std::uint64_t seed) {
  SyntheticGraphOptions options;
  options.seed = seed;
  options.nodes = n;
  return generate_synthetic_graph(options, "generated-" + std::to_string(n));
}

std::vector<NodeId> random_order(const Graph& g, std::mt19937_64& rng) {
  std::vector<double> keys(g.num_nodes());
  std::uniform_real_distribution<double> u(0, 1);
  for (double& x : keys) x = u(rng);
  return order_from_keys(g, keys);
}

double seconds(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const std::vector<int> sizes =
      quick ? std::vector<int>{100, 1000} : std::vector<int>{100, 1000, 10000};
  const std::vector<int> ks = {2, 8, 16, 64};

  std::printf("Slicing DP: order evaluations per second (one core), windowed DP vs O(k n^2) DP\n");
  std::printf("%7s %4s %14s %14s %9s %7s\n", "n", "k", "fast ord/s", "baseline ord/s", "speed-up",
              "same");
  for (int n : sizes) {
    Graph g = generated_dag(n, 7);
    std::mt19937_64 rng(11);
    std::vector<std::vector<NodeId>> orders;
    for (int i = 0; i < 8; ++i) orders.push_back(random_order(g, rng));
    for (int k : ks) {
      SliceWorkspace ws;
      // Fast DP: repeat until at least 0.3 s has passed.
      long long fast_runs = 0;
      double sink = 0;
      auto t = Clock::now();
      do {
        sink +=
            OrderSlicer::optimal_bottleneck(g, orders[fast_runs % orders.size()], k, ws, INFINITY);
        ++fast_runs;
      } while (seconds(t) < 0.3);
      const double fast_rate = static_cast<double>(fast_runs) / seconds(t);
      // Baseline: the O(k n^2) DP is too slow beyond ~1e9 steps; skip it there.
      const double steps = static_cast<double>(k) * n * n;
      if (steps > 2e9) {
        std::printf("%7d %4d %14.1f %14s %9s %7s\n", n, k, fast_rate, "(skipped)", "-", "-");
        continue;
      }
      long long base_runs = 0;
      bool same = true;
      t = Clock::now();
      do {
        const auto& order = orders[base_runs % orders.size()];
        const double slow = slice_order_quadratic(g, order, k).bottleneck;
        const double fast = slice_order(g, order, k).bottleneck;
        same = same && std::fabs(slow - fast) <= 1e-9 * std::max(1.0, slow);
        ++base_runs;
      } while (seconds(t) < 0.3 && base_runs < 1000);
      // The loop above also ran the fast slicer once per baseline run; time the baseline alone.
      t = Clock::now();
      for (long long i = 0; i < base_runs; ++i)
        sink += slice_order_quadratic(g, orders[i % orders.size()], k).bottleneck;
      const double base_rate = static_cast<double>(base_runs) / seconds(t);
      std::printf("%7d %4d %14.1f %14.1f %8.1fx %7s\n", n, k, fast_rate, base_rate,
                  fast_rate / base_rate, same ? "yes" : "NO");
      if (sink < 0) std::printf("impossible\n");
    }
  }

  std::printf("\nSliceGraph wall time (all cores)\n");
  std::printf("%7s %4s %12s %10s %12s %10s %8s\n", "n", "k", "preset", "seconds", "bottleneck",
              "topo", "decoded");
  struct Run {
    int n, k;
    const char* preset;
  };
  // brkga-100 everywhere; brkga-10000 where it fits a benchmark run (targets: under 10 s for
  // brkga-10000 at n = 1000, k = 16 and for brkga-100 at n = 10000).
  std::vector<Run> runs;
  for (int n : sizes)
    for (int k : ks) {
      runs.push_back({n, k, "brkga-100"});
      if (n <= 1000 && !quick) runs.push_back({n, k, "brkga-10000"});
    }
  for (const Run& r : runs) {
    Graph g = generated_dag(r.n, 7);
    BrkgaConfig c = *BrkgaConfig::preset(r.preset);
    auto t = Clock::now();
    SliceGraphResult res = slicegraph(g, r.k, c);
    const double s = seconds(t);
    const double topo = slice_default_order(g, r.k).bottleneck;
    std::printf("%7d %4d %12s %10.2f %12.4f %10.4f %8lld\n", r.n, r.k, r.preset, s, res.bottleneck,
                topo, res.orders_decoded);
  }
  return 0;
}
