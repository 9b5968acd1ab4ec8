#pragma once
// Evaluates the small parameter-only operators that compute shapes (Shape -> Gather ->
// Unsqueeze -> Concat -> Reshape chains), so that ONNX shape inference, whose data propagation
// in libonnx 1.12 stops at Gather, can see their values as constants.
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace pipecut {

// A small dense tensor. Values are held as doubles: exact for the integers of shape arithmetic.
struct ConstTensor {
  std::int32_t elem_type = 0;  // onnx::TensorProto_DataType
  std::vector<std::int64_t> dims;
  std::vector<double> values;
};

// The tensor's values, when it is inline, of a numeric type, and at most `max_elements` long.
std::optional<ConstTensor> decode_tensor(const onnx::TensorProto& t, std::size_t max_elements);

// As a TensorProto named `name` (raw little-endian data).
onnx::TensorProto encode_tensor(const ConstTensor& t, const std::string& name);

// Outputs of `node` given the values of its inputs (looked up by name in `values`), or nullopt
// when an input is unknown or the operator/case is not one of the small set handled (Constant,
// Identity, Shape/Size of a known tensor, Gather, Unsqueeze, Squeeze, Concat, Slice, Cast,
// Add, Sub, Mul, Div, Reshape, ConstantOfShape, Range, Equal, Where on small tensors).
// `static_shape` is the value of a Shape/Size whose input is an activation of static shape.
std::optional<std::vector<ConstTensor>> evaluate_constant_node(
    const onnx::NodeProto& node, const std::unordered_map<std::string, ConstTensor>& values,
    const std::vector<std::int64_t>* static_shape);

}  // namespace pipecut
