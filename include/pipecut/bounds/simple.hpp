#pragma once
// The simple lower bound of Archer et al.: OPT >= max(W / k, max_v w(v)).
// Valid because the k stages share total work W, and every node's work lands in some stage.
// With colour classes, max_v w(v) becomes the largest work of a block (model/constraints.hpp):
// a block always lies in one stage.
#include "pipecut/model/graph.hpp"

namespace pipecut {

double simple_lower_bound(const Graph& g, int k);

}  // namespace pipecut
