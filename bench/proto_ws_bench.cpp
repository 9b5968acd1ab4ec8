// PROTOTYPE (not to commit)
#include <cstdio>
#include <cstdlib>
#include "pipecut/io/read_graph.hpp"
#include "pipecut/partition/window_search.hpp"
#include "pipecut/partition/refine.hpp"
#include "pipecut/partition/slicegraph.hpp"
#include "pipecut/util/stopwatch.hpp"
using namespace pipecut;
int main(int argc, char** argv) {
  const double limit = std::atof(argv[1]);
  for (int i = 2; i < argc; ++i) {
    const Graph g = read_graph(argv[i]);
    for (int k : {4, 8, 16, 32}) {
      const Stopwatch t;
      BrkgaConfig search = *BrkgaConfig::preset("brkga-100");
      search.threads = 1;
      const SliceGraphResult sg = slicegraph(g, k, search);
      const RefineResult rf = refine_partition(g, derive_constraints(g), sg.partition);
      WindowSearchOptions o;
      o.time_limit_seconds = limit;
      const WindowSearchResult w = window_search(g, rf.partition, o);
      std::printf("%-20s k=%2d sg %.6f refine %.6f window %.6f opt=%d searches=%d impr=%d radius=%d %.2fs\n",
                  g.name.c_str(), k, sg.bottleneck, rf.bottleneck, w.bottleneck, w.optimal, w.searches,
                  w.improvements, w.largest_radius, t.seconds());
      std::fflush(stdout);
    }
  }
}
