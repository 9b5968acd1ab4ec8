#pragma once
// Human-readable summaries (constraints, stage table, bottleneck, bound, ratio).
#include <ostream>

#include "pipecut/solve/api.hpp"

namespace pipecut::cli {

void print_solution_summary(std::ostream& out, const Graph& g, const Solution& s);
// One line: the placement constraints in force (memory capacity, colour classes), or "none".
void print_constraints(std::ostream& out, const Graph& g);
// The non-empty stages of `e`, one row each, the bottleneck marked; a memory column (against
// the capacity, when there is one) when the graph has node memory.
void print_stage_table(std::ostream& out, const Graph& g, const Evaluation& e);

}  // namespace pipecut::cli
