#include "pipecut/bounds/simple.hpp"

#include <algorithm>

#include "pipecut/model/constraints.hpp"
#include "pipecut/model/numeric.hpp"

namespace pipecut {

double simple_lower_bound(const Graph& graph, int k) {
  // On exact costs the sums are exact; only the division rounds, hence certify().
  const ExactCosts exact(graph);
  const Graph& g = exact.graph();
  double heaviest = *std::max_element(g.work.begin(), g.work.end());
  if (!g.colour_class.empty()) {
    // A hull always lies in one stage, whose cost is at least the hull's work.
    const Constraints c = derive_constraints(g);
    std::vector<double> block_work(c.num_blocks(), 0.0);
    for (NodeId v = 0; v < g.num_nodes(); ++v) block_work[c.block_of[v]] += g.work[v];
    heaviest = std::max(heaviest, *std::max_element(block_work.begin(), block_work.end()));
  }
  return std::max(certify(g.total_work() / k), heaviest);
}

}  // namespace pipecut
