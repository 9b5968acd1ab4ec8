#include "cli/common.hpp"

#include <filesystem>
#include <iostream>

#include "pipecut/io/file_util.hpp"
#include "pipecut/model/error.hpp"

namespace pipecut::cli {

void add_graph_input(CLI::App& cmd, GraphInput& in) {
  cmd.add_option("GRAPH", in.path,
                 "Input graph: pipecut.graph JSON (.json/.json.gz), Tarnawski et al. JSON, "
                 "PipeDream graph.txt, REGAL CostGraphDef text (.pbtxt) or ONNX (.onnx); see "
                 "docs/formats.md")
      ->required();
  cmd.add_option("--input-format", in.read.format,
                 "Force the input format instead of detecting it from extension and content: "
                 "auto, pipecut, tarnawski, pipedream, regal, onnx")
      ->check(CLI::IsMember({"auto", "pipecut", "tarnawski", "pipedream", "regal", "onnx"}))
      ->default_val("auto");
  cmd.add_option("--link-bandwidth", in.link_bandwidth_gbps,
                 "Link bandwidth between stages in GB/s (1e9 bytes/s), turning tensor bytes into "
                 "comm time for PipeDream, REGAL and ONNX inputs. Default: 16 for PipeDream/REGAL, "
                 "the device profile's link for ONNX")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--device", in.read.device,
                 "ONNX cost model device: a built-in profile (a100-pcie [default], a100-sxm, t4, "
                 "tpu-v4, cpu-avx512) or a JSON profile file; see docs/cost-model.md");
  cmd.add_option("--dtype", in.read.dtype,
                 "ONNX: compute and store floating-point tensors in this type instead of the "
                 "model's: fp32, tf32, fp16, bf16, int8")
      ->check(CLI::IsMember({"fp32", "tf32", "fp16", "bf16", "int8"}));
}

Graph load_graph(const GraphInput& in) {
  ReadOptions options = in.read;
  if (in.link_bandwidth_gbps > 0) options.link_bandwidth_gbps = in.link_bandwidth_gbps;
  return read_graph(in.path, options);
}

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

}  // namespace pipecut::cli
