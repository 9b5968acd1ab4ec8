#pragma once
// The serving engines' rules for splitting N decoder layers over pipeline ranks, re-implemented
// from their sources so that pipecut can predict their default split and write strings they
// turn into exactly the planned layer counts (docs/llm.md, "The engines' rules": which file and
// function each rule comes from).
#include <string>
#include <vector>

namespace pipecut {

// vLLM's default when VLLM_PP_LAYER_PARTITION is unset (vllm/distributed/utils.py,
// get_pp_indices): N / pp layers each, the remainder one each to the ranks before the last,
// starting from the second-to-last and going back. InputError unless 1 <= pp <= N.
std::vector<int> vllm_default_layer_counts(int num_layers, int pp);

// TensorRT-LLM's default (tensorrt_llm/mapping.py, Mapping.pp_layers: torch.tensor_split of the
// layer indices): N / pp each, the first N % pp ranks one more. InputError unless 1 <= pp <= N.
std::vector<int> trtllm_default_layer_counts(int num_layers, int pp);

// llama.cpp with --split-mode layer (src/llama-model.cpp, llama_model::load_tensors): the
// proportions become cumulative float32 split points over the n_layer + 1 offloaded "layers"
// (the output layer is the last), and layer il goes to the first device whose split point
// exceeds float(il - i_gpu_start) / act_gpu_layers. Returns, per device, how many of the
// `num_layers` decoder layers it gets; `output_device` is set to the device that gets the
// output layer (or -1 when it stays on the CPU), `cpu_layers` to the layers left on the CPU
// (n_gpu_layers below n_layer + 1). InputError for no device, a negative or non-finite
// proportion, or proportions that sum to 0 (llama.cpp then splits by free memory).
struct LlamaCppSplit {
  std::vector<int> layers;  // decoder layers per device
  int output_device = -1;
  int cpu_layers = 0;
};
LlamaCppSplit llamacpp_layer_split(int num_layers, const std::vector<float>& proportions,
                                   int n_gpu_layers);

// --tensor-split proportions that llama_layer_split turns into exactly `layers` (decoder layers
// per device, the output layer with the last) under n_gpu_layers = N + 1: each device's count,
// plus one for the last. Proven in docs/llm.md; tested over random splits.
std::vector<float> llamacpp_tensor_split_for(const std::vector<int>& layers);

// A comma-separated list of non-negative integers ("20,22,22,16"), as VLLM_PP_LAYER_PARTITION
// and pp_partition take it; spaces and brackets around the items are allowed ("[20, 22]").
// InputError starting with `what` otherwise.
std::vector<int> parse_layer_counts(const std::string& text, const std::string& what);
// The same for --tensor-split: non-negative numbers separated by ',' or '/' as llama.cpp reads
// them (common/arg.cpp splits on both).
std::vector<float> parse_tensor_split(const std::string& text, const std::string& what);

}  // namespace pipecut
