#pragma once
// Helpers shared by the sub-commands: input options, output of JSON, exit codes.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <cstdint>
#include <string>

#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/graph.hpp"

namespace pipecut::cli {

// Exit codes: 0 success, 1 the answer is "no" (e.g. evaluate found an invalid partition),
// 2 bad input or usage.
constexpr int kExitInvalid = 1;
constexpr int kExitInputError = 2;

// Options every command that reads a graph accepts.
struct GraphInput {
  std::string path;
  ReadOptions read;
  double link_bandwidth_gbps = 0;  // 0 = not given (the format's or device's default)
};
void add_graph_input(CLI::App& cmd, GraphInput& in);
Graph load_graph(const GraphInput& in);

// Throws InputError if `output` names the same file as `input`: results never replace inputs.
void refuse_to_overwrite_input(const std::string& output, const std::string& input);

// Writes `doc` to `path` atomically (never leaves a half-written file), or to stdout if "-".
void write_json_output(const nlohmann::json& doc, const std::string& path);

}  // namespace pipecut::cli

namespace pipecut {
struct BrkgaConfig;
}

namespace pipecut::cli {
// SliceGraph options shared by partition and solve.
void add_brkga_options(CLI::App& cmd, std::string& preset, int& population, int& generations,
                       std::uint64_t& seed, int& threads);
BrkgaConfig brkga_config_from(const std::string& preset, int population, int generations,
                              std::uint64_t seed, int threads, double time_limit);
}  // namespace pipecut::cli
