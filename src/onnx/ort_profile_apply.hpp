#pragma once
// Applies measured kernel times to an imported ONNX model (used by the ONNX importer).
#include <string>
#include <unordered_map>
#include <vector>

#include "pipecut/onnx/onnx_import.hpp"
#include "pipecut/onnx/ort_profile.hpp"

namespace pipecut {

// Replaces the work of `imported.graph`'s operators as ProfileSummary describes. `op_names[i]` is
// the name of the file's operator i; `tensor_producer` maps a tensor name to the operator that
// writes it. The summary's `path` is set to `source`, the trace's name in messages: an
// InputError if the measured times sum to infinity.
ProfileSummary apply_ort_profile(const std::string& source, const OrtKernelTimes& times,
                                 const std::vector<std::string>& op_names,
                                 const std::unordered_map<std::string, int>& tensor_producer,
                                 OnnxImport& imported);

}  // namespace pipecut
