// ONNX model -> one model per pipeline stage + pipeline.json (docs/formats.md "pipecut.pipeline").
#include "pipecut/onnx/onnx_split.hpp"

#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "io/json_util.hpp"
#include "onnx/constant_eval.hpp"
#include "onnx/onnx_types.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/model/cluster_cost.hpp"
#include "pipecut/model/error.hpp"

namespace pipecut {

namespace {

namespace fs = std::filesystem;

PipelineTensor describe_tensor(const std::string& name, const onnx::TypeProto* type) {
  PipelineTensor t;
  t.name = name;
  t.dtype = "undefined";
  if (!type) return t;
  if (!type->has_tensor_type()) {
    t.dtype = type->has_sequence_type()   ? "sequence"
              : type->has_map_type()      ? "map"
              : type->has_optional_type() ? "optional"
                                          : "undefined";
    return t;
  }
  t.dtype = dtype_name(type->tensor_type().elem_type());
  if (type->tensor_type().has_shape()) {
    std::vector<TensorDim> dims;
    for (const auto& d : type->tensor_type().shape().dim()) {
      TensorDim dim;
      if (d.has_dim_value())
        dim.value = d.dim_value();
      else if (d.has_dim_param())
        dim.param = d.dim_param();
      dims.push_back(std::move(dim));
    }
    t.shape = std::move(dims);
  }
  return t;
}

double tensor_proto_bytes(const onnx::TensorProto& t) {
  double n = 1;
  for (auto d : t.dims()) n *= static_cast<double>(d);
  return n * element_bytes(t.data_type());
}

bool has_inline_data(const onnx::TensorProto& t) {
  return !t.raw_data().empty() || t.float_data_size() > 0 || t.int32_data_size() > 0 ||
         t.string_data_size() > 0 || t.int64_data_size() > 0 || t.double_data_size() > 0 ||
         t.uint64_data_size() > 0;
}

std::string external_value(const onnx::TensorProto& t, const std::string& key) {
  for (const auto& entry : t.external_data())
    if (entry.key() == key) return entry.value();
  return {};
}

// Reads the external data of initializers from the source model's folder and appends it to a
// stage's data file.
class ExternalDataCopier {
 public:
  ExternalDataCopier(std::string model_path, fs::path model_dir)
      : model_path_(std::move(model_path)), model_dir_(std::move(model_dir)) {}

  // Source file holding `t`'s data, validated: a relative path that resolves inside the
  // model's folder, exists and is long enough.
  struct Span {
    fs::path file;  // resolved: symbolic links followed
    std::uint64_t offset = 0, length = 0;
  };
  Span locate(const onnx::TensorProto& t) const {
    const std::string where = model_path_ + ": initializer '" + t.name() + "'";
    const std::string location = external_value(t, "location");
    if (location.empty()) throw InputError(where + ": external data location is empty");
    const fs::path rel(location);
    if (rel.is_absolute())
      throw InputError(where + ": external data location '" + location +
                       "' is an absolute path; only files inside the model's folder are read");
    // Resolved the way the kernel opens it (symbolic links followed, ".." after them): data
    // outside the model's folder is never read, since a model naming, or linking to, another
    // file would copy that file's bytes into the stages (cf. ONNX's CVE-2024-27318).
    Span span;
    std::error_code ec;
    const fs::path real_dir = fs::canonical(model_dir_, ec);
    span.file = fs::weakly_canonical(model_dir_ / rel, ec);
    if (ec || real_dir.empty() || !path_is_inside(span.file.string(), real_dir) ||
        span.file == real_dir)
      throw InputError(where + ": external data location '" + location + "' resolves to " +
                       span.file.string() + ", outside the model's folder " + real_dir.string() +
                       "; refused (it would copy another file's bytes into the stages)");
    if (!fs::is_regular_file(span.file, ec))
      throw InputError(where + ": its data lives in external file '" + location +
                       "', which does not exist next to the model: the weights were stripped "
                       "(as in the bundled corpus), so runnable stages cannot be written; "
                       "export the model with its weights");
    const std::uint64_t file_size = fs::file_size(span.file, ec);
    try {
      const std::string offset = external_value(t, "offset");
      const std::string length = external_value(t, "length");
      span.offset = offset.empty() ? 0 : std::stoull(offset);
      if (!length.empty()) {
        span.length = std::stoull(length);
      } else if (t.data_type() == onnx::TensorProto::STRING) {
        throw InputError(where + ": external string data without a length (not supported)");
      } else {
        span.length = static_cast<std::uint64_t>(tensor_proto_bytes(t));
      }
    } catch (const std::logic_error&) {  // stoull: not a number, or out of range
      throw InputError(where + ": external data offset/length is not a number");
    }
    if (span.offset > file_size || span.length > file_size - span.offset)
      throw InputError(where + ": external data (offset " + std::to_string(span.offset) +
                       ", length " + std::to_string(span.length) + ") runs past the end of '" +
                       location + "'");
    return span;
  }

