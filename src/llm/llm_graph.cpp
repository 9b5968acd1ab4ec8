// The model graphs of an LLM (docs/llm.md, "The graphs" and "Costs"): the operators of the
// embedding, of each decoder layer and of the head, priced with the roofline of each device
// class, then assembled at operator and at layer granularity.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "pipecut/llm/llm_plan.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/onnx/device_model.hpp"

namespace pipecut {

namespace {

// One operator of a block (the embedding, a decoder layer, the head).
struct Op {
  Op(std::string n, std::string t) : name(std::move(n)), type(std::move(t)) {}
  std::string name;
  std::string type;         // an ONNX type, for operator_time_ms
  double flops = 0;         // a multiply-add counts 2
  double bytes = 0;         // read + written, weights included
  double weight_bytes = 0;  // memory: weights
  double kv_bytes = 0;      // memory: KV cache
  double logits_bytes = 0;  // memory: the logits buffer
  double out_bytes = 0;     // its output tensor
  bool matmul = false;      // computed at the weights' dtype (else at the activations')
  std::vector<int> inputs;  // earlier ops of the block; -1 = the block's input
};

struct Workload {
  double T = 0;  // tokens per step
  double B = 0;  // sequences
  double P = 0;  // attention (query, key) pairs
  double C = 0;  // KV cache tokens per sequence
  bool decode = true;
};

constexpr double kAct = 2;    // bytes per activation, KV cache entry, norm weight and bias (16-bit)
constexpr double kLogit = 4;  // bytes per logit (fp32)

double weight_bytes_per_parameter(const std::string& dtype) {
  if (dtype == "bf16" || dtype == "fp16") return 2;
  if (dtype == "fp8" || dtype == "int8") return 1;
  if (dtype == "int4") return 0.5;
  throw InputError("dtype: unknown '" + dtype + "'");
}

// The rate the matrix products run at: the weights' type, except int4, which engines
// dequantize to 16-bit before the product (weight-only quantization), and fp8 on a device
// without an fp8 rate.
std::string matmul_compute_dtype(const std::string& dtype, const DeviceProfile& p) {
  if (dtype == "int4") return "fp16";
  if (dtype == "fp8") return p.peak_tflops.count("fp8") != 0 ? "fp8" : "fp16";
  return dtype;
}

void add_norm(std::vector<Op>& ops, const std::string& name, const LlmConfig& c, const Workload& w,
              int input) {
  const double h = static_cast<double>(c.hidden_size);
  const bool layer_norm = c.family == LlmFamily::gpt_neox || c.family == LlmFamily::opt;
  Op op{name, "LayerNormalization"};
  op.flops = 8 * w.T * h;
  op.weight_bytes = (layer_norm ? 2 : 1) * h * kAct;
  op.bytes = 2 * w.T * h * kAct + op.weight_bytes;
  op.out_bytes = w.T * h * kAct;
  op.inputs = {input};
  ops.push_back(op);
}

// A projection of `rows` tokens from `in` to `out` features, with a bias when `bias`.
Op projection(const std::string& name, double rows, double in, double out, bool bias, double wb,
              std::vector<int> inputs) {
  Op op{name, "MatMul"};
  op.matmul = true;
  op.flops = 2 * rows * in * out + (bias ? rows * out : 0);
  op.weight_bytes = in * out * wb + (bias ? out * kAct : 0);
  op.out_bytes = rows * out * kAct;
  op.bytes = rows * in * kAct + op.weight_bytes + op.out_bytes;
  op.inputs = std::move(inputs);
  return op;
}

Op elementwise(const std::string& name, const std::string& type, double elements,
               double flops_per_element, int operands, std::vector<int> inputs) {
  Op op{name, type};
  op.flops = flops_per_element * elements;
  op.out_bytes = elements * kAct;
  op.bytes = (operands + 1) * elements * kAct;
  op.inputs = std::move(inputs);
  return op;
}

std::vector<Op> decoder_layer_ops(const LlmConfig& c, const Workload& w, double wb) {
  const double h = static_cast<double>(c.hidden_size);
  const double f = static_cast<double>(c.intermediate_size);
  const double q = static_cast<double>(c.q_dim()), kv = static_cast<double>(c.kv_dim());
  const double heads = static_cast<double>(c.num_heads), d = static_cast<double>(c.head_dim);
  std::vector<Op> ops;
  add_norm(ops, "attn_norm", c, w, -1);                                       // 0
  ops.push_back(projection("qkv", w.T, h, q + 2 * kv, c.qkv_bias, wb, {0}));  // 1
  Op attention{"attention", "Attention"};                                     // 2
  attention.flops = 4 * heads * d * w.P + 5 * heads * w.P;  // Q·Kᵀ, softmax, ·V
  attention.kv_bytes = w.B * w.C * 2 * kv * kAct;
  // Reads q, k, v and writes its output and the new tokens' keys and values; in decode it also
  // reads every sequence's cached keys and values.
  attention.bytes = w.T * (q + 2 * kv) * kAct + w.T * q * kAct + w.T * 2 * kv * kAct +
                    (w.decode ? attention.kv_bytes : 0);
  attention.out_bytes = w.T * q * kAct;
  attention.inputs = {1};
  ops.push_back(attention);
  ops.push_back(projection("o_proj", w.T, q, h, c.dense_bias, wb, {2}));  // 3
  const double th = w.T * h;
  if (c.family == LlmFamily::gpt_neox) {
    // Parallel residual: x + attention(ln1(x)) + mlp(ln2(x)).
    add_norm(ops, "mlp_norm", c, w, -1);                                      // 4
    ops.push_back(projection("mlp_up", w.T, h, f, c.dense_bias, wb, {4}));    // 5
    ops.push_back(elementwise("mlp_act", "Gelu", w.T * f, 4, 1, {5}));        // 6
    ops.push_back(projection("mlp_down", w.T, f, h, c.dense_bias, wb, {6}));  // 7
    ops.push_back(elementwise("residual", "Add", th, 2, 3, {3, 7, -1}));      // 8
    return ops;
  }
  ops.push_back(elementwise("attn_residual", "Add", th, 1, 2, {3, -1}));  // 4
  add_norm(ops, "mlp_norm", c, w, 4);                                     // 5
  int mlp_out = 0;
  if (c.family == LlmFamily::opt) {
    ops.push_back(projection("mlp_up", w.T, h, f, c.dense_bias, wb, {5}));    // 6
    ops.push_back(elementwise("mlp_act", "Relu", w.T * f, 1, 1, {6}));        // 7
    ops.push_back(projection("mlp_down", w.T, f, h, c.dense_bias, wb, {7}));  // 8
    mlp_out = 8;
  } else if (c.family == LlmFamily::llama) {
    ops.push_back(projection("mlp_gate_up", w.T, h, 2 * f, false, wb, {5}));  // 6
    Op act = elementwise("mlp_act", "Mul", w.T * f, 5, 2, {6});               // 7: silu·mul
    ops.push_back(act);
    ops.push_back(projection("mlp_down", w.T, f, h, false, wb, {7}));  // 8
    mlp_out = 8;
  } else {  // mixtral: router, experts, weighted sum
    const double experts = static_cast<double>(c.num_experts);
    const double top = static_cast<double>(c.experts_per_token);
    Op router = projection("router", w.T, h, experts, false, wb, {5});  // 6
    router.flops += 5 * w.T * experts;                                  // softmax and top-k
    ops.push_back(router);
    // Each expert sees T·top/E tokens on average, and its weights are read when at least one
    // token picks it: probability 1 - (1 - top/E)^T.
    const double tokens = w.T * top / experts;
    const double hit = 1 - std::pow(1 - top / experts, w.T);
    std::vector<int> expert_ids;
    for (std::int64_t e = 0; e < c.num_experts; ++e) {
      Op expert{"expert." + std::to_string(e), "MatMul"};
      expert.matmul = true;
      expert.flops = 2 * tokens * 3 * h * f + 5 * tokens * f;
      expert.weight_bytes = 3 * h * f * wb;
      expert.bytes = hit * expert.weight_bytes + tokens * (2 * h + 3 * f) * kAct;
      expert.out_bytes = tokens * h * kAct;
      expert.inputs = {5, 6};
      expert_ids.push_back(static_cast<int>(ops.size()));
      ops.push_back(expert);
    }
    Op combine{"expert_sum", "Add"};
    combine.flops = 2 * w.T * top * h;
    combine.out_bytes = th * kAct;
    combine.bytes = (w.T * top * h + th + w.T * experts) * kAct;
    combine.inputs = expert_ids;
    combine.inputs.push_back(6);
    mlp_out = static_cast<int>(ops.size());
    ops.push_back(combine);
  }
  ops.push_back(elementwise("mlp_residual", "Add", th, 1, 2, {mlp_out, 4}));
  return ops;
}

std::vector<Op> embedding_ops(const LlmConfig& c, const Workload& w, double wb) {
  const double h = static_cast<double>(c.hidden_size);
  Op embed{"embed", "Gather"};
  embed.weight_bytes = static_cast<double>(c.vocab_size) * h * wb;
  embed.out_bytes = w.T * h * kAct;
  embed.bytes = 2 * w.T * h * kAct;
  if (c.family == LlmFamily::opt) {  // learned positions, added to the token embeddings
    embed.weight_bytes += static_cast<double>(c.max_positions + 2) * h * kAct;
    embed.flops = w.T * h;
    embed.bytes += 2 * w.T * h * kAct;
  }
  return {embed};
}

std::vector<Op> head_ops(const LlmConfig& c, const Workload& w, double wb) {
  const double h = static_cast<double>(c.hidden_size), v = static_cast<double>(c.vocab_size);
  std::vector<Op> ops;
  add_norm(ops, "final_norm", c, w, -1);
  // Logits of each sequence's last token only, as the engines compute them; the LM head's
  // weights sit on the last stage even when tied to the embedding (the engines load a copy).
  Op head = projection("lm_head", w.B, h, v, false, wb, {0});
  head.out_bytes = w.B * v * kLogit;
  head.logits_bytes = head.out_bytes;
  head.bytes = w.B * h * kAct + head.weight_bytes + head.out_bytes;
  ops.push_back(head);
  return ops;
}

double op_memory(const Op& op) { return op.weight_bytes + op.kv_bytes + op.logits_bytes; }

struct ClassCostModel {
  DeviceProfile profile;
  double speed = 1;  // divides the profile's times (classes without their own device_model)
};

}  // namespace

LlmGraphs build_llm_graphs(const LlmConfig& config, const Cluster& cluster,
                           const LlmOptions& options) {
  check_options(options, llm_option_catalogue());
  const double wb = weight_bytes_per_parameter(options.dtype);
  Workload w;
  w.decode = options.phase == "decode";
  w.B = options.batch;
  w.C = options.context;
  if (w.decode) {
    w.T = w.B;
    w.P = w.B * w.C;
  } else {
    const double s = options.seq_len;
    w.T = w.B * s;
    w.P = w.B * s * (s + 1) / 2;  // causal: token i attends to i + 1 keys
  }
  // One cost model per class: its own device_model, else --device over its speed.
  std::vector<ClassCostModel> models;
  const DeviceProfile fallback = load_device_profile(options.device);
  for (std::size_t c = 0; c < cluster.classes.size(); ++c) {
    if (cluster.classes[c].device_model.empty())
      models.push_back({fallback, cluster.classes[c].speed});
    else
      models.push_back({load_class_device_profile(cluster, static_cast<int>(c)), 1});
  }
  const std::string act_dtype = options.dtype == "bf16" ? "bf16" : "fp16";
  auto op_time = [&](const Op& op, const ClassCostModel& m) {
    const std::string dtype =
        op.matmul ? matmul_compute_dtype(options.dtype, m.profile) : act_dtype;
    return operator_time_ms(m.profile, op.type, op.flops, op.bytes, dtype) / m.speed;
  };

  // The blocks in pipeline order: embedding, N layers, head.
  struct Block {
    std::string name;
    std::vector<Op> ops;
  };
  std::vector<Block> blocks;
  blocks.push_back({"embed", embedding_ops(config, w, wb)});
  const std::vector<Op> layer = decoder_layer_ops(config, w, wb);
  for (std::int64_t i = 0; i < config.num_layers; ++i)
    blocks.push_back({"layer." + std::to_string(i), layer});
  blocks.push_back({"head", head_ops(config, w, wb)});

  LlmGraphs out;
  out.tokens_per_step = w.T;
  const std::string source = config.source;
  GraphBuilder layers(source, file_stem(source));
  GraphBuilder operators(source, file_stem(source) + " (operators)");
  std::string previous_block_output;  // the operator id the next block reads
  const std::size_t last = blocks.size() - 1;
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    const Block& block = blocks[b];
    NodeSpec block_node;
    block_node.id = block.name;
    block_node.op = b == 0 ? "Embedding" : b == last ? "LMHead" : "DecoderLayer";
    std::vector<double> block_work(cluster.classes.size(), 0.0);
    std::vector<std::string> ids;
    for (const Op& op : block.ops) {
      NodeSpec spec;
      spec.id = block.ops.size() == 1 ? block.name : block.name + "/" + op.name;
      spec.op = op.type;
      spec.memory = op_memory(op);
      spec.bytes = op.out_bytes;
      for (std::size_t ci = 0; ci < cluster.classes.size(); ++ci) {
        const double t = op_time(op, models[ci]);
        spec.class_work.emplace_back(cluster.classes[ci].name, t);
        block_work[ci] += t;
      }
      block_node.memory += spec.memory;
      out.weight_bytes += op.weight_bytes;
      out.kv_cache_bytes += op.kv_bytes;
      out.logits_bytes += op.logits_bytes;
      ids.push_back(spec.id);
      operators.add_node(std::move(spec));
      for (int input : op.inputs) {
        if (input >= 0)
          operators.add_edge(ids[static_cast<std::size_t>(input)], ids.back());
        else if (!previous_block_output.empty())
          operators.add_edge(previous_block_output, ids.back());
      }
    }
    previous_block_output = ids.back();
    for (std::size_t ci = 0; ci < cluster.classes.size(); ++ci)
      block_node.class_work.emplace_back(cluster.classes[ci].name, block_work[ci]);
    block_node.bytes = block.ops.back().out_bytes;
    // The engines put the embedding with the first decoder layer and the head with the last.
    // (With one layer, all three share a stage.)
    if (b <= 1 || last <= 2)
      block_node.colour_class = ColourLabel{"first", false};
    else if (b + 1 >= last)
      block_node.colour_class = ColourLabel{"last", false};
    layers.add_node(std::move(block_node));
    if (b > 0) layers.add_edge(blocks[b - 1].name, block.name);
  }
  out.layers = std::move(layers).build();
  out.operators = std::move(operators).build();

  // Activation workspace, reserved once on every device: a layer's input and output hidden
  // states and its widest intermediate tensor (docs/llm.md, "Memory").
  const double h = static_cast<double>(config.hidden_size);
  const double f = static_cast<double>(config.intermediate_size);
  double inner = f;
  if (config.family == LlmFamily::llama) inner = 2 * f;
  if (config.family == LlmFamily::mixtral)
    inner = 2 * f * static_cast<double>(config.experts_per_token);
  inner = std::max(inner, static_cast<double>(config.q_dim() + 2 * config.kv_dim()));
  out.workspace_bytes = w.T * (2 * h + inner) * kAct;
  out.usable = cluster;
  for (DeviceClass& dc : out.usable.classes) {
    const double usable = std::floor(options.memory_utilization * dc.memory - out.workspace_bytes);
    if (usable <= 0)
      throw InfeasibleError(source + ": device class '" + dc.name + "' has " +
                            std::to_string(options.memory_utilization * dc.memory / 1e9) +
                            " GB usable, less than the activation workspace of " +
                            std::to_string(out.workspace_bytes / 1e9) + " GB");
    dc.memory = usable;
  }
  return out;
}

}  // namespace pipecut
