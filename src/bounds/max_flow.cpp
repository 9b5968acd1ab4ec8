#include "bounds/max_flow.hpp"

#include <algorithm>
#include <limits>
#include <queue>

namespace pipecut::detail {

MaxFlow::MaxFlow(int num_nodes) : out_(num_nodes), level_(num_nodes), next_arc_(num_nodes) {}

void MaxFlow::add_edge(int from, int to, double capacity) {
  out_[from].push_back(static_cast<int>(arcs_.size()));
  arcs_.push_back({to, capacity});
  out_[to].push_back(static_cast<int>(arcs_.size()));
  arcs_.push_back({from, 0.0});
}

bool MaxFlow::build_levels(int s, int t, double epsilon) {
  std::fill(level_.begin(), level_.end(), -1);
  std::queue<int> queue;
  level_[s] = 0;
  queue.push(s);
  while (!queue.empty()) {
    int v = queue.front();
    queue.pop();
    for (int a : out_[v])
      if (arcs_[a].residual > epsilon && level_[arcs_[a].to] < 0) {
        level_[arcs_[a].to] = level_[v] + 1;
        queue.push(arcs_[a].to);
      }
  }
  return level_[t] >= 0;
}

double MaxFlow::augment(int v, int t, double pushed, double epsilon) {
  if (v == t) return pushed;
  for (std::size_t& i = next_arc_[v]; i < out_[v].size(); ++i) {
    Arc& arc = arcs_[out_[v][i]];
    if (arc.residual <= epsilon || level_[arc.to] != level_[v] + 1) continue;
    double got = augment(arc.to, t, std::min(pushed, arc.residual), epsilon);
    if (got > 0) {
      arc.residual -= got;
      arcs_[out_[v][i] ^ 1].residual += got;
      return got;
    }
  }
  return 0.0;
}

double MaxFlow::run(int s, int t, double epsilon) {
  double flow = 0.0;
  while (build_levels(s, t, epsilon)) {
    std::fill(next_arc_.begin(), next_arc_.end(), 0);
    while (double pushed = augment(s, t, std::numeric_limits<double>::max(), epsilon)) flow += pushed;
  }
  return flow;
}

std::vector<char> MaxFlow::source_side(int s, double epsilon) const {
  std::vector<char> seen(out_.size(), 0);
  std::vector<int> stack{s};
  seen[s] = 1;
  while (!stack.empty()) {
    int v = stack.back();
    stack.pop_back();
    for (int a : out_[v])
      if (arcs_[a].residual > epsilon && !seen[arcs_[a].to]) {
        seen[arcs_[a].to] = 1;
        stack.push_back(arcs_[a].to);
      }
  }
  return seen;
}

}  // namespace pipecut::detail
