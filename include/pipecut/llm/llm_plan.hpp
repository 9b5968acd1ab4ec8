#pragma once
// LLM serving plans (docs/llm.md): from a model's config.json and a cluster, the split of its
// decoder layers over pipeline stages that the serving engines accept (whole, contiguous layers
// per stage, embedding with the first and LM head with the last), solved exactly on the
// cluster with its certificate, the engines' default splits on the same cluster, and the
// strings that make vLLM, TensorRT-LLM and llama.cpp run the plan.
#include <optional>
#include <string>
#include <vector>

#include "pipecut/llm/model_config.hpp"
#include "pipecut/model/cluster.hpp"
#include "pipecut/model/graph.hpp"
#include "pipecut/solve/api.hpp"
#include "pipecut/solve/solution.hpp"
#include "pipecut/util/options.hpp"

namespace pipecut {

// The workload and the cost model of a plan; every field is a catalogue option (below).
struct LlmOptions {
  std::string phase = "decode";  // "prefill": batch x seq_len new tokens; "decode": batch tokens
  int batch = 16;                // sequences per micro-batch
  int seq_len = 2048;            // prefill: prompt tokens per sequence
  int context = 4096;            // tokens of KV cache per sequence (read per step in decode)
  std::string dtype = "bf16";    // weights: bf16, fp16, fp8, int8, int4
  std::string device;            // profile for classes without a device_model; empty = default
  double memory_utilization = 0.9;  // share of each device's memory the engine may use
  std::string engine = "vllm";      // whose default split the top-level comparison uses
  double time_limit_seconds = 60;   // for the solve (chains are exact and fast)
};
const OptionCatalogue<LlmOptions>& llm_option_catalogue();
const std::vector<std::string>& llm_engine_names();  // vllm, trtllm, llamacpp

// The two graphs of a model (docs/llm.md, "The graphs"), costed on every class of a cluster.
struct LlmGraphs {
  // embed, layer.0 .. layer.N-1, head: a chain; each node's work per class is the sum of its
  // operators' (the operator graph's nodes of that layer), its memory their weights and KV
  // cache. Colour classes keep the embedding with layer.0 and the head with layer.N-1, so that
  // every stage holds at least one decoder layer, as the engines require.
  Graph layers;
  Graph operators;          // the same model at operator granularity, without colour classes
  Cluster usable;           // the cluster with each class's memory as the plan may use it
  double workspace_bytes = 0;  // activation workspace reserved on every device
  double tokens_per_step = 0;  // tokens one micro-batch carries through a stage
  double weight_bytes = 0, kv_cache_bytes = 0, logits_bytes = 0;  // totals of the model
};
// InputError for a bad option, a device profile that cannot be read, or a cluster on which the
// workspace leaves no memory.
LlmGraphs build_llm_graphs(const LlmConfig& config, const Cluster& cluster,
                           const LlmOptions& options = {});

struct LlmStage {
  int device = -1;           // index into the cluster's devices
  int first_layer = 0;       // decoder layers [first_layer, first_layer + layers)
  int layers = 0;
  bool embedding = false;    // holds the embedding (the first stage)
  bool head = false;         // holds the final norm and LM head (the last stage)
  double work = 0, comm_in = 0, comm_out = 0, cost = 0;  // ms per micro-batch
  double memory = 0;         // bytes
  double capacity = 0;       // bytes the plan may use on the device
};

// A split of the layers evaluated on the cluster.
struct LlmSplit {
  std::string name;  // "plan", or the engine whose default it is
  std::vector<LlmStage> stages;
  std::optional<double> bottleneck;  // ms; none when a stage does not fit its device
  std::optional<double> tokens_per_s;
  std::string problem;  // why it does not fit, when it does not
};

struct LlmPlan {
  LlmConfig config;
  LlmOptions options;
  std::string cluster_name;
  int k = 0;                   // stages asked for (at most; the plan may use fewer)
  LlmGraphs graphs;
  Solution solution;           // the plan on graphs.layers (partition, devices, bounds)
  LlmSplit plan;               // the same as stages
  double lower_bound = 0;      // on every layer split into <= k stages on the cluster
  double ratio = 1;            // lower_bound / bottleneck
  bool optimal = false;
  BoundResult operator_bound;  // the best bound of the operator-level problem
  std::vector<LlmSplit> engine_defaults;  // vllm, trtllm, llamacpp, in that order
  const LlmSplit& engine_default() const;  // the one options.engine names
  // Strings to paste, by engine (docs/llm.md, "The strings").
  std::string vllm, trtllm, llamacpp;
};

// Plans `config` on `cluster` with at most k stages (all its devices when k is none).
// InputError for bad options or k; InfeasibleError (exit 4) when the model cannot fit, with
// the memory shortfall per device; NoFeasiblePartitionError when none was found.
LlmPlan plan_llm(const LlmConfig& config, const Cluster& cluster, std::optional<int> k = {},
                 const LlmOptions& options = {}, const RunControl& control = {});

// `pipecut.llm_plan` v1 (docs/formats.md).
std::string llm_plan_to_json(const LlmPlan& plan, int indent = 2);
// The human summary: stage table, certificate, engine defaults, strings.
std::string llm_plan_to_text(const LlmPlan& plan);

}  // namespace pipecut
