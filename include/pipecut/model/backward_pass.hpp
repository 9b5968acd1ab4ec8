#pragma once
// A synthesised backward pass: turns an inference graph into a training graph by giving every
// node a backward twin, costed by a per-operator factor (docs/training.md, "Synthesising a
// backward pass").
#include <optional>
#include <string>
#include <string_view>

#include "pipecut/model/graph.hpp"

namespace pipecut {

// The suffix that makes a forward node's id into its backward twin's: v -> v'.
inline constexpr std::string_view kBackwardIdSuffix = "'";

// How a backward node's work follows from its forward node's.
struct BackwardPassModel {
  // One factor for every node (finite, >= 0); unset = the per-operator table
  // (backward_work_factor).
  std::optional<double> factor;
};

// The per-operator factor: 2 for operators with weights or two matrix operands (convolutions,
// linear/Gemm, MatMul/bmm, attention, recurrent layers: the gradient of the input and that of
// the weight or other operand), 1 for every other operator. `op` is compared case-insensitively
// with the ONNX operator types and the pipecut.torch op names (docs/training.md).
double backward_work_factor(std::string_view op);

// The factor the model gives a node of operator type `op`.
double backward_factor(const BackwardPassModel& model, std::string_view op);

// The training graph of the inference graph g: g's nodes first (same order, ids, costs and
// edges), then one backward twin v' per node v in the same order, with
//   - work factor(op(v)) * work(v), memory 0, op(v), comm the sum of comm(u) over v's
//     predecessors u (the gradients it sends them; bytes likewise, -1 when one is unknown);
//   - v's colour class (a node without one gets a fresh class, shared by v and v', whose label
//     is v's id, primed until no existing label has that text);
//   - gradient edges v' -> u' and activation edges u -> v' for every edge u -> v;
//   - per-class work (clusters) scaled by the same factor; capacity, default k and name kept.
// InputError (naming `source`, or g's name when empty) when g already has backward nodes, when
// a twin's id would be an existing node's, or when the factor is negative or not finite; the
// graph builder's errors when a twin's cost leaves the supported range.
Graph add_backward_pass(const Graph& g, const BackwardPassModel& model,
                        std::string_view source = {});

// The model a --backward-pass value names: "none" (nullopt), "ops" (the table) or a number
// >= 0 (that factor). InputError naming `option` otherwise.
std::optional<BackwardPassModel> parse_backward_pass(std::string_view text,
                                                     std::string_view option = "--backward-pass");

}  // namespace pipecut
