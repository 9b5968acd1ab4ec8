#include "support/cluster_oracle.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>

#include "support/oracle.hpp"

namespace pipecut::testing {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Node v's time on class c: its map's entry, else its number over the class's speed.
double node_time(const Graph& g, const Cluster& c, NodeId v, int cls) {
  for (std::size_t x = 0; x < g.work_classes.size(); ++x)
    if (g.work_classes[x] == c.classes[cls].name) {
      const double t = g.class_work[v * g.work_classes.size() + x];
      if (!std::isnan(t)) return t;
    }
  return g.work[v] / c.classes[cls].speed;
}

double link(const Cluster& c, int a, int b) {
  const int ha = c.devices[a].host, hb = c.devices[b].host;
  if (ha == hb) return c.hosts[ha].bandwidth_gbps;
  if (!c.link_gbps.empty() && c.link_gbps[ha][hb] > 0) return c.link_gbps[ha][hb];
  return c.network_bandwidth_gbps;
}

double tensor_time(const Graph& g, NodeId u, double gbps) {
  if (!g.bytes.empty() && g.bytes[u] >= 0) return g.bytes[u] / (gbps * 1e6);
  return g.comm[u];
}

}  // namespace

namespace {

struct OracleCosts {
  double bottleneck = 0;
  double latency = 0;  // the sum of the non-empty stages' costs
};

std::optional<OracleCosts> oracle_costs(const Graph& g, const Cluster& c, const Partition& p) {
  const int n = g.num_nodes();
  for (NodeId u = 0; u < n; ++u)
    for (NodeId v : g.successors(u))
      if (p.stage_of[u] > p.stage_of[v]) return std::nullopt;
  for (NodeId u = 0; u < n; ++u)
    for (NodeId v = 0; v < n; ++v)
      if (!g.colour_class.empty() && g.colour_class[u] >= 0 &&
          g.colour_class[u] == g.colour_class[v] && p.stage_of[u] != p.stage_of[v])
        return std::nullopt;
  double bottleneck = 0, latency = 0;
  for (int b = 0; b < p.k; ++b) {
    std::vector<NodeId> members;
    for (NodeId v = 0; v < n; ++v)
      if (p.stage_of[v] == b) members.push_back(v);
    if (members.empty()) continue;
    const int d = p.device_of_stage[b];
    if (d < 0) return std::nullopt;
    for (int b2 = 0; b2 < p.k; ++b2)
      if (b2 != b && p.device_of_stage[b2] == d &&
          std::count(p.stage_of.begin(), p.stage_of.end(), b2) > 0)
        return std::nullopt;
    const int cls = c.devices[d].device_class;
    double cost = 0, memory = 0;
    for (NodeId v : members) {
      cost += node_time(g, c, v, cls);
      memory += g.memory[v];
    }
    if (memory > c.classes[cls].memory) return std::nullopt;
    for (NodeId u = 0; u < n; ++u) {
      bool read_here = false;
      double slowest_send = 0;
      for (NodeId v : g.successors(u)) {
        if (p.stage_of[v] == b) read_here = true;
        if (p.stage_of[u] == b && p.stage_of[v] != b)
          slowest_send = std::max(slowest_send,
                                  tensor_time(g, u, link(c, d, p.device_of_stage[p.stage_of[v]])));
      }
      if (p.stage_of[u] != b && read_here)
        cost += tensor_time(g, u, link(c, p.device_of_stage[p.stage_of[u]], d));
      cost += slowest_send;
    }
    bottleneck = std::max(bottleneck, cost);
    latency += cost;
  }
  return OracleCosts{bottleneck, latency};
}

}  // namespace

std::optional<double> cluster_oracle_bottleneck(const Graph& g, const Cluster& c,
                                                const Partition& p) {
  const auto costs = oracle_costs(g, c, p);
  if (!costs) return std::nullopt;
  return costs->bottleneck;
}

std::optional<double> cluster_oracle_latency(const Graph& g, const Cluster& c, const Partition& p) {
  const auto costs = oracle_costs(g, c, p);
  if (!costs) return std::nullopt;
  return costs->latency;
}

