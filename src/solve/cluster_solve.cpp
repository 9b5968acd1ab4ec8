#include "pipecut/solve/cluster_solve.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>

#include "cluster_chain.hpp"
#include "pipecut/bounds/cluster_downset.hpp"
#include "pipecut/model/cluster_cost.hpp"
#include "pipecut/model/constraints.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/model/numeric.hpp"
#include "pipecut/partition/proportional_split.hpp"
#include "pipecut/solve/api.hpp"
#include "pipecut/util/stopwatch.hpp"
#include "util/registry.hpp"

namespace pipecut {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Most (prefix, class multiset) states the slicing DP keeps: beyond it the run is refused with
// an input error rather than left to exhaust memory.
constexpr double kMaxDpStates = 4e6;  // about 50 MB of DP tables

void check_k(const Cluster& c, int k) {
  if (k < 1) throw InputError("k must be at least 1 (got " + std::to_string(k) + ")");
  if (k > c.num_devices())
    throw InputError("k = " + std::to_string(k) + " stages, but cluster " + c.name + " has only " +
                     std::to_string(c.num_devices()) + " device" +
                     (c.num_devices() == 1 ? "" : "s"));
}

// Devices per class, of host `host` only when it is >= 0.
std::vector<int> devices_per_class(const Cluster& c, int host = -1) {
  std::vector<int> count(c.classes.size(), 0);
  for (const ClusterDevice& d : c.devices)
    if (host < 0 || d.host == host) ++count[d.device_class];
  return count;
}

// Only the non-empty stages, as Solution::evaluation lists them.
Evaluation non_empty_stages(Evaluation e) {
  std::erase_if(e.stages, [](const StageCost& s) { return s.nodes.empty(); });
  return e;
}

// Gives the non-empty stages of p, in pipeline order, the devices of `classes_in_order` (one
// class per non-empty stage), each class's devices taken in listing order.
void place_on_devices(const Cluster& c, const std::vector<int>& classes_in_order, Partition& p,
                      int host = -1) {
  std::vector<char> nonempty(p.k, 0);
  for (int s : p.stage_of) nonempty[s] = 1;
  std::vector<char> used(c.num_devices(), 0);
  p.device_of_stage.assign(p.k, -1);
  std::size_t next = 0;
  for (int b = 0; b < p.k; ++b) {
    if (!nonempty[b]) continue;
    const int cls = classes_in_order.empty() ? c.devices[0].device_class : classes_in_order[next++];
    for (int d = 0; d < c.num_devices(); ++d)
      if (!used[d] && c.devices[d].device_class == cls && (host < 0 || c.devices[d].host == host)) {
        used[d] = 1;
        p.device_of_stage[b] = d;
        break;
      }
  }
}

// graph_on_class of a homogeneous cluster: its one class and bandwidth, that of any two devices
// (a one-device cluster has no link, and its one stage sends nothing).
Graph reduced_graph(const ClusterCosts& costs) {
  const Cluster& c = costs.cluster();
  const double gbps = c.num_devices() >= 2 ? c.bandwidth(0, 1) : 1.0;
  return graph_on_class(costs, 0, gbps);
}

// A solution of the reduced graph, placed on the cluster's devices and checked against it.
Solution on_cluster_devices(const ClusterCosts& costs, Solution s) {
  const Cluster& c = costs.cluster();
  place_on_devices(c, std::vector<int>(c.num_devices(), 0), s.partition);
  const Evaluation on_cluster = evaluate_on_cluster(costs, s.partition);
  // docs/clusters.md, "Reduction": equal to the last bit; anything else is a bug.
  if (on_cluster.bottleneck != s.bottleneck())
    throw std::logic_error(
        "homogeneous cluster: the cluster's cost differs from the reduced graph's");
  s.evaluation = non_empty_stages(on_cluster);
  s.algorithm += " (homogeneous cluster " + c.name + ")";
  s.cluster = c;
  return s;
}

Solution solve_homogeneous(const ClusterCosts& costs, int k, const SolveOptions& options,
                           const RunControl& control) {
  return on_cluster_devices(costs, solve(reduced_graph(costs), k, options, control));
}

// The slowest and the fastest link between two distinct devices of c (1 and 1 when it has one
// device).
std::pair<double, double> link_extremes(const Cluster& c) {
  double slowest = kInf, fastest = 0;
  for (int a = 0; a < static_cast<int>(c.hosts.size()); ++a)
    for (int b = 0; b < static_cast<int>(c.hosts.size()); ++b)
      if (c.host_bandwidth(a, b) > 0) {
        slowest = std::min(slowest, c.host_bandwidth(a, b));
        fastest = std::max(fastest, c.host_bandwidth(a, b));
      }
  if (!std::isfinite(slowest)) return {1.0, 1.0};
  return {slowest, fastest};
}

// The slicing DP of docs/clusters.md over `order`, with tensors priced at the slowest link.
// Returns the classes of the slices and the cuts, or nothing when no slicing fits.
struct Slicing {
  double value = kInf;
  std::vector<int> cuts;     // positions, 0 first and n last
  std::vector<int> classes;  // one per slice
};

// `host` >= 0: only that host's devices.
Slicing slice_with_classes(const ClusterCosts& costs, const std::vector<NodeId>& order, int k,
                           double link_gbps, const Stopwatch& clock, double time_limit,
                           const RunSignals& control, int host = -1) {
  const Graph& g = costs.graph();
  const Cluster& c = costs.cluster();
  const int n = g.num_nodes();
  const int classes = static_cast<int>(c.classes.size());
  const std::vector<int> available = devices_per_class(c, host);
  // Mixed-radix multisets: digit c counts the slices on class c (at most its devices and k).
  std::vector<long long> radix(classes), weight(classes);
  double states = 1;
  for (int x = 0; x < classes; ++x) {
    radix[x] = std::min(available[x], k) + 1;
    states *= static_cast<double>(radix[x]);
  }
  if (states * (n + 1) > kMaxDpStates)
    throw InputError("cluster " + c.name +
                     ": too many combinations of device classes for the "
                     "slicing search (" +
                     std::to_string(static_cast<long long>(states)) + " multisets over " +
                     std::to_string(n) + " nodes)");
  const auto m_count = static_cast<std::size_t>(states);
  long long w = 1;
  for (int x = 0; x < classes; ++x) {
    weight[x] = w;
    w *= radix[x];
  }
  std::vector<int> total(m_count, 0);
  std::vector<std::vector<int>> digits(m_count, std::vector<int>(classes));
  for (std::size_t m = 0; m < m_count; ++m)
    for (int x = 0; x < classes; ++x) {
      digits[m][x] = static_cast<int>((static_cast<long long>(m) / weight[x]) % radix[x]);
      total[m] += digits[m][x];
    }

  std::vector<int> pos(n);
  for (int i = 0; i < n; ++i) pos[order[i]] = i;
  std::vector<double> tensor(n);
  std::vector<int> last_reader(n, -1);  // position of the last consumer
  std::vector<std::vector<NodeId>> ending(n + 1);
  for (NodeId v = 0; v < n; ++v) {
    tensor[v] = costs.transfer(v, link_gbps);
    for (NodeId s : g.successors(v)) last_reader[v] = std::max(last_reader[v], pos[s]);
    if (last_reader[v] >= 0) ending[last_reader[v]].push_back(v);
  }
  // A cut before position j may not split a colour class (its members and every node between
  // them in the order share a stage).
  std::vector<char> cut_ok(n + 1, 1);
  if (!g.colour_class.empty()) {
    std::vector<int> first(g.colour_labels.size(), n), last(g.colour_labels.size(), -1);
    for (NodeId v = 0; v < n; ++v)
      if (g.colour_class[v] >= 0) {
        first[g.colour_class[v]] = std::min(first[g.colour_class[v]], pos[v]);
        last[g.colour_class[v]] = std::max(last[g.colour_class[v]], pos[v]);
      }
    for (std::size_t x = 0; x < first.size(); ++x)
      for (int j = first[x] + 1; j <= last[x]; ++j) cut_ok[j] = 0;
  }
  double largest_memory = 0;
  for (int x = 0; x < classes; ++x)
    if (available[x] > 0) largest_memory = std::max(largest_memory, c.classes[x].memory);

  std::vector<double> best((n + 1) * m_count, kInf);
  std::vector<int> from((n + 1) * m_count, -1);  // previous position * classes + class
  best[0] = 0;
  std::vector<double> work(classes);
  std::vector<int> seen(n, -1);  // stamp: tensor already received by the slice starting at i
  for (int i = 0; i < n; ++i) {
    if (control.stop && control.stop->requested()) break;
    if (clock.exceeded(time_limit)) break;
    if (!cut_ok[i]) continue;
    bool reachable = false;
    for (std::size_t m = 0; m < m_count && !reachable; ++m)
      reachable = best[i * m_count + m] < kInf;
    if (!reachable) continue;
    std::fill(work.begin(), work.end(), 0.0);
    double received = 0, sent = 0, memory = 0;
    for (int j = i + 1; j <= n; ++j) {
      const NodeId v = order[j - 1];
      for (int x = 0; x < classes; ++x) work[x] += costs.work(v, x);
      memory += g.memory[v];
      if (memory > largest_memory) break;
      for (NodeId u : g.predecessors(v))
        if (pos[u] < i && seen[u] != i) {
          seen[u] = i;
          received += tensor[u];
        }
      if (last_reader[v] > j - 1) sent += tensor[v];
      // Tensors whose last reader is now inside the slice stop being sent.
      for (NodeId u : ending[j - 1])
        if (pos[u] >= i && pos[u] < j - 1) sent -= tensor[u];
      if (!cut_ok[j] && j < n) continue;
      for (int x = 0; x < classes; ++x) {
        if (available[x] == 0 || !fits_capacity(memory, c.classes[x].memory)) continue;
        const double cost = work[x] + received + sent;
        for (std::size_t m = 0; m < m_count; ++m) {
          const double before = best[i * m_count + m];
          if (before == kInf || digits[m][x] + 1 >= radix[x] || total[m] + 1 > k) continue;
          const std::size_t next = m + static_cast<std::size_t>(weight[x]);
          const double value = std::max(before, cost);
          if (value < best[j * m_count + next]) {
            best[j * m_count + next] = value;
            from[j * m_count + next] = i * classes + x;
          }
        }
      }
    }
  }
  Slicing out;
  std::size_t arg = 0;
  for (std::size_t m = 1; m < m_count; ++m)
    if (best[n * m_count + m] < out.value) {
      out.value = best[n * m_count + m];
      arg = m;
    }
  if (out.value == kInf) return out;
  int j = n;
  std::size_t m = arg;
  out.cuts.push_back(n);
  while (j > 0) {
    const int link = from[j * m_count + m];
    const int i = link / classes, x = link % classes;
    out.classes.push_back(x);
    out.cuts.push_back(i);
    m -= static_cast<std::size_t>(weight[x]);
    j = i;
  }
  std::reverse(out.cuts.begin(), out.cuts.end());
  std::reverse(out.classes.begin(), out.classes.end());
  return out;
}

// Kahn's algorithm taking a random ready node each time.
std::vector<NodeId> random_topological_order(const Graph& g, std::mt19937_64& rng) {
  const int n = g.num_nodes();
  std::vector<int> waiting(n);
  std::vector<NodeId> ready, order;
  for (NodeId v = 0; v < n; ++v) {
    waiting[v] = static_cast<int>(g.predecessors(v).size());
    if (waiting[v] == 0) ready.push_back(v);
  }
  while (!ready.empty()) {
    const std::size_t pick = std::uniform_int_distribution<std::size_t>(0, ready.size() - 1)(rng);
    const NodeId v = ready[pick];
    ready[pick] = ready.back();
    ready.pop_back();
    order.push_back(v);
    for (NodeId w : g.successors(v))
      if (--waiting[w] == 0) ready.push_back(w);
  }
  return order;
}

}  // namespace

