#include "cli/common.hpp"

#include <chrono>
#include <filesystem>
#include <iostream>

#include "pipecut/io/file_util.hpp"
#include "pipecut/model/error.hpp"

namespace pipecut::cli {

void add_graph_input(CLI::App& cmd, GraphInput& in) {
  cmd.add_option("GRAPH", in.path, "Input graph file (pipecut.graph JSON, optionally .gz)")
      ->required();
  cmd.add_option("--input-format", in.read.format,
                 "Force the input format instead of detecting it from extension and content")
      ->default_val("auto");
}

Graph load_graph(const GraphInput& in) { return read_graph(in.path, in.read); }

void refuse_to_overwrite_input(const std::string& output, const std::string& input) {
  std::error_code ec;
  if (!output.empty() && output != "-" && std::filesystem::exists(output, ec) &&
      std::filesystem::equivalent(output, input, ec))
    throw InputError(output + ": refusing to overwrite the input file with results");
}

void write_json_output(const nlohmann::json& doc, const std::string& path) {
  std::string text = doc.dump(2) + "\n";
  if (path == "-") {
    std::cout << text << std::flush;
    return;
  }
  write_file_atomic(path, text, ends_with(path, ".gz"));
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace pipecut::cli
