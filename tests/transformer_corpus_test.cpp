// The transformer testbed (data/corpus/transformers, gzip-compressed ONNX written by
// tools/export_transformers.py): every model imports with the node count models.json predicts
// from the ONNX graph, with no operator left without a cost formula, with the multiply-adds of
// its published architecture, and partitions validly by topological slicing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "pipecut/model/cost.hpp"
#include "pipecut/onnx/onnx_import.hpp"
#include "pipecut/partition/slicegraph.hpp"
#include "support/io_test_util.hpp"

namespace pipecut {
namespace {

namespace fs = std::filesystem;

const fs::path kCorpus = fs::path(PIPECUT_DATA_DIR) / "corpus" / "transformers";

nlohmann::json models_json() {
  std::ifstream in(kCorpus / "models.json");
  return nlohmann::json::parse(in);
}

// Multiply-adds of one forward pass, from the published shapes (dense attention: every query
// against every key, masked scores included). Matrix products only; elementwise operators add
// under 1 % on top.
double decoder_macs(double layers, double width, double tokens, double vocabulary) {
  // Per token and layer: q, k, v and output projections 4d^2, MLP 8d^2, QK^T and AV 2 T d.
  return tokens * (layers * (12 * width * width + 2 * tokens * width) + width * vocabulary);
}

double bert_mlm_macs() {
  const double d = 1024, tokens = 512;
  // 24 encoder layers, then the head's d x d transform and the vocabulary projection.
  return decoder_macs(24, d, tokens, 30522) + tokens * d * d;
}

double t5_large_macs() {
  const double d = 1024, ff = 4096, n = 512, m = 128, layers = 24, vocabulary = 32128;
  const double encoder = n * (4 * d * d + 2 * d * ff + 2 * n * d);
  const double decoder = m * (4 * d * d + 2 * m * d)                      // causal self-attention
                         + m * 2 * d * d + n * 2 * d * d + m * 2 * n * d  // cross-attention
                         + m * 2 * d * ff;                                // feed-forward
  return layers * (encoder + decoder) + m * d * vocabulary;
}

double vit_macs(double layers, double width, double image, double patch) {
  const double patches = (image / patch) * (image / patch);
  const double tokens = patches + 1;  // + the class token
  return tokens * layers * (12 * width * width + 2 * tokens * width) +
         patches * width * 3 * patch * patch  // patch embedding convolution
         + width * 1000;                      // classifier head
}

const std::map<std::string, double> kExpectedMacs = {
    {"gpt2_small", decoder_macs(12, 768, 1024, 50257)},
    {"gpt2_medium", decoder_macs(24, 1024, 1024, 50257)},
    {"gpt2_large", decoder_macs(36, 1280, 1024, 50257)},
    {"gpt2_xl", decoder_macs(48, 1600, 1024, 50257)},
    {"bert_large_mlm", bert_mlm_macs()},
    {"t5_large", t5_large_macs()},
    {"vit_l_16", vit_macs(24, 1024, 512, 16)},
    {"vit_h_14", vit_macs(32, 1280, 518, 14)},
    // torchvision's documentation: Swin_B_Weights.IMAGENET1K_V1, 15.43 "GFLOPS" (multiply-adds).
    {"swin_b", 15.43e9},
};

TEST(TransformerCorpus, IndexListsExactlyTheFilesInTheFolder) {
  const nlohmann::json index = models_json();
  std::set<std::string> listed, present;
  for (const auto& m : index.at("models")) listed.insert(m.at("file").get<std::string>());
  for (const auto& e : fs::directory_iterator(kCorpus))
    if (e.path().filename().string().ends_with(".onnx.gz"))
      present.insert(e.path().filename().string());
  EXPECT_EQ(listed, present);
  EXPECT_TRUE(index.at("skipped").empty()) << index.at("skipped").dump();
  std::set<std::string> expected_models;
  for (const auto& [name, macs] : kExpectedMacs) expected_models.insert(name + ".onnx.gz");
  EXPECT_EQ(listed, expected_models);
}

TEST(TransformerCorpus, EveryModelImportsWithItsNodeCountCostsAndPartitions) {
  const nlohmann::json index = models_json();
  int checked = 0;
  for (const auto& m : index.at("models")) {
    const std::string name = m.at("name");
    const OnnxImport r = import_onnx_model((kCorpus / m.at("file").get<std::string>()).string());
    const Graph& g = r.graph;
    // The export script counts, from the ONNX graph, the operators that depend on an input plus
    // one port node per consumed output of multi-output operators (docs/formats.md "ONNX").
    EXPECT_EQ(g.num_nodes(), m.at("graph_nodes").get<int>()) << name;
    EXPECT_GE(g.num_nodes(), 600) << name;
    EXPECT_TRUE(r.unknown_ops.empty()) << name << ": " << r.unknown_ops.front();
    double flops = 0;
    for (const auto& c : r.costs) flops += c.flops;
    const double expected = kExpectedMacs.at(name);
    EXPECT_GE(flops / 2, 0.999 * expected) << name;  // nothing lost
    EXPECT_LE(flops / 2, 1.02 * expected) << name;   // elementwise work on top (under 1 %)
    double comm = 0;
    for (double c : g.comm) comm += c;
    EXPECT_GT(comm, 0.0) << name;
    const SliceGraphResult p = slice_default_order(g, 8);
    EXPECT_FALSE(partition_problem(g, p.partition).has_value()) << name;
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(kExpectedMacs.size()));
}

}  // namespace
}  // namespace pipecut