namespace {

// "cluster-node" and "cluster-work" (docs/clusters.md, "Lower bound").
std::vector<BoundResult> node_and_work_bounds(const Graph& g, const Cluster& c, int k) {
  check_k(c, k);
  const ClusterCosts costs(g, c, g.name);
  const Stopwatch clock;
  const std::vector<int> available = devices_per_class(c);
  const int classes = static_cast<int>(c.classes.size());
  double cheapest_node = 0;
  std::string cheapest_detail;
  double min_work = 0, min_speed_work = 0;
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    double least = kInf, least_weighted = kInf;
    for (int x = 0; x < classes; ++x) {
      if (available[x] == 0 || !fits_capacity(g.memory[v], c.classes[x].memory)) continue;
      least = std::min(least, costs.work(v, x));
      least_weighted = std::min(least_weighted, c.classes[x].speed * costs.work(v, x));
    }
    if (least == kInf)
      throw InfeasibleError("node '" + g.ids[v] + "' needs " + describe_bytes(g.memory[v]) +
                            ", more than any device of cluster " + c.name + " holds");
    if (least > cheapest_node) {
      cheapest_node = least;
      cheapest_detail = "node '" + g.ids[v] + "'";
    }
    min_work += least;
    min_speed_work += least_weighted;
  }
  // The k' largest weights over devices (docs/clusters.md, bound 2).
  const int stages = std::min({k, c.num_devices(), g.num_nodes()});
  // Memory: the stages fit distinct devices, so all node memory fits the k' largest
  // (docs/clusters.md, "Infeasibility").
  std::vector<double> memories;
  for (const ClusterDevice& d : c.devices) memories.push_back(c.classes[d.device_class].memory);
  std::sort(memories.rbegin(), memories.rend());
  double room = 0, total_memory = 0;
  for (int i = 0; i < stages; ++i) room += memories[i];
  for (double m : g.memory) total_memory += m;
  if (total_memory > room)
    throw InfeasibleError("the graph's node memory " + describe_bytes(total_memory) +
                          " exceeds the " + describe_bytes(room) + " of the " +
                          std::to_string(stages) + " largest devices of cluster " + c.name);
  std::vector<double> speeds;
  for (const ClusterDevice& d : c.devices) speeds.push_back(c.classes[d.device_class].speed);
  std::sort(speeds.rbegin(), speeds.rend());
  double top_speed = 0;
  for (int i = 0; i < stages; ++i) top_speed += speeds[i];
  const double by_speed = certify(min_speed_work / top_speed);
  const double by_count = certify(min_work / stages);
  std::vector<BoundResult> out(2);
  out[0].method = "cluster-node";
  out[0].value = cheapest_node;
  out[0].status = BoundStatus::proven;
  out[0].detail = cheapest_detail;
  out[1].method = "cluster-work";
  out[1].value = std::max(by_speed, by_count);
  out[1].status = BoundStatus::proven;
  out[1].detail = by_speed >= by_count
                      ? "total work over the " + std::to_string(stages) + " fastest devices"
                      : "least total work over " + std::to_string(stages) + " stages";
  out[0].seconds = out[1].seconds = clock.seconds();
  return out;
}

