// Solves a graph given on the command line for k stages and prints one line:
// "<bottleneck> <lower bound> <optimal 0|1> <version>". Exit 0 when proven optimal.
#include <cstdio>
#include <cstdlib>
#include <pipecut/pipecut.hpp>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: app GRAPH K\n");
    return 2;
  }
  try {
    const pipecut::Graph graph = pipecut::read_graph(argv[1]);
    pipecut::SolveOptions options;
    options.target_ratio = 1.0;
    options.time_limit_seconds = 60;
    const pipecut::Solution s = pipecut::solve(graph, std::atoi(argv[2]), options);
    std::printf("%.6f %.6f %d %s\n", s.bottleneck(), s.lower_bound, s.optimal.value_or(false),
                pipecut::kVersion);
    return s.optimal.value_or(false) ? 0 : 1;
  } catch (const pipecut::Error& e) {
    std::fprintf(stderr, "app: %s\n", e.what());
    return 2;
  }
}
