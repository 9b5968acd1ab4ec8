#pragma once
// A partition with its certificate: what partition, solve and evaluate hand back to every front
// end, and what the pipecut.partition JSON writer (io/partition_json.hpp) writes.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pipecut/bounds/bounds.hpp"
#include "pipecut/model/cluster.hpp"
#include "pipecut/model/cost.hpp"

namespace pipecut {

struct Solution {
  std::string graph_name;
  int k = 0;            // stages asked for; the partition may use fewer (stages may be empty)
  Partition partition;  // partition.k == k; every stage index in 0..k-1
  // Recomputed by the reference evaluator, never taken from an algorithm. `stages` lists the
  // non-empty stages only, in pipeline order, each with its stage index.
  Evaluation evaluation;
  double lower_bound = 0.0;        // valid for every partition into <= k stages; <= bottleneck
  std::string lower_bound_method;  // the bound method that gave it
  std::optional<bool> optimal;     // known after solve: lower bound within the proof tolerance
  std::string algorithm;           // how the partition was found, with parameters
  std::uint64_t seed = 0;
  double seconds = 0.0;             // wall time of the whole run
  bool hit_time_limit = false;      // stopped by the time limit before reaching the target
  bool stopped = false;             // stopped by a stop request (Ctrl-C) with the best so far
  std::vector<BoundResult> bounds;  // every bound method run, in order
  // The cluster the partition is on (docs/clusters.md): partition.device_of_stage indexes its
  // devices. None = k identical devices.
  std::optional<Cluster> cluster;

  [[nodiscard]] double bottleneck() const { return evaluation.bottleneck; }
  // lower_bound / bottleneck (1 when the bottleneck is 0: every partition is optimal).
  [[nodiscard]] double ratio() const;
};

}  // namespace pipecut