  std::string read(const Span& span) const {
    std::ifstream in(span.file, std::ios::binary);
    std::string bytes(span.length, '\0');
    in.seekg(static_cast<std::streamoff>(span.offset));
    in.read(bytes.data(), static_cast<std::streamsize>(span.length));
    if (!in) throw InputError(span.file.string() + ": read failed");
    return bytes;
  }

  // Appends the bytes of `span` to `out` (opened by the caller); returns the offset written at.
  std::uint64_t copy(const Span& span, std::ofstream& out, std::uint64_t& written) const {
    std::ifstream in(span.file, std::ios::binary);
    if (!in) throw InputError(span.file.string() + ": cannot open file");
    in.seekg(static_cast<std::streamoff>(span.offset));
    std::vector<char> buffer(1 << 20);
    const std::uint64_t start = written;
    std::uint64_t left = span.length;
    while (left > 0) {
      const auto chunk = static_cast<std::streamsize>(std::min<std::uint64_t>(left, buffer.size()));
      in.read(buffer.data(), chunk);
      if (in.gcount() != chunk) throw InputError(span.file.string() + ": read failed");
      out.write(buffer.data(), chunk);
      left -= static_cast<std::uint64_t>(chunk);
    }
    written += span.length;
    return start;
  }

 private:
  std::string model_path_;
  fs::path model_dir_;
};

// Whether `name` is a file a split writes: pipeline.json, stage_<n>.onnx, stage_<n>.onnx.data.
bool is_split_output_name(const std::string& name) {
  if (name == "pipeline.json") return true;
  const std::string prefix = "stage_";
  if (name.rfind(prefix, 0) != 0) return false;
  std::size_t digits = prefix.size();
  while (digits < name.size() && std::isdigit(static_cast<unsigned char>(name[digits]))) ++digits;
  if (digits == prefix.size()) return false;
  const std::string rest = name.substr(digits);
  return rest == ".onnx" || rest == ".onnx.data";
}

// Why --force may not replace the existing non-empty folder `target`, or "" when it may: only
// an earlier split output is replaced (docs/formats.md "Writing"): a pipeline.json of format
// pipecut.pipeline and nothing but regular files a split writes; never the current folder, and
// never a folder holding an input of the command.
std::string why_not_replaceable(const fs::path& target, const std::string& out_dir,
                                const std::vector<std::string>& inputs) {
  std::error_code ec;
  const fs::path cwd = fs::current_path(ec);
  if (!ec && path_is_inside(cwd.string(), target))
    return out_dir + ": is the current folder or holds it; --force never replaces that";
  for (const std::string& p : inputs)
    if (!p.empty() && p != "-" && path_is_inside(p, target))
      return out_dir + ": holds " + p +
             ", an input or output of this command; write the stages elsewhere";
  bool manifest = false;
  for (fs::directory_iterator it(target, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code type_ec;
    if (!is_split_output_name(name) || !it->is_regular_file(type_ec) || it->is_symlink(type_ec))
      return out_dir + ": holds '" + name +
             "', which a split does not write; --force replaces only an earlier split output "
             "(pipeline.json and stage_N.onnx files)";
    manifest = manifest || name == "pipeline.json";
  }
  if (ec) return out_dir + ": cannot list the folder: " + ec.message();
  if (!manifest)
    return out_dir + ": holds no pipeline.json; --force replaces only an earlier split output";
  try {
    const nlohmann::json doc =
        parse_json_document(read_file_maybe_gzip((target / "pipeline.json").string(), 64 << 20),
                            (target / "pipeline.json").string());
    if (!doc.is_object() || doc.value("format", nlohmann::json()) != "pipecut.pipeline")
      return out_dir +
             ": its pipeline.json is not of format pipecut.pipeline; --force replaces "
             "only an earlier split output";
  } catch (const InputError& e) {
    return out_dir + ": its pipeline.json is not an earlier split's (" + std::string(e.what()) +
           "); --force replaces only an earlier split output";
  }
  return {};
}

// The folder the stages go to, checked before any work: resolved as the kernel resolves it,
// its parent existing (OutputError otherwise); an existing non-empty folder needs `force` and
// must be an earlier split output holding no input.
fs::path check_output_folder(const std::string& out_dir, bool force,
                             const std::vector<std::string>& protected_paths) {
  const fs::path target = resolve_output_folder(out_dir);
  std::error_code ec;
  if (fs::exists(target, ec) && !fs::is_directory(target, ec))
    throw InputError(out_dir + ": exists and is not a folder");
  if (fs::is_directory(target, ec) && !fs::is_empty(target, ec)) {
    if (!force)
      throw InputError(out_dir +
                       ": folder exists and is not empty (--force replaces an earlier "
                       "split output)");
    if (std::string why = why_not_replaceable(target, out_dir, protected_paths); !why.empty())
      throw InputError(why);
  }
  return target;
}

// A new temporary folder next to `target`, made by mkdtemp (an exclusive create: an existing
// folder of that name is never reused) and given the usual 0777 & ~umask permissions.
fs::path make_temporary_folder(const fs::path& target, const std::string& out_dir) {
  std::string name = (target.parent_path() / (target.filename().string() + ".tmp-XXXXXX")).string();
  if (::mkdtemp(name.data()) == nullptr)
    throw OutputError(out_dir +
                      ": cannot create a temporary folder next to it: " + std::strerror(errno));
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::chmod(name.c_str(), 0777 & ~mask);
  return name;
}

// Moves the finished temporary folder onto `target`: renamed into place when there is none;
// otherwise exchanged with it atomically (the old content then sits at `tmp`, which the caller
// removes), re-checking first that the folder is still one --force may replace.
void move_into_place(const fs::path& tmp, const fs::path& target, const std::string& out_dir,
                     const std::vector<std::string>& protected_paths) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(target, ec))) {
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) == 0) return;
    if (errno != EINVAL && errno != ENOSYS)  // a file system without renameat2's flags: below
      throw OutputError(out_dir + ": cannot create folder: " + std::strerror(errno));
    fs::rename(tmp, target, ec);
    if (ec) throw OutputError(out_dir + ": cannot create folder: " + ec.message());
    return;
  }
  if (!fs::is_empty(target, ec))
    if (std::string why = why_not_replaceable(target, out_dir, protected_paths); !why.empty())
      throw InputError(why);
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) return;
  if (errno != EINVAL && errno != ENOSYS)
    throw OutputError(out_dir + ": cannot replace folder: " + std::strerror(errno));
  // No atomic exchange here: the old folder goes to a fresh name first (rename replaces the
  // empty folder mkdtemp reserved), then the new one into place.
  const fs::path old = make_temporary_folder(target, out_dir);
  const TempPathGuard old_guard(old.string());
  fs::rename(target, old, ec);
  if (ec) {
    fs::remove(old, ec);
    throw OutputError(out_dir + ": cannot replace folder: " + ec.message());
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    std::error_code ignored;
    fs::rename(old, target, ignored);  // put the user's folder back
    throw OutputError(out_dir + ": cannot replace folder: " + ec.message());
  }
  fs::rename(old, tmp, ec);  // the caller removes `tmp`
}

