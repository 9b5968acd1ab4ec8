// Reading a Hugging Face config.json (docs/llm.md, "The model").
#include "pipecut/llm/model_config.hpp"

#include <string>

#include "io/json_util.hpp"
#include "pipecut/model/error.hpp"

namespace pipecut {

namespace {

struct TypeInfo {
  const char* model_type;
  LlmFamily family;
};
constexpr TypeInfo kTypes[] = {
    {"llama", LlmFamily::llama},     {"mistral", LlmFamily::llama}, {"qwen2", LlmFamily::llama},
    {"mixtral", LlmFamily::mixtral}, {"gpt_neox", LlmFamily::gpt_neox}, {"opt", LlmFamily::opt},
};

// The largest size a field may have: every product the cost model forms stays far below 2^63.
constexpr long long kMaxDimension = 1LL << 24;

class Reader {
 public:
  Reader(const nlohmann::json& doc, std::string source) : doc_(doc), source_(std::move(source)) {}

  [[nodiscard]] bool has(const char* key) const {
    return doc_.contains(key) && !doc_.at(key).is_null();
  }
  // A positive integer field; `fallback` when absent (required when it is 0).
  [[nodiscard]] std::int64_t positive(const char* key, std::int64_t fallback = 0) const {
    if (!has(key)) {
      if (fallback > 0) return fallback;
      throw InputError(source_ + ": missing field '" + key + "'");
    }
    const nlohmann::json& v = doc_.at(key);
    if (!v.is_number())
      throw InputError(source_ + ": field '" + key + "' must be a positive integer");
    const long long x =
        json_integer(v, 1, kMaxDimension, source_, std::string("field '") + key + "'");
    return x;
  }
  [[nodiscard]] bool flag(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    if (!doc_.at(key).is_boolean())
      throw InputError(source_ + ": field '" + key + "' must be true or false");
    return doc_.at(key).get<bool>();
  }

 private:
  const nlohmann::json& doc_;
  std::string source_;
};

}  // namespace

const std::vector<std::string>& supported_llm_model_types() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const TypeInfo& t : kTypes) out.emplace_back(t.model_type);
    return out;
  }();
  return names;
}

