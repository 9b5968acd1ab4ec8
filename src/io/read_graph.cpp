#include "pipecut/io/read_graph.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>

#include "io/json_formats.hpp"
#include "io/json_util.hpp"
#include "pipecut/io/cluster_json.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/io/foreign_formats.hpp"
#include "pipecut/io/graph_json.hpp"
#include "pipecut/model/backward_pass.hpp"
#include "pipecut/model/cluster_cost.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/onnx/onnx_import.hpp"

namespace pipecut {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool starts_like_json(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  return first != std::string::npos && text[first] == '{';
}

// Format of already-read (gunzipped) text that is not JSON, or "" when nothing matches.
std::string text_format(const std::string& text) {
  // Only the start of a text file is looked at: a few header lines decide.
  const std::string head = text.substr(0, 4096);
  // Protobuf text of a CostGraphDef starts with a `node {` block (comments allowed before it).
  static const std::regex regal_start(R"((^|\n)\s*node\s*\{)");
  if (std::regex_search(head, regal_start)) return "regal";
  // PipeDream: "nodeN -- ..." lines.
  static const std::regex pipedream_line(R"((^|\n)\s*\S+ -- )");
  if (std::regex_search(head, pipedream_line)) return "pipedream";
  // Binary content that is not gzip (already unpacked): an ONNX protobuf is the only candidate.
  const bool binary =
      std::any_of(head.begin(), head.begin() + std::min<long>(512, std::ssize(head)),
                  [](char c) { return static_cast<unsigned char>(c) < 9; });
  if (binary) return "onnx";
  return {};
}

std::string format_from_extension(const std::string& path) {
  const std::string name = lower(path);
  if (ends_with(name, ".onnx") || ends_with(name, ".onnx.gz")) return "onnx";
  if (ends_with(name, ".pbtxt") || ends_with(name, ".pbtxt.gz")) return "regal";
  return {};
}

[[noreturn]] void unknown_format(const std::string& path, const std::string& text) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    throw InputError(path + ": empty file");
  throw InputError(path +
                   ": cannot tell the input format (empty or unrecognised content); "
                   "use --input-format");
}

// The constraint options on top of what the file gave.
Graph with_constraint_options(Graph g, const ReadOptions& options, const std::string& source) {
  if (!options.cluster.empty() && g.is_training())
    throw InputError(source +
                     ": --cluster: training graphs are solved on identical devices only "
                     "(docs/training.md)");
  if (!options.cluster.empty()) {
    // The cluster's capacities replace the file's (docs/clusters.md); its classes must be
    // those the nodes' work maps name.
    check_graph_on_cluster(g, read_cluster(options.cluster, options.max_input_bytes), source);
    g.memory_per_stage.reset();
  } else if (!g.work_classes.empty()) {
    throw InputError(source + ": nodes give their work per device class (" +
                     g.work_classes.front() +
                     ", ...): a cluster is needed to cost them (--cluster, docs/clusters.md)");
  }
  if (options.memory_per_stage) g.memory_per_stage = options.memory_per_stage;
  if (options.ignore_memory) g.memory_per_stage.reset();
  if (options.ignore_colocation) {
    // A backward node's stage is its colour class's (docs/training.md): without the classes a
    // training graph has no meaning.
    if (g.is_training())
      throw InputError(source +
                       ": --ignore-colocation: a training graph's backward nodes follow their "
                       "colour classes (docs/training.md)");
    g.colour_class.clear();
    g.colour_labels.clear();
  }
  // After the constraints: the twins join the classes that remain (docs/training.md,
  // "Synthesising a backward pass").
  if (const auto model = parse_backward_pass(options.backward_pass))
    g = add_backward_pass(g, *model, source);
  return g;
}

// Cost options that the format does not use are ignored, with one warning each: a user who
// gives them expects them to change the costs (docs/formats.md).
void warn_unused_cost_options(const std::string& source, const std::string& format,
                              const ReadOptions& options) {
  const std::string what = format == "pipecut"     ? "pipecut.graph input, whose costs are given"
                           : format == "tarnawski" ? "Tarnawski input, whose costs are given"
                                                   : format + " input";
  if (!options.device.empty())
    log_to(options.warn,
           source + ": --device applies to ONNX models only (this is " + what + "); ignored");
  if (!options.dtype.empty())
    log_to(options.warn,
           source + ": --dtype applies to ONNX models only (this is " + what + "); ignored");
  if (options.link_bandwidth_gbps && (format == "pipecut" || format == "tarnawski"))
    log_to(options.warn, source +
                             ": --link-bandwidth applies to PipeDream, REGAL and ONNX input "
                             "only (this is " +
                             what + "); ignored");
}