// A Constant node standing for a folded Shape/Size of an activation with a static shape.
onnx::NodeProto constant_for_shape(const onnx::NodeProto& shape_node,
                                   const std::vector<std::int64_t>& value) {
  onnx::NodeProto c;
  c.set_name(shape_node.name());
  c.set_op_type("Constant");
  c.add_output(shape_node.output(0));
  onnx::AttributeProto* attr = c.add_attribute();
  attr->set_name("value");
  attr->set_type(onnx::AttributeProto::TENSOR);
  onnx::TensorProto* t = attr->mutable_t();
  t->set_data_type(onnx::TensorProto::INT64);
  if (shape_node.op_type() == "Shape") t->add_dims(static_cast<std::int64_t>(value.size()));
  for (auto v : value) t->add_int64_data(v);
  return c;
}

double constant_bytes(const onnx::NodeProto& node) {
  double bytes = 0;
  if (node.op_type() == "Constant")
    for (const auto& a : node.attribute())
      if (a.has_t()) bytes += tensor_proto_bytes(a.t());
  return bytes;
}

// What one pipeline stage holds, before it becomes a ModelProto.
struct StagePlan {
  int partition_stage = 0;
  std::vector<NodeId> nodes;  // graph nodes (operators only)
  std::vector<int> ops;       // source operators (not folded), ascending
  std::vector<int> folded;    // folded operators copied in, ascending
  std::vector<std::string> initializers, sparse_initializers;
  std::vector<std::string> inputs;   // in first-read order
  std::vector<int> input_from;       // pipeline stage or -1 (model input)
  std::vector<std::string> outputs;  // in production order
};

onnx::ModelProto load_model(const std::string& model_path) {
  onnx::ModelProto model;
  const std::string bytes = read_file_maybe_gzip(model_path);
  if (!model.ParseFromString(bytes))
    throw InputError(model_path + ": not a valid ONNX model (truncated or corrupt protobuf)");
  return model;
}

// Inputs that replacing the output folder must never delete: the model, its weight files, and
// whatever the caller names.
std::vector<std::string> protected_inputs(const std::string& model_path,
                                          const onnx::ModelProto& model,
                                          const OnnxSplitOptions& options) {
  std::vector<std::string> paths = options.protected_paths;
  paths.push_back(model_path);
  for (const auto& init : model.graph().initializer())
    if (init.data_location() == onnx::TensorProto::EXTERNAL)
      paths.push_back(
          (fs::absolute(fs::path(model_path)).parent_path() / external_value(init, "location"))
              .string());
  return paths;
}

