#pragma once
// Training graphs (docs/training.md): the forward structure and the searches on it.
//
// On a graph with backward nodes only edges between two forward nodes constrain the stage
// order, and each backward node shares the stage of its colour class. The blocks of the
// placement constraints (model/constraints.hpp) are built from those edges, so a partition is
// a chain of downsets (ideals) of the block DAG of forward edges, and a stage is costed by the
// reference cost function on the whole graph: a tensor that crosses a stage boundary costs its
// comm once in every stage it touches, whichever way it flows. The searches here cost stages
// that way, incrementally, on the exact-cost view of the graph (model/numeric.hpp), so their
// sums never round.
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "pipecut/model/cost.hpp"
#include "pipecut/model/graph.hpp"
#include "pipecut/util/stop.hpp"

namespace pipecut {

// The activation stash of a training pipeline (docs/training.md, "Memory"): stage memory is the
// nodes' memory (weights, already scaled by any optimizer state) plus the stage's stash times
// the microbatches it holds in flight, which depends on its rank r among the used stages u:
// none under "inference", `microbatches` under "gpipe", min(u - r, microbatches) under "1f1b".
struct StashModel {
  enum class Schedule { inference, gpipe, one_f_one_b };
  Schedule schedule = Schedule::inference;
  int microbatches = 0;
  std::vector<double> stash;  // per node, bytes kept for backward; empty = none

  [[nodiscard]] bool active() const { return schedule != Schedule::inference && !stash.empty(); }
  // Microbatches in flight at rank r (0-based) of `used` non-empty stages.
  [[nodiscard]] double in_flight(int rank, int used) const;
};

// The stash model of `schedule` ("inference", "gpipe" or "1f1b") on g: a forward node with a
// backward consumer stashes its output tensor, `bytes` (0 when the graph gives no bytes).
// InputError when the schedule needs a microbatch count and `microbatches` < 1.
StashModel stash_model(const Graph& g, const std::string& schedule, int microbatches);

// Stage memory of every non-empty stage of a valid partition of g under `model`, by stage
// index (0 for an empty stage).
std::vector<double> training_stage_memory(const Graph& g, const Partition& p,
                                          const StashModel& model);

// g with every node's memory times 1 + factor, rounded up to a whole bit (docs/training.md,
// "Memory"). InputError when the total exceeds what pipecut sums exactly.
Graph with_optimizer_state(const Graph& g, double factor);

struct TrainingSearchOptions {
  StashModel memory;  // the stash on top of node memory (none by default)
  // Bottleneck of a partition that satisfies the placement constraints (+inf = none); stages
  // whose work exceeds it are not enumerated.
  double incumbent = std::numeric_limits<double>::infinity();
  double time_limit_seconds = 0;  // 0 = none
  const StopFlag* stop = nullptr;
  long long ideal_limit = 200'000;  // give up past this many downsets of the block DAG
  long long pair_limit = 0;         // give up past this many (downset, stage) pairs; 0 = none
  double memory_limit_bytes = 512.0 * (1 << 20);  // the DP table
};

enum class TrainingSearchStatus { optimal, infeasible, gave_up, time_limit };

struct TrainingSearchResult {
  TrainingSearchStatus status = TrainingSearchStatus::gave_up;
  // When optimal: the optimum on the exact-cost view (a valid lower bound on the graph's, equal
  // to it when the costs were exact), and a partition attaining it when one improves on the
  // incumbent (else none: the incumbent is optimal).
  double bottleneck = 0;
  std::optional<Partition> partition;
  long long ideals = 0;
  long long pairs = 0;
  std::string reason;  // why it stopped short, in one line
};

// The exact DP over chains of downsets of the forward block DAG (Tarnawski et al. 2020), with
// stage costs from the whole graph. `g` must be a training graph; k >= 1.
TrainingSearchResult training_downset_search(const Graph& g, int k,
                                             const TrainingSearchOptions& options);

// The best partition that cuts the forward blocks, in their topological numbering, into at most
// k consecutive runs (an optimal slicing of one order of the forward structure), or nullopt
// when none satisfies the memory capacity or the time ran out first.
std::optional<Partition> training_slicing(const Graph& g, int k, double time_limit_seconds = 0,
                                          const StopFlag* stop = nullptr,
                                          const StashModel& memory = {});

}  // namespace pipecut
