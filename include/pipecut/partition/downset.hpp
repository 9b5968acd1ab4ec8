#pragma once
// Exact search over chains of downsets (Tarnawski et al., NeurIPS 2020; docs/bounds.md), the engine
// behind the `downset` bound and the exact steps of the multilevel partitioner.
//
// A pipeline partition is a chain of downsets {} = I_0 <= I_1 <= ... <= I_k = V with stage
// b = I_b \ I_{b-1}, so F_b(I) = min over downsets J <= I of max(F_{b-1}(J), f(I \ J)) and the
// optimum is F_k(V). The search works on *units*: sets of nodes that stay together (the blocks
// of the placement constraints, or coarser convex clusters given by the caller), so it returns
// the best partition that keeps every unit whole. With the blocks as units that is the optimum.
//
// Exact reductions (model/reductions.hpp) shrink the search without changing the optimum:
// reducible sinks join their producer's unit, islands join a unit of their choice, and floating
// sources are not searched at all: a downset holds one iff it holds one of its consumers (so it
// sits in the stage of its earliest consumer).
//
// Cost: the downsets of the unit DAG are enumerated breadth first (ids grow with size); for each
// downset I every sub-downset J with w(I \ J) <= the incumbent is visited once (a removal search
// that never revisits a set), and the k values F_1..F_k(I) are updated on the fly, so memory is
// O(downsets * (words + k)) and no (I, J) pair is stored. Exponential in the width of the unit
// DAG: it counts downsets and pairs as it goes and gives up cleanly past its limits.
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "pipecut/model/cost.hpp"
#include "pipecut/model/graph.hpp"
#include "pipecut/util/stop.hpp"

namespace pipecut {

// A rebate on stage costs, for bounds that search a relaxation of a graph (docs/bounds.md,
// "split", "B's receives"): a stage that holds a `rebated` node and no `blocking` node costs
// max(0, amount - sum of `saving` over its rebated nodes) less. With a rebate the search returns
// the optimum of the rebated costs, not of the graph's (its partition is evaluated for real).
// Every entry is per node; savings are >= 0, and rebated nodes must not be floating leaves.
// The caller guarantees that a stage with a rebate receives at least `amount` (its pruning
// relies on it), except in at most one stage of any partition (the one holding the producer of
// the tensor the rebate stands for).
struct StageRebate {
  double amount = 0;           // 0 = no rebate
  std::vector<char> rebated;   // nodes that make a stage eligible
  std::vector<char> blocking;  // nodes that cancel the rebate of their stage
  std::vector<double> saving;  // what each rebated node takes off the amount
};

struct DownsetSearchOptions {
  // Bottleneck of a partition that satisfies the placement constraints (and keeps the units
  // whole); stages costlier than it are never enumerated. +inf = none: the optimal slicing of one
  // topological order provides it (or, when that order has no valid slicing, every stage within
  // the capacity is enumerated, which lets the search prove infeasibility).
  double incumbent = std::numeric_limits<double>::infinity();
  std::optional<Partition> warm_start;  // a partition with bottleneck `incumbent`
  // A lower bound on the optimum with k stages (0 = none); it must not exceed the optimum. Stages
  // that can only improve a prefix's value where it is already at most the floor are skipped:
  // the optimum, the returned partition and capped_optimum_by_stages stay exact.
  double floor = 0;
  double time_limit_seconds = 0;  // 0 = none
  const StopFlag* stop = nullptr;
  long long downset_limit = 1'000'000;  // give up past this many downsets
  long long pair_limit = 0;             // give up past this many (downset, stage) pairs; 0 = none
  double memory_limit_bytes = 512.0 * (1 << 20);  // downset table and DP values together
  bool reductions = true;                         // apply the exact leaf reductions
  int threads = 1;  // worker threads (0 = all cores); never changes a result
  // Units, one id per node (empty = the blocks of the placement constraints). Every unit must be
  // a union of blocks, convex, and the units' quotient graph acyclic (InputError otherwise).
  std::vector<int> unit_of;
  StageRebate rebate;  // none by default
};

enum class DownsetStatus {
  optimal,     // `bottleneck` is the optimum over partitions that keep the units whole
  infeasible,  // no chain of at most k stages satisfies the constraints (only without incumbent)
  gave_up,     // too many downsets or pairs, or out of memory budget (`reason` says which)
  time_limit,  // stopped by the time limit or the stop flag
};

// Why a search stopped short of the optimum.
enum class DownsetStop {
  none,                 // it finished (status optimal)
  infeasible,           // no chain of at most k stages satisfies the constraints
  downset_limit,        // more downsets than downset_limit: the graph is too wide
  memory_budget,        // the downset table outgrew memory_limit_bytes
  enumeration_time,     // the time limit struck while the downsets were enumerated
  stage_time_estimate,  // a sample of its stages said they would take far longer than is left
  pair_limit,           // more (downset, stage) pairs than pair_limit
  stage_time,           // the time limit struck while the stages were costed
};

struct DownsetSearchResult {
  DownsetStatus status = DownsetStatus::gave_up;
  // When optimal: the optimum of the exact-cost view of the graph (model/numeric.hpp), whose
  // sums are exact: a valid lower bound on the graph's optimum as it is, and equal to it when
  // the costs were already exact. A partition attaining it, with its bottleneck on the graph as
  // given in `partition_bottleneck`. When the incumbent was already optimal, `partition` is the
  // warm start (or the optimal slicing found for the incumbent).
  double bottleneck = 0.0;
  std::optional<Partition> partition;
  double partition_bottleneck = 0.0;
  // When optimal: entry j (1 <= j < size) is min(optimum with at most j stages, `cap`), where
  // `cap` is the incumbent the search ran with (an upper bound on the k-stage optimum; +inf when
  // it ran without one, and +inf entries then mean that no chain of j stages exists): an entry
  // equal to a finite cap means "at least cap". More stages than size() - 1 cannot do better
  // than the last entry (at most one non-empty stage per unit); entry 0 is +inf. Values of the
  // exact-cost view, like `bottleneck`.
  std::vector<double> capped_optimum_by_stages;
  double cap = std::numeric_limits<double>::infinity();
  long long downsets = 0;
  long long pairs = 0;
  int units = 0;             // units searched (floating sources excluded)
  int floating_sources = 0;  // reductions applied
  int reduced_sinks = 0;
  DownsetStop stop = DownsetStop::none;
  std::string reason;  // `stop` in one line for humans
};

DownsetSearchResult downset_search(const Graph& g, int k, const DownsetSearchOptions& options);

}  // namespace pipecut
