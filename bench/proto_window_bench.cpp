// PROTOTYPE (not to commit): windowed downset DP as a large-neighbourhood search.
#include <algorithm>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "pipecut/partition/downset.hpp"
#include "pipecut/io/read_graph.hpp"
#include "pipecut/partition/multilevel.hpp"
#include "pipecut/partition/refine.hpp"
#include "pipecut/partition/slicegraph.hpp"
#include "pipecut/util/stopwatch.hpp"

using namespace pipecut;

// One windowed DP step: free blocks within `radius` positions of each stage boundary of the
// partition-induced block order; everything else contracted into per-segment clusters.
Partition window_step(const Graph& g, const Constraints& c, const Partition& p, int radius,
                      double& value, long long& downsets, bool& ok) {
  const int B = c.num_blocks();
  std::vector<int> blocks(B);
  std::iota(blocks.begin(), blocks.end(), 0);
  std::stable_sort(blocks.begin(), blocks.end(), [&](int a, int b) {
    return p.stage_of[c.members(a)[0]] < p.stage_of[c.members(b)[0]];
  });
  std::vector<char> free_pos(B, 0);
  for (int i = 1; i < B; ++i) {
    if (p.stage_of[c.members(blocks[i])[0]] != p.stage_of[c.members(blocks[i - 1])[0]]) {
      for (int j = std::max(0, i - radius); j < std::min(B, i + radius); ++j) free_pos[j] = 1;
    }
  }
  ClusterLevel level;
  level.cluster_of.assign(g.num_nodes(), -1);
  int next = 0;
  for (int i = 0; i < B; ++i) {
    int id;
    if (free_pos[i] || i == 0 || free_pos[i - 1]) id = next++;
    else id = next - 1;
    for (NodeId v : c.members(blocks[i])) level.cluster_of[v] = id;
  }
  level.clusters = next;
  DownsetSearchOptions o;
  o.time_limit_seconds = 30;
  o.incumbent = value;
  o.warm_start = p;
  o.downset_limit = 2'000'000;
  o.unit_of = level.cluster_of;
  const DownsetSearchResult r = downset_search(g, p.k, o);
  downsets = r.downsets;
  ok = r.status == DownsetStatus::optimal && r.partition;
  if (!ok) return p;
  const double v = r.partition_bottleneck;
  if (v < value) {
    value = v;
    return *r.partition;
  }
  return p;
}

int main(int argc, char** argv) {
  std::vector<std::string> paths(argv + 1, argv + argc);
  for (const std::string& path : paths) {
    const Graph g = read_graph(path);
    const Constraints c = derive_constraints(g);
    for (int k : {4, 8, 16, 32}) {
      BrkgaConfig search = *BrkgaConfig::preset("brkga-100");
      search.threads = 1;
      const Stopwatch t;
      const SliceGraphResult sg = slicegraph(g, k, search);
      Partition p = sg.partition;
      double value = sg.bottleneck;
      std::printf("%s k=%d n=%d start %.6f (%.2fs)\n", g.name.c_str(), k, g.num_nodes(), value,
                  t.seconds());
      for (int radius : {8, 16, 32, 64, 128}) {
        const Stopwatch t2;
        long long ds = 0;
        bool ok = false;
        p = window_step(g, c, p, radius, value, ds, ok);
        std::printf("  radius %4d: %.6f ok=%d downsets=%lld %.2fs\n", radius, value, ok, ds,
                    t2.seconds());
        std::fflush(stdout);
        if (!ok) break;
      }
    }
  }
}
