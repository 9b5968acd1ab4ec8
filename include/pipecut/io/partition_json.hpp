#pragma once
// `pipecut.partition` v1: the result of partition and solve, and the input of evaluate.
// Schema in docs/formats.md.
#include <optional>
#include <string>

#include "pipecut/io/file_util.hpp"
#include "pipecut/model/cost.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/model/graph.hpp"
#include "pipecut/solve/solution.hpp"

namespace pipecut {

// The pipecut.partition JSON document of `s` (pretty-printed with `indent` spaces; -1 = one
// line). Stage lists hold the non-empty stages only; `k` is the number of stages asked for.
// `memory_per_stage` and `colocation_groups` record the constraints the partition satisfies.
std::string solution_to_json(const Graph& g, const Solution& s, int indent = 2);

// The pipecut.partition document of an instance with no partition to show: `"feasible": false`
// and the one-line `reason`. `proven` says whether infeasibility is proven (InfeasibleError) or
// only no valid partition was found (NoFeasiblePartitionError).
std::string infeasible_to_json(const Graph& g, int k, const std::string& reason, bool proven,
                               int indent = 2);

// The pipecut.bounds JSON document of a bound run; with `infeasible` (a proof), the document
// says `"feasible": false` and gives the proof as `reason`.
std::string bounds_to_json(const Graph& g, int k, const std::vector<BoundResult>& bounds,
                           const std::optional<std::string>& infeasible = std::nullopt,
                           int indent = 2);

// A well-formed partition file that does not partition `g`: an id `g` lacks, or a node of `g`
// not assigned. When the file names another graph ("graph") than `g`'s, the message says so
// ("partition is for graph X, not Y") instead of naming one node. `evaluate` answers such a file
// with "invalid" (exit 1), the commands that need a partition of `g` with an input error.
class PartitionMismatchError : public InputError {
 public:
  PartitionMismatchError(const std::string& path, std::string reason)
      : InputError(path + ": " + reason), reason_(std::move(reason)) {}
  // The message without the file name.
  [[nodiscard]] const std::string& reason() const { return reason_; }

 private:
  std::string reason_;
};

// Reads the `assignment` of a partition file against `g`: every node must be assigned and ids
// must exist (PartitionMismatchError otherwise). `k` must be an integer in 1..2^31-1 and every
// stage an integer that fits an int (numbers outside these ranges are errors, never wrapped);
// whether stages are below k is left to partition_problem. The file may hold at most
// `max_input_bytes` (after gzip; 0 = no cap). Throws InputError naming `path`.
// With a `cluster`, the file's "devices" (one device name per stage, null for an empty stage)
// become device_of_stage: a file without them, or naming a device the cluster lacks, is a
// PartitionMismatchError. Without one, a file that has devices is an InputError (it needs
// its cluster to be costed).
Partition read_partition_assignment(const Graph& g, const std::string& path,
                                    std::uint64_t max_input_bytes = kDefaultMaxInputBytes,
                                    const Cluster* cluster = nullptr);
// The same from the file's text; `source` names it in messages.
Partition parse_partition_assignment(const Graph& g, const std::string& text,
                                     const std::string& source, const Cluster* cluster = nullptr);

// The cluster a partition file records ("cluster": name and digest), or nullopt.
struct PartitionFileCluster {
  std::string name;
  std::string digest;
};
std::optional<PartitionFileCluster> partition_file_cluster(const std::string& text,
                                                           const std::string& source);

// Reads a whole partition file against `g` into a Solution: the assignment as above, k, and the
// fields that partition and solve write — graph, lower_bound, lower_bound_method, optimal,
// algorithm, seed, time_seconds, hit_time_limit, stopped, bounds — each optional (a missing
// bound reads as 0 with an empty method, so a hand-written file with format, k and assignment is
// accepted). Costs in the file are never trusted: `evaluation` is left empty; cost the partition
// with evaluate() (solve/api.hpp). Throws InputError naming `path` for a malformed file or a
// field of the wrong type. With a `cluster`, the file's devices are read as
// read_partition_assignment reads them and `cluster` is set to it.
Solution read_solution(const Graph& g, const std::string& path,
                       std::uint64_t max_input_bytes = kDefaultMaxInputBytes,
                       const Cluster* cluster = nullptr);
// The same from the file's text; `source` names it in messages.
Solution parse_solution(const Graph& g, const std::string& text, const std::string& source,
                        const Cluster* cluster = nullptr);

// The lower bound a partition file carries, when it holds for `g`: a bound is proven for the
// costs and constraints it was computed with, so it is kept only when the file records, for its
// partition, exactly the stage costs (work, comm_in, comm_out, cost of every non-empty stage)
// and bottleneck that `g` gives it, the same memory capacity and colour classes, and a bound not
// above that bottleneck. Otherwise (a file solved with another --device, --profile or capacity,
// or without a bound) nullopt, with the reason in `why` when given (left empty when the file
// has no bound). `p` must be the file's partition, valid for `g`. With a `cluster`, the costs
// compared are those on the cluster (evaluate_on_cluster), the file must record that cluster's
// digest, and the graph's capacity is not compared (the cluster's classes give it).
struct PartitionFileBound {
  double value = 0;
  std::string method;
};
std::optional<PartitionFileBound> partition_file_bound(const Graph& g, const Partition& p,
                                                       const std::string& path,
                                                       std::string* why = nullptr,
                                                       const Cluster* cluster = nullptr);

}  // namespace pipecut
