#include "support/exact_oracle.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include "support/oracle.hpp"

namespace pipecut::testing {

namespace {

// x = mantissa * 2^exponent with an integer mantissa below 2^53 (x > 0, finite).
void split(double x, long long& mantissa, int& exponent) {
  int e = 0;
  const double m = std::frexp(x, &e);  // x = m * 2^e, m in [0.5, 1)
  mantissa = static_cast<long long>(std::ldexp(m, 53));
  exponent = e - 53;
  while (mantissa % 2 == 0) {
    mantissa /= 2;
    ++exponent;
  }
}

int bit_length(Int128 x) {
  int bits = 0;
  for (; x > 0; x >>= 1) ++bits;
  return bits;
}

long double approximate(const ExactValue& v) {
  return std::ldexp(static_cast<long double>(v.units), v.exponent);
}

}  // namespace

ExactCostTable::ExactCostTable(const Graph& g) : g_(g) {
  const int n = g.num_nodes();
  int lowest = std::numeric_limits<int>::max(), highest = std::numeric_limits<int>::min();
  auto visit = [&](double x) {
    if (x == 0) return;
    long long m = 0;
    int e = 0;
    split(x, m, e);
    lowest = std::min(lowest, e);
    highest = std::max(highest, e + 53);
  };
  for (NodeId v = 0; v < n; ++v) {
    visit(g.work[v]);
    visit(g.comm[v]);
  }
  if (lowest == std::numeric_limits<int>::max()) lowest = highest = 0;
  // Sums of at most 2n + m terms, each below 2^(highest - lowest) units.
  if (highest - lowest + bit_length(2 * n + g.num_edges() + 1) > 125)
    throw std::logic_error("exact oracle: costs span too many binary orders");
  exponent_ = lowest;
  auto units = [&](double x) -> Int128 {
    if (x == 0) return 0;
    long long m = 0;
    int e = 0;
    split(x, m, e);
    return static_cast<Int128>(m) << (e - lowest);
  };
  for (NodeId v = 0; v < n; ++v) {
    work_.push_back(units(g.work[v]));
    comm_.push_back(units(g.comm[v]));
  }
}

ExactValue ExactCostTable::bottleneck(const Partition& p) const {
  const int stages = stored_stages(g_, p);
  std::vector<Int128> cost(stages, 0);
  std::vector<int> seen(stages, -1);
  for (NodeId u = 0; u < g_.num_nodes(); ++u) {
    cost[p.stage_of[u]] += work_[u];
    bool sent = false;
    for (NodeId v : g_.successors(u)) {
      const int s = p.stage_of[v];
      if (s == p.stage_of[u]) continue;
      sent = true;
      if (seen[s] != u) {  // received once per stage
        seen[s] = u;
        cost[s] += comm_[u];
      }
    }
    if (sent) cost[p.stage_of[u]] += comm_[u];
  }
  ExactValue out;
  out.exponent = exponent_;
  for (Int128 c : cost) out.units = std::max(out.units, c);
  return out;
}

ExactBruteForce exact_brute_force_optimum(const Graph& g, int k) {
  const ExactCostTable table(g);
  ExactBruteForce result;
  for_each_valid_partition(g, k, [&](const Partition& p) {
    const ExactValue b = table.bottleneck(p);
    ++result.partitions;
    if (!result.feasible || b.units < result.optimum.units) {
      result.feasible = true;
      result.optimum = b;
      result.best = p;
    }
  });
  if (!result.feasible) result.optimum.infinite = true;
  return result;
}

int compare(double x, const ExactValue& v) {
  if (v.infinite) return -1;
  if (x == 0) return v.units == 0 ? 0 : -1;
  if (x < 0) return -1;
  if (v.units == 0) return 1;
  long long m = 0;
  int e = 0;
  split(x, m, e);
  // Compare the positions of the leading bits first.
  const int top_x = bit_length(m) + e, top_v = bit_length(v.units) + v.exponent;
  if (top_x != top_v) return top_x < top_v ? -1 : 1;
  // Same leading bit: align on the smaller exponent, which keeps both within 128 bits.
  if (e >= v.exponent) {
    const Int128 xs = static_cast<Int128>(m) << (e - v.exponent);
    return xs < v.units ? -1 : xs > v.units ? 1 : 0;
  }
  // v has the larger exponent: shifted up, it has x's bit length (at most 53 bits).
  const Int128 vs = v.units << (v.exponent - e);
  const Int128 xm = m;
  return xm < vs ? -1 : xm > vs ? 1 : 0;
}

bool at_most_scaled(const ExactValue& x, const ExactValue& v, long double factor) {
  if (v.infinite) return true;
  if (x.infinite) return false;
  return approximate(x) <= approximate(v) * factor;
}

std::string to_string(const ExactValue& v) {
  if (v.infinite) return "inf";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.17Lg", approximate(v));
  return buffer;
}

}  // namespace pipecut::testing
