#pragma once
// Reads a graph in any supported format. The format is detected from the extension and the
// content, or forced with ReadOptions::format.
#include <string>

#include "pipecut/model/graph.hpp"

namespace pipecut {

struct ReadOptions {
  std::string format = "auto";  // auto | pipecut
};

Graph read_graph(const std::string& path, const ReadOptions& options = {});

}  // namespace pipecut
