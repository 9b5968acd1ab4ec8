// The last step of the solve portfolio (docs/partitioning.md, "Ties"): among the partitions
// that reach the bottleneck found, the one --prefer asks for. The certificate is untouched: the
// bottleneck never rises, so every bound and "proven optimal" stay as they were.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "pipecut/model/cost.hpp"
#include "pipecut/partition/downset.hpp"
#include "solve/portfolio.hpp"

namespace pipecut::detail {

namespace {

// The non-empty stages of p, ascending. Nothing here is sized by k, which may be 2^31 - 1.
std::vector<int> used_stages(const Partition& p) {
  std::vector<int> used(p.stage_of);
  std::sort(used.begin(), used.end());
  used.erase(std::unique(used.begin(), used.end()), used.end());
  return used;
}

int stages_used(const Partition& p) { return static_cast<int>(used_stages(p).size()); }

// p with its non-empty stages renumbered 0, 1, ... in pipeline order, as a partition into just
// that many stages (evaluate_partition and the constraint checks are O(k)).
Partition compacted(const Partition& p) {
  const std::vector<int> used = used_stages(p);
  Partition out{static_cast<int>(used.size()), {}};
  out.stage_of.reserve(p.stage_of.size());
  for (int s : p.stage_of)
    out.stage_of.push_back(
        static_cast<int>(std::lower_bound(used.begin(), used.end(), s) - used.begin()));
  return out;
}

}  // namespace

// Merges two consecutive non-empty stages while neither the bottleneck nor the latency rises
// and the constraints hold. A merged stage costs at most the two together (the tensors between
// them stop being sent and received; every other stage keeps its cost), so each merge saves a
// device and never costs latency.
Partition Portfolio::merged_stages(Partition p) const {
  std::pair<double, double> current = bottleneck_and_latency(p);
  for (bool merged = true; merged && !stop_requested_now();) {
    merged = false;
    p = compacted(p);
    const int used = stages_used(p);
    for (int b = 0; b + 1 < used && !merged; ++b) {
      Partition trial = p;
      for (int& s : trial.stage_of)
        if (s > b) --s;  // stage b + 1 joins b; the later ones move up
      if (constraint_violation(g_, trial)) continue;
      const std::pair<double, double> after = bottleneck_and_latency(trial);
      if (after.first > current.first || after.second > current.second) continue;
      p = std::move(trial);
      current = after;
      merged = true;
    }
  }
  return p;
}

std::pair<double, double> Portfolio::bottleneck_and_latency(const Partition& p) const {
  const Evaluation e = evaluate_partition(g_, p);
  return {e.bottleneck, e.latency()};
}

// The fewest stages that reach `bottleneck`, when the exact DP can tell: one downset search for
// fewer stages than `p` uses gives the optimum with every smaller number j of stages
// (capped_optimum_by_stages); the least j whose optimum is within the bottleneck is searched
// again for its partition. Its cap is a little above the bottleneck, so that a tie (an optimum
// with fewer stages equal to the bottleneck, the case that matters) is computed, not capped.
// The DP's values are those of an exact-cost view, at most the graph's: each partition is
// evaluated on the graph and taken only if it reaches the bottleneck there too.
std::optional<Partition> Portfolio::fewest_stages(const Partition& p, double bottleneck) const {
  const int used = stages_used(p);
  if (used <= 1 || !(bottleneck > 0)) return std::nullopt;
  DownsetSearchOptions search;
  search.incumbent = bottleneck * (1 + 1e-6);
  search.stop = control_.stop;
  search.downset_limit = bound_options_.downset_limit;
  search.threads = options_.partition.threads;
  search.time_limit_seconds = remaining();
  const DownsetSearchResult row = downset_search(g_, used - 1, search);
  if (row.status != DownsetStatus::optimal) return std::nullopt;
  for (int j = 1; j < used && j < static_cast<int>(row.capped_optimum_by_stages.size()); ++j) {
    if (!(row.capped_optimum_by_stages[static_cast<std::size_t>(j)] <= bottleneck)) continue;
    search.time_limit_seconds = remaining();
    const DownsetSearchResult found = downset_search(g_, j, search);
    if (out_of_time()) return std::nullopt;
    if (found.status != DownsetStatus::optimal || !found.partition) continue;
    Partition candidate = compacted(*found.partition);
    if (partition_problem(g_, candidate) || constraint_violation(g_, candidate)) continue;
    if (evaluate_partition(g_, candidate).bottleneck <= bottleneck) return candidate;
  }
  return std::nullopt;
}

void Portfolio::break_ties() {
  if (options_.prefer == "none" || best_.stage_of.empty() || stop_requested_now()) return;
  const double bottleneck = bottleneck_;
  // Merging is cheap (O(k^2) evaluations): it runs even when the search used all the time.
  Partition p = merged_stages(compacted(best_));
  if (options_.prefer == "devices" && !out_of_time())
    if (std::optional<Partition> fewer = fewest_stages(p, bottleneck))
      p = merged_stages(std::move(*fewer));  // as few stages already: at most lowers latency
  // As few stages as p uses; run() gives the solution its k.
  const double value = evaluate_partition(g_, p).bottleneck;
  if (value > bottleneck) throw std::logic_error("ties: the bottleneck rose");
  best_ = std::move(p);
  bottleneck_ = value;
}

}  // namespace pipecut::detail
