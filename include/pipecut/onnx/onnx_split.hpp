#pragma once
// Splits an ONNX model into one runnable model per pipeline stage, plus a `pipecut.pipeline` v1
// manifest (docs/formats.md "pipecut.pipeline"). Times are in milliseconds, sizes in bytes.
//
// Each stage model holds exactly the source operators of its stage, copies of the folded
// parameter-only operators and initializers they use, the model inputs it reads and the tensors
// it receives as graph inputs, and the tensors it sends and the model outputs it produces as
// graph outputs. Tensors crossing stages are exactly the cut tensors of the cost model
// (boundary_tensors in model/cost.hpp). Every stage passes the ONNX checker and strict shape
// inference before the folder is moved into place.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pipecut/model/cluster.hpp"
#include "pipecut/model/cost.hpp"
#include "pipecut/onnx/onnx_import.hpp"

namespace pipecut {

// One dimension of a tensor shape: a number, a symbolic name (dim_param), or unknown.
struct TensorDim {
  std::int64_t value = -1;  // >= 0 when known
  std::string param;        // symbolic name when value < 0; both unset = unknown
};

struct PipelineTensor {
  std::string name;
  std::string
      dtype;  // float32, float16, bfloat16, float64, int8 … int64, uint8 … uint64, bool, string
  std::optional<std::vector<TensorDim>> shape;  // nullopt when the rank is unknown
};

struct StageInput : PipelineTensor {
  int from_stage = -1;  // the pipeline stage sending it, or -1 for a model input
};

struct StageOutput : PipelineTensor {
  std::vector<int> to_stages;  // later pipeline stages receiving it, ascending
  bool model_output = false;
};

struct PipelineStage {
  int stage = 0;            // position in the pipeline: the file is stage_<stage>.onnx
  int partition_stage = 0;  // the stage index of the partition (empty stages are skipped)
  std::string file;
  std::string external_data_file;  // empty when the stage keeps its weights inline
  std::vector<StageInput> inputs;
  std::vector<StageOutput> outputs;
  std::vector<std::string> operators;  // graph node ids of the source operators it holds
  int folded_operators = 0;            // parameter-only operators copied in
  double parameter_bytes = 0;          // initializers and constants it holds
  StageCost predicted;                 // the cost model's work, comm_in, comm_out, cost
  // On a cluster (docs/clusters.md): the stage's device, its class and host; empty otherwise.
  std::string device, device_class, device_host;
};

struct PipelineManifest {
  std::string model;  // source file name (no folders)
  int k = 0;
  double bottleneck = 0;  // of the partition as written (after moving port nodes, see below)
  double lower_bound = 0;
  std::string lower_bound_method;
  std::vector<PipelineTensor> inputs;   // model inputs
  std::vector<PipelineTensor> outputs;  // model outputs
  std::vector<PipelineStage> stages;    // non-empty stages, in pipeline order
  // Output-port nodes (docs/formats.md "Several outputs") placed away from their operator and
  // moved into its stage: a port has no operator of its own, and the move never raises a cost.
  int moved_port_nodes = 0;
  // On a cluster: its name and digest (io/cluster_json.hpp); empty otherwise.
  std::string cluster_name, cluster_digest;
};

struct OnnxSplitOptions {
  bool force = false;  // replace an existing non-empty output folder
  // Proven lower bound on every partition's bottleneck, recorded in the manifest.
  double lower_bound = 0;
  std::string lower_bound_method;
  // Files the output folder must not contain when it is replaced (e.g. the partition file);
  // the model and its external data files are always protected.
  std::vector<std::string> protected_paths;
  // The cluster the partition is on (its device_of_stage indexes its devices): costs are those
  // on the cluster and the manifest records each stage's device. Null = k identical devices.
  const Cluster* cluster = nullptr;
};

// Writes stage_0.onnx … and pipeline.json into `out_dir`: first into a temporary sibling
// folder, then renamed into place, so a failure leaves no half-written folder. `imported` must
// be the import of `model_path` (costs in the manifest are its graph's) and `partition` a valid
// partition of its graph. Throws InputError for bad input: an invalid partition (naming the
// first offending node), an existing non-empty `out_dir` without `force`, weights that are not
// there (stripped models), an unsupported external-data layout.
PipelineManifest write_onnx_stages(const std::string& model_path, const OnnxImport& imported,
                                   const Partition& partition, const std::string& out_dir,
                                   const OnnxSplitOptions& options = {});

// The checks write_onnx_stages makes before any work on the partition: the output folder, and
// that every initializer's data is there (not stripped, external files present). Lets a caller
// fail before a long solve. Throws the same InputErrors.
void check_onnx_split_inputs(const std::string& model_path, const std::string& out_dir,
                             const OnnxSplitOptions& options = {});

// The manifest as `pipecut.pipeline` v1 JSON text.
std::string pipeline_manifest_json(const PipelineManifest& manifest);

}  // namespace pipecut
