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

double MaxFlow::blocking_flow(int s, int t, double epsilon, const std::function<bool()>& stop) {
  double pushed = 0.0;
  path_.clear();
  int v = s;
  for (unsigned steps = 1;; ++steps) {
    if (stop && steps % 4096 == 0 && stop()) {
      stopped_ = true;
      return pushed;
    }
    if (v == t) {
      // Augment by the path's bottleneck, then retreat to the tail of its first saturated arc.
      double amount = std::numeric_limits<double>::max();
      for (int a : path_) amount = std::min(amount, arcs_[a].residual);
      for (int a : path_) {
        arcs_[a].residual -= amount;
        arcs_[a ^ 1].residual += amount;
      }
      pushed += amount;
      std::size_t keep = 0;
      while (keep < path_.size() && arcs_[path_[keep]].residual > epsilon) ++keep;
      v = keep < path_.size() ? tail(path_[keep]) : s;
      path_.resize(keep);
      continue;
    }
    bool advanced = false;
    for (std::size_t& i = next_arc_[v]; i < out_[v].size(); ++i) {
      const Arc& arc = arcs_[out_[v][i]];
      if (arc.residual > epsilon && level_[arc.to] == level_[v] + 1) {
        path_.push_back(out_[v][i]);
        v = arc.to;
        advanced = true;
        break;
      }
    }
    if (advanced) continue;
    if (v == s) return pushed;
    // Dead end: no path to t from v in this level graph. Retreat and skip the arc into v.
    level_[v] = -1;
    v = tail(path_.back());
    path_.pop_back();
    ++next_arc_[v];
  }
}

double MaxFlow::run(int s, int t, double epsilon, const std::function<bool()>& stop) {
  double flow = 0.0;
  stopped_ = false;
  while (!stopped_ && build_levels(s, t, epsilon)) {
    std::fill(next_arc_.begin(), next_arc_.end(), 0);
    flow += blocking_flow(s, t, epsilon, stop);
    if (stop && !stopped_ && stop()) stopped_ = true;
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
