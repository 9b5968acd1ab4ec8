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

void print_constraints(std::ostream& out, const Graph& g) {
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

void print_stage_table(std::ostream& out, const Graph& g, const Evaluation& e) {
  const bool memory = g.memory_per_stage ||
                      std::any_of(g.memory.begin(), g.memory.end(), [](double m) { return m > 0; });
  out << "  stage   nodes        work     comm_in    comm_out        cost"
      << (memory ? "      memory" : "") << "\n";
  for (const StageCost& s : e.stages) {
    if (s.nodes.empty()) continue;
    out << "  " << std::setw(5) << s.stage << std::setw(8) << s.nodes.size() << std::fixed
        << std::setprecision(4) << std::setw(12) << s.work << std::setw(12) << s.comm_in
        << std::setw(12) << s.comm_out << std::setw(12) << s.cost;
    if (memory) {
      out << std::setw(12) << short_bytes(s.memory);
      if (g.memory_per_stage)
        out << std::setprecision(0) << std::setw(5) << 100 * s.memory / *g.memory_per_stage << "%";
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
  print_constraints(out, g);
  print_stage_table(out, g, s.evaluation);
  out << std::setprecision(8) << "bottleneck  " << s.bottleneck() << "  ("
      << s.evaluation.stages_used << " of " << s.k << " stages used)\n"
      << "lower bound " << s.lower_bound << "  (" << s.lower_bound_method << ")\n"
      << "ratio       " << std::setprecision(4) << std::fixed << s.ratio() << std::defaultfloat;
  if (s.optimal) out << (*s.optimal ? "  proven optimal" : "  not proven optimal");
  out << "\n";
}

}  // namespace pipecut::cli
