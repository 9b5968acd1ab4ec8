#pragma once
// Certified lower bounds on the optimal bottleneck of an MTPP instance: the common interface of
// every bound method. A bound is VALID if it never exceeds the optimum over all pipeline
// partitions with at most k stages that satisfy the graph's placement constraints
// (model/constraints.hpp); docs/bounds.md gives each method's validity argument. A bound of the
// unconstrained problem stays valid, since the constraints only remove partitions.
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "pipecut/model/cost.hpp"
#include "pipecut/model/graph.hpp"
#include "pipecut/util/log.hpp"
#include "pipecut/util/options.hpp"
#include "pipecut/util/run_signals.hpp"

namespace pipecut {

enum class BoundStatus {
  proven,      // the method ran to completion: `value` is its full bound (for exact: the optimum)
  time_limit,  // stopped at the time limit: `value` is still a valid (weaker) bound
  gave_up,     // the method does not apply or exceeded a size/memory limit; value may be 0
  infeasible,  // proved that no partition satisfies the placement constraints: `detail` holds
               // the proof in one line, and `value` (0) means nothing
  not_applicable,  // the method is not proven valid for this instance's model (a heterogeneous
                   // cluster: docs/clusters.md) and was not run; value 0
};
std::string to_string(BoundStatus s);

struct BoundOptions {
  double time_limit_seconds = 10;  // per method; 0 = no limit
  // MIP solver threads (0 = all cores). 1 keeps runs reproducible: parallel branch and bound
  // may reach a different bound within the same time limit from run to run.
  int mip_threads = 1;
  // Worker threads of the combinatorial methods (the downset DP; 0 = all cores). Their results
  // do not depend on it.
  int threads = 1;
  bool solver_log = false;  // produce the MIP solver's log (to RunSignals::log)
  // Best known bottleneck (an upper bound on the optimum), if any; lets methods prune. It must be
  // the bottleneck of a partition that satisfies the placement constraints.
  double incumbent = std::numeric_limits<double>::infinity();
  // A partition with bottleneck `incumbent`, used as a MIP warm start when present.
  std::optional<Partition> warm_start;
  // A lower bound already proven by another method (0 if none). MIP methods add T >= it, which is
  // valid because the optimum satisfies it, and stop once they can no longer beat it.
  double known_lower_bound = 0.0;
  // Downset DP: give up past this many downsets, or this many (downset, sub-downset) pairs.
  long long downset_limit = 1'000'000;
  long long downset_pair_limit = 10'000'000;  // ~16 bytes each
};
// Every method also takes RunSignals (util/run_signals.hpp): on a stop request it returns what
// it has, with status time_limit; solver log lines go to its log.

// The user-facing options of BoundOptions (util/options.hpp): time-limit, mip-threads,
// threads, solver-log.
const OptionCatalogue<BoundOptions>& bound_option_catalogue();

struct BoundResult {
  std::string method;
  double value = 0.0;  // the lower bound (valid whatever the status)
  BoundStatus status = BoundStatus::gave_up;
  double seconds = 0.0;
  std::optional<Partition> partition;  // a partition found on the way (exact methods), if any
  std::string detail;                  // one line for humans (e.g. "2.1M downsets", "node 'x'")
  // The method stopped where more time, and a better incumbent, may let it finish (the downset
  // DP stopped while costing its stages, not because the graph is too wide).
  bool more_time_may_help = false;
};

// Bound methods by name: the one registry behind the CLI's --method, the experiment runner, the
// solve portfolio and the Python binding.
struct BoundMethod {
  std::string name;
  std::string description;  // one line, for --help and docs
  std::function<BoundResult(const Graph& g, int k, const BoundOptions& options,
                            const RunSignals& signals)>
      run;
};

// Every method, cheapest first: the order `--method all` runs them.
const std::vector<BoundMethod>& bound_methods();
// The method called `name`; InputError listing the known names if there is none.
const BoundMethod& bound_method(const std::string& name);
std::vector<std::string> bound_method_names();

// Runs one method and fills in `method` and `seconds`. Throws InputError for an unknown method
// name or k < 1. The cheap infeasibility proofs (infeasibility_proof in model/constraints.hpp)
// come first: when one applies, the result has status infeasible and the proof as detail.
BoundResult compute_bound(const Graph& g, int k, const std::string& method,
                          const BoundOptions& options, const RunSignals& signals = {});

}  // namespace pipecut
