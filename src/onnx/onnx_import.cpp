// ONNX -> pipecut Graph with the roofline device cost model (docs/cost-model.md).
#include "pipecut/onnx/onnx_import.hpp"

#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "onnx/onnx_types.hpp"
#include "onnx/ort_profile_apply.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/io/foreign_formats.hpp"
#include "pipecut/model/error.hpp"
#include "util/subprocess.hpp"

namespace pipecut {

namespace {

struct TensorInfo {
  std::int32_t elem_type = 0;  // onnx::TensorProto_DataType
  std::vector<std::int64_t> dims;
  bool known = false;     // shape known (symbolic dims count as 1)
  bool symbolic = false;  // some dim is symbolic or unknown (e.g. a dynamic batch)
  // An element count guessed for a tensor of unknown shape (< 0: none), kept as a double since
  // it may exceed any integer type; `dims` is empty then.
  double guessed_elements = -1;
};

bool is_floating(std::int32_t elem_type) {
  using T = onnx::TensorProto;
  return elem_type == T::FLOAT || elem_type == T::FLOAT16 || elem_type == T::BFLOAT16 ||
         elem_type == T::DOUBLE;
}

double numel(const TensorInfo& t) {
  if (t.guessed_elements >= 0) return t.guessed_elements;
  double n = 1;
  for (auto d : t.dims) n *= static_cast<double>(std::max<std::int64_t>(d, 1));
  return n;
}

TensorInfo info_from_type(const onnx::TypeProto& type) {
  TensorInfo t;
  if (!type.has_tensor_type()) return t;
  t.elem_type = type.tensor_type().elem_type();
  if (type.tensor_type().has_shape()) {
    t.known = true;
    for (const auto& d : type.tensor_type().shape().dim()) {
      t.dims.push_back(d.has_dim_value() ? d.dim_value() : 1);  // symbolic (batch) dim -> 1
      t.symbolic = t.symbolic || !d.has_dim_value();
    }
  }
  return t;
}

TensorInfo info_from_tensor(const onnx::TensorProto& tensor) {
  TensorInfo t;
  t.elem_type = tensor.data_type();
  t.known = true;
  for (auto d : tensor.dims()) t.dims.push_back(d);
  return t;
}

// Pure data movement: 0 FLOPs, bytes read and written.
const std::unordered_set<std::string> kCopyOps = {
    "Transpose", "Concat",    "Split",           "Slice",        "Gather",       "GatherElements",
    "GatherND",  "Pad",       "Expand",          "Tile",         "Cast",         "Shape",
    "Size",      "ScatterND", "ScatterElements", "DepthToSpace", "SpaceToDepth", "ConstantOfShape",
    "Range",     "NonZero",   "Where",           "OneHot",       "Trilu"};
// Elementwise with about one operation per output element.
const std::unordered_set<std::string> kCheapElementwise = {"Add",
                                                           "Sub",
                                                           "Mul",
                                                           "Div",
                                                           "Relu",
                                                           "LeakyRelu",
                                                           "PRelu",
                                                           "Clip",
                                                           "Max",
                                                           "Min",
                                                           "Neg",
                                                           "Abs",
                                                           "Sum",
                                                           "Mean",
                                                           "Equal",
                                                           "Greater",
                                                           "Less",
                                                           "GreaterOrEqual",
                                                           "LessOrEqual",
                                                           "Not",
                                                           "And",
                                                           "Or",
                                                           "Xor",
                                                           "Floor",
                                                           "Ceil",
                                                           "Round",
                                                           "Sign",
                                                           "Reciprocal",
                                                           "ThresholdedRelu",
                                                           "Mod",
                                                           "BitShift"};
// Elementwise with a transcendental function: counted as 4 operations per element.
const std::unordered_set<std::string> kCostlyElementwise = {
    "Sigmoid", "Tanh",  "Exp",         "Log",       "Sqrt",     "Pow",      "Erf",  "Elu",
    "Selu",    "Celu",  "HardSigmoid", "HardSwish", "Softplus", "Softsign", "Mish", "Gelu",
    "Sin",     "Cos",   "Tan",         "Asin",      "Acos",     "Atan",     "Sinh", "Cosh",
    "Asinh",   "Acosh", "Atanh",       "IsNaN",     "IsInf"};
const std::unordered_set<std::string> kReductions = {
    "ReduceMean",        "ReduceSum",       "ReduceMax",    "ReduceMin",
    "ReduceProd",        "ReduceL1",        "ReduceL2",     "ReduceLogSum",
    "ReduceLogSumExp",   "ReduceSumSquare", "ArgMax",       "ArgMin",
    "GlobalAveragePool", "GlobalMaxPool",   "GlobalLpPool", "TopK"};

std::vector<std::int64_t> int_list_attribute(const onnx::NodeProto& node, const std::string& name) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return {a.ints().begin(), a.ints().end()};
  return {};
}
std::int64_t int_attribute(const onnx::NodeProto& node, const std::string& name,
                           std::int64_t dflt) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return a.i();
  return dflt;
}

