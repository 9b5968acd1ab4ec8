// PROTOTYPE (not to commit)
#include <cstdio>
#include <cstdlib>
#include "pipecut/io/read_graph.hpp"
#include "pipecut/partition/multilevel.hpp"
#include "pipecut/util/stopwatch.hpp"
using namespace pipecut;
int main(int argc, char** argv) {
  const double limit = std::atof(argv[1]);
  for (int i = 2; i < argc; ++i) {
    const Graph g = read_graph(argv[i]);
    for (int k : {4, 8, 16, 32}) {
      const Stopwatch t;
      MultilevelOptions o; o.threads = 1; o.time_limit_seconds = limit;
      const MultilevelResult m = multilevel_partition(g, k, o);
      std::printf("%-20s k=%2d multilevel %.6f opt=%d levels=%d coarsest=%d windows=%d %.2fs\n",
                  g.name.c_str(), k, m.bottleneck, m.optimal, m.levels, m.coarsest_clusters, m.window_searches, t.seconds());
      std::fflush(stdout);
    }
  }
}
