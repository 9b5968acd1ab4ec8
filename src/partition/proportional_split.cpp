#include "pipecut/partition/proportional_split.hpp"

namespace pipecut {

std::vector<int> proportional_cuts(std::span<const NodeId> order, std::span<const double> shares,
                                   const std::function<double(NodeId, int)>& amount,
                                   bool equal_counts) {
  const int n = static_cast<int>(order.size());
  const int slices = static_cast<int>(shares.size());
  double share_sum = 0;
  for (double x : shares) share_sum += x;
  std::vector<int> cuts = {0};
  int next = 0;
  for (int b = 0; b < slices; ++b) {
    const int last_allowed = n - (slices - 1 - b);
    if (b == slices - 1) {
      next = n;
    } else if (equal_counts) {
      next = cuts.back() + n / slices + (b < n % slices ? 1 : 0);
    } else {
      double whole = 0;
      for (NodeId v : order) whole += amount(v, b);
      const double target = whole * shares[b] / share_sum;
      double taken = amount(order[next], b);
      ++next;
      while (next < last_allowed && taken + amount(order[next], b) <= target) {
        taken += amount(order[next], b);
        ++next;
      }
    }
    cuts.push_back(next);
  }
  return cuts;
}

const std::vector<std::string>& engine_split_names() {
  static const std::vector<std::string> names = {"uniform", "memory-proportional",
                                                 "compute-proportional"};
  return names;
}

}  // namespace pipecut