// Einsum: every combination of index values is one multiply-add when there are two or more
// operands (2 FLOPs), one addition with a single operand. nullopt when the equation uses "..."
// or a dimension is unknown; the caller then falls back to a conservative estimate.
template <class InputInfo>
std::optional<double> einsum_flops(const onnx::NodeProto& node, const InputInfo& in_info) {
  std::string equation;
  for (const auto& a : node.attribute())
    if (a.name() == "equation") equation = a.s();
  std::erase_if(equation, [](char c) { return c == ' '; });
  const auto arrow = equation.find("->");
  const std::string lhs = equation.substr(0, arrow);
  if (lhs.empty() || lhs.find('.') != std::string::npos) return std::nullopt;
  std::map<char, double> size_of;
  int operand = 0;
  std::size_t start = 0;
  for (;;) {
    const auto comma = lhs.find(',', start);
    const std::string term = lhs.substr(start, comma == std::string::npos ? comma : comma - start);
    const auto info = in_info(operand);
    if (!info.known || info.dims.size() != term.size()) return std::nullopt;
    for (std::size_t d = 0; d < term.size(); ++d)
      size_of[term[d]] = static_cast<double>(std::max<std::int64_t>(info.dims[d], 1));
    ++operand;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  double combinations = 1;
  for (const auto& [index, size] : size_of) combinations *= size;
  return (operand >= 2 ? 2.0 : 1.0) * combinations;
}

// Names a subgraph (If/Loop/Scan body) reads from the enclosing scope: implicit inputs.
void collect_subgraph_reads(const onnx::GraphProto& graph, std::set<std::string>& reads) {
  std::set<std::string> defined;
  for (const auto& i : graph.input()) defined.insert(i.name());
  for (const auto& i : graph.initializer()) defined.insert(i.name());
  for (const auto& n : graph.node()) {
    for (const auto& in : n.input())
      if (!in.empty() && !defined.count(in)) reads.insert(in);
    for (const auto& a : n.attribute()) {
      if (a.has_g()) collect_subgraph_reads(a.g(), reads);
      for (const auto& g : a.graphs()) collect_subgraph_reads(g, reads);
    }
    for (const auto& out : n.output()) defined.insert(out);
  }
}

// Value of a Shape (with its start/end attributes) or Size operator applied to a tensor of
// static shape `dims`.
std::vector<std::int64_t> static_shape_value(const onnx::NodeProto& node,
                                             const std::vector<std::int64_t>& dims) {
  if (node.op_type() == "Size") {
    std::int64_t size = 1;
    for (auto d : dims) size *= d;
    return {size};
  }
  const auto rank = static_cast<std::int64_t>(dims.size());
  auto clamp_axis = [&](std::int64_t axis) {
    if (axis < 0) axis += rank;
    return std::clamp<std::int64_t>(axis, 0, rank);
  };
  const std::int64_t start = clamp_axis(int_attribute(node, "start", 0));
  const std::int64_t end = clamp_axis(int_attribute(node, "end", rank));
  if (end <= start) return {};
  return {dims.begin() + start, dims.begin() + end};
}

// Folded operators that operator `op` reads, directly or through other folded operators.
std::vector<int> folded_closure(int op, const std::vector<std::set<std::string>>& op_inputs,
                                const std::vector<char>& folded,
                                const std::unordered_map<std::string, int>& tensor_producer) {
  std::vector<int> found;
  std::vector<int> stack{op};
  while (!stack.empty()) {
    const int current = stack.back();
    stack.pop_back();
    for (const auto& in : op_inputs[current]) {
      auto it = tensor_producer.find(in);
      if (it == tensor_producer.end() || !folded[it->second]) continue;
      if (std::find(found.begin(), found.end(), it->second) != found.end()) continue;
      found.push_back(it->second);
      stack.push_back(it->second);
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

// The first node of the main graph that reads a tensor nothing before it defines (a graph input,
// an initializer or an earlier node's output: ONNX graphs are topologically sorted) or that does
// not match its operator's schema, described in one line; "" when none does. Operators without
// a known schema are not checked against one.
std::string schema_mismatch(const onnx::ModelProto& model) {
  std::unordered_set<std::string> defined;
  for (const auto& input : model.graph().input()) defined.insert(input.name());
  for (const auto& init : model.graph().initializer()) defined.insert(init.name());
  for (const auto& node : model.graph().node()) {
    for (const auto& input : node.input())
      if (!input.empty() && !defined.count(input))
        return "node '" + node.name() + "' (" + node.op_type() + ") reads '" + input +
               "', which nothing before it defines";
    for (const auto& output : node.output()) defined.insert(output);
  }
  std::map<std::string, int> opset;
  for (const auto& entry : model.opset_import()) {
    const std::string domain = entry.domain() == "ai.onnx" ? "" : entry.domain();
    opset[domain] = static_cast<int>(std::clamp<std::int64_t>(entry.version(), 0, 1 << 20));
  }
  for (const auto& node : model.graph().node()) {
    const std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
    const auto version = opset.find(domain);
    if (version == opset.end()) continue;
    const onnx::OpSchema* schema =
        onnx::OpSchemaRegistry::Schema(node.op_type(), version->second, domain);
    if (schema == nullptr) continue;
    try {
      schema->Verify(node);
    } catch (const std::exception& e) {
      std::string why = e.what();
      why = why.substr(0, why.find('\n'));
      return "node '" + node.name() + "' (" + node.op_type() +
             ") does not match its schema: " + why;
    }
  }
  return {};
}

// Shape inference annotates value_info; it never reads external data. Data propagation
// resolves shapes computed by Shape/Gather/Concat chains (common in exports). It runs in a child
// process when it can: libonnx's inference divides by zero on some malformed models (a Split
// without outputs dies of SIGFPE; found by fuzzing), and that must cost the shapes, not the
// process. Returns "" on success, else why it failed (the model is then left as it was).
std::string infer_shapes(onnx::ModelProto& model) {
  // A node that does not match its operator's schema (input and output counts, attribute
  // types) is where libonnx's inference is least safe: skip inference for such a model, which
  // protects even the in-process fallback below from the crash classes found so far.
  if (std::string problem = schema_mismatch(model); !problem.empty()) return problem;
  auto infer = [](onnx::ModelProto& m) {
    onnx::ShapeInferenceOptions inference(/*check_type=*/false, /*error_mode=*/0,
                                          /*enable_data_propagation=*/true);
    onnx::shape_inference::InferShapes(m, onnx::OpSchemaRegistry::Instance(), inference);
  };
  if (detail::other_threads_running()) {  // forking is unsafe then: infer here
    try {
      infer(model);
    } catch (const std::exception& e) {
      return e.what();
    }
    return {};
  }
  const detail::ChildResult child = detail::run_in_child(
      [&] {
        infer(model);  // the child's copy
        return model.SerializeAsString();
      },
      "shape inference");
  if (!child.completed) return child.failure;
  onnx::ModelProto inferred;
  if (!inferred.ParseFromString(child.output)) return "its result could not be read back";
  model.Swap(&inferred);
  return {};
}

// Symbolic or unknown dimensions (a dynamic batch or sequence) are costed as 1 (info_from_type),
// which the user must know: the costs are those of size 1 along them (docs/formats.md "ONNX").
// One warning per model, naming the symbolic dimensions.
void warn_dynamic_dimensions(const onnx::GraphProto& graph, const std::string& source,
                             const LogCallback& warn) {
  std::set<std::string> named;
  int unnamed = 0;
  auto scan = [&](const onnx::ValueInfoProto& v) {
    if (!v.type().has_tensor_type() || !v.type().tensor_type().has_shape()) return;
    for (const auto& d : v.type().tensor_type().shape().dim()) {
      if (d.has_dim_value()) continue;
      // "unk__N" is what ONNX shape inference calls a size it could not determine.
      if (d.has_dim_param() && !d.dim_param().empty() && d.dim_param().rfind("unk__", 0) != 0)
        named.insert(d.dim_param());
      else
        ++unnamed;
    }
  };
  for (const auto& v : graph.input()) scan(v);
  for (const auto& v : graph.value_info()) scan(v);
  for (const auto& v : graph.output()) scan(v);
  if (named.empty() && unnamed == 0) return;
  std::string list;
  int listed = 0;
  for (const std::string& name : named) {
    if (++listed > 8) {
      list += ", ...";
      break;
    }
    list += (list.empty() ? "dynamic dimension(s) '" : ", '") + name + "'";
  }
  if (unnamed > 0)
    list += (list.empty() ? "" : " and ") + std::to_string(unnamed) +
            " tensor dimension(s) of unknown size";
  log_to(warn, source + ": " + list +
                   " costed as 1: the costs are those of size 1 along them (export the model "
                   "with fixed sizes to cost others)");
}

}  // namespace

OnnxImport import_onnx_bytes(const std::string& bytes, const std::string& source,
                             const OnnxImportOptions& options) {
  if (!options.dtype.empty() && !is_known_compute_dtype(options.dtype))
    throw InputError("--dtype '" + options.dtype + "': expected fp32, tf32, fp16, bf16 or int8");
  OnnxImport result;
  result.device = load_device_profile(options.device);
  const DeviceProfile& device = result.device;
  const double link_gbps = options.link_bandwidth_gbps.value_or(device.link_bandwidth_gbps);
  if (!(link_gbps > 0)) throw InputError("--link-bandwidth must be > 0");

  onnx::ModelProto model;
  if (bytes.empty()) throw InputError(source + ": empty file");
  if (!model.ParseFromString(bytes))
    throw InputError(source + ": not a valid ONNX model (truncated or corrupt protobuf)");
  if (!model.has_graph() || model.graph().node_size() == 0)
    throw InputError(source + ": ONNX model has no graph nodes");
  if (const std::string problem = infer_shapes(model); !problem.empty())
    log_to(options.warn, source + ": ONNX shape inference failed (" + problem.substr(0, 200) +
                             "); costs use the shapes stored in the file");
  const onnx::GraphProto& graph = model.graph();
  warn_dynamic_dimensions(graph, source, options.warn);

  std::unordered_map<std::string, TensorInfo> tensors;
  // A declaration without a shape never hides a shape found elsewhere (e.g. an output declared
  // with its element type only, whose shape inference put in value_info).
  auto remember = [&](const onnx::ValueInfoProto& v) {
    TensorInfo info = info_from_type(v.type());
    auto [it, inserted] = tensors.emplace(v.name(), info);
    if (!inserted && (info.known || !it->second.known)) it->second = info;
  };
  for (const auto& v : graph.input()) remember(v);
  for (const auto& v : graph.value_info()) remember(v);
  for (const auto& v : graph.output()) remember(v);
  std::unordered_set<std::string> constant;  // tensors known without any graph input
  for (const auto& init : graph.initializer()) {
    tensors[init.name()] = info_from_tensor(init);  // dims x dtype only, data never touched
    constant.insert(init.name());
  }
  const std::string dtype_override = options.dtype;
  auto tensor_bytes = [&](const std::string& name) -> double {
    auto it = tensors.find(name);
    if (it == tensors.end()) return 0;
    const TensorInfo& t = it->second;
    const double size = !dtype_override.empty() && is_floating(t.elem_type)
                            ? compute_dtype_bytes(dtype_override)
                            : element_bytes(t.elem_type);
    return numel(t) * size;
  };

  // Pass 1: which operators are constant (all inputs constant, or a static Shape) -> folded.
  const int n_ops = graph.node_size();
  std::vector<char> folded(n_ops, 0);
  std::vector<std::set<std::string>> op_inputs(n_ops);
  for (int i = 0; i < n_ops; ++i) {
    const auto& node = graph.node(i);
    for (const auto& in : node.input())
      if (!in.empty()) op_inputs[i].insert(in);
    for (const auto& a : node.attribute()) {
      if (a.has_g()) collect_subgraph_reads(a.g(), op_inputs[i]);
      for (const auto& g : a.graphs()) collect_subgraph_reads(g, op_inputs[i]);
    }
    if (node.op_type() == "Constant")
      for (const auto& a : node.attribute())
        if (a.has_t() && node.output_size() > 0) tensors[node.output(0)] = info_from_tensor(a.t());
    // No inputs (Constant, RandomNormal, ...) also counts as constant.
    bool all_constant = std::all_of(op_inputs[i].begin(), op_inputs[i].end(),
                                    [&](const std::string& in) { return constant.count(in) > 0; });
    // Shape/Size of a tensor whose shape is fully static is a compile-time constant.
    if ((node.op_type() == "Shape" || node.op_type() == "Size") && node.input_size() == 1 &&
        !all_constant) {
      auto it = tensors.find(node.input(0));
      if (it != tensors.end() && it->second.known && !it->second.symbolic) {
        all_constant = true;
        result.static_shape_values[i] = static_shape_value(node, it->second.dims);
      }
    }
    if (all_constant) {
      folded[i] = 1;
      for (const auto& out : node.output())
        if (!out.empty()) constant.insert(out);
    }
  }

  result.op_folded = folded;
  result.op_reads.reserve(n_ops);
  for (const auto& reads : op_inputs) result.op_reads.emplace_back(reads.begin(), reads.end());
  std::unordered_map<std::string, int> tensor_producer;  // tensor -> operator writing it
  for (int i = 0; i < n_ops; ++i)
    for (const auto& out : graph.node(i).output())
      if (!out.empty()) tensor_producer.emplace(out, i);

  // Pass 2: graph nodes, one per operator (plus port nodes for operators with several
  // consumed outputs), then edges from each tensor's carrier to its consumers.
  std::unordered_map<std::string, int> consumers_of;  // tensor -> number of consuming real ops
  for (int i = 0; i < n_ops; ++i)
    if (!folded[i])
      for (const auto& in : op_inputs[i]) ++consumers_of[in];

  GraphBuilder builder(source, file_stem(source));
  std::unordered_set<std::string> taken;
  for (int i = 0; i < n_ops; ++i) taken.insert(graph.node(i).name());
  // Node names when unique; "<op>_<index>" when missing; "#2", "#3", ... appended on repeats.
  // The next suffix to try is remembered per name, so n repeats of one name cost O(n) in all.
  std::unordered_map<std::string, int> next_suffix;
  auto unique_id = [&](const std::string& wanted) {
    if (!builder.find(wanted)) return wanted;
    int& suffix = next_suffix.try_emplace(wanted, 2).first->second;
    for (;; ++suffix) {
      std::string id = wanted + "#" + std::to_string(suffix);
      if (!builder.find(id) && !taken.count(id)) {
        ++suffix;
        return id;
      }
    }
  };
  std::unordered_map<std::string, NodeId> producer_node;  // tensor -> graph node carrying it
  std::set<std::string> unknown_ops;
  std::vector<int> op_node(n_ops, -1);
  for (int i = 0; i < n_ops; ++i) {
    const auto& node = graph.node(i);
    if (folded[i]) {
      ++result.folded_nodes;
      continue;
    }
    const std::string& op = node.op_type();
    auto in_info = [&](int k) -> TensorInfo {
      if (k >= node.input_size() || node.input(k).empty()) return {};
      auto it = tensors.find(node.input(k));
      return it == tensors.end() ? TensorInfo{} : it->second;
    };
    double activation_bytes = 0, weight_bytes = 0, written = 0, out_elems = 0;
    std::int32_t out_type = onnx::TensorProto::FLOAT;
    for (const auto& in : op_inputs[i]) {
      if (constant.count(in))
        weight_bytes += tensor_bytes(in);
      else
        activation_bytes += tensor_bytes(in);
    }
    // Resident on the operator's device whatever its kernel reads (a view reads nothing).
    const double parameter_bytes = weight_bytes;
    bool outputs_known = true;
    for (int k = 0; k < node.output_size(); ++k) {
      if (node.output(k).empty()) continue;
      auto it = tensors.find(node.output(k));
      if (it == tensors.end() || !it->second.known) {
        outputs_known = false;
        continue;
      }
      written += tensor_bytes(node.output(k));
      out_elems += numel(it->second);
      if (k == 0) out_type = it->second.elem_type;
    }
    if (!outputs_known) {
      // Unknown output shape: assume an elementwise-sized result (as large as the largest input).
      double largest = 0;
      for (int k = 0; k < node.input_size(); ++k)
        if (!node.input(k).empty()) largest = std::max(largest, tensor_bytes(node.input(k)));
      for (int k = 0; k < node.output_size(); ++k) {
        auto& t = tensors[node.output(k)];
        if (!t.known) {
          t.known = true;
          t.elem_type = t.elem_type ? t.elem_type : onnx::TensorProto::FLOAT;
          // A guess, not a shape: Shape of this tensor is not a compile-time constant.
          t.symbolic = true;
          t.dims.clear();
          t.guessed_elements = largest / element_bytes(t.elem_type);
          written += largest;
          out_elems += numel(t);
        }
      }
    }
    // FLOPs per operator family (docs/cost-model.md).
    double flops = 0;
    if (op == "Conv" || op == "ConvInteger" || op == "QLinearConv") {
      const TensorInfo w = in_info(op == "QLinearConv" ? 3 : 1);
      double per_output = 1;  // (C/group) x kernel
      for (std::size_t d = 1; d < w.dims.size(); ++d)
        per_output *= static_cast<double>(std::max<std::int64_t>(w.dims[d], 1));
      const double out0 = node.output_size() > 0 ? numel(tensors[node.output(0)]) : out_elems;
      flops = 2 * out0 * per_output + (node.input_size() > 2 ? out0 : 0);
    } else if (op == "ConvTranspose") {
      const TensorInfo x = in_info(0), w = in_info(1);
      double per_input = 1;  // (M/group) x kernel
      for (std::size_t d = 1; d < w.dims.size(); ++d)
        per_input *= static_cast<double>(std::max<std::int64_t>(w.dims[d], 1));
      flops = 2 * numel(x) * per_input + (node.input_size() > 2 ? out_elems : 0);
    } else if (op == "MatMul" || op == "MatMulInteger" || op == "QLinearMatMul") {
      const TensorInfo a = in_info(0);
      const double k =
          a.dims.empty() ? 1 : static_cast<double>(std::max<std::int64_t>(a.dims.back(), 1));
      flops = 2 * out_elems * k;
    } else if (op == "Gemm") {
      const TensorInfo a = in_info(0);
      const bool trans_a = int_attribute(node, "transA", 0) != 0;
      double k = 1;
      if (a.dims.size() == 2)
        k = static_cast<double>(std::max<std::int64_t>(a.dims[trans_a ? 0 : 1], 1));
      flops = 2 * out_elems * k + (node.input_size() > 2 ? out_elems : 0);
    } else if (op == "Einsum" && einsum_flops(node, in_info)) {
      flops = *einsum_flops(node, in_info);
    } else if (op == "Einsum" || op == "Attention" || op == "MultiHeadAttention") {
      // No general contraction analysis: a conservative square-ish estimate.
      double in_elems = 0;
      for (int k = 0; k < node.input_size(); ++k) in_elems = std::max(in_elems, numel(in_info(k)));
      flops = 2 * out_elems * std::max(1.0, std::sqrt(in_elems));
      unknown_ops.insert(op);
    } else if (op == "MaxPool" || op == "AveragePool" || op == "LpPool") {
      double window = 1;
      for (auto kdim : int_list_attribute(node, "kernel_shape"))
        window *= static_cast<double>(std::max<std::int64_t>(kdim, 1));
      flops = (node.output_size() > 0 ? numel(tensors[node.output(0)]) : out_elems) * window;
    } else if (kReductions.count(op)) {
      flops = numel(in_info(0));
    } else if (op == "Softmax" || op == "LogSoftmax") {
      flops = 5 * out_elems;  // max, subtract, exp, sum, divide
    } else if (op == "BatchNormalization") {
      flops = 2 * out_elems;  // inference: one scale and one shift per element
    } else if (op == "LayerNormalization" || op == "InstanceNormalization" ||
               op == "GroupNormalization" || op == "LpNormalization" ||
               op == "MeanVarianceNormalization") {
      flops = 8 * out_elems;  // mean, variance, normalise, scale, shift
    } else if (op == "LRN") {
      flops = static_cast<double>(std::max<std::int64_t>(int_attribute(node, "size", 5), 1)) *
                  out_elems +
              4 * out_elems;
    } else if (kCheapElementwise.count(op)) {
      flops = out_elems;
    } else if (kCostlyElementwise.count(op)) {
      flops = 4 * out_elems;
    } else if (op == "Resize" || op == "Upsample") {
      flops = 4 * out_elems;  // interpolation weights
    } else if (is_view_operator(op)) {
      activation_bytes = weight_bytes = written = 0;  // a view: no kernel
    } else if (kCopyOps.count(op)) {
      flops = 0;
    } else {
      // Unknown: a conservative guess that is never free (10 operations per element).
      double in_elems = 0;
      for (int k = 0; k < node.input_size(); ++k) in_elems += numel(in_info(k));
      flops = 10 * std::max(out_elems, in_elems);
      unknown_ops.insert(op);
    }
    // Compute dtype: the override, or from the first output's element type.
    std::string compute_dtype = dtype_override;
    if (compute_dtype.empty()) {
      using T = onnx::TensorProto;
      compute_dtype = out_type == T::FLOAT16                          ? "fp16"
                      : out_type == T::BFLOAT16                       ? "bf16"
                      : (out_type == T::INT8 || out_type == T::UINT8) ? "int8"
                                                                      : "fp32";
    }
    const double work = operator_time_ms(device, op, flops,
                                         activation_bytes + weight_bytes + written, compute_dtype);
    // Consumed outputs, in port order.
    std::vector<int> consumed;
    for (int k = 0; k < node.output_size(); ++k)
      if (!node.output(k).empty() && consumers_of.count(node.output(k))) consumed.push_back(k);
    auto comm_of = [&](double output_bytes) {
      return tensor_transfer_ms(device, output_bytes, link_gbps);
    };
    NodeSpec spec;
    spec.id = unique_id(node.name().empty() ? op + "_" + std::to_string(i) : node.name());
    spec.op = op;
    spec.work = work;
    spec.memory = parameter_bytes;
    if (consumed.size() <= 1) {
      // The usual case: the node stands for its one consumed output (output 0 if none is).
      const int port = consumed.empty() ? 0 : consumed.front();
      const double out_bytes = node.output_size() > port ? tensor_bytes(node.output(port)) : 0.0;
      spec.comm = comm_of(out_bytes);
      const NodeId index = builder.add_node(spec);
      op_node[i] = index;
      result.costs.push_back(
          {flops, activation_bytes + weight_bytes, written, out_bytes, compute_dtype});
      result.origins.push_back({i, -1, node.output_size() > port ? node.output(port) : "",
                                folded_closure(i, op_inputs, folded, tensor_producer)});
      if (node.output_size() > port) producer_node[node.output(port)] = index;
      continue;
    }
    // Several consumed outputs (docs/formats.md, "Several outputs"). Each output gets a
    // zero-work node "<id>:<port>" sending that output; the operator's own comm is the sum of
    // them, so parting a port node from the operator never costs less than the real transfers.
    std::vector<double> port_comm;
    double total_bytes = 0;
    for (int port : consumed) {
      total_bytes += tensor_bytes(node.output(port));
      port_comm.push_back(comm_of(tensor_bytes(node.output(port))));
    }
    spec.comm = std::accumulate(port_comm.begin(), port_comm.end(), 0.0);
    const std::string base_id = spec.id;
    const NodeId index = builder.add_node(spec);
    op_node[i] = index;
    result.costs.push_back(
        {flops, activation_bytes + weight_bytes, written, total_bytes, compute_dtype});
    result.origins.push_back({i, -1, "", folded_closure(i, op_inputs, folded, tensor_producer)});
    for (std::size_t q = 0; q < consumed.size(); ++q) {
      const int port = consumed[q];
      NodeSpec port_node;
      port_node.id = unique_id(base_id + ":" + std::to_string(port));
      port_node.op = "output_port";
      port_node.comm = port_comm[q];
      const NodeId port_index = builder.add_node(port_node);
      result.costs.push_back({0, 0, 0, tensor_bytes(node.output(port)), {}});
      result.origins.push_back({-1, index, node.output(port), {}});
      builder.add_edge(index, port_index);
      producer_node[node.output(port)] = port_index;
    }
  }
  for (int i = 0; i < n_ops; ++i) {
    if (folded[i]) continue;
    for (const auto& in : op_inputs[i]) {
      auto it = producer_node.find(in);
      if (it != producer_node.end() && it->second != op_node[i])
        builder.add_edge(it->second, op_node[i]);
    }
  }
  result.unknown_ops.assign(unknown_ops.begin(), unknown_ops.end());
  if (!unknown_ops.empty()) {
    std::string list;
    for (const auto& op : unknown_ops) list += (list.empty() ? "" : ", ") + op;
    log_to(options.warn, source + ": no exact cost model for operator(s) " + list +
                             "; costed conservatively (see docs/cost-model.md)");
  }
  if (builder.num_nodes() == 0)
    throw InputError(source +
                     ": every operator is computed from constants only; nothing to "
                     "partition");
  result.graph = std::move(builder).build();
  if (!options.profile.empty()) {
    std::vector<std::string> op_names;
    op_names.reserve(n_ops);
    for (int i = 0; i < n_ops; ++i) op_names.push_back(graph.node(i).name());
    result.profile = apply_ort_profile(options.profile,
                                       read_ort_profile(options.profile, options.profile_warmup),
                                       op_names, tensor_producer, result);
  }
  return result;
}

OnnxImport import_onnx_model(const std::string& path, const OnnxImportOptions& options) {
  return import_onnx_bytes(read_file_maybe_gzip(path), path, options);
}

}  // namespace pipecut