// The format of `text` read from `source`: forced by the options, else from the extension, else
// from the content. A JSON document parsed on the way is kept in `doc` for the reader.
std::string resolve_format(const std::string& text, const std::string& source,
                           const ReadOptions& options, std::optional<nlohmann::json>& doc) {
  std::string format = options.format == "auto" ? format_from_extension(source) : options.format;
  if (format.empty() && starts_like_json(text)) {
    doc = parse_json_document(text, source);
    format = json_graph_format(*doc);
  }
  if (format.empty()) format = text_format(text);
  if (format.empty()) unknown_format(source, text);
  return format;
}

// An ONNX model read with a cluster (docs/clusters.md, "ONNX and torch inputs"): each node's
// output size becomes its `bytes`, so that a tensor's time follows the link it crosses; and when
// some class names a device_model, each node gets a work map: the roofline of that profile on
// such a class, the imported work over the class's speed on the others.
void cost_on_cluster(OnnxImport& imported, const ReadOptions& options) {
  const Cluster cluster = read_cluster(options.cluster, options.max_input_bytes);
  Graph& g = imported.graph;
  const int n = g.num_nodes();
  g.bytes.assign(static_cast<std::size_t>(n), -1.0);
  for (NodeId v = 0; v < n; ++v) g.bytes[v] = imported.costs[v].output_bytes;
  std::vector<std::optional<DeviceProfile>> profiles(cluster.classes.size());
  bool any = false;
  for (std::size_t c = 0; c < cluster.classes.size(); ++c) {
    const DeviceClass& k = cluster.classes[c];
    if (k.device_model.empty()) continue;
    profiles[c] = load_class_device_profile(cluster, static_cast<int>(c));
    any = true;
  }
  if (!any) return;
  const std::size_t classes = cluster.classes.size();
  g.work_classes.clear();
  for (const DeviceClass& k : cluster.classes) g.work_classes.push_back(k.name);
  g.class_work.assign(static_cast<std::size_t>(n) * classes, 0.0);
  for (NodeId v = 0; v < n; ++v) {
    const OnnxNodeCost& cost = imported.costs[v];
    double least = std::numeric_limits<double>::infinity();
    for (std::size_t c = 0; c < classes; ++c) {
      double time = 0;  // an output-port node does no work anywhere
      if (!cost.compute_dtype.empty())
        time = profiles[c]
                   ? operator_time_ms(*profiles[c], g.op[v], cost.flops,
                                      cost.bytes_read + cost.bytes_written, cost.compute_dtype)
                   : g.work[v] / cluster.classes[c].speed;
      g.class_work[static_cast<std::size_t>(v) * classes + c] = time;
      least = std::min(least, time);
    }
    g.work[v] = least;  // a node with a work map works at its least class time (model/graph.hpp)
  }
}

OnnxImport import_with(const std::string& bytes, const std::string& source,
                       const ReadOptions& options) {
  OnnxImportOptions onnx_options;
  onnx_options.device = options.device;
  onnx_options.dtype = options.dtype;
  onnx_options.link_bandwidth_gbps = options.link_bandwidth_gbps;
  onnx_options.warn = options.warn;
  onnx_options.profile = options.profile;
  onnx_options.profile_warmup = options.profile_warmup;
  OnnxImport imported = import_onnx_bytes(bytes, source, onnx_options);
  if (!options.cluster.empty()) cost_on_cluster(imported, options);
  if (options.backward_pass != "none") {
    // Output sizes, so that the activations a backward node reads are a stash under
    // --schedule gpipe|1f1b (docs/training.md, "Memory"); without a cluster they change no cost.
    Graph& g = imported.graph;
    g.bytes.assign(static_cast<std::size_t>(g.num_nodes()), -1.0);
    for (NodeId v = 0; v < g.num_nodes(); ++v) g.bytes[v] = imported.costs[v].output_bytes;
  }
  imported.graph = with_constraint_options(std::move(imported.graph), options, source);
  return imported;
}

