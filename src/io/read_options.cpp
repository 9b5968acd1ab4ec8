// The user-facing options of ReadOptions, declared once (util/options.hpp).
#include "pipecut/io/read_graph.hpp"

namespace pipecut {

const OptionCatalogue<ReadOptions>& read_option_catalogue() {
  static const OptionCatalogue<ReadOptions> catalogue = [] {
    OptionCatalogue<ReadOptions> c;
    using O = ReadOptions;
    declare(c,
            option("input-format", OptionKind::choice,
                   "Force the input format instead of detecting it from the extension and "
                   "the content (docs/formats.md)")
                .one_of([] {
                  return std::vector<std::string>(std::begin(kInputFormats),
                                                  std::end(kInputFormats));
                }),
            &O::format);
    declare(c,
            option("link-bandwidth", OptionKind::number,
                   "Link bandwidth between stages, turning tensor bytes into comm time for "
                   "PipeDream, REGAL and ONNX inputs")
                .in_unit("GB/s")
                .above(0)
                .when_unset("16 for PipeDream and REGAL, the device profile's link for ONNX"),
            &O::link_bandwidth_gbps);
    declare(c,
            option("device", OptionKind::text,
                   "ONNX cost model device: a built-in profile (a100-pcie, a100-sxm, t4, "
                   "tpu-v4, cpu-avx512) or a JSON profile file (docs/cost-model.md)")
                .when_unset("a100-pcie"),
            &O::device);
    declare(c,
            option("dtype", OptionKind::choice,
                   "ONNX: compute and store floating-point tensors in this type instead of "
                   "the model's")
                .one_of([] {
                  return std::vector<std::string>{"fp32", "tf32", "fp16", "bf16", "int8"};
                })
                .when_unset("the model's own types"),
            &O::dtype);
    declare(c,
            option("profile", OptionKind::text,
                   "ONNX: an ONNX Runtime profiling trace (tools/profile_onnx.mjs) whose "
                   "measured kernel times replace the roofline work; operators it lacks keep "
                   "the estimate (docs/cost-model.md)")
                .when_unset("none"),
            &O::profile);
    declare(c,
            option("profile-warmup", OptionKind::integer,
                   "Runs at the start of the --profile trace to skip")
                .at_least(0),
            &O::profile_warmup);
    declare(c,
            option("max-input-size", OptionKind::count,
                   "The most bytes an input file may hold, counted after gzip "
                   "decompression (0 = no cap)")
                .in_unit("bytes"),
            &O::max_input_bytes);
    declare(c,
            option("memory-per-stage", OptionKind::size,
                   "Memory capacity of each stage (device), replacing the file's own: bytes, "
                   "or with a unit (512MiB, 16GiB, 80GB; kB/MB/GB/TB are powers of 1000, "
                   "KiB/MiB/GiB/TiB of 1024). Only node memory (weights, folded constants) "
                   "counts, not activations")
                .in_unit("bytes")
                .above(0)
                .when_unset("the file's capacity, if any"),
            &O::memory_per_stage);
    declare(c,
            option("ignore-memory", OptionKind::flag,
                   "Ignore the memory capacity the graph file gives (stage memory is still "
                   "computed and shown)"),
            &O::ignore_memory);
    declare(c,
            option("ignore-colocation", OptionKind::flag,
                   "Ignore the graph's colour classes (must-colocate groups)"),
            &O::ignore_colocation);
    declare(c,
            option("cluster", OptionKind::text,
                   "A pipecut.cluster file: devices of different classes (memory, speed) on "
                   "hosts joined by links of different bandwidth; pipecut chooses the devices "
                   "and their order (docs/clusters.md). Its capacities replace "
                   "--memory-per-stage")
                .when_unset("k identical devices"),
            &O::cluster);
    declare(c,
            option("backward-pass", OptionKind::choice_or_number,
                   "Make an inference graph a training graph: give every node a backward twin "
                   "in its stage, whose work is the node's times a factor: ops = 2 for "
                   "convolutions, matrix products and attention, 1 for other operators; a "
                   "number = that factor for every node (docs/training.md, \"Synthesising a "
                   "backward pass\"). Then --schedule and its stash apply")
                .one_of([] { return std::vector<std::string>{"none", "ops"}; })
                .at_least(0),
            &O::backward_pass);
    return c;
  }();
  return catalogue;
}

}  // namespace pipecut
