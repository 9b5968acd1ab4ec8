#pragma once
// Human-readable summaries (stage table, bottleneck, bound, ratio).
#include <ostream>

#include "pipecut/io/partition_json.hpp"

namespace pipecut::cli {

void print_partition_summary(std::ostream& out, const Graph& g, const PartitionReport& r);
void print_stage_table(std::ostream& out, const Evaluation& e);

}  // namespace pipecut::cli
