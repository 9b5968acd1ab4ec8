#pragma once
// `pipecut.partition` v1: the result of partition/solve, and the input of evaluate.
// Schema in docs/formats.md.
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "pipecut/model/cost.hpp"
#include "pipecut/model/graph.hpp"

namespace pipecut {

struct PartitionReport {
  std::string graph_name;
  Partition partition;
  Evaluation evaluation;       // recomputed by evaluate_partition, never trusted from input
  double lower_bound = 0.0;
  std::string lower_bound_method;
  std::string algorithm;
  std::uint64_t seed = 0;
  double time_seconds = 0.0;
  bool hit_time_limit = false;
  std::optional<bool> optimal;  // written when known (solve)
  [[nodiscard]] double ratio() const;  // lower_bound / bottleneck (1 when bottleneck is 0)
};

nlohmann::json partition_report_to_json(const Graph& g, const PartitionReport& r);

// Reads the `assignment` of a partition file against `g`: every node must be assigned, ids must
// exist, stages must be integers in 0..k-1. Throws InputError naming `path`.
Partition read_partition_assignment(const Graph& g, const std::string& path);

}  // namespace pipecut