LlmConfig parse_llm_config(const std::string& text, const std::string& source) {
  const nlohmann::json doc = parse_json_document(text, source);
  if (!doc.is_object()) throw InputError(source + ": a config.json must be a JSON object");
  LlmConfig c;
  c.source = source;
  std::string supported;
  for (const std::string& name : supported_llm_model_types())
    supported += (supported.empty() ? "" : ", ") + name;
  if (!doc.contains("model_type") || !doc.at("model_type").is_string())
    throw InputError(source + ": missing field 'model_type' (supported: " + supported + ")");
  c.model_type = doc.at("model_type").get<std::string>();
  bool known = false;
  for (const TypeInfo& t : kTypes)
    if (c.model_type == t.model_type) {
      c.family = t.family;
      known = true;
    }
  if (!known)
    throw InputError(source + ": unsupported model_type '" + c.model_type +
                     "' (supported: " + supported + ")");
  const Reader r(doc, source);
  c.hidden_size = r.positive("hidden_size");
  c.num_layers = r.positive("num_hidden_layers");
  c.num_heads = r.positive("num_attention_heads");
  c.vocab_size = r.positive("vocab_size");
  // Hugging Face's PretrainedConfig ties the LM head to the embedding unless told otherwise.
  c.tied_embeddings = r.flag("tie_word_embeddings", true);
  switch (c.family) {
    case LlmFamily::llama:
    case LlmFamily::mixtral:
      c.num_kv_heads = r.positive("num_key_value_heads", c.num_heads);
      c.intermediate_size = r.positive("intermediate_size");
      c.qkv_bias = c.model_type == "qwen2" || r.flag("attention_bias", false);
      c.dense_bias = r.flag("attention_bias", false) && c.model_type != "qwen2";
      break;
    case LlmFamily::gpt_neox:
      c.num_kv_heads = c.num_heads;
      c.intermediate_size = r.positive("intermediate_size");
      c.qkv_bias = c.dense_bias = r.flag("attention_bias", true);
      break;
    case LlmFamily::opt:
      c.num_kv_heads = c.num_heads;
      c.intermediate_size = r.positive("ffn_dim");
      c.max_positions = r.positive("max_position_embeddings");
      c.qkv_bias = c.dense_bias = r.flag("enable_bias", true);
      if (r.has("word_embed_proj_dim") &&
          r.positive("word_embed_proj_dim") != c.hidden_size)
        throw InputError(source + ": field 'word_embed_proj_dim' different from hidden_size "
                                  "(OPT-350m's projected embeddings) is not supported");
      break;
  }
  if (c.family == LlmFamily::mixtral) {
    c.num_experts = r.positive("num_local_experts");
    c.experts_per_token = r.positive("num_experts_per_tok");
    if (c.experts_per_token > c.num_experts)
      throw InputError(source + ": field 'num_experts_per_tok' (" +
                       std::to_string(c.experts_per_token) + ") exceeds num_local_experts (" +
                       std::to_string(c.num_experts) + ")");
  }
  if (r.has("head_dim")) {
    c.head_dim = r.positive("head_dim");
  } else {
    if (c.hidden_size % c.num_heads != 0)
      throw InputError(source + ": field 'num_attention_heads' (" + std::to_string(c.num_heads) +
                       ") does not divide hidden_size (" + std::to_string(c.hidden_size) + ")");
    c.head_dim = c.hidden_size / c.num_heads;
  }
  if (c.num_heads % c.num_kv_heads != 0)
    throw InputError(source + ": field 'num_key_value_heads' (" + std::to_string(c.num_kv_heads) +
                     ") does not divide num_attention_heads (" + std::to_string(c.num_heads) +
                     ")");
  return c;
}

LlmConfig read_llm_config(const std::string& path, std::uint64_t max_input_bytes) {
  return parse_llm_config(read_file_maybe_gzip(path, max_input_bytes), path);
}

LlmParameterCount llm_parameter_count(const LlmConfig& c) {
  const std::int64_t h = c.hidden_size, f = c.intermediate_size;
  const std::int64_t q = c.q_dim(), kv = c.kv_dim();
  LlmParameterCount p;
  p.embedding = c.vocab_size * h;
  if (c.family == LlmFamily::opt) p.embedding += (c.max_positions + 2) * h;  // offset of 2
  const bool layer_norm = c.family == LlmFamily::gpt_neox || c.family == LlmFamily::opt;
  const std::int64_t norm = layer_norm ? 2 * h : h;  // LayerNorm has a bias, RMSNorm has not
  std::int64_t attention = h * (q + 2 * kv) + q * h;
  if (c.qkv_bias) attention += q + 2 * kv;
  if (c.dense_bias) attention += h;
  std::int64_t mlp = 0, active_mlp = 0;
  switch (c.family) {
    case LlmFamily::llama:
      mlp = active_mlp = 3 * h * f;
      break;
    case LlmFamily::mixtral:
      mlp = c.num_experts * 3 * h * f + h * c.num_experts;
      active_mlp = c.experts_per_token * 3 * h * f + h * c.num_experts;
      break;
    case LlmFamily::gpt_neox:
    case LlmFamily::opt:
      mlp = active_mlp = 2 * h * f + (c.dense_bias ? f + h : 0);
      break;
  }
  p.per_layer = 2 * norm + attention + mlp;
  p.active_per_layer = 2 * norm + attention + active_mlp;
  p.head = norm + (c.tied_embeddings ? 0 : c.vocab_size * h);
  p.total = p.embedding + c.num_layers * p.per_layer + p.head;
  return p;
}

}  // namespace pipecut
