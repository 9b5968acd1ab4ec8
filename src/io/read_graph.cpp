#include "pipecut/io/read_graph.hpp"

#include "pipecut/io/graph_json.hpp"
#include "pipecut/model/error.hpp"

namespace pipecut {

Graph read_graph(const std::string& path, const ReadOptions& options) {
  if (options.format == "auto" || options.format == "pipecut") return read_pipecut_graph(path);
  throw InputError(path + ": unknown input format '" + options.format + "'");
}

}  // namespace pipecut
