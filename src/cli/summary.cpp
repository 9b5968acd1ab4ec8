#include "cli/summary.hpp"

#include <iomanip>

namespace pipecut::cli {

void print_stage_table(std::ostream& out, const Evaluation& e) {
  out << "  stage   nodes        work     comm_in    comm_out        cost\n";
  for (const StageCost& s : e.stages) {
    out << "  " << std::setw(5) << s.stage << std::setw(8) << s.nodes.size() << std::fixed
        << std::setprecision(4) << std::setw(12) << s.work << std::setw(12) << s.comm_in
        << std::setw(12) << s.comm_out << std::setw(12) << s.cost
        << (s.stage == e.bottleneck_stage ? "  <- bottleneck" : "") << "\n";
  }
  out << std::defaultfloat;
}

void print_partition_summary(std::ostream& out, const Graph& g, const PartitionReport& r) {
  out << "graph " << r.graph_name << ": " << g.num_nodes() << " nodes, " << g.num_edges()
      << " edges, total work " << g.total_work() << "; k = " << r.partition.k << "\n";
  out << "algorithm " << r.algorithm << " (seed " << r.seed << "), " << std::fixed
      << std::setprecision(3) << r.time_seconds << " s"
      << (r.hit_time_limit ? " (stopped at the time limit; best found so far)" : "") << "\n"
      << std::defaultfloat;
  print_stage_table(out, r.evaluation);
  out << std::setprecision(8) << "bottleneck  " << r.evaluation.bottleneck << "  ("
      << r.evaluation.stages_used << " of " << r.partition.k << " stages used)\n"
      << "lower bound " << r.lower_bound << "  (" << r.lower_bound_method << ")\n"
      << "ratio       " << std::setprecision(4) << std::fixed << r.ratio() << std::defaultfloat;
  if (r.optimal) out << (*r.optimal ? "  proven optimal" : "  not proven optimal");
  out << "\n";
}

}  // namespace pipecut::cli
