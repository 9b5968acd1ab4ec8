#pragma once
// The solve portfolio (docs/partitioning.md, "The solve portfolio"): the steps of `solve`, in
// the order they run, each with a named share of the time left. solve() in solve.cpp is
// Portfolio(...).run().
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pipecut/model/constraints.hpp"
#include "pipecut/model/numeric.hpp"
#include "pipecut/model/reductions.hpp"
#include "pipecut/solve/solve.hpp"
#include "pipecut/util/stopwatch.hpp"

namespace pipecut::detail {

// Each step's time limit, as a fraction of the time left when it starts (of the whole limit
// for the partition search). The numbers are the whole tuning of the sequence.
struct PortfolioShares {
  static constexpr double first_slicing = 0.1;      // the default order, sliced
  static constexpr double downset = 0.1;            // the exact DP, first try
  static constexpr double single_stage = 0.2;       // single-mincut, then single
  static constexpr double partition_search = 0.25;  // of the whole limit
  static constexpr double refine = 0.05;            // local moves of each partition offered
  static constexpr double downset_retry = 0.2;      // when time, not size, stopped the DP
  static constexpr double split = 0.3;
  static constexpr double windows = 0.25;
  static constexpr double multilevel = 0.3;
  static constexpr double grouped = 0.5;  // the exact MIP gets the rest
  // Rounds while the gap is open:
  static constexpr double mip_restart = 0.5;  // a MIP stopped at its limit, restarted
  static constexpr double round_windows = 0.4;
  static constexpr double round_search = 0.5;
};

class Portfolio {
 public:
  Portfolio(const Graph& g, int k, const SolveOptions& options, const RunControl& control);
  Solution run();

 private:
  // Steps.
  void first_slicing();
  bool exact_dp();  // true when the DP did not finish
  void single_stage_bounds();
  void partition_search();
  void windows(double seconds);
  void multilevel();
  void restart_round(int round);
  // --prefer (ties.cpp): among the partitions at the bottleneck found, the fewest stages, then
  // the least latency; the bottleneck never rises.
  void break_ties();
  [[nodiscard]] Partition merged_stages(Partition p) const;
  [[nodiscard]] std::optional<Partition> fewest_stages(const Partition& p,
                                                       double bottleneck) const;
  [[nodiscard]] std::pair<double, double> bottleneck_and_latency(const Partition& p) const;
  // Bookkeeping.
  bool offer(const Partition& found);
  void take_bound(const BoundResult& r);
  const BoundResult& run_bound(const std::string& method, double seconds);
  [[nodiscard]] bool reached_target() const;
  [[nodiscard]] bool out_of_time() const;
  [[nodiscard]] bool stop_requested_now() const;
  [[nodiscard]] double remaining() const;
  [[nodiscard]] double budget(double share) const;
  [[nodiscard]] const Graph& view() const { return exact_->graph(); }
  void report(const std::string& step) const;

  const Graph& g_;
  const int k_;       // as asked
  const int stages_;  // min(k, n): more stages than nodes cannot help
  const SolveOptions& options_;
  const RunControl& control_;
  const Stopwatch timer_;
  const double limit_;
  const Constraints constraints_;
  const LeafReductions leaves_;
  // Every method works on an exact-cost view of g (model/numeric.hpp): its sums do not round,
  // so its bounds hold however the costs' magnitudes mix. The view caps comm at twice the best
  // bottleneck, so it is made again when that falls far below the cap it was made with.
  std::optional<ExactCosts> exact_;
  double view_cap_;
  Partition best_;  // no assignment until a partition satisfying the constraints is found
  double bottleneck_ = std::numeric_limits<double>::infinity();  // of best_, on g
  double lower_bound_ = 0;
  std::string lower_bound_method_ = "simple";
  std::string algorithm_;
  std::vector<BoundResult> bounds_;
  BoundOptions bound_options_;
  PartitionOptions search_;
  long long window_downsets_ = 100'000;
  bool retry_downset_ = false;  // the DP stopped where more time may let it finish
};

}  // namespace pipecut::detail
