#pragma once
// ONNX model import (docs/formats.md "ONNX", docs/cost-model.md).
//
// One graph node per ONNX operator that depends on a graph input; operators computed only from
// initializers and constants are folded into their consumers (their bytes count as the
// consumer's memory). Costs come from the device cost model: work and comm in milliseconds,
// memory in bytes. Initializer data is never read: stripped weights (external data that is
// absent, empty raw_data) import fine since only dims and data type are used.
#include <optional>
#include <string>
#include <vector>

#include "pipecut/io/device_model.hpp"
#include "pipecut/model/graph.hpp"
#include "pipecut/util/log.hpp"

namespace pipecut {

struct OnnxImportOptions {
  std::string device;  // built-in profile name or JSON file; empty = kDefaultDeviceProfile
  std::string dtype;   // fp32 | tf32 | fp16 | bf16 | int8; empty = the model's element types
  std::optional<double> link_bandwidth_gbps;  // overrides the profile's link bandwidth
  LogCallback warn;  // receives warnings (shape inference failed, operators without a cost model)
};

// What the cost model computed for one graph node (same order as Graph nodes).
struct OnnxNodeCost {
  double flops = 0;          // arithmetic operations (a multiply-add counts 2)
  double bytes_read = 0;     // input activations + weights read by the operator
  double bytes_written = 0;  // outputs written
  double output_bytes = 0;   // size of the tensor this node stands for (its comm)
};

struct OnnxImport {
  Graph graph;
  std::vector<OnnxNodeCost> costs;
  int folded_nodes = 0;                  // operators folded as constants
  std::vector<std::string> unknown_ops;  // op types costed conservatively
  DeviceProfile device;
};

OnnxImport import_onnx_model(const std::string& path, const OnnxImportOptions& options = {});
// Same from the serialized ModelProto bytes; `source` names it in messages.
OnnxImport import_onnx_bytes(const std::string& bytes, const std::string& source,
                             const OnnxImportOptions& options = {});
inline Graph import_onnx_graph(const std::string& path, const OnnxImportOptions& options = {}) {
  return import_onnx_model(path, options).graph;
}

}  // namespace pipecut
