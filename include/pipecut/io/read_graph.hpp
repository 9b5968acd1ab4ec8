#pragma once
// Reads a graph in any supported format. The format is detected from the extension and the
// content, or forced with ReadOptions::format. See docs/formats.md for every reader's cost mapping.
//
// Time unit: every reader produces work and comm in milliseconds (ms); memory in bytes.
#include <cstdint>
#include <optional>
#include <string>

#include "pipecut/io/file_util.hpp"
#include "pipecut/model/graph.hpp"
#include "pipecut/onnx/onnx_import.hpp"
#include "pipecut/onnx/ort_profile.hpp"
#include "pipecut/util/log.hpp"
#include "pipecut/util/options.hpp"

namespace pipecut {

// Link bandwidth assumed when an input gives tensor sizes but no transfer times (PipeDream,
// REGAL) and the user does not pass one: 16 GB/s, roughly a PCIe 3.0 x16 link.
inline constexpr double kDefaultLinkBandwidthGBps = 16.0;

struct ReadOptions {
  // auto | pipecut | tarnawski | pipedream | regal | onnx
  std::string format = "auto";
  // Link bandwidth in GB/s (1e9 bytes per second) turning tensor bytes into comm time for
  // PipeDream, REGAL and ONNX inputs. Unset: kDefaultLinkBandwidthGBps for PipeDream/REGAL, the
  // device profile's link for ONNX. Must be > 0 when set.
  std::optional<double> link_bandwidth_gbps;
  // ONNX only: device profile, a built-in name (see device_model.hpp) or a JSON file path.
  // Empty = the default profile.
  std::string device;
  // ONNX only: compute data type override (fp32, tf32, fp16, bf16, int8). Empty = the model's
  // own element types.
  std::string dtype;
  // Receives the readers' warnings (e.g. a tensor whose out-edges disagree on cost).
  LogCallback warn;
  // ONNX only: an ONNX Runtime profiling trace whose measured kernel times replace the roofline
  // work (ort_profile.hpp); empty = none. `profile_warmup` runs at its start are skipped (>= 0).
  std::string profile;
  int profile_warmup = 1;
  // The most bytes the input file may hold, counted after gzip decompression (0 = no cap).
  // Larger inputs are refused with an InputError naming the file and the cap.
  std::uint64_t max_input_bytes = kDefaultMaxInputBytes;
  // Placement constraints (model/constraints.hpp). Those the file gives are kept by default.
  // A memory capacity in bytes per stage that replaces the file's (finite, > 0).
  std::optional<double> memory_per_stage;
  bool ignore_memory = false;      // no capacity (node memory is still read and reported)
  bool ignore_colocation = false;  // no colour classes
  // A pipecut.cluster file (docs/clusters.md): the graph is checked against its device classes
  // and its capacities replace the file's. Empty = k identical devices. The commands and
  // functions that cost on a cluster read it again (io/cluster_json.hpp).
  std::string cluster;
  // A synthesised backward pass (model/backward_pass.hpp; docs/training.md, "Synthesising a
  // backward pass"), added after the constraint options: "none", "ops" (the per-operator
  // factors) or a number >= 0 (one factor for every node). Refused with a cluster and by the
  // ONNX stage writer's reader (read_onnx_model).
  std::string backward_pass = "none";
};

// Formats that read_graph knows, for --help texts and validation.
inline constexpr const char* kInputFormats[] = {"auto",      "pipecut", "tarnawski",
                                                "pipedream", "regal",   "onnx"};

// The user-facing options of ReadOptions (util/options.hpp), for every command that reads a
// graph and for Python's read_graph.
const OptionCatalogue<ReadOptions>& read_option_catalogue();

// Detects the format of `path` from its extension and, when that is not decisive, its content.
// Returns one of the names above other than "auto". Throws InputError if nothing matches.
// (read_graph detects the format itself, from the same single read of the file.)
std::string detect_graph_format(const std::string& path);

// Throws InputError for options that are wrong whatever the file: an unknown format, a bad
// bandwidth or capacity, or memory_per_stage together with ignore_memory. `source` names the
// input in the unknown-format message. read_graph and parse_graph call it first.
void check_read_options(const std::string& source, const ReadOptions& options);

// Reads `path`, then applies the constraint options: memory_per_stage replaces the file's
// capacity, ignore_memory drops it, ignore_colocation drops the colour classes; then
// backward_pass adds a backward pass. Giving both memory_per_stage and ignore_memory is an
// InputError. (All three readers below do the same, except that read_onnx_model refuses
// backward_pass.)
Graph read_graph(const std::string& path, const ReadOptions& options = {});

// The same from the file's content, already read and unzipped (see read_file_maybe_gzip):
// `source` names it in messages and its extension takes part in format detection.
Graph parse_graph(const std::string& content, const std::string& source,
                  const ReadOptions& options = {});

// The graph and, when ReadOptions::profile was given, what the profile covered (for a summary
// line; the library never prints it).
struct GraphWithProfile {
  Graph graph;
  std::optional<ProfileSummary> profile;
};
GraphWithProfile read_graph_with_profile(const std::string& path, const ReadOptions& options = {});

// The whole ONNX import (graph, per-node origins, profile summary) for callers that need more
// than the graph, such as the stage writer (onnx/onnx_split.hpp). InputError if `path` is not an
// ONNX model (by --input-format or detection).
OnnxImport read_onnx_model(const std::string& path, const ReadOptions& options = {});

}  // namespace pipecut