// "cluster-chain": the chain DP as a bound (and, when it finishes, an optimal partition).
// InfeasibleError when it proves that no partition fits.
BoundResult chain_bound(const ClusterCosts& costs, std::span<const NodeId> chain, int k,
                        double incumbent, const Stopwatch& clock, double time_limit,
                        const RunSignals& signals, ChainTies ties = ChainTies::none) {
  const Stopwatch chain_clock;
  ChainPlan plan =
      solve_chain_on_cluster(costs, chain, k, incumbent, clock, time_limit, signals, ties);
  BoundResult r;
  r.method = "cluster-chain";
  r.seconds = chain_clock.seconds();
  if (plan.complete && plan.optimum == kInf)
    throw InfeasibleError("no partition of chain " + costs.graph().name + " into at most " +
                          std::to_string(k) + " stages fits the memory of cluster " +
                          costs.cluster().name + "'s devices (the exact chain DP tried all)");
  if (plan.complete) {
    r.value = certify(plan.optimum);
    r.status = BoundStatus::proven;
    r.detail = "exact DP over the chain's cuts and device types";
    r.partition = std::move(plan.partition);
  } else if (stop_requested(signals.stop) || clock.exceeded(time_limit)) {
    r.status = BoundStatus::time_limit;
    r.detail = "stopped before the DP finished";
  } else {
    r.status = BoundStatus::gave_up;
    r.detail = "too many (prefix, device type) states for the exact DP";
  }
  return r;
}

