#pragma once
// Small ONNX models built in the tests with the onnx protobuf classes (serialized ModelProto
// bytes), for cases the bundled samples do not cover.
#include <cstdint>
#include <string>
#include <vector>

namespace pipecut::testing {

// A chain of `n` Relu operators on a [1, 4] float input, every one named `name`.
std::string onnx_relu_chain(int n, const std::string& name);

// One operator of an unknown type (domain "test") with no output shape, consuming a float graph
// input of shape `input_dims`, followed by a Relu: the importer must guess the unknown output's
// size from the input.
std::string onnx_unknown_op_on_input(const std::vector<std::int64_t>& input_dims);

// Relu -> Split with no outputs (malformed: libonnx's shape inference divides by the number of
// outputs) -> and a second Relu on the first one's output.
std::string onnx_split_without_outputs();

// Relu of a tensor "x" that nothing declares (no graph input, no initializer), then Shape of it:
// libonnx's shape inference dereferences a null type there (SIGSEGV, found by fuzzing).
std::string onnx_shape_of_undeclared_input();

}  // namespace pipecut::testing