ClusterOptimum cluster_brute_force(const Graph& g, const Cluster& c, int k) {
  const int n = g.num_nodes();
  const int stages = std::min({k, c.num_devices(), n});
  ClusterOptimum best;
  best.bottleneck = kInf;
  std::vector<NodeId> order = topological_order(g);
  struct Seen {
    double bottleneck;
    int devices;
    double latency;
  };
  std::vector<Seen> seen;
  Partition p;
  p.k = stages;
  p.stage_of.assign(n, 0);
  // Devices for stages 0..used-1, all distinct: every injective sequence.
  std::vector<int> devices(stages, -1);
  std::vector<char> taken(c.num_devices(), 0);
  std::function<void(int, int)> place = [&](int b, int used) {
    if (b == used) {
      p.device_of_stage = devices;
      ++best.candidates;
      const auto value = oracle_costs(g, c, p);
      if (!value) return;
      seen.push_back({value->bottleneck, used, value->latency});
      if (value->bottleneck < best.bottleneck) {
        best.bottleneck = value->bottleneck;
        best.best = p;
        best.feasible = true;
      }
      return;
    }
    for (int d = 0; d < c.num_devices(); ++d) {
      if (taken[d]) continue;
      // Devices of one type (class, host) are interchangeable: take the first free one.
      bool earlier_twin = false;
      for (int e = 0; e < d; ++e)
        earlier_twin =
            earlier_twin || (!taken[e] && c.devices[e].device_class == c.devices[d].device_class &&
                             c.devices[e].host == c.devices[d].host);
      if (earlier_twin) continue;
      taken[d] = 1;
      devices[b] = d;
      place(b + 1, used);
      taken[d] = 0;
      devices[b] = -1;
    }
  };
  std::function<void(int)> assign = [&](int i) {
    if (i == n) {
      // Only assignments whose non-empty stages are 0..used-1: the others are renumberings.
      int used = 0;
      for (int s : p.stage_of) used = std::max(used, s + 1);
      for (int s = 0; s < used; ++s)
        if (std::find(p.stage_of.begin(), p.stage_of.end(), s) == p.stage_of.end()) return;
      place(0, used);
      return;
    }
    const NodeId v = order[i];
    int lowest = 0;
    for (NodeId u : g.predecessors(v)) lowest = std::max(lowest, p.stage_of[u]);
    for (int s = lowest; s < stages; ++s) {
      p.stage_of[v] = s;
      assign(i + 1);
    }
    p.stage_of[v] = 0;
  };
  assign(0);
  // The ties: fewest devices among the optimal partitions, then the least latency among those.
  for (const Seen& x : seen)
    if (x.bottleneck == best.bottleneck) {
      best.fewest_devices = std::min(best.fewest_devices, x.devices);
      best.least_latency_overall = std::min(best.least_latency_overall, x.latency);
    }
  for (const Seen& x : seen)
    if (x.bottleneck == best.bottleneck && x.devices == best.fewest_devices)
      best.least_latency = std::min(best.least_latency, x.latency);
  if (best.feasible) {
    // As a partition into k stages: the stages beyond hold nothing.
    best.best.k = k;
    best.best.device_of_stage.resize(k, -1);
  }
  return best;
}

ClusterInstance random_cluster_instance(std::uint64_t seed, int max_nodes, bool chain) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  ClusterInstance out;
  Cluster& c = out.cluster;
  // Names by append: GCC 12 at -O3 warns falsely (-Wrestrict) on "literal" + std::to_string.
  c.name = std::string("random-").append(std::to_string(seed));
  const int classes = pick(1, 3);
  const double speeds[] = {0.25, 0.5, 1, 2, 4};
  for (int x = 0; x < classes; ++x)
    c.classes.push_back({std::string("c").append(std::to_string(x)),
                         static_cast<double>(pick(4, 16)), speeds[pick(0, 4)], ""});
  const int hosts = pick(1, 2);
  const double bandwidths[] = {1, 2, 4, 8};
  for (int h = 0; h < hosts; ++h)
    c.hosts.push_back({std::string("h").append(std::to_string(h)), bandwidths[pick(0, 3)]});
  c.network_bandwidth_gbps = bandwidths[pick(0, 3)];
  if (hosts == 2 && pick(0, 1)) c.link_gbps = {{0, 2}, {2, 0}};
  const int devices = pick(1, 4);
  std::vector<int> on_host(hosts, 0);
  for (int d = 0; d < devices; ++d) {
    const int h = pick(0, hosts - 1);
    c.devices.push_back(
        {c.hosts[h].name + ":" + std::to_string(on_host[h]), pick(0, classes - 1), h, on_host[h]});
    ++on_host[h];
  }
  // Devices listed host by host, as the reader lists them.
  std::stable_sort(c.devices.begin(), c.devices.end(),
                   [](const ClusterDevice& a, const ClusterDevice& b) { return a.host < b.host; });

  RandomGraphOptions options;
  options.nodes = pick(2, max_nodes);
  options.edge_probability = 0.4;
  const Graph base = random_dag(seed * 7919 + 1, options);
  GraphBuilder b("random", "random");
  const bool maps = pick(0, 2) == 0, with_bytes = pick(0, 1) == 1;
  for (NodeId v = 0; v < base.num_nodes(); ++v) {
    NodeSpec s = node(base.ids[v], base.work[v], base.comm[v]);
    s.memory = pick(0, 6);
    if (maps && pick(0, 1))
      for (int x = 0; x < classes; ++x) s.class_work.emplace_back(c.classes[x].name, pick(0, 6));
    if (with_bytes && pick(0, 2)) s.bytes = 1e6 * pick(0, 8);  // 1 MB over 1 GB/s is 1 ms
    b.add_node(std::move(s));
  }
  if (chain) {
    for (NodeId u = 0; u + 1 < base.num_nodes(); ++u) b.add_edge(u, u + 1);
  } else {
    for (NodeId u = 0; u < base.num_nodes(); ++u)
      for (NodeId v : base.successors(u)) b.add_edge(u, v);
  }
  out.graph = std::move(b).build();
  return out;
}

Graph with_node_cost_factors(Graph g, const std::vector<double>& factor) {
  const std::size_t classes = g.work_classes.size();
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    const double f = factor[static_cast<std::size_t>(v)];
    g.work[v] *= f;
    g.comm[v] *= f;
    for (std::size_t x = 0; x < classes; ++x) g.class_work[v * classes + x] *= f;  // NaN stays
    if (!g.bytes.empty() && g.bytes[v] >= 0) g.bytes[v] *= f;
  }
  return g;
}

bool same_cost(double a, double b) {
  return std::abs(a - b) <= 1e-12 * std::max(std::abs(a), std::abs(b));
}

bool at_most_cost(double a, double b) { return a <= b || same_cost(a, b); }

}  // namespace pipecut::testing