// "cluster-downset": the downset DP over device-type multisets as a bound (and its partition,
// to be costed for real). InfeasibleError when it proves that no partition fits.
BoundResult downset_bound(const ClusterCosts& costs, int k, double incumbent, double floor,
                          const Stopwatch& clock, double time_limit, const RunSignals& signals) {
  ClusterDownsetOptions options;
  options.incumbent = incumbent;
  options.floor = floor;
  options.stop = signals.stop;
  if (time_limit > 0) {
    options.time_limit_seconds = clock.remaining(time_limit);
    if (options.time_limit_seconds <= 0) options.time_limit_seconds = 1e-9;
  }
  ClusterDownsetResult found = cluster_downset_bound(costs, k, options);
  if (found.status == BoundStatus::infeasible)
    throw InfeasibleError("no partition of " + costs.graph().name + " into at most " +
                          std::to_string(k) + " stages fits the memory of cluster " +
                          costs.cluster().name + "'s devices (the exact downset DP tried all)");
  BoundResult r;
  r.method = "cluster-downset";
  r.status = found.status;
  r.value = found.value;
  r.detail = found.detail;
  r.partition = std::move(found.partition);
  return r;
}

}  // namespace

std::vector<BoundResult> cluster_lower_bounds(const Graph& g, const Cluster& c, int k,
                                              double time_limit_seconds,
                                              const RunSignals& signals) {
  std::vector<BoundResult> out = node_and_work_bounds(g, c, k);
  if (const auto chain = chain_order(g)) {
    const ClusterCosts costs(g, c, g.name);
    const Stopwatch clock;
    out.push_back(chain_bound(costs, *chain, k, kInf, clock, time_limit_seconds, signals));
    out.back().partition.reset();
  } else {
    // The incumbent that prunes the DP's stages: the slicing of the default order with every
    // tensor at the slowest link, whose value bounds its partition's true cost.
    const ClusterCosts costs(g, c, g.name);
    const Stopwatch clock;
    const double incumbent =
        slice_with_classes(costs, topological_order(g), k, link_extremes(c).first, clock,
                           time_limit_seconds, signals)
            .value;
    const double floor = std::max(out[0].value, out[1].value);
    out.push_back(downset_bound(costs, k, incumbent, floor, clock, time_limit_seconds, signals));
    out.back().seconds = clock.seconds();
    out.back().partition.reset();
  }
  return out;
}

