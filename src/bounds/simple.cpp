#include "pipecut/bounds/simple.hpp"

#include <algorithm>

namespace pipecut {

double simple_lower_bound(const Graph& g, int k) {
  double heaviest = *std::max_element(g.work.begin(), g.work.end());
  return std::max(g.total_work() / k, heaviest);
}

}  // namespace pipecut