fs::path checked_output_folder(const std::string& model_path, const onnx::ModelProto& model,
                               const std::string& out_dir, const OnnxSplitOptions& options) {
  return check_output_folder(out_dir, options.force, protected_inputs(model_path, model, options));
}

void require_initializer_data(const std::string& model_path, const onnx::TensorProto& t,
                              const ExternalDataCopier& copier) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    copier.locate(t);  // throws for stripped or unreadable weights
  } else if (!has_inline_data(t) && tensor_proto_bytes(t) > 0) {
    throw InputError(model_path + ": initializer '" + t.name() +
                     "' has no data: the weights were stripped, so runnable stages cannot be "
                     "written; export the model with its weights");
  }
}

// A copy of the model for ONNX shape inference, which gives the types of the tensors crossing
// stages: small initializers are inline (external ones read), large ones keep dims and type
// only, and the parameter-only operators that compute shapes are replaced by their values, since
// libonnx's data propagation stops at Gather (a Shape -> Gather -> Concat -> Reshape chain would
// leave the Reshape's output without a shape).
constexpr std::size_t kSmallElements = 1 << 12;

// `init` for shape inference, which reads the values of small tensors (axes, shapes) but never
// weights: small ones inline (external data read through `reader`), large ones dims and type only.
void copy_for_inference(const onnx::TensorProto& init, const ExternalDataCopier& reader,
                        onnx::TensorProto& copy) {
  const bool small = tensor_proto_bytes(init) <= 8.0 * kSmallElements;
  if (small && init.data_location() == onnx::TensorProto::EXTERNAL) {
    try {
      const std::string bytes = reader.read(reader.locate(init));
      copy.set_name(init.name());
      copy.set_data_type(init.data_type());
      *copy.mutable_dims() = init.dims();
      copy.set_raw_data(bytes);
    } catch (const InputError&) {
      copy = init;  // stripped: inference works without the data
    }
  } else if (small) {
    copy = init;
  } else {
    copy.set_name(init.name());
    copy.set_data_type(init.data_type());
    *copy.mutable_dims() = init.dims();
  }
}

onnx::ModelProto model_for_shape_inference(const onnx::ModelProto& model,
                                           const OnnxImport& imported,
                                           const ExternalDataCopier& copier) {
  constexpr std::size_t kSmall = kSmallElements;
  onnx::ModelProto typed;
  typed.set_ir_version(model.ir_version());
  *typed.mutable_opset_import() = model.opset_import();
  *typed.mutable_functions() = model.functions();
  const onnx::GraphProto& graph = model.graph();
  onnx::GraphProto* g = typed.mutable_graph();
  g->set_name(graph.name());
  *g->mutable_input() = graph.input();
  *g->mutable_output() = graph.output();
  *g->mutable_value_info() = graph.value_info();
  *g->mutable_sparse_initializer() = graph.sparse_initializer();
  std::unordered_map<std::string, ConstTensor> values;
  for (const auto& init : graph.initializer()) {
    onnx::TensorProto* copy = g->add_initializer();
    copy_for_inference(init, copier, *copy);
    if (auto v = decode_tensor(*copy, kSmall)) values.emplace(init.name(), std::move(*v));
  }
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto& node = graph.node(i);
    if (imported.op_folded[i]) {
      auto shape = imported.static_shape_values.find(i);
      auto outputs = evaluate_constant_node(
          node, values, shape == imported.static_shape_values.end() ? nullptr : &shape->second);
      if (outputs && static_cast<int>(outputs->size()) == node.output_size()) {
        for (int k = 0; k < node.output_size(); ++k) {
          if (node.output(k).empty()) continue;
          *g->add_initializer() = encode_tensor((*outputs)[k], node.output(k));
          values[node.output(k)] = std::move((*outputs)[k]);
        }
        continue;
      }
    }
    *g->add_node() = node;
  }
  try {
    onnx::ShapeInferenceOptions inference(/*check_type=*/false, /*error_mode=*/0,
                                          /*enable_data_propagation=*/true);
    onnx::shape_inference::InferShapes(typed, onnx::OpSchemaRegistry::Instance(), inference);
  } catch (const std::exception&) {
    // Types then come from what the file declares; a boundary tensor without one is an error.
  }
  return typed;
}

}  // namespace

void check_onnx_split_inputs(const std::string& model_path, const std::string& out_dir,
                             const OnnxSplitOptions& options) {
  const onnx::ModelProto model = load_model(model_path);
  checked_output_folder(model_path, model, out_dir, options);
  ExternalDataCopier copier(model_path, fs::absolute(fs::path(model_path)).parent_path());
  for (const auto& init : model.graph().initializer())
    require_initializer_data(model_path, init, copier);
}

