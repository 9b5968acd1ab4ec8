#pragma once
// Human-readable summaries (constraints, stage table, bottleneck, bound, ratio).
#include <ostream>

#include "pipecut/solve/api.hpp"

namespace pipecut::cli {

void print_solution_summary(std::ostream& out, const Graph& g, const Solution& s);
// One line: the placement constraints in force (memory capacity, colour classes), or "none".
// With a cluster: each class's memory instead of the graph's capacity.
void print_constraints(std::ostream& out, const Graph& g, const Cluster* cluster = nullptr);
// The non-empty stages of `e`, one row each, the bottleneck marked; a memory column (against
// the capacity, when there is one) when the graph has node memory.
// With a cluster: each stage's device and class, and memory against its class's capacity.
void print_stage_table(std::ostream& out, const Graph& g, const Evaluation& e,
                       const Cluster* cluster = nullptr);
// The devices of the non-empty stages in pipeline order, and per host their local indices in
// that order (CUDA_VISIBLE_DEVICES=...), for pasting.
void print_device_order(std::ostream& out, const Cluster& c, const Partition& p);
// One line: the cluster's name, devices, classes and digest.
void print_cluster(std::ostream& out, const Cluster& c);

}  // namespace pipecut::cli
