#pragma once
// A language model's architecture as its Hugging Face `config.json` gives it (docs/llm.md,
// "The model"): enough to count its parameters and price every operator, with no weights.
#include <cstdint>
#include <string>
#include <vector>

#include "pipecut/io/file_util.hpp"

namespace pipecut {

// How a decoder layer is wired.
enum class LlmFamily {
  llama,     // llama, mistral, qwen2: RMSNorm, GQA attention, SwiGLU MLP, sequential residual
  gpt_neox,  // gpt_neox: LayerNorm, fused QKV with bias, GELU MLP, parallel residual
  opt,       // opt: LayerNorm, biased projections, ReLU MLP, learned positions
  mixtral,   // mixtral: llama attention, a router and num_local_experts SwiGLU experts
};

struct LlmConfig {
  std::string source;      // the file, for messages
  std::string model_type;  // as in the file: "llama", "mistral", "qwen2", "gpt_neox", ...
  LlmFamily family = LlmFamily::llama;
  std::int64_t hidden_size = 0;        // h
  std::int64_t num_layers = 0;         // N decoder layers (num_hidden_layers)
  std::int64_t num_heads = 0;          // a query heads
  std::int64_t num_kv_heads = 0;       // key/value heads (GQA); = num_heads without GQA
  std::int64_t head_dim = 0;           // head_dim, else h / a
  std::int64_t intermediate_size = 0;  // MLP (or each expert's) inner size f
  std::int64_t vocab_size = 0;         // V
  std::int64_t max_positions = 0;      // max_position_embeddings (OPT's learned positions)
  bool tied_embeddings = false;        // tie_word_embeddings: the LM head reuses the embedding
  bool qkv_bias = false;               // q, k, v projections carry a bias (qwen2, gpt_neox, opt)
  bool dense_bias = false;             // the other projections carry a bias (gpt_neox, opt)
  std::int64_t num_experts = 0;        // MoE: num_local_experts (0 = a dense MLP)
  std::int64_t experts_per_token = 0;  // MoE: num_experts_per_tok

  [[nodiscard]] std::int64_t q_dim() const { return num_heads * head_dim; }
  [[nodiscard]] std::int64_t kv_dim() const { return num_kv_heads * head_dim; }
};

// The model_type values read_llm_config accepts, in the order docs/llm.md lists them.
const std::vector<std::string>& supported_llm_model_types();

// Reads a config.json (gzip allowed). InputError naming the file and the problem: malformed
// JSON, an unknown model_type (listing the supported ones), a missing field or one that is not
// a positive integer (naming it), heads that do not divide the hidden size, ...
LlmConfig read_llm_config(const std::string& path,
                          std::uint64_t max_input_bytes = kDefaultMaxInputBytes);
LlmConfig parse_llm_config(const std::string& text, const std::string& source);

// Parameter counts of the architecture (a tied LM head counted once), from the same formulas
// the graph builder uses (docs/llm.md, "Parameters").
struct LlmParameterCount {
  std::int64_t embedding = 0;     // token (and position) embeddings
  std::int64_t per_layer = 0;     // one decoder layer, every expert included
  std::int64_t active_per_layer = 0;  // one decoder layer as a token sees it (top-k experts)
  std::int64_t head = 0;          // final norm and LM head (0 for the head when tied)
  std::int64_t total = 0;
};
LlmParameterCount llm_parameter_count(const LlmConfig& config);

}  // namespace pipecut
