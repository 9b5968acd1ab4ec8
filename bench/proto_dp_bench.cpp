// PROTOTYPE (not to commit): full downset search on a file.
#include <cstdio>
#include <cstdlib>
#include "pipecut/io/read_graph.hpp"
#include "pipecut/partition/downset.hpp"
#include "pipecut/partition/slicegraph.hpp"
#include "pipecut/util/stopwatch.hpp"
using namespace pipecut;
int main(int argc, char** argv) {
  const Graph g = read_graph(argv[1]);
  const int k = std::atoi(argv[2]);
  BrkgaConfig search = *BrkgaConfig::preset("brkga-100");
  search.threads = 1;
  const SliceGraphResult sg = slicegraph(g, k, search);
  DownsetSearchOptions o;
  o.time_limit_seconds = argc > 3 ? std::atof(argv[3]) : 60;
  o.incumbent = sg.bottleneck;
  o.warm_start = sg.partition;
  o.downset_limit = 5'000'000;
  const Stopwatch t;
  const DownsetSearchResult r = downset_search(g, k, o);
  std::printf("%s k=%d start %.6f status %d value %.6f part %.6f downsets %lld pairs %lld units %d floating %d sinks %d  %.2fs %s\n",
              g.name.c_str(), k, sg.bottleneck, int(r.status), r.bottleneck, r.partition_bottleneck, r.downsets, r.pairs,
              r.units, r.floating_sources, r.reduced_sinks, t.seconds(), r.reason.c_str());
}
