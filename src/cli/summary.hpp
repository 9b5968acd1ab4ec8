#pragma once
// Human-readable summaries (stage table, bottleneck, bound, ratio).
#include <ostream>

#include "pipecut/solve/api.hpp"

namespace pipecut::cli {

void print_solution_summary(std::ostream& out, const Graph& g, const Solution& s);
// The non-empty stages of `e`, one row each, the bottleneck marked.
void print_stage_table(std::ostream& out, const Evaluation& e);

}  // namespace pipecut::cli
