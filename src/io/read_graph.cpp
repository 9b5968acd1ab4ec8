#include "pipecut/io/read_graph.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>
#include <regex>

#include "pipecut/io/file_util.hpp"
#include "pipecut/io/foreign_formats.hpp"
#include "pipecut/io/graph_json.hpp"
#include "pipecut/io/onnx_import.hpp"
#include "pipecut/model/error.hpp"

namespace pipecut {

namespace {

bool is_known_format(const std::string& format) {
  return std::any_of(std::begin(kInputFormats), std::end(kInputFormats),
                     [&](const char* f) { return format == f; });
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Format of already-read (gunzipped) content, or "" when nothing matches.
std::string format_from_content(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  if (text[first] == '{') {
    // JSON: our own format names itself; Tarnawski files have nodes with fpgaLatency.
    nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) {
      // Truncated or malformed JSON: guess from the keys so the right reader names the problem.
      if (text.find("\"pipecut.graph\"") != std::string::npos) return "pipecut";
      if (text.find("\"fpgaLatency\"") != std::string::npos) return "tarnawski";
      return "pipecut";
    }
    if (doc.contains("format")) return "pipecut";
    if (doc.contains("maxFPGAs") || doc.contains("maxSizePerFPGA")) return "tarnawski";
    if (doc.contains("nodes") && doc["nodes"].is_array() && !doc["nodes"].empty() &&
        doc["nodes"][0].is_object() && doc["nodes"][0].contains("fpgaLatency"))
      return "tarnawski";
    return "pipecut";
  }
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

}  // namespace

std::string detect_graph_format(const std::string& path) {
  const std::string name = lower(path);
  if (ends_with(name, ".onnx") || ends_with(name, ".onnx.gz")) return "onnx";
  if (ends_with(name, ".pbtxt") || ends_with(name, ".pbtxt.gz")) return "regal";
  const std::string text = read_file_maybe_gzip(path);
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    throw InputError(path + ": empty file");
  const std::string format = format_from_content(text);
  if (format.empty())
    throw InputError(path +
                     ": cannot tell the input format (empty or unrecognised content); "
                     "use --input-format");
  return format;
}

Graph read_graph(const std::string& path, const ReadOptions& options) {
  return read_graph_with_profile(path, options).graph;
}

namespace {
void check_read_options(const std::string& path, const ReadOptions& options) {
  if (!is_known_format(options.format))
    throw InputError(path + ": unknown input format '" + options.format +
                     "' (expected auto, pipecut, tarnawski, pipedream, regal or onnx)");
  if (options.link_bandwidth_gbps && !(*options.link_bandwidth_gbps > 0))
    throw InputError("--link-bandwidth must be > 0");
  if (options.memory_per_stage &&
      !(*options.memory_per_stage > 0 && std::isfinite(*options.memory_per_stage)))
    throw InputError("--memory-per-stage must be a finite number of bytes > 0");
  if (options.memory_per_stage && options.ignore_memory)
    throw InputError("--memory-per-stage and --ignore-memory contradict each other");
}

// The constraint options on top of what the file gave.
Graph with_constraint_options(Graph g, const ReadOptions& options) {
  if (options.memory_per_stage) g.memory_per_stage = options.memory_per_stage;
  if (options.ignore_memory) g.memory_per_stage.reset();
  if (options.ignore_colocation) {
    g.colour_class.clear();
    g.colour_labels.clear();
  }
  return g;
}

OnnxImport import_with(const std::string& path, const ReadOptions& options) {
  OnnxImportOptions onnx_options;
  onnx_options.device = options.device;
  onnx_options.dtype = options.dtype;
  onnx_options.link_bandwidth_gbps = options.link_bandwidth_gbps;
  onnx_options.warn = options.warn;
  onnx_options.profile = options.profile;
  onnx_options.profile_warmup = options.profile_warmup;
  OnnxImport imported = import_onnx_model(path, onnx_options);
  imported.graph = with_constraint_options(std::move(imported.graph), options);
  return imported;
}
}  // namespace

OnnxImport read_onnx_model(const std::string& path, const ReadOptions& options) {
  check_read_options(path, options);
  const std::string format = options.format == "auto" ? detect_graph_format(path) : options.format;
  if (format != "onnx")
    throw InputError(path + ": an ONNX model is needed here (this is " + format + " input)");
  return import_with(path, options);
}

GraphWithProfile read_graph_with_profile(const std::string& path, const ReadOptions& options) {
  check_read_options(path, options);
  const std::string format = options.format == "auto" ? detect_graph_format(path) : options.format;
  const double bandwidth = options.link_bandwidth_gbps.value_or(kDefaultLinkBandwidthGBps);
  if (format == "onnx") {
    OnnxImport imported = import_with(path, options);
    return {std::move(imported.graph), std::move(imported.profile)};
  }
  if (!options.profile.empty())
    throw InputError(options.profile + ": --profile applies to ONNX models only, and " + path +
                     " is " + format + " input");
  const std::string text = read_file_maybe_gzip(path);
  Graph g = format == "pipecut"     ? parse_pipecut_graph(text, path)
            : format == "tarnawski" ? parse_tarnawski_graph(text, path, options.warn)
            : format == "pipedream" ? parse_pipedream_graph(text, path, bandwidth)
                                    : parse_regal_graph(text, path, bandwidth);
  return {with_constraint_options(std::move(g), options), std::nullopt};
}

}  // namespace pipecut
