// Bounds benchmark: for generated DNN-like graphs and the BERT-3 sample, per k in
// {2,4,8,16,32,64}, the geometric mean of bound / best bottleneck per method and the time spent;
// then the time `solve` needs to prove BERT-3 optimal at k = 2, 4, 8.
//
// Usage: bounds_bench [--time-limit SEC=2] [--graphs N=4] [--nodes N=80] [--bert PATH]
//                     [--ks 2,4,8,16,32,64]
//        bounds_bench --overhead-only
// The best bottleneck is the best of SliceGraph (brkga-100) and any partition an exact method
// found in the same run, so ratios are relative to the best known partition.
// Last, the cost of running each MIP in a worker process: the same MIPs solved by
// make_cbc_solver() (a forked worker per solve) and by make_in_process_cbc_solver(), alternately,
// with the time ratio and the added milliseconds per solve. --overhead-only runs just that part.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "pipecut/bounds/bounds.hpp"
#include "pipecut/gen/synthetic.hpp"
#include "pipecut/io/read_graph.hpp"
#include "pipecut/mip/solver.hpp"
#include "pipecut/partition/slicegraph.hpp"
#include "pipecut/solve/api.hpp"

using namespace pipecut;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The benchmark graphs: `pipecut generate`'s DNN-shaped graphs with its default parameters.
Graph generate_dnn_like(std::uint64_t seed, int target_nodes) {
  SyntheticGraphOptions options;
  options.seed = seed;
  options.nodes = target_nodes;
  return generate_synthetic_graph(options, "gen-" + std::to_string(seed));
}

struct Cell {
  std::vector<double> ratios;
  double seconds = 0;
  int gave_up = 0;
};

double geometric_mean(const std::vector<double>& values) {
  if (values.empty()) return 0;
  double log_sum = 0;
  for (double v : values) log_sum += std::log(std::max(v, 1e-3));  // a 0 bound counts as 1e-3
  return std::exp(log_sum / double(values.size()));
}

// A random multi-dimensional knapsack (maximise value, as a minimisation of its negation):
// `items` binaries and `rows` capacity rows. Deterministic for a seed; its solve time grows
// quickly with the size, which gives MIPs from milliseconds to about a second.
mip::MipModel random_knapsack(int items, int rows, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> weight(1, 100);
  mip::MipModel m;
  std::vector<mip::VarId> x;
  for (int i = 0; i < items; ++i) x.push_back(m.add_binary(-double(weight(rng))));
  for (int r = 0; r < rows; ++r) {
    std::vector<mip::Term> terms;
    double total = 0;
    for (int i = 0; i < items; ++i) {
      const double w = weight(rng);
      terms.push_back({x[i], w});
      total += w;
    }
    m.add_less_equal(std::move(terms), total / 2);
  }
  return m;
}

