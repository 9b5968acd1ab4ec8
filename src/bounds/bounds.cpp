// compute_bound: one entry point for every bound method.
#include "pipecut/bounds/bounds.hpp"

#include "pipecut/bounds/downset_dp.hpp"
#include "pipecut/bounds/mip_bounds.hpp"
#include "pipecut/bounds/simple.hpp"
#include "pipecut/bounds/single_stage.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/util/stopwatch.hpp"

namespace pipecut {

std::string to_string(BoundStatus s) {
  switch (s) {
    case BoundStatus::proven: return "proven";
    case BoundStatus::time_limit: return "time_limit";
    case BoundStatus::gave_up: return "gave_up";
  }
  return "?";
}

std::vector<std::string> bound_method_names() {
  return {"simple", "single-mincut", "single", "downset", "grouped", "exact"};
}

BoundResult compute_bound(const Graph& g, int k, const std::string& method,
                          const BoundOptions& options) {
  if (k < 1) throw InputError("k must be at least 1 (got " + std::to_string(k) + ")");
  const Stopwatch timer;
  BoundResult result;
  if (method == "simple") {
    result.value = simple_lower_bound(g, k);
    result.status = BoundStatus::proven;
  } else if (method == "single-mincut" || method == "single") {
    SingleStageResult single = method == "single" ? single_stage_convex_bound(g, options)
                                                  : single_stage_mincut_bound(g, options);
    result.value = single.value;
    result.status = single.status;
    if (single.argmax >= 0) result.detail = "node '" + g.ids[single.argmax] + "'";
    if (method == "single")
      result.detail += ", " + std::to_string(single.candidates_solved) + " MIPs";
  } else if (method == "downset") {
    DownsetDpResult dp = downset_dp(g, k, options);
    result.value = dp.optimum;
    result.status = dp.status;
    result.partition = dp.partition;
    result.detail = std::to_string(dp.downsets) + " downsets, " + std::to_string(dp.pairs) +
                    " stages";
    if (!dp.reason.empty()) result.detail += " (" + dp.reason + ")";
  } else if (method == "grouped") {
    result = grouped_mip_bound(g, k, options);
  } else if (method == "exact") {
    result = exact_mip_bound(g, k, options);
  } else {
    std::string names;
    for (const std::string& name : bound_method_names()) names += (names.empty() ? "" : ", ") + name;
    throw InputError("unknown bound method '" + method + "' (expected one of " + names + ")");
  }
  result.method = method;
  result.seconds = timer.seconds();
  return result;
}

}  // namespace pipecut
