// PROTOTYPE (not to commit): full downset search with a given incumbent value (no partition).
#include <cstdio>
#include <cstdlib>
#include "pipecut/io/read_graph.hpp"
#include "pipecut/partition/downset.hpp"
#include "pipecut/util/stopwatch.hpp"
using namespace pipecut;
int main(int argc, char** argv) {
  const Graph g = read_graph(argv[1]);
  const int k = std::atoi(argv[2]);
  DownsetSearchOptions o;
  o.time_limit_seconds = std::atof(argv[3]);
  o.incumbent = std::atof(argv[4]);
  o.downset_limit = 5'000'000;
  const Stopwatch t;
  const DownsetSearchResult r = downset_search(g, k, o);
  std::printf("%s k=%d status %d value %.6f downsets %lld pairs %lld %.2fs %s\n", g.name.c_str(), k,
              int(r.status), r.bottleneck, r.downsets, r.pairs, t.seconds(), r.reason.c_str());
}
