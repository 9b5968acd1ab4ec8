#include "cli/summary.hpp"

#include <algorithm>
#include <cstdio>
#include <iomanip>
#include <string>

namespace pipecut::cli {

namespace {

// Bytes in binary units with three significant digits: "1.2 GiB".
std::string short_bytes(double bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 5) {
    bytes /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.3g %s", bytes, units[unit]);
  return text;
}

}  // namespace

void print_constraints(std::ostream& out, const Graph& g, const Cluster* cluster) {
  if (cluster) {
    // The cluster's classes give each device's memory (docs/clusters.md).
    out << "constraints memory <= the device's class:";
    for (const DeviceClass& k : cluster->classes)
      out << " " << k.name << " " << short_bytes(k.memory) << " (speed " << k.speed << ")";
    if (!g.colour_labels.empty())
      out << "; " << g.colour_labels.size() << " colour class"
          << (g.colour_labels.size() == 1 ? "" : "es") << " kept in one stage each";
    out << "\n";
    return;
  }
  const bool memory = g.memory_per_stage.has_value();
  const bool classes = !g.colour_labels.empty();
  out << "constraints ";
  if (!memory && !classes) {
    out << "none\n";
    return;
  }
  if (memory)
    out << "memory <= " << short_bytes(*g.memory_per_stage)
        << " per stage (node memory: weights and folded constants; activations not counted)";
  if (memory && classes) out << "; ";
  if (classes)
    out << g.colour_labels.size() << " colour class" << (g.colour_labels.size() == 1 ? "" : "es")
        << " kept in one stage each";
  out << "\n";
}

void print_cluster(std::ostream& out, const Cluster& c) {
  out << "cluster " << c.name << ": " << c.num_devices() << " device"
      << (c.num_devices() == 1 ? "" : "s") << " of " << c.classes.size() << " class"
      << (c.classes.size() == 1 ? "" : "es") << " on " << c.hosts.size() << " host"
      << (c.hosts.size() == 1 ? "" : "s") << " (digest " << c.digest.substr(0, 12) << ")\n";
}

void print_device_order(std::ostream& out, const Cluster& c, const Partition& p) {
  // Pipeline order of the devices, then per host the local indices in that order, as
  // CUDA_VISIBLE_DEVICES takes them (docs/clusters.md).
  out << "devices    ";
  std::vector<std::vector<int>> per_host(c.hosts.size());
  bool first = true;
  for (int d : p.device_of_stage) {
    if (d < 0) continue;
    out << (first ? "" : ",") << c.devices[d].name;
    first = false;
    per_host[c.devices[d].host].push_back(c.devices[d].index_on_host);
  }
  out << "\n";
  for (std::size_t h = 0; h < per_host.size(); ++h) {
    if (per_host[h].empty()) continue;
    out << "  on " << c.hosts[h].name << ": CUDA_VISIBLE_DEVICES=";
    for (std::size_t i = 0; i < per_host[h].size(); ++i) out << (i ? "," : "") << per_host[h][i];
    out << "\n";
  }
}

void print_stage_table(std::ostream& out, const Graph& g, const Evaluation& e,
                       const Cluster* cluster) {
  const bool memory = g.memory_per_stage || cluster ||
                      std::any_of(g.memory.begin(), g.memory.end(), [](double m) { return m > 0; });
  out << "  stage   nodes" << (cluster ? "      device       class" : "")
      << "        work     comm_in    comm_out        cost" << (memory ? "      memory" : "")
      << "\n";
  for (const StageCost& s : e.stages) {
    if (s.nodes.empty()) continue;
    out << "  " << std::setw(5) << s.stage << std::setw(8) << s.nodes.size();
    const DeviceClass* device_class = nullptr;
    if (cluster && s.device >= 0) {
      const ClusterDevice& d = cluster->devices[s.device];
      device_class = &cluster->classes[d.device_class];
      out << std::setw(12) << d.name << std::setw(12) << device_class->name;
    }
    out << std::fixed << std::setprecision(4) << std::setw(12) << s.work << std::setw(12)
        << s.comm_in << std::setw(12) << s.comm_out << std::setw(12) << s.cost;
    if (memory) {
      out << std::setw(12) << short_bytes(s.memory);
      const std::optional<double> capacity =
          device_class ? std::optional<double>(device_class->memory) : g.memory_per_stage;
      if (capacity)
        out << std::setprecision(0) << std::setw(5) << 100 * s.memory / *capacity << "%";
    }
    out << (s.stage == e.bottleneck_stage ? "  <- bottleneck" : "") << "\n";
  }
  out << std::defaultfloat;
}

void print_solution_summary(std::ostream& out, const Graph& g, const Solution& s) {
  out << "graph " << s.graph_name << ": " << g.num_nodes() << " nodes, " << g.num_edges()
      << " edges, total work " << g.total_work() << "; k = " << s.k << "\n";
  out << "algorithm " << s.algorithm << " (seed " << s.seed << "), " << std::fixed
      << std::setprecision(3) << s.seconds << " s";
  if (s.stopped)
    out << " (interrupted; best found so far)";
  else if (s.hit_time_limit)
    out << " (stopped at the time limit; best found so far)";
  out << "\n" << std::defaultfloat;
  if (s.cluster) print_cluster(out, *s.cluster);
  print_constraints(out, g, s.cluster ? &*s.cluster : nullptr);
  print_stage_table(out, g, s.evaluation, s.cluster ? &*s.cluster : nullptr);
  out << std::setprecision(8) << "bottleneck  " << s.bottleneck() << "  ("
      << s.evaluation.stages_used << " of " << s.k << " stages used)\n"
      << "lower bound " << s.lower_bound << "  (" << s.lower_bound_method << ")\n"
      << "ratio       " << std::setprecision(4) << std::fixed << s.ratio() << std::defaultfloat;
  if (s.optimal) out << (*s.optimal ? "  proven optimal" : "  not proven optimal");
  out << "\n";
  out << std::setprecision(8) << "latency     " << s.evaluation.latency()
      << "  (sum of the stage costs; --prefer weighs it after the bottleneck)\n";
  if (s.cluster) print_device_order(out, *s.cluster, s.partition);
}

}  // namespace pipecut::cli