namespace {

// An engine's split (docs/clusters.md, "Baselines") on the first min(k, D, n) devices in
// listing order; it may break a constraint (the caller checks).
Partition engine_split(const ClusterCosts& costs, int k, const std::string& name) {
  const Graph& g = costs.graph();
  const Cluster& c = costs.cluster();
  const int n = g.num_nodes();
  const int slices = std::min({k, c.num_devices(), n});
  const std::vector<NodeId> order = topological_order(g);
  // Each slice's share (of the operators, the memory or the work) and what a node adds to it.
  std::vector<double> share(slices, 1.0);
  std::function<double(NodeId, int)> amount = [](NodeId, int) { return 1.0; };
  if (name == "memory-proportional") {
    for (int b = 0; b < slices; ++b) share[b] = c.classes[c.devices[b].device_class].memory;
    if (std::any_of(g.memory.begin(), g.memory.end(), [](double m) { return m > 0; }))
      amount = [&g](NodeId v, int) { return g.memory[v]; };
  } else if (name == "compute-proportional") {
    // A device's speed is the inverse of the whole graph's time on its class, and its share
    // is of that time on its own class.
    for (int b = 0; b < slices; ++b) {
      double total = 0;
      for (NodeId v = 0; v < n; ++v) total += costs.work(v, c.devices[b].device_class);
      share[b] = total > 0 ? 1 / total : 1.0;
    }
    amount = [&costs, &c](NodeId v, int b) { return costs.work(v, c.devices[b].device_class); };
  }
  const std::vector<int> cuts = proportional_cuts(order, share, amount, name == "uniform");
  Partition p = partition_from_cuts(g, order, cuts);
  p.k = k;
  p.device_of_stage.assign(k, -1);
  for (int b = 0; b < slices; ++b) p.device_of_stage[b] = b;
  return p;
}

// The bottleneck of p on the cluster, then its latency (the sum of its stage costs): what the
// device refinement compares.
std::pair<double, double> bottleneck_and_latency(const ClusterCosts& costs, const Partition& p) {
  const Evaluation e = evaluate_on_cluster(costs, p);
  return {e.bottleneck, e.latency()};
}

// Refinement that moves a stage to another device or swaps the devices of two stages while the
// bottleneck, then the latency, falls (docs/clusters.md, "Device refinement"). The slicing DP
// chooses classes and prices tensors at the slowest link; this chooses hosts and links.
void refine_devices(const ClusterCosts& costs, Partition& p, const Stopwatch& clock,
                    double time_limit, const RunSignals& signals) {
  const Graph& g = costs.graph();
  const Cluster& c = costs.cluster();
  std::vector<int> stage_on(c.num_devices(), -1);
  for (int b = 0; b < p.k; ++b)
    if (p.device_of_stage[b] >= 0) stage_on[p.device_of_stage[b]] = b;
  auto current = bottleneck_and_latency(costs, p);
  for (int round = 0; round < 50; ++round) {
    bool improved = false;
    for (int b = 0; b < p.k; ++b) {
      if (p.device_of_stage[b] < 0) continue;
      for (int d = 0; d < c.num_devices(); ++d) {
        if ((signals.stop && signals.stop->requested()) || clock.exceeded(time_limit)) return;
        const int here = p.device_of_stage[b];
        if (d == here) continue;
        const int other = stage_on[d];
        p.device_of_stage[b] = d;
        if (other >= 0) p.device_of_stage[other] = here;
        bool accept = false;
        if (!cluster_constraint_violation(g, c, p)) {
          const auto trial = bottleneck_and_latency(costs, p);
          accept = trial.first < current.first ||
                   (trial.first == current.first && trial.second < current.second);
          if (accept) current = trial;
        }
        if (accept) {
          stage_on[d] = b;
          stage_on[here] = other;
          improved = true;
        } else {
          p.device_of_stage[b] = here;
          if (other >= 0) p.device_of_stage[other] = d;
        }
      }
    }
    if (!improved) break;
  }
}

// Merges consecutive non-empty stages (in pipeline order) onto the device of either while the
// bottleneck does not rise (with `keep_latency`, nor the latency) and the memory fits
// (docs/clusters.md, "Ties"): one device fewer each time.
void merge_stages(const ClusterCosts& costs, Partition& p, bool keep_latency,
                  const Stopwatch& clock, double time_limit, const RunSignals& signals) {
  const Graph& g = costs.graph();
  const Cluster& c = costs.cluster();
  auto current = bottleneck_and_latency(costs, p);
  for (bool merged = true; merged;) {
    merged = false;
    std::vector<int> used;
    for (int b = 0; b < p.k; ++b)
      if (p.device_of_stage[b] >= 0 &&
          std::find(p.stage_of.begin(), p.stage_of.end(), b) != p.stage_of.end())
        used.push_back(b);
    for (std::size_t i = 0; i + 1 < used.size() && !merged; ++i) {
      if (stop_requested(signals.stop) || clock.exceeded(time_limit)) return;
      const int first = used[i], second = used[i + 1];
      for (const int device : {p.device_of_stage[first], p.device_of_stage[second]}) {
        Partition trial = p;
        for (int& s : trial.stage_of)
          if (s == second) s = first;
        trial.device_of_stage[first] = device;
        trial.device_of_stage[second] = -1;
        if (cluster_constraint_violation(g, c, trial)) continue;
        const auto after = bottleneck_and_latency(costs, trial);
        if (after.first > current.first || (keep_latency && after.second > current.second))
          continue;
        p = std::move(trial);
        current = after;
        merged = true;
        break;
      }
    }
  }
}

void take_bound(Solution& s, const BoundResult& r) {
  s.bounds.push_back(r);
  if (r.value > s.lower_bound || s.lower_bound_method.empty()) {
    s.lower_bound = r.value;
    s.lower_bound_method = r.method;
  }
}

// `exact_search`: also run the downset DP (solve); without it only the heuristics (partition).
Solution slice_on_cluster(const ClusterCosts& costs, int k, std::uint64_t seed, double time_limit,
                          const std::string& prefer, bool exact_search, const RunControl& control) {
  const Graph& g = costs.graph();
  const Cluster& c = costs.cluster();
  const Stopwatch clock;
  Solution s;
  s.graph_name = g.name;
  s.k = k;
  s.seed = seed;
  s.cluster = c;
  // InfeasibleError when a node fits no device
  for (const BoundResult& r : node_and_work_bounds(g, c, k)) take_bound(s, r);
  const std::optional<std::vector<NodeId>> chain = chain_order(g);
  // The default order, then a few random topological orders on small graphs (a fixed number,
  // so that the answer does not depend on the machine's speed): one order's slicings miss
  // partitions that memory or colour classes make necessary. A chain has one order.
  // Tensors priced at the slowest link of the cluster (no real link is slower, so the slicing's
  // value bounds its true cost) and, as a second candidate, at the fastest (nearer the truth
  // when the stages can sit on one fast host).
  const auto [slowest, fastest] = link_extremes(c);
  std::vector<NodeId> order = topological_order(g);
  Slicing slicing = slice_with_classes(costs, order, k, slowest, clock, time_limit, control);
  const int extra_orders = chain ? 0 : g.num_nodes() <= 64 ? 32 : g.num_nodes() <= 512 ? 4 : 0;
  std::mt19937_64 rng(seed);
  for (int r = 0; r < extra_orders; ++r) {
    std::vector<NodeId> other = random_topological_order(g, rng);
    Slicing candidate = slice_with_classes(costs, other, k, slowest, clock, time_limit, control);
    if (candidate.value < slicing.value) {
      slicing = std::move(candidate);
      order = std::move(other);
    }
  }
  // Every candidate gets its devices refined and is judged by its exact cost on the cluster
  // (bottleneck, then latency): the slicings above, the fast-link slicing of the default order,
  // and the engines' splits, so that solve never returns worse than those.
  std::optional<Partition> found;
  std::pair<double, double> best_cost = {kInf, kInf};
  auto consider = [&](Partition p) {
    if (cluster_constraint_violation(g, c, p)) return;
    refine_devices(costs, p, clock, time_limit, control);
    const auto cost = bottleneck_and_latency(costs, p);
    if (!found || cost < best_cost) {
      found = std::move(p);
      best_cost = cost;
    }
  };
  auto consider_slicing = [&](const Slicing& sliced, const std::vector<NodeId>& sliced_order,
                              int host) {
    if (sliced.value == kInf) return;
    Partition p = partition_from_cuts(g, sliced_order, sliced.cuts);
    p.k = k;  // the slices are stages 0..slices-1; the stages beyond hold nothing
    place_on_devices(c, sliced.classes, p, host);
    consider(std::move(p));
  };
  consider_slicing(slicing, order, -1);
  if (fastest != slowest) {
    const std::vector<NodeId> default_order = topological_order(g);
    consider_slicing(
        slice_with_classes(costs, default_order, k, fastest, clock, time_limit, control),
        default_order, -1);
    // All stages on one host: its one bandwidth prices every tensor exactly.
    for (int h = 0; h < static_cast<int>(c.hosts.size()); ++h)
      consider_slicing(slice_with_classes(costs, default_order, k, c.host_bandwidth(h, h), clock,
                                          time_limit, control, h),
                       default_order, h);
  }
  for (const std::string& name : engine_split_names()) consider(engine_split(costs, k, name));
  s.algorithm =
      "cluster-slice (topological orders, class multisets, engines' splits, device "
      "refinement)";
  if (!chain && exact_search) {
    const double incumbent = found ? best_cost.first : kInf;
    const Stopwatch downset_clock;
    BoundResult r = downset_bound(costs, k, incumbent, s.lower_bound, clock, time_limit, control);
    r.seconds = downset_clock.seconds();
    if (r.partition) {
      const double before = best_cost.first;
      consider(std::move(*r.partition));
      r.partition.reset();
      if (best_cost.first < before)
        s.algorithm = "cluster-downset (DP over downsets and device types, device refinement)";
    }
    take_bound(s, r);
  }
  if (found && prefer != "none")
    merge_stages(costs, *found, prefer == "latency", clock, time_limit, control);
  if (chain) {
    const double incumbent = found ? evaluate_on_cluster(costs, *found).bottleneck : kInf;
    const ChainTies ties = prefer == "none"      ? ChainTies::none
                           : prefer == "latency" ? ChainTies::latency
                                                 : ChainTies::devices;
    BoundResult r = chain_bound(costs, *chain, k, incumbent, clock, time_limit, control, ties);
    if (r.partition) {
      found = std::move(r.partition);
      r.partition.reset();
      s.algorithm = "cluster-chain (exact DP over cuts and device types)";
    }
    take_bound(s, r);
  }
  if (!found) {
    if ((control.stop && control.stop->requested()) || clock.exceeded(time_limit))
      throw NoFeasiblePartitionError("no partition on cluster " + c.name +
                                     " found before the time limit");
    throw NoFeasiblePartitionError(
        "no slicing of the default topological order fits the "
        "memory of cluster " +
        c.name + "'s devices");
  }
  s.partition = std::move(*found);
  s.evaluation = non_empty_stages(evaluate_on_cluster(costs, s.partition));
  if (auto problem = cluster_constraint_violation(g, c, s.partition))
    throw std::logic_error("cluster slicing broke a constraint: " + *problem);
  if (s.lower_bound > s.bottleneck())
    throw std::logic_error("cluster bound " + std::to_string(s.lower_bound) +
                           " above the bottleneck " + std::to_string(s.bottleneck()));
  s.optimal = proves_optimal(s.lower_bound, s.bottleneck());
  s.stopped = control.stop && control.stop->requested();
  s.hit_time_limit = clock.exceeded(time_limit);
  s.seconds = clock.seconds();
  return s;
}

}  // namespace

