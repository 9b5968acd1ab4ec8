#include "pipecut/model/backward_pass.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <unordered_set>

#include "pipecut/model/error.hpp"

namespace pipecut {

namespace {

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Operators whose backward pass computes two products of the forward's size: the gradient of
// the input and that of the weight (or of the second matrix operand). Lower case; ONNX operator
// types and the op names pipecut.torch writes (module classes and functions). docs/training.md,
// "Synthesising a backward pass", lists and explains them.
constexpr std::array kTwiceTheForward = {
    // ONNX
    "conv", "convtranspose", "convinteger", "qlinearconv", "gemm", "matmul", "matmulinteger",
    "qlinearmatmul", "fusedmatmul", "einsum", "attention", "multiheadattention", "lstm", "gru",
    "rnn",
    // pipecut.torch: module classes
    "conv1d", "conv2d", "conv3d", "convtranspose1d", "convtranspose2d", "convtranspose3d",
    "linear", "bilinear", "lazylinear", "lazyconv1d", "lazyconv2d", "lazyconv3d",
    // pipecut.torch: functions (conv1d ... and linear are spelt as the classes)
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "mm", "bmm", "addmm", "baddbmm",
    "addbmm", "scaled_dot_product_attention", "multi_head_attention_forward"};

[[noreturn]] void fail(std::string_view source, const std::string& problem) {
  throw InputError(std::string(source) + ": " + problem);
}

}  // namespace

double backward_work_factor(std::string_view op) {
  const std::string key = lowercase(op);
  return std::find(kTwiceTheForward.begin(), kTwiceTheForward.end(), key) !=
                 kTwiceTheForward.end()
             ? 2.0
             : 1.0;
}

double backward_factor(const BackwardPassModel& model, std::string_view op) {
  return model.factor ? *model.factor : backward_work_factor(op);
}

Graph add_backward_pass(const Graph& g, const BackwardPassModel& model, std::string_view source) {
  const std::string where = source.empty() ? (g.name.empty() ? "graph" : g.name)
                                           : std::string(source);
  if (g.is_training())
    fail(where,
         "the graph already has backward nodes; a backward pass is synthesised for inference "
         "graphs only (docs/training.md, \"Synthesising a backward pass\")");
  if (model.factor && !(std::isfinite(*model.factor) && *model.factor >= 0))
    fail(where, "backward pass factor must be a finite number >= 0");
  const NodeId n = g.num_nodes();
  const std::string suffix(kBackwardIdSuffix);
  const std::unordered_set<std::string> ids(g.ids.begin(), g.ids.end());
  for (NodeId v = 0; v < n; ++v)
    if (ids.count(g.ids[v] + suffix))
      fail(where, "node '" + g.ids[v] + "': its backward twin's id '" + g.ids[v] + suffix +
                      "' is already a node's (rename it; docs/training.md, \"Synthesising a "
                      "backward pass\")");

  // Colour classes: every node keeps its own; a node without one gets a fresh class of its own
  // (shared with its twin), labelled by its id, primed until no other label has that text.
  std::unordered_set<std::string> used;
  for (const ColourLabel& label : g.colour_labels) used.insert(label.text);
  std::vector<ColourLabel> label(static_cast<std::size_t>(n));
  for (NodeId v = 0; v < n; ++v) {
    if (!g.colour_class.empty() && g.colour_class[v] >= 0) {
      label[v] = g.colour_labels[static_cast<std::size_t>(g.colour_class[v])];
      continue;
    }
    std::string text = g.ids[v];
    while (used.count(text)) text += suffix;
    used.insert(text);
    label[v] = {text, false};
  }

  const std::size_t classes = g.work_classes.size();
  auto class_work = [&](NodeId v, double factor) {
    std::vector<std::pair<std::string, double>> out;
    for (std::size_t c = 0; c < classes; ++c) {
      const double t = g.class_work[static_cast<std::size_t>(v) * classes + c];
      if (!std::isnan(t)) out.emplace_back(g.work_classes[c], factor * t);
    }
    return out;
  };
  const bool has_bytes = !g.bytes.empty();

  GraphBuilder builder(where, g.name);
  for (NodeId v = 0; v < n; ++v) {
    NodeSpec s = node_spec(g, v);
    s.colour_class = label[v];
    builder.add_node(std::move(s));
  }
  for (NodeId v = 0; v < n; ++v) {
    const double factor = backward_factor(model, g.op[v]) + 0.0;  // -0 (a factor "-0") is 0
    NodeSpec s;
    s.id = g.ids[v] + suffix;
    s.work = factor * g.work[v];
    s.memory = 0;
    s.op = g.op[v];
    s.colour_class = label[v];
    s.class_work = class_work(v, factor);
    s.backward = true;
    // Its output: the gradients of v's inputs, sent to their producers' twins as one tensor
    // (docs/training.md, "Synthesising a backward pass").
    double comm = 0, bytes = 0;
    bool bytes_known = true;
    for (NodeId u : g.predecessors(v)) {
      comm += g.comm[u];
      if (has_bytes && g.bytes[u] >= 0)
        bytes += g.bytes[u];
      else
        bytes_known = false;
    }
    s.comm = comm;
    if (has_bytes && bytes_known) s.bytes = bytes;
    builder.add_node(std::move(s));
  }
  for (NodeId u = 0; u < n; ++u)
    for (NodeId v : g.successors(u)) {
      builder.add_edge(u, v);          // forward
      builder.add_edge(n + v, n + u);  // gradient: v' -> u'
      builder.add_edge(u, n + v);      // activation: v's backward reads its input u
    }
  if (g.memory_per_stage) builder.set_memory_per_stage(*g.memory_per_stage);
  if (g.default_k) builder.set_default_k(*g.default_k);
  return std::move(builder).build();
}

std::optional<BackwardPassModel> parse_backward_pass(std::string_view text,
                                                     std::string_view option) {
  if (text == "none") return std::nullopt;
  if (text == "ops") return BackwardPassModel{};
  double factor = 0;
  const char* end = text.data() + text.size();
  const auto [after, error] = std::from_chars(text.data(), end, factor);
  if (text.empty() || error != std::errc() || after != end || !std::isfinite(factor) ||
      factor < 0)
    throw InputError(std::string(option) + ": must be none, ops or a number >= 0 (got '" +
                     std::string(text) + "')");
  return BackwardPassModel{factor};
}

}  // namespace pipecut
