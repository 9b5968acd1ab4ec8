#include "cli/summary.hpp"

#include <iomanip>

namespace pipecut::cli {

void print_stage_table(std::ostream& out, const Evaluation& e) {
  out << "  stage   nodes        work     comm_in    comm_out        cost\n";
  for (const StageCost& s : e.stages) {
    if (s.nodes.empty()) continue;
    out << "  " << std::setw(5) << s.stage << std::setw(8) << s.nodes.size() << std::fixed
        << std::setprecision(4) << std::setw(12) << s.work << std::setw(12) << s.comm_in
        << std::setw(12) << s.comm_out << std::setw(12) << s.cost
        << (s.stage == e.bottleneck_stage ? "  <- bottleneck" : "") << "\n";
  }
  out << std::defaultfloat;
}

void print_solution_summary(std::ostream& out, const Graph& g, const Solution& s) {
  out << "graph " << s.graph_name << ": " << g.num_nodes() << " nodes, " << g.num_edges()
      << " edges, total work " << g.total_work() << "; k = " << s.k << "\n";
  out << "algorithm " << s.algorithm << " (seed " << s.seed << "), " << std::fixed
      << std::setprecision(3) << s.seconds << " s";
  if (s.stopped) out << " (interrupted; best found so far)";
  else if (s.hit_time_limit) out << " (stopped at the time limit; best found so far)";
  out << "\n" << std::defaultfloat;
  print_stage_table(out, s.evaluation);
  out << std::setprecision(8) << "bottleneck  " << s.bottleneck() << "  ("
      << s.evaluation.stages_used << " of " << s.k << " stages used)\n"
      << "lower bound " << s.lower_bound << "  (" << s.lower_bound_method << ")\n"
      << "ratio       " << std::setprecision(4) << std::fixed << s.ratio() << std::defaultfloat;
  if (s.optimal) out << (*s.optimal ? "  proven optimal" : "  not proven optimal");
  out << "\n";
}

}  // namespace pipecut::cli