Solution solve_on_cluster(const Graph& g, const Cluster& c, int k, const SolveOptions& options,
                          const RunControl& control) {
  check_k(c, k);
  const std::vector<std::string>& splits = engine_split_names();
  if (std::find(splits.begin(), splits.end(), options.partition.algorithm) != splits.end())
    return cluster_baseline(g, c, k, options.partition.algorithm);
  const ClusterCosts costs(g, c, g.name);
  if (c.homogeneous()) return solve_homogeneous(costs, k, options, control);
  return slice_on_cluster(costs, k, options.partition.seed, options.time_limit_seconds,
                          options.prefer, true, control);
}

Solution partition_on_cluster(const Graph& g, const Cluster& c, int k,
                              const PartitionOptions& options, const RunControl& control) {
  check_k(c, k);
  const std::vector<std::string>& splits = engine_split_names();
  if (std::find(splits.begin(), splits.end(), options.algorithm) != splits.end())
    return cluster_baseline(g, c, k, options.algorithm);
  const ClusterCosts costs(g, c, g.name);
  if (c.homogeneous())
    return on_cluster_devices(costs, partition_graph(reduced_graph(costs), k, options, control));
  return slice_on_cluster(costs, k, options.seed, options.time_limit_seconds, "devices", false,
                          control);
}

