#pragma once
// MIP-based bounds (Archer et al., ICML 2024; docs/bounds.md), built on the solver-independent
// layer in pipecut/mip.
//   - exact: the full MTPP MIP (k ordered stages, minimise T); its proven bound is valid at any
//     time, and it returns the best partition it found.
//   - grouped: for each stage position b, the 3-group relaxation (L = stages before b, M = stage
//     b, R = stages after b) with f(L) <= b*T, f(M) <= T, f(R) <= (k-b-1)*T; max over b.
#include "pipecut/bounds/bounds.hpp"

namespace pipecut {

// Needs options.time_limit_seconds > 0 to be bounded in time. Uses options.warm_start,
// options.incumbent (adds T <= incumbent) and options.known_lower_bound (adds T >= it).
BoundResult exact_mip_bound(const Graph& g, int k, const BoundOptions& options,
                            const RunSignals& signals = {});

// The time limit is shared among the k positions.
BoundResult grouped_mip_bound(const Graph& g, int k, const BoundOptions& options,
                              const RunSignals& signals = {});

}  // namespace pipecut