GraphWithProfile parse_graph_with_profile(const std::string& text, const std::string& source,
                                          const ReadOptions& options) {
  check_read_options(source, options);
  std::optional<nlohmann::json> doc;
  const std::string format = resolve_format(text, source, options, doc);
  if (format == "onnx") {
    OnnxImport imported = import_with(text, source, options);
    return {std::move(imported.graph), std::move(imported.profile)};
  }
  if (!options.profile.empty())
    throw InputError(options.profile + ": --profile applies to ONNX models only, and " + source +
                     " is " + format + " input");
  warn_unused_cost_options(source, format, options);
  const double bandwidth = options.link_bandwidth_gbps.value_or(kDefaultLinkBandwidthGBps);
  Graph g;
  if (format == "pipecut" || format == "tarnawski") {
    if (!doc) doc = parse_json_document(text, source);
    g = format == "pipecut" ? pipecut_graph_from_json(*doc, source)
                            : tarnawski_graph_from_json(*doc, source, options.warn);
  } else {
    g = format == "pipedream" ? parse_pipedream_graph(text, source, bandwidth)
                              : parse_regal_graph(text, source, bandwidth);
  }
  return {with_constraint_options(std::move(g), options, source), std::nullopt};
}

}  // namespace

void check_read_options(const std::string& source, const ReadOptions& options) {
  (void)source;  // option problems name the option, not the file
  check_options(options, read_option_catalogue());
  if (options.memory_per_stage && options.ignore_memory)
    throw InputError("--memory-per-stage and --ignore-memory contradict each other");
  if (options.memory_per_stage && !options.cluster.empty())
    throw InputError(
        "--cluster and --memory-per-stage contradict each other: the cluster's "
        "device classes give each device's memory");
  if (options.backward_pass != "none" && !options.cluster.empty())
    throw InputError(
        "--backward-pass and --cluster: training graphs are solved on identical devices only "
        "(docs/training.md)");
}

std::string json_graph_format(const nlohmann::json& doc) {
  // Our own format names itself; Tarnawski files have maxFPGAs or nodes with fpgaLatency.
  if (!doc.is_object() || doc.contains("format")) return "pipecut";
  if (doc.contains("maxFPGAs") || doc.contains("maxSizePerFPGA")) return "tarnawski";
  if (doc.contains("nodes") && doc["nodes"].is_array() && !doc["nodes"].empty() &&
      doc["nodes"][0].is_object() && doc["nodes"][0].contains("fpgaLatency"))
    return "tarnawski";
  return "pipecut";
}

std::string detect_graph_format(const std::string& path) {
  if (std::string format = format_from_extension(path); !format.empty()) return format;
  const std::string text = read_file_maybe_gzip(path);
  std::optional<nlohmann::json> doc;
  return resolve_format(text, path, {}, doc);
}

Graph read_graph(const std::string& path, const ReadOptions& options) {
  return read_graph_with_profile(path, options).graph;
}

Graph parse_graph(const std::string& content, const std::string& source,
                  const ReadOptions& options) {
  return parse_graph_with_profile(content, source, options).graph;
}

// Every entry point reads its file once: detection and loading share the bytes, and a JSON
// document is parsed once for both.
GraphWithProfile read_graph_with_profile(const std::string& path, const ReadOptions& options) {
  check_read_options(path, options);  // before reading: a bad option needs no file
  return parse_graph_with_profile(read_file_maybe_gzip(path, options.max_input_bytes), path,
                                  options);
}

OnnxImport read_onnx_model(const std::string& path, const ReadOptions& options) {
  check_read_options(path, options);
  // The stage writer writes the model's own (forward) operators, one ONNX node per graph node.
  if (options.backward_pass != "none")
    throw InputError(path +
                     ": --backward-pass: the ONNX stage writer (split, solve --export-onnx) "
                     "writes inference stages only (docs/training.md)");
  const std::string bytes = read_file_maybe_gzip(path, options.max_input_bytes);
  std::optional<nlohmann::json> doc;
  const std::string format = resolve_format(bytes, path, options, doc);
  if (format != "onnx")
    throw InputError(path + ": an ONNX model is needed here (this is " + format + " input)");
  return import_with(bytes, path, options);
}

}  // namespace pipecut