const std::vector<std::string>& cluster_baseline_names() { return engine_split_names(); }

Solution cluster_baseline(const Graph& g, const Cluster& c, int k, const std::string& name) {
  check_k(c, k);
  const auto& names = cluster_baseline_names();
  if (std::find(names.begin(), names.end(), name) == names.end())
    throw InputError("unknown baseline '" + name + "' (expected one of " + comma_list(names) + ")");
  const Stopwatch clock;
  const ClusterCosts costs(g, c, g.name);
  Solution s;
  s.graph_name = g.name;
  s.k = k;
  s.cluster = c;
  s.partition = engine_split(costs, k, name);
  if (auto problem = cluster_constraint_violation(g, c, s.partition))
    throw NoFeasiblePartitionError("the " + name + " split does not fit cluster " + c.name + ": " +
                                   *problem);
  s.evaluation = non_empty_stages(evaluate_on_cluster(costs, s.partition));
  for (const BoundResult& r : node_and_work_bounds(g, c, k)) take_bound(s, r);
  if (const auto chain = chain_order(g)) {
    BoundResult r = chain_bound(costs, *chain, k, s.bottleneck(), clock, 0, {});
    r.partition.reset();
    take_bound(s, r);
  }
  s.algorithm = name;
  s.optimal = proves_optimal(s.lower_bound, s.bottleneck());
  s.seconds = clock.seconds();
  return s;
}