// Worker process against in-process solves of the same models, alternating to share the
// machine's noise.
void report_worker_overhead() {
  struct Size {
    int items, rows, repeats;
  };
  const auto worker = mip::make_cbc_solver();
  const auto local = mip::make_in_process_cbc_solver();
  std::printf(
      "\nMIP worker process overhead (same models, alternately in a worker and in-process):\n");
  std::printf("%22s %8s %14s %14s %8s %12s\n", "model", "solves", "in-process s", "worker s",
              "ratio", "ms per solve");
  for (const Size size : {Size{0, 0, 40}, Size{10, 3, 40}, Size{20, 5, 20}, Size{50, 10, 6}}) {
    double in_process = 0, isolated = 0;
    for (int r = 0; r < size.repeats; ++r) {
      const mip::MipModel m = random_knapsack(size.items, size.rows, 7 + r);
      mip::MipOptions options;
      options.time_limit_seconds = 60;
      auto start = std::chrono::steady_clock::now();
      const mip::SolveResult a = local->solve(m, options);
      in_process += seconds_since(start);
      start = std::chrono::steady_clock::now();
      const mip::SolveResult b = worker->solve(m, options);
      isolated += seconds_since(start);
      if (a.status != b.status || std::abs(a.objective - b.objective) > 1e-6)
        std::printf("MISMATCH: in-process %s %.6f, worker %s %.6f\n", to_string(a.status).c_str(),
                    a.objective, to_string(b.status).c_str(), b.objective);
    }
    const std::string name = size.items == 0 ? "empty model"
                                             : "knapsack " + std::to_string(size.items) + "x" +
                                                   std::to_string(size.rows);
    std::printf("%22s %8d %14.3f %14.3f %8.2f %12.2f\n", name.c_str(), size.repeats, in_process,
                isolated, in_process > 0 ? isolated / in_process : 0.0,
                1000 * (isolated - in_process) / size.repeats);
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  double time_limit = 2;
  int graphs = 4;
  int nodes = 80;
  std::string bert = "data/samples/pipecut/bert_l-3_inference.json";
  std::vector<int> ks{2, 4, 8, 16, 32, 64};
  if (argc == 2 && std::string(argv[1]) == "--overhead-only") {
    report_worker_overhead();
    return 0;
  }
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--time-limit")
      time_limit = std::stod(value);
    else if (flag == "--graphs")
      graphs = std::stoi(value);
    else if (flag == "--nodes")
      nodes = std::stoi(value);
    else if (flag == "--bert")
      bert = value;
    else if (flag == "--ks") {
      ks.clear();
      std::stringstream list(value);
      for (std::string item; std::getline(list, item, ',');) ks.push_back(std::stoi(item));
    } else {
      std::cerr << "unknown option " << flag << "\n";
      return 2;
    }
  }
  std::vector<Graph> instances;
  for (int i = 0; i < graphs; ++i) instances.push_back(generate_dnn_like(100 + i, nodes));
  const bool have_bert = std::filesystem::exists(bert);
  if (have_bert)
    instances.push_back(read_graph(bert));
  else
    std::cerr << "note: " << bert << " not found; BERT-3 skipped (pass --bert PATH)\n";

  const std::vector<std::string> methods = bound_method_names();
  std::printf("bounds benchmark: %d generated graphs (%d nodes)%s, %.1f s per method\n", graphs,
              nodes, have_bert ? " + BERT-3" : "", time_limit);
  std::printf("cell = geometric mean of bound / best bottleneck  (mean seconds per instance)\n");
  std::printf("%4s", "k");
  for (const std::string& m : methods) std::printf(" %20s", m.c_str());
  std::printf(" %14s %8s\n", "best-of-all", "optimal");
  for (int k : ks) {
    std::map<std::string, Cell> cells;
    Cell overall;
    int proven_optimal = 0;
    for (const Graph& g : instances) {
      SliceGraphResult sliced = slicegraph(g, k, *BrkgaConfig::preset("brkga-100"));
      double best = sliced.bottleneck;
      BoundOptions options;
      options.time_limit_seconds = time_limit;
      options.mip_threads = 1;
      options.incumbent = sliced.bottleneck;
      options.warm_start = sliced.partition;
      std::map<std::string, double> values;
      for (const std::string& m : methods) {
        const auto start = std::chrono::steady_clock::now();
        BoundResult r = compute_bound(g, k, m, options);
        cells[m].seconds += seconds_since(start);
        if (r.status == BoundStatus::gave_up) ++cells[m].gave_up;
        if (r.partition) best = std::min(best, evaluate_partition(g, *r.partition).bottleneck);
        values[m] = r.value;
      }
      double strongest = 0;
      for (const std::string& m : methods) {
        if (values[m] > best * (1 + 1e-9))  // a bound above a real partition: a bug
          std::printf("INVALID BOUND: %s k=%d method %s bound %.9f > partition %.9f\n",
                      g.name.c_str(), k, m.c_str(), values[m], best);
        cells[m].ratios.push_back(best > 0 ? values[m] / best : 1.0);
        strongest = std::max(strongest, values[m]);
      }
      overall.ratios.push_back(best > 0 ? strongest / best : 1.0);
      if (proves_optimal(strongest, best)) ++proven_optimal;
    }
    std::printf("%4d", k);
    for (const std::string& m : methods) {
      const Cell& c = cells[m];
      std::printf("     %6.4f (%6.2fs)", geometric_mean(c.ratios),
                  c.seconds / double(instances.size()));
    }
    std::printf(" %14.4f %5d/%zu\n", geometric_mean(overall.ratios), proven_optimal,
                instances.size());
    std::fflush(stdout);
  }

  if (have_bert) {
    std::printf("\nsolve on BERT-3 (target ratio 1, time limit 60 s):\n");
    const Graph& g = instances.back();
    for (int k : {2, 4, 8}) {
      SolveOptions options;
      options.target_ratio = 1.0;
      options.time_limit_seconds = 60;
      options.partition.threads = 1;
      const Solution out = solve(g, k, options);
      std::printf("  k=%-3d bottleneck %.6f  bound %.6f (%s)  %s  %.2f s\n", k, out.bottleneck(),
                  out.lower_bound, out.lower_bound_method.c_str(),
                  out.optimal.value_or(false) ? "proven optimal" : "NOT proven", out.seconds);
    }
  }
  report_worker_overhead();
  return 0;
}