PipelineManifest write_onnx_stages(const std::string& model_path, const OnnxImport& imported,
                                   const Partition& partition, const std::string& out_dir,
                                   const OnnxSplitOptions& options) {
  const Graph& g = imported.graph;
  if (auto problem = options.cluster ? cluster_partition_problem(g, *options.cluster, partition)
                                     : partition_problem(g, partition))
    throw InputError(model_path + ": the partition does not match the model: " + *problem);
  onnx::ModelProto model = load_model(model_path);
  onnx::GraphProto* graph = model.mutable_graph();
  const fs::path target = checked_output_folder(model_path, model, out_dir, options);
  const int n_ops = graph->node_size();
  if (n_ops != static_cast<int>(imported.op_reads.size()) ||
      imported.origins.size() != static_cast<std::size_t>(g.num_nodes()))
    throw InputError(model_path + ": the model does not match its import (changed on disk?)");
  const fs::path model_dir = fs::absolute(fs::path(model_path)).parent_path();
  ExternalDataCopier copier(model_path, model_dir);
  const onnx::ModelProto typed = model_for_shape_inference(model, imported, copier);

  // Output-port nodes go with their operator (docs/formats.md "Several outputs").
  Partition p = partition;
  int moved_ports = 0;
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    const NodeId owner = imported.origins[v].port_owner;
    if (owner >= 0 && p.stage_of[v] != p.stage_of[owner]) {
      p.stage_of[v] = p.stage_of[owner];
      ++moved_ports;
    }
  }
  // On a cluster each stage is costed on its own device (docs/clusters.md, "Stage cost").
  const Evaluation evaluation =
      options.cluster ? evaluate_on_cluster(ClusterCosts(g, *options.cluster, model_path), p)
                      : evaluate_partition(g, p);

  // Operators per partition stage, then the pipeline (non-empty stages in order).
  std::vector<int> op_stage(n_ops, -1);
  std::vector<NodeId> node_of_op(n_ops, -1);
  for (NodeId v = 0; v < g.num_nodes(); ++v)
    if (imported.origins[v].op >= 0) {
      op_stage[imported.origins[v].op] = p.stage_of[v];
      node_of_op[imported.origins[v].op] = v;
    }
  const int stored = stored_stages(g, p);  // a huge k costs no memory
  std::vector<int> pipeline_of(stored, -1);
  std::vector<StagePlan> plans;
  for (int i = 0; i < n_ops; ++i)
    if (op_stage[i] >= 0) pipeline_of[op_stage[i]] = 0;
  for (int b = 0; b < stored; ++b)
    if (pipeline_of[b] == 0) {
      pipeline_of[b] = static_cast<int>(plans.size());
      plans.emplace_back().partition_stage = b;
    }

  std::unordered_map<std::string, int> producer;
  for (int i = 0; i < n_ops; ++i)
    for (const auto& out : graph->node(i).output())
      if (!out.empty()) producer.emplace(out, i);
  std::unordered_map<std::string, int> initializer_index, sparse_index;
  for (int i = 0; i < graph->initializer_size(); ++i)
    initializer_index.emplace(graph->initializer(i).name(), i);
  for (int i = 0; i < graph->sparse_initializer_size(); ++i)
    sparse_index.emplace(graph->sparse_initializer(i).values().name(), i);
  std::unordered_set<std::string> model_inputs, model_outputs;
  for (const auto& in : graph->input())
    if (!initializer_index.count(in.name())) model_inputs.insert(in.name());
  for (const auto& out : graph->output()) model_outputs.insert(out.name());
  std::unordered_map<std::string, const onnx::TypeProto*> type_of;
  auto remember = [&](const onnx::ValueInfoProto& v) {
    auto [it, inserted] = type_of.emplace(v.name(), &v.type());
    if (!inserted && v.type().has_tensor_type() && v.type().tensor_type().has_shape())
      it->second = &v.type();
  };
  for (const auto& v : typed.graph().input()) remember(v);
  for (const auto& v : typed.graph().value_info()) remember(v);
  for (const auto& v : typed.graph().output()) remember(v);

  // Model outputs that no stage operator writes cannot be placed.
  for (const auto& out : graph->output()) {
    auto it = producer.find(out.name());
    if (it == producer.end() || op_stage[it->second] < 0)
      throw InputError(model_path + ": model output '" + out.name() +
                       "' is a model input, an initializer or computed from parameters only; "
                       "splitting such a model is not supported");
  }

  // What each stage holds and reads.
  std::unordered_map<std::string, std::set<int>> receivers;  // tensor -> pipeline stages reading it
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    const int op = imported.origins[v].op;
    if (op < 0) continue;
    StagePlan& plan = plans[pipeline_of[p.stage_of[v]]];
    plan.nodes.push_back(v);
    plan.ops.push_back(op);
    plan.folded.insert(plan.folded.end(), imported.origins[v].folded_ops.begin(),
                       imported.origins[v].folded_ops.end());
  }
  for (int s = 0; s < static_cast<int>(plans.size()); ++s) {
    StagePlan& plan = plans[s];
    std::sort(plan.ops.begin(), plan.ops.end());
    std::sort(plan.folded.begin(), plan.folded.end());
    plan.folded.erase(std::unique(plan.folded.begin(), plan.folded.end()), plan.folded.end());
    std::vector<int> all = plan.ops;
    all.insert(all.end(), plan.folded.begin(), plan.folded.end());
    std::sort(all.begin(), all.end());
    std::unordered_set<std::string> produced;
    for (int op : all)
      for (const auto& out : graph->node(op).output())
        if (!out.empty()) produced.insert(out);
    std::set<std::string> seen_initializers;
    std::unordered_set<std::string> seen_inputs;
    for (int op : all) {
      if (imported.static_shape_values.count(op)) continue;  // becomes a Constant
      for (const std::string& t : imported.op_reads[op]) {
        if (produced.count(t)) continue;
        if (initializer_index.count(t)) {
          if (seen_initializers.insert(t).second) plan.initializers.push_back(t);
          continue;
        }
        if (sparse_index.count(t)) {
          if (seen_initializers.insert(t).second) plan.sparse_initializers.push_back(t);
          continue;
        }
        if (!seen_inputs.insert(t).second) continue;
        int from = -1;
        if (!model_inputs.count(t)) {
          auto it = producer.find(t);
          if (it == producer.end())
            throw InputError(model_path + ": tensor '" + t + "' read by operator '" +
                             graph->node(op).name() + "' is never written (not a valid model)");
          if (op_stage[it->second] < 0)
            throw std::logic_error("stage writer: parameter-only tensor '" + t +
                                   "' is missing from a stage");
          from = pipeline_of[op_stage[it->second]];
          if (from >= s) throw std::logic_error("stage writer: tensor '" + t + "' flows backwards");
          receivers[t].insert(s);
        }
        plan.inputs.push_back(t);
        plan.input_from.push_back(from);
      }
    }
  }
  for (StagePlan& plan : plans)
    for (int op : plan.ops)
      for (const auto& out : graph->node(op).output())
        if (!out.empty() && (receivers.count(out) || model_outputs.count(out)))
          plan.outputs.push_back(out);

  // The cut tensors of the model must be exactly the cost model's (the tensor cut property):
  // each boundary tensor of the graph is one sent tensor with the same receiving stages.
  {
    std::map<std::string, std::set<int>> cost_side;
    for (const BoundaryTensor& bt : boundary_tensors(g, p)) {
      const std::string& tensor = imported.origins[bt.producer].tensor;
      if (tensor.empty())
        throw std::logic_error("stage writer: operator '" + g.ids[bt.producer] +
                               "' with several outputs is cut");
      for (int b : bt.to_stages) cost_side[tensor].insert(pipeline_of[b]);
    }
    const std::map<std::string, std::set<int>> model_side(receivers.begin(), receivers.end());
    if (cost_side != model_side)
      throw std::logic_error(
          "stage writer: the stage models' boundary tensors differ from the "
          "cost model's cut tensors");
  }

  PipelineManifest manifest;
  manifest.model = fs::path(model_path).filename().string();
  manifest.k = p.k;
  manifest.bottleneck = evaluation.bottleneck;
  manifest.lower_bound = options.lower_bound;
  manifest.lower_bound_method = options.lower_bound_method;
  manifest.moved_port_nodes = moved_ports;
  if (options.cluster) {
    manifest.cluster_name = options.cluster->name;
    manifest.cluster_digest = options.cluster->digest;
  }
  for (const auto& in : graph->input())
    if (model_inputs.count(in.name()))
      manifest.inputs.push_back(describe_tensor(in.name(), &in.type()));
  for (const auto& out : graph->output())
    manifest.outputs.push_back(
        describe_tensor(out.name(), type_of.count(out.name()) ? type_of[out.name()] : nullptr));

  auto type_for = [&](const std::string& name, int stage) -> const onnx::TypeProto* {
    auto it = type_of.find(name);
    if (it == type_of.end() || !it->second->has_tensor_type() ||
        it->second->tensor_type().elem_type() == 0 || !it->second->tensor_type().has_shape())
      throw InputError(model_path + ": cannot tell the type and shape of tensor '" + name +
                       "', an input or output of stage " + std::to_string(stage) +
                       " (ONNX shape inference finds none; a stage model needs them)");
    return it->second;
  };

  // Everything is written into a fresh temporary sibling folder first, removed on any error
  // and, by the CLI's handlers, on SIGINT and SIGTERM.
  std::error_code ec;
  const fs::path tmp = make_temporary_folder(target, out_dir);
  const TempPathGuard killed_while_writing(tmp.string());
  try {
    for (int s = 0; s < static_cast<int>(plans.size()); ++s) {
      const StagePlan& plan = plans[s];
      PipelineStage stage;
      stage.stage = s;
      stage.partition_stage = plan.partition_stage;
      stage.file = "stage_" + std::to_string(s) + ".onnx";
      stage.predicted = evaluation.stages[plan.partition_stage];
      stage.predicted.nodes.clear();
      if (options.cluster && stage.predicted.device >= 0) {
        const Cluster& c = *options.cluster;
        const ClusterDevice& d = c.devices[stage.predicted.device];
        stage.device = d.name;
        stage.device_class = c.classes[d.device_class].name;
        stage.device_host = c.hosts[d.host].name;
      }
      for (NodeId v : plan.nodes) stage.operators.push_back(g.ids[v]);
      stage.folded_operators = static_cast<int>(plan.folded.size());

      onnx::ModelProto sm;
      sm.set_ir_version(model.ir_version());
      *sm.mutable_opset_import() = model.opset_import();
      sm.set_producer_name(model.producer_name());
      sm.set_producer_version(model.producer_version());
      sm.set_domain(model.domain());
      sm.set_model_version(model.model_version());
      sm.set_doc_string(model.doc_string());
      *sm.mutable_metadata_props() = model.metadata_props();
      *sm.mutable_functions() = model.functions();
      onnx::GraphProto* sg = sm.mutable_graph();
      sg->set_name(graph->name() + "_stage_" + std::to_string(s));
      sg->set_doc_string(graph->doc_string());

      std::vector<int> all = plan.ops;
      all.insert(all.end(), plan.folded.begin(), plan.folded.end());
      std::sort(all.begin(), all.end());
      std::unordered_set<std::string> produced;
      for (int op : all) {
        const onnx::NodeProto& node = graph->node(op);
        auto value = imported.static_shape_values.find(op);
        if (value != imported.static_shape_values.end())
          *sg->add_node() = constant_for_shape(node, value->second);
        else
          *sg->add_node() = node;
        stage.parameter_bytes += constant_bytes(sg->node(sg->node_size() - 1));
        for (const auto& out : node.output()) produced.insert(out);
      }

      std::ofstream data_out;
      std::uint64_t data_written = 0;
      for (const std::string& name : plan.initializers) {
        const onnx::TensorProto& source = graph->initializer(initializer_index.at(name));
        onnx::TensorProto* copy = sg->add_initializer();
        stage.parameter_bytes += tensor_proto_bytes(source);
        if (source.data_location() == onnx::TensorProto::EXTERNAL) {
          const auto span = copier.locate(source);
          if (stage.external_data_file.empty()) {
            stage.external_data_file = stage.file + ".data";
            data_out.open(tmp / stage.external_data_file, std::ios::binary | std::ios::trunc);
            if (!data_out)
              throw OutputError((tmp / stage.external_data_file).string() + ": cannot write");
          }
          const std::uint64_t offset = copier.copy(span, data_out, data_written);
          *copy = source;
          copy->clear_external_data();
          for (const auto& [key, value] :
               {std::pair<std::string, std::string>{"location", stage.external_data_file},
                {"offset", std::to_string(offset)},
                {"length", std::to_string(span.length)}}) {
            auto* entry = copy->add_external_data();
            entry->set_key(key);
            entry->set_value(value);
          }
          continue;
        }
        require_initializer_data(model_path, source, copier);
        *copy = source;
      }
      for (const std::string& name : plan.sparse_initializers)
        *sg->add_sparse_initializer() = graph->sparse_initializer(sparse_index.at(name));
      if (data_out.is_open()) {
        data_out.close();
        if (!data_out)
          throw OutputError((tmp / stage.external_data_file).string() + ": write failed");
      }

      for (std::size_t q = 0; q < plan.inputs.size(); ++q) {
        const std::string& name = plan.inputs[q];
        onnx::ValueInfoProto* vi = sg->add_input();
        vi->set_name(name);
        *vi->mutable_type() = *type_for(name, s);
        StageInput in;
        static_cast<PipelineTensor&>(in) = describe_tensor(name, &vi->type());
        in.from_stage = plan.input_from[q];
        stage.inputs.push_back(std::move(in));
      }
      for (const std::string& name : plan.outputs) {
        onnx::ValueInfoProto* vi = sg->add_output();
        vi->set_name(name);
        *vi->mutable_type() = *type_for(name, s);
        StageOutput out;
        static_cast<PipelineTensor&>(out) = describe_tensor(name, &vi->type());
        if (auto it = receivers.find(name); it != receivers.end())
          out.to_stages.assign(it->second.begin(), it->second.end());
        out.model_output = model_outputs.count(name) > 0;
        stage.outputs.push_back(std::move(out));
      }
      std::unordered_set<std::string> declared(plan.inputs.begin(), plan.inputs.end());
      declared.insert(plan.outputs.begin(), plan.outputs.end());
      for (const auto& vi : typed.graph().value_info())
        if (produced.count(vi.name()) && !declared.count(vi.name())) *sg->add_value_info() = vi;

      if (sm.ByteSizeLong() > static_cast<std::size_t>(INT_MAX))
        throw InputError(model_path + ": stage " + std::to_string(s) +
                         " exceeds protobuf's 2 GB limit; store the model's weights as external "
                         "data to split it");
      const fs::path file = tmp / stage.file;
      {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        if (!out || !sm.SerializeToOstream(&out))
          throw OutputError(file.string() + ": cannot write");
        out.close();
        if (!out) throw OutputError(file.string() + ": write failed");
      }
      // The ONNX checker on the file (external data paths included), then strict shape
      // inference with type checks: the Python API's check_model(full_check=True).
      try {
        onnx::checker::check_model(file.string());
        onnx::ModelProto inferred = sm;
        if (!stage.external_data_file.empty()) {  // read the stage's own small external tensors
          const ExternalDataCopier reader(file.string(), tmp);
          for (auto& init : *inferred.mutable_graph()->mutable_initializer()) {
            onnx::TensorProto copy;
            copy_for_inference(init, reader, copy);
            init = std::move(copy);
          }
        }
        onnx::ShapeInferenceOptions strict(/*check_type=*/true, /*error_mode=*/1,
                                           /*enable_data_propagation=*/false);
        onnx::shape_inference::InferShapes(inferred, onnx::OpSchemaRegistry::Instance(), strict);
      } catch (const std::exception& e) {
        std::string why = e.what();
        std::replace(why.begin(), why.end(), '\n', ' ');
        throw std::runtime_error("stage " + std::to_string(s) + " of " + model_path +
                                 " fails the ONNX checker: " + why.substr(0, 400));
      }
      manifest.stages.push_back(std::move(stage));
    }
    write_file_atomic((tmp / "pipeline.json").string(), pipeline_manifest_json(manifest), false);
    move_into_place(tmp, target, out_dir, protected_inputs(model_path, model, options));
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
  fs::remove_all(tmp, ec);  // the replaced folder, when there was one
  return manifest;
}