BoundsReport compute_bounds_on_cluster(const Graph& g, const Cluster& c, int k,
                                       const std::vector<std::string>& methods,
                                       const BoundOptions& options, const RunControl& control) {
  check_k(c, k);
  for (const std::string& m : methods) bound_method(m);  // InputError for an unknown name
  const ClusterCosts costs(g, c, g.name);
  if (c.homogeneous()) return compute_bounds(reduced_graph(costs), k, methods, options, control);
  BoundsReport report;
  auto finish = [&](BoundResult r) {
    if (control.bound_finished) control.bound_finished(r);
    if (report.bounds.empty() || r.value > report.best.value) report.best = r;
    report.bounds.push_back(std::move(r));
  };
  try {
    for (BoundResult& r : cluster_lower_bounds(g, c, k, options.time_limit_seconds, control))
      finish(std::move(r));
  } catch (const InfeasibleError& e) {
    BoundResult r;
    r.method = "cluster";
    r.status = BoundStatus::infeasible;
    r.detail = e.what();
    finish(r);
    report.infeasible = e.what();
    return report;
  }
  for (const std::string& name : methods.empty() ? bound_method_names() : methods) {
    BoundResult r;
    r.method = name;
    r.status = BoundStatus::not_applicable;
    r.detail = "assumes identical devices and links (docs/clusters.md, \"Lower bound\")";
    finish(r);
  }
  return report;
}

}  // namespace pipecut
