#pragma once
// The "Predicted against measured" section of the HTML report (docs/report.md): the stage times
// of a pipecut.bench document next to the partition's predicted costs. Internal to the library.
#include <string>

#include "pipecut/io/pipeline_bench.hpp"
#include "pipecut/model/cost.hpp"
#include "pipecut/model/graph.hpp"

namespace pipecut::detail {

// Throws InputError naming `source` unless `bench` measured the stages of this partition: the
// same k, its non-empty stages in order, each with as many operators (graph nodes other than
// output ports, which have no operator of their own).
void check_bench_matches(const Graph& g, const Evaluation& e, int k, const BenchResult& bench,
                         const std::string& source);

// The <section> (grouped bars per stage, a table, the pipelined run when there is one).
std::string measured_section(const BenchResult& bench, const std::string& source);

}  // namespace pipecut::detail