std::string pipeline_manifest_json(const PipelineManifest& m) {
  // Fields in the documented order (docs/formats.md).
  using json = nlohmann::ordered_json;
  auto tensor_json = [](const PipelineTensor& t) {
    json j = {{"name", t.name}, {"dtype", t.dtype}};
    if (!t.shape) {
      j["shape"] = nullptr;
    } else {
      json dims = json::array();
      for (const TensorDim& d : *t.shape) {
        if (d.value >= 0)
          dims.push_back(d.value);
        else if (!d.param.empty())
          dims.push_back(d.param);
        else
          dims.push_back(nullptr);
      }
      j["shape"] = std::move(dims);
    }
    return j;
  };
  json doc;
  doc["format"] = "pipecut.pipeline";
  doc["version"] = 1;
  doc["model"] = m.model;
  doc["partition"] = {{"k", m.k},
                      {"bottleneck", m.bottleneck},
                      {"lower_bound", m.lower_bound},
                      {"lower_bound_method", m.lower_bound_method},
                      {"ratio", m.bottleneck > 0 ? m.lower_bound / m.bottleneck : 1.0},
                      {"moved_port_nodes", m.moved_port_nodes}};
  if (!m.cluster_digest.empty())
    doc["cluster"] = {{"name", m.cluster_name}, {"digest", m.cluster_digest}};
  doc["inputs"] = json::array();
  for (const auto& t : m.inputs) doc["inputs"].push_back(tensor_json(t));
  doc["outputs"] = json::array();
  for (const auto& t : m.outputs) doc["outputs"].push_back(tensor_json(t));
  json stages = json::array();
  for (const PipelineStage& s : m.stages) {
    json st;
    st["stage"] = s.stage;
    st["partition_stage"] = s.partition_stage;
    st["file"] = s.file;
    st["external_data"] = s.external_data_file.empty() ? json(nullptr) : json(s.external_data_file);
    json inputs = json::array();
    for (const StageInput& in : s.inputs) {
      json j = tensor_json(in);
      j["from"] = in.from_stage < 0 ? json("input") : json(in.from_stage);
      inputs.push_back(std::move(j));
    }
    st["inputs"] = std::move(inputs);
    json outputs = json::array();
    for (const StageOutput& out : s.outputs) {
      json j = tensor_json(out);
      j["to"] = out.to_stages;
      j["model_output"] = out.model_output;
      outputs.push_back(std::move(j));
    }
    st["outputs"] = std::move(outputs);
    st["operators"] = s.operators;
    st["folded_operators"] = s.folded_operators;
    st["parameter_bytes"] = s.parameter_bytes;
    st["predicted"] = {{"work", s.predicted.work},
                       {"comm_in", s.predicted.comm_in},
                       {"comm_out", s.predicted.comm_out},
                       {"cost", s.predicted.cost}};
    if (!s.device.empty())
      st["device"] = {{"name", s.device}, {"class", s.device_class}, {"host", s.device_host}};
    stages.push_back(std::move(st));
  }
  doc["stages"] = std::move(stages);
  return doc.dump(2) + "\n";
}

}  // namespace pipecut
