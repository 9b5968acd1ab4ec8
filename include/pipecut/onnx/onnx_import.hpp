#pragma once
// ONNX model import (docs/formats.md "ONNX", docs/cost-model.md).
//
// One graph node per ONNX operator that depends on a graph input; operators computed only from
// initializers and constants are folded into their consumers (their bytes count as the
// consumer's memory). Costs come from the device cost model: work and comm in milliseconds,
// memory in bytes. Initializer data is never read: stripped weights (external data that is
// absent, empty raw_data) import fine since only dims and data type are used.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pipecut/model/graph.hpp"
#include "pipecut/onnx/device_model.hpp"
#include "pipecut/onnx/ort_profile.hpp"
#include "pipecut/util/log.hpp"

namespace pipecut {

struct OnnxImportOptions {
  std::string device;  // built-in profile name or JSON file; empty = kDefaultDeviceProfile
  std::string dtype;   // fp32 | tf32 | fp16 | bf16 | int8; empty = the model's element types
  std::optional<double> link_bandwidth_gbps;  // overrides the profile's link bandwidth
  LogCallback warn;  // receives warnings (shape inference failed, operators without a cost model)
  // ONNX Runtime profiling trace whose measured kernel times replace the roofline work
  // (docs/cost-model.md "Measured costs"); empty = none. The first `profile_warmup` runs in the
  // trace are skipped.
  std::string profile;
  int profile_warmup = 1;
};

// What the cost model computed for one graph node (same order as Graph nodes).
struct OnnxNodeCost {
  double flops = 0;           // arithmetic operations (a multiply-add counts 2)
  double bytes_read = 0;      // input activations + weights read by the operator
  double bytes_written = 0;   // outputs written
  double output_bytes = 0;    // size of the tensor this node stands for (its comm)
  std::string compute_dtype;  // the type its arithmetic runs in (fp32, fp16, ...); empty: a port
};

// Where a graph node comes from in the ONNX file. Operators are indices into the file's
// graph.node list. The stage writer (onnx/onnx_split.hpp) and the profile reader use this instead
// of re-deriving the import.
struct OnnxNodeOrigin {
  int op = -1;             // the operator this node stands for; -1 for an output-port node
  NodeId port_owner = -1;  // output-port node: the graph node of its operator; -1 otherwise
  // The tensor whose transfer the node's comm stands for; empty for an operator with several
  // consumed outputs (its port nodes carry them, docs/formats.md "Several outputs").
  std::string tensor;
  // Folded (parameter-only) operators whose outputs the operator reads, directly or through
  // other folded operators; ascending. A stage holding the operator holds copies of them.
  std::vector<int> folded_ops;
};

struct OnnxImport {
  Graph graph;
  std::vector<OnnxNodeCost> costs;
  int folded_nodes = 0;                  // operators folded as constants
  std::vector<std::string> unknown_ops;  // op types costed conservatively
  DeviceProfile device;

  std::vector<OnnxNodeOrigin> origins;  // one per graph node, same order
  // Per operator of the file: the tensors it reads (non-empty input names, plus names its
  // subgraphs read from the enclosing scope), ascending; and whether it was folded.
  std::vector<std::vector<std::string>> op_reads;
  std::vector<char> op_folded;
  // Folded Shape/Size operators whose input is an activation with a fully static shape: the
  // value of their output (int64; a scalar for Size). A stage holds it as a constant instead
  // of the activation it was computed from.
  std::map<int, std::vector<std::int64_t>> static_shape_values;
  // Set when OnnxImportOptions::profile was given: what the measured times covered.
  std::optional<ProfileSummary> profile;
};

OnnxImport import_onnx_model(const std::string& path, const OnnxImportOptions& options = {});
// Same from the serialized ModelProto bytes; `source` names it in messages.
OnnxImport import_onnx_bytes(const std::string& bytes, const std::string& source,
                             const OnnxImportOptions& options = {});
inline Graph import_onnx_graph(const std::string& path, const OnnxImportOptions& options = {}) {
  return import_onnx_model(path, options).graph;
}

}  // namespace pipecut
