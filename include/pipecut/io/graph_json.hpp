#pragma once
// Reader and writer of `pipecut.graph` v1 (JSON, optionally gzip-compressed; see docs/formats.md).
#include <string>

#include "pipecut/model/graph.hpp"

namespace pipecut {

// Reads a .json or .json.gz file (gzip detected from content). Throws InputError naming the file.
Graph read_pipecut_graph(const std::string& path);
// Parses JSON text; `source` names the input in error messages.
Graph parse_pipecut_graph(const std::string& text, const std::string& source);

// Writes the graph; gzip-compressed when `path` ends in ".gz". Writes to a temporary file in
// the same folder and renames it, so an existing file is never left half-written.
void write_pipecut_graph(const Graph& g, const std::string& path);
std::string pipecut_graph_to_json(const Graph& g, int indent = -1);

}  // namespace pipecut
