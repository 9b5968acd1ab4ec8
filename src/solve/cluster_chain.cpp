#include "cluster_chain.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "pipecut/model/constraints.hpp"

namespace pipecut {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Most DP states kept (about 12 bytes each); beyond it the exact method does not run.
constexpr double kMaxStates = 2e7;

}  // namespace

std::optional<std::vector<NodeId>> chain_order(const Graph& g) {
  const int n = g.num_nodes();
  if (n == 0) return std::nullopt;
  NodeId source = -1;
  for (NodeId v = 0; v < n; ++v) {
    if (g.predecessors(v).size() > 1 || g.successors(v).size() > 1) return std::nullopt;
    if (g.predecessors(v).empty()) {
      if (source >= 0) return std::nullopt;  // two sources: not connected as one path
      source = v;
    }
  }
  if (source < 0) return std::nullopt;
  std::vector<NodeId> order;
  order.reserve(static_cast<std::size_t>(n));
  for (NodeId v = source;;) {
    order.push_back(v);
    if (g.successors(v).empty()) break;
    v = g.successors(v)[0];
  }
  if (static_cast<int>(order.size()) != n) return std::nullopt;
  return order;
}

ChainPlan solve_chain_on_cluster(const ClusterCosts& costs, std::span<const NodeId> chain, int k,
                                 double incumbent, const Stopwatch& clock,
                                 double time_limit_seconds, const RunSignals& signals,
                                 ChainTies ties) {
  const Graph& g = costs.graph();
  const Cluster& c = costs.cluster();
  const std::vector<DeviceType> types = c.types();
  const int t_count = static_cast<int>(types.size());
  const int n = static_cast<int>(chain.size());
  ChainPlan plan;

  // Multisets of types in mixed radix: digit t counts the stages on type t (at most its
  // devices, at most k in all).
  std::vector<std::size_t> radix(t_count), weight(t_count);
  double multisets = 1;
  for (int t = 0; t < t_count; ++t) {
    radix[t] = static_cast<std::size_t>(std::min(static_cast<int>(types[t].devices.size()), k)) + 1;
    multisets *= static_cast<double>(radix[t]);
  }
  // State (j, p, q, m): the prefix chain[0..j) is cut into stages whose last one is on type p
  // (t_count: none, j = 0), the next stage starts at j on type q, and m counts the types used,
  // q included. Its value is that of the prefix's stages, each with its send to the next.
  const std::size_t p_count = static_cast<std::size_t>(t_count) + 1;
  if (multisets * static_cast<double>(n + 1) * static_cast<double>(p_count) * t_count > kMaxStates)
    return plan;
  const auto m_count = static_cast<std::size_t>(multisets);
  std::size_t w = 1;
  for (int t = 0; t < t_count; ++t) {
    weight[t] = w;
    w *= radix[t];
  }
  std::vector<int> total(m_count, 0);
  std::vector<std::vector<std::size_t>> digit(m_count, std::vector<std::size_t>(t_count));
  for (std::size_t m = 0; m < m_count; ++m)
    for (int t = 0; t < t_count; ++t) {
      digit[m][t] = (m / weight[t]) % radix[t];
      total[m] += static_cast<int>(digit[m][t]);
    }
  auto index = [&](int j, std::size_t p, int q, std::size_t m) {
    return ((static_cast<std::size_t>(j) * p_count + p) * static_cast<std::size_t>(t_count) +
            static_cast<std::size_t>(q)) *
               m_count +
           m;
  };
  // A cut before position j must not split a colour class.
  std::vector<char> cut_ok(static_cast<std::size_t>(n) + 1, 1);
  if (!g.colour_class.empty()) {
    std::vector<int> first(g.colour_labels.size(), n), last(g.colour_labels.size(), -1);
    for (int i = 0; i < n; ++i) {
      const int x = g.colour_class[chain[i]];
      if (x < 0) continue;
      first[x] = std::min(first[x], i);
      last[x] = std::max(last[x], i);
    }
    for (std::size_t x = 0; x < first.size(); ++x)
      for (int j = first[x] + 1; j <= last[x]; ++j) cut_ok[j] = 0;
  }
  // The tensor of chain[j - 1] between a device of type a and one of type b.
  auto boundary = [&](int j, std::size_t a, int b) {
    return costs.transfer(chain[j - 1], c.host_bandwidth(types[a].host, types[b].host));
  };

  const std::size_t states = index(n + 1, 0, 0, 0);
  std::vector<double> value(states);
  std::vector<std::int32_t> from(states);
  // One pass of the DP. Pass `bottleneck`: minimise the largest stage cost, with stages above
  // `limit` pruned. Pass `latency`: minimise the sum of stage costs among partitions whose every
  // stage costs at most `limit`, the final state chosen by the ChainTies rule. Both passes add
  // the same terms in the same order, so a stage of cost `limit` in the first passes the
  // second's test.
  enum class Pass { bottleneck, latency };
  struct Final {
    double value = kInf;
    int stages = 0;
    std::size_t state = 0;
  };
  auto run = [&](Pass pass, double limit) -> std::optional<Final> {
    std::fill(value.begin(), value.end(), kInf);
    std::fill(from.begin(), from.end(), -1);
    for (int q = 0; q < t_count; ++q)
      if (radix[q] > 1) value[index(0, t_count, q, weight[q])] = 0;
    Final best;
    for (int j = 0; j < n; ++j) {
      if ((signals.stop && signals.stop->requested()) || clock.exceeded(time_limit_seconds))
        return std::nullopt;
      if (!cut_ok[j]) continue;
      for (std::size_t p = 0; p < p_count; ++p) {
        if ((j == 0) != (p == static_cast<std::size_t>(t_count))) continue;
        for (int q = 0; q < t_count; ++q) {
          const DeviceClass& cls = c.classes[types[q].device_class];
          const double received = j > 0 ? boundary(j, p, q) : 0.0;
          for (std::size_t m = 0; m < m_count; ++m) {
            const double before = value[index(j, p, q, m)];
            if (before == kInf) continue;
            double work = 0, memory = 0;
            for (int end = j + 1; end <= n; ++end) {
              const NodeId v = chain[end - 1];
              work += costs.work(v, types[q].device_class);
              memory += g.memory[v];
              if (!fits_capacity(memory, cls.memory)) break;
              const double base = work + received;
              // Work only grows with the stage: no longer stage can pass the limit.
              if (base > limit) break;
              if (end == n) {
                bool better = false;
                double v_final = 0;
                if (pass == Pass::bottleneck) {
                  v_final = std::max(before, base);
                  better = v_final < best.value;
                } else {
                  v_final = before + base;
                  better =
                      best.value == kInf ||
                      (ties == ChainTies::latency
                           ? std::pair(v_final, total[m]) < std::pair(best.value, best.stages)
                           : std::pair(total[m], v_final) < std::pair(best.stages, best.value));
                }
                if (better) best = {v_final, total[m], index(j, p, q, m)};
                break;
              }
              if (!cut_ok[end]) continue;
              if (total[m] >= k) continue;
              for (int r = 0; r < t_count; ++r) {
                if (digit[m][r] + 1 >= radix[r]) continue;
                const double cost = base + boundary(end, static_cast<std::size_t>(q), r);
                if (cost > limit) continue;
                const double next =
                    pass == Pass::bottleneck ? std::max(before, cost) : before + cost;
                const std::size_t to = index(end, static_cast<std::size_t>(q), r, m + weight[r]);
                if (next < value[to]) {
                  value[to] = next;
                  from[to] = static_cast<std::int32_t>(static_cast<std::size_t>(j) * p_count + p);
                }
              }
            }
          }
        }
      }
    }
    return best;
  };

  // The incumbent, widened a little so that a rounding difference between the DP's sums and the
  // evaluator's cannot prune the optimum away.
  const double prune = incumbent < kInf ? incumbent * (1 + 1e-9) + 1e-300 : kInf;
  const std::optional<Final> first = run(Pass::bottleneck, prune);
  if (!first) return plan;
  if (first->value == kInf) {
    // Nothing below the incumbent: only a sign of rounding beyond the margin; prove nothing.
    if (prune < kInf) return plan;
    plan.complete = true;
    plan.optimum = kInf;
    return plan;
  }
  std::optional<Final> second = first;
  if (ties != ChainTies::none) {
    // The state of `first` is overwritten: the walk back below follows this pass.
    second = run(Pass::latency, first->value);
    if (!second || second->value == kInf) return plan;  // stopped (equal sums find the optimum)
  }
  plan.complete = true;
  plan.optimum = first->value;

  // Walk back from the final state: the last stage runs from its j to n.
  Partition p;
  p.k = k;
  p.stage_of.assign(static_cast<std::size_t>(g.num_nodes()), 0);
  std::vector<std::pair<int, int>> stages;  // (start, type), last first
  std::size_t state = second->state;
  for (;;) {
    const std::size_t m = state % m_count;
    const int q = static_cast<int>((state / m_count) % static_cast<std::size_t>(t_count));
    const std::size_t rest = state / m_count / static_cast<std::size_t>(t_count);
    const int j = static_cast<int>(rest / p_count);
    stages.emplace_back(j, q);
    if (j == 0) break;
    const std::size_t p_type = rest % p_count;
    const auto link = static_cast<std::size_t>(from[state]);
    state = index(static_cast<int>(link / p_count), link % p_count, static_cast<int>(p_type),
                  m - weight[q]);
  }
  std::reverse(stages.begin(), stages.end());
  p.device_of_stage.assign(static_cast<std::size_t>(k), -1);
  std::vector<std::size_t> next_device(static_cast<std::size_t>(t_count), 0);
  for (std::size_t s = 0; s < stages.size(); ++s) {
    const int start = stages[s].first;
    const int stop = s + 1 < stages.size() ? stages[s + 1].first : n;
    for (int i = start; i < stop; ++i) p.stage_of[chain[i]] = static_cast<int>(s);
    const int t = stages[s].second;
    p.device_of_stage[s] = types[t].devices[next_device[t]++];
  }
  plan.partition = std::move(p);
  return plan;
}

}  // namespace pipecut
