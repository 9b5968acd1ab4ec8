#pragma once
// Predicted against measured: stage models of a split, timed on this machine, next to the cost
// model's prediction for each stage. `pipecut bench DIR` (ONNX Runtime, through the Node tool
// tools/bench_pipeline.mjs) and PipelinePlan.bench() of pipecut.torch (torch modules) both write
// the `pipecut.bench` v1 document read here; `pipecut report --measured FILE` draws it next to
// the partition. Schema: docs/formats.md "pipecut.bench v1". Times in milliseconds.
#include <optional>
#include <string>
#include <vector>

#include "pipecut/model/cost.hpp"
#include "pipecut/model/graph.hpp"
#include "pipecut/onnx/onnx_split.hpp"

namespace pipecut {

// Reads DIR/pipeline.json (pipecut.pipeline v1, written by write_onnx_stages) back: the fields
// of PipelineManifest, enough to run and cost the stages. Throws InputError naming the file for
// a folder that is not a pipeline (no pipeline.json, another format, a malformed stage).
PipelineManifest read_pipeline_manifest(const std::string& dir);

// The partition a manifest describes, on `g` (the import of the source model, under any cost
// options): every operator listed in the manifest goes to its partition stage, and an
// output-port node to its operator's (`port_owner[v]` >= 0 marks a port node of operator
// port_owner[v]; empty = no ports). Throws InputError naming `source` when an operator is not
// in `g` or an operator of `g` is in no stage (the manifest was written for another model).
Partition manifest_partition(const PipelineManifest& m, const Graph& g,
                             const std::vector<NodeId>& port_owner, const std::string& source);

// A sample's median and spread.
struct TimeSpread {
  double median = 0, p10 = 0, p90 = 0, mad = 0, mean = 0, min = 0, max = 0;
};

struct BenchStage {
  int stage = 0;            // position in the pipeline (stage_<stage>.onnx)
  int partition_stage = 0;  // the stage index of the partition
  std::string file;         // stage model, or the torch module's name
  int operators = 0;        // operators (graph nodes) in the stage
  StageCost predicted;      // the cost model's work, comm_in, comm_out, cost (ms); nodes unset
  TimeSpread run_ms;        // one run of the stage alone
  double copy_in_ms = 0;    // copying the tensors it receives from other stages (median)
  double copy_out_ms = 0;   // copying the tensors it sends to other stages (median)
  double bytes_in = 0, bytes_out = 0;
  int tensors_in = 0, tensors_out = 0;
  double load_ms = 0;  // loading the stage (session creation); 0 when not measured
  // Derived by finish_bench:
  double measured_ms = 0;  // run_ms.median + copy_in_ms + copy_out_ms: what `cost` predicts
  double error = 0;        // predicted.cost / measured_ms - 1 (0 when nothing was measured)
};

struct BenchPipelinedStage {
  int stage = 0;
  double busy_fraction = 0;            // share of its own steady state spent working, [0, 1]
  double predicted_busy_fraction = 0;  // predicted cost / predicted bottleneck
  TimeSpread run_ms;                   // its runs in the steady state
  int cpu = -1;                        // the core it was pinned to (-1: not pinned)
};

struct BenchPipelined {
  int microbatches = 0;
  int skipped_microbatches = 0;  // left out of the steady state (pipeline fill)
  int steady_microbatches = 0;   // completions measured
  double window_ms = 0;
  double throughput_per_s = 0;  // steady-state microbatches per second
  double period_ms = 0;         // window_ms / steady_microbatches
  bool pinned = false;          // every worker was pinned to its own core
  std::vector<BenchPipelinedStage> stages;
  // Derived by finish_bench:
  double predicted_throughput_per_s = 0;  // 1000 / predicted bottleneck
  double error = 0;                       // predicted / measured throughput - 1
};

struct BenchResult {
  std::string pipeline;  // the folder, or "pipecut.torch" for torch stages
  std::string model;     // the source model (file name) or module class
  int k = 0;             // stages of the partition
  std::string runtime;   // e.g. "onnxruntime-node 1.30.0 (node v20.1.0)", "torch 1.13.1"
  // Where the predictions come from: "pipeline.json" (the costs recorded by split), "device"
  // (roofline of `device`), "profile" (measured operator times in `profile`).
  std::string prediction_source;
  std::string device;
  std::string profile;
  // The machine: CPU model, cores this process may use, 1-minute load average when measured.
  std::string cpu;
  int cores = 0;
  double load_average = 0;
  int threads = 1;  // intra-op threads per stage
  int runs = 0, warmup = 0, seed = 0;
  std::string optimizations;       // ONNX Runtime graph optimisations: "on" | "off" ("" for torch)
  std::vector<BenchStage> stages;  // in pipeline order
  // Derived by finish_bench:
  double predicted_bottleneck_ms = 0, measured_bottleneck_ms = 0;
  int predicted_bottleneck_stage = 0, measured_bottleneck_stage = 0;  // `stage` fields
  double bottleneck_error = 0;  // predicted / measured bottleneck - 1
  std::optional<BenchPipelined> pipelined;
};

// Fills the derived fields (measured_ms, errors, bottlenecks, predicted throughput and busy
// fractions) from the measured and predicted ones.
void finish_bench(BenchResult& r);

// The measurements printed by tools/bench_pipeline.mjs, merged with the manifest and the
// predicted stage costs (`predicted[i]` for m.stages[i]); finish_bench applied. Throws
// InputError naming `source` if the text is not such a document or its stages do not match.
BenchResult bench_from_measurements(const PipelineManifest& m,
                                    const std::vector<StageCost>& predicted,
                                    const std::string& measurements_json,
                                    const std::string& source);

// The pipecut.bench v1 document (pretty-printed).
std::string bench_to_json(const BenchResult& r);
// Reads a pipecut.bench v1 document; derived fields are recomputed (finish_bench), not trusted.
// Throws InputError naming the source for anything else.
BenchResult parse_bench(const std::string& text, const std::string& source);
BenchResult read_bench(const std::string& path);

}  // namespace pipecut
