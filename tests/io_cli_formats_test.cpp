// Format detection, and `pipecut convert` / `pipecut partition` end to end on every format.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "pipecut/io/file_util.hpp"
#include "pipecut/io/graph_json.hpp"
#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/error.hpp"
#include "support/io_test_util.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

using testing::data_path;
using testing::run_cli;

struct Sample {
  const char* path;
  const char* format;
  int nodes;
};
const Sample kSamples[] = {
    {"samples/pipecut/bert_l-3_inference.json", "pipecut", 235},
    {"samples/tarnawski/bert_l-3_inference.json", "tarnawski", 235},
    {"samples/pipedream/resnet18_graph.txt", "pipedream", 71},
    {"samples/regal/tiny.pbtxt", "regal", 4},
    {"samples/onnx/tiny_conv_matmul_split.onnx", "onnx", 10},
    {"synthetic/synthetic-0000.json", "pipecut", -1},
};

TEST(FormatDetection, EverySampleIsRecognised) {
  for (const auto& s : kSamples)
    EXPECT_EQ(detect_graph_format(data_path(s.path)), s.format) << s.path;
}

TEST(FormatDetection, ContentDecidesWhenTheExtensionDoesNot) {
  testing::TempDir tmp;
  // Extensions that say nothing: the content must decide.
  const std::string regal =
      tmp.write("graph.data", testing::read_text(data_path("samples/regal/tiny.pbtxt")));
  const std::string pipedream =
      tmp.write("profile", testing::read_text(data_path("samples/pipedream/resnet18_graph.txt")));
  const std::string onnx = tmp.write(
      "model.bin", testing::read_text(data_path("samples/onnx/tiny_conv_matmul_split.onnx")));
  EXPECT_EQ(detect_graph_format(regal), "regal");
  EXPECT_EQ(detect_graph_format(pipedream), "pipedream");
  EXPECT_EQ(detect_graph_format(onnx), "onnx");
  EXPECT_EQ(read_graph(onnx).num_nodes(), 10);
  // Gzipped pipecut JSON is detected through the compression.
  const std::string gz = tmp.path("bert.json.gz");
  write_pipecut_graph(read_graph(data_path("samples/tarnawski/bert_l-3_inference.json")), gz);
  EXPECT_EQ(detect_graph_format(gz), "pipecut");
  EXPECT_EQ(read_graph(gz).num_nodes(), 235);
  const std::string empty = tmp.write("empty.txt", "");
  EXPECT_THROW((void)detect_graph_format(empty), InputError);
}

// Gzip-compressed ONNX (the transformer corpus ships as .onnx.gz) reads like the plain file;
// the extension alone says ONNX, so the ONNX reader, not detection, reports bad content.
TEST(FormatDetection, GzippedOnnxByExtensionAndByContent) {
  testing::TempDir tmp;
  const std::string plain = data_path("samples/onnx/tiny_conv_matmul_split.onnx");
  const std::string bytes = testing::read_text(plain);
  const std::string gz = tmp.path("tiny_conv_matmul_split.onnx.gz");
  write_file_atomic(gz, bytes, /*gzip=*/true);
  ASSERT_NE(testing::read_text(gz), bytes);  // really compressed
  EXPECT_EQ(detect_graph_format(gz), "onnx");
  const Graph expected = read_graph(plain);
  const Graph g = read_graph(gz);
  EXPECT_EQ(g.name, expected.name);  // .onnx.gz is not part of the name
  ASSERT_EQ(g.num_nodes(), expected.num_nodes());
  EXPECT_EQ(g.num_edges(), expected.num_edges());
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    EXPECT_EQ(g.ids[v], expected.ids[v]);
    EXPECT_DOUBLE_EQ(g.work[v], expected.work[v]);
    EXPECT_DOUBLE_EQ(g.comm[v], expected.comm[v]);
  }
  // A name that says nothing: the unpacked content decides.
  const std::string neutral = tmp.path("model.bin.gz");
  write_file_atomic(neutral, bytes, /*gzip=*/true);
  EXPECT_EQ(detect_graph_format(neutral), "onnx");
  // Text inside an .onnx.gz is a bad ONNX model, named as such.
  const std::string text = tmp.path("notes.onnx.gz");
  write_file_atomic(text, "just some text\n", /*gzip=*/true);
  try {
    (void)read_graph(text);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(text, 0), 0u) << e.what();
    EXPECT_NE(std::string(e.what()).find("not a valid ONNX model"), std::string::npos) << e.what();
  }
  // Truncated compressed data: one line naming the file.
  const std::string cut = tmp.write("cut.onnx.gz", testing::read_text(gz).substr(0, 40));
  try {
    (void)read_graph(cut);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(cut, 0), 0u) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
}

TEST(FormatDetection, ForcedFormatWins) {
  ReadOptions options;
  options.format = "pipedream";
  try {
    (void)read_graph(data_path("samples/regal/tiny.pbtxt"), options);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("tiny.pbtxt"), std::string::npos) << e.what();
  }
  options.format = "yaml";
  EXPECT_THROW((void)read_graph(data_path("samples/regal/tiny.pbtxt"), options), InputError);
}

TEST(CliFormats, ConvertWritesPipecutGraphForEveryFormat) {
  testing::TempDir tmp;
  for (const auto& s : kSamples) {
    const std::string out =
        tmp.path(std::string(s.format) + "-" + std::to_string(s.nodes) + ".json.gz");
    const auto r = run_cli("convert '" + data_path(s.path) + "' '" + out + "'");
    ASSERT_EQ(r.exit_code, 0) << s.path << ": " << r.err;
    const Graph converted = read_pipecut_graph(out);  // gzip by extension, read back
    const Graph original = read_graph(data_path(s.path));
    EXPECT_EQ(converted.num_nodes(), original.num_nodes()) << s.path;
    EXPECT_EQ(converted.num_edges(), original.num_edges()) << s.path;
    EXPECT_EQ(converted.ids, original.ids) << s.path;
    EXPECT_EQ(converted.work, original.work) << s.path;  // the JSON keeps doubles exactly
    EXPECT_EQ(converted.comm, original.comm) << s.path;
    if (s.nodes > 0) {
      EXPECT_EQ(converted.num_nodes(), s.nodes) << s.path;
    }
  }
}

TEST(CliFormats, ConvertedBertSampleEqualsTheBundledPipecutFile) {
  testing::TempDir tmp;
  const std::string out = tmp.path("bert.json");
  const auto r = run_cli("convert '" + data_path("samples/tarnawski/bert_l-3_inference.json") +
                         "' '" + out + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Graph ours = read_pipecut_graph(out);
  const Graph reference = read_pipecut_graph(data_path("samples/pipecut/bert_l-3_inference.json"));
  EXPECT_EQ(ours.ids, reference.ids);
  EXPECT_EQ(ours.work, reference.work);
  EXPECT_EQ(ours.comm, reference.comm);
  EXPECT_EQ(ours.memory, reference.memory);
  EXPECT_EQ(ours.succ_begin, reference.succ_begin);
  EXPECT_EQ(ours.succ_list, reference.succ_list);
}

TEST(CliFormats, ConvertRefusesToOverwriteItsInput) {
  testing::TempDir tmp;
  const std::string in =
      tmp.write("g.txt", testing::read_text(data_path("samples/pipedream/resnet18_graph.txt")));
  const std::string before = testing::read_text(in);
  auto r = run_cli("convert '" + in + "' '" + in + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("refusing to overwrite the input file"), std::string::npos) << r.err;
  r = run_cli("convert '" + in + "' '" + tmp.path(".") + "/../" +
              std::filesystem::path(tmp.path("g.txt")).parent_path().filename().string() +
              "/g.txt'");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(testing::read_text(in), before);
}

TEST(CliFormats, PartitionRunsOnEveryFormat) {
  for (const auto& s : kSamples) {
    const auto r = run_cli("partition '" + data_path(s.path) + "' -k 2 --preset brkga-100 --json");
    ASSERT_EQ(r.exit_code, 0) << s.path << ": " << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["assignment"].size(),
              static_cast<std::size_t>(read_graph(data_path(s.path)).num_nodes()))
        << s.path;
    EXPECT_GT(doc["bottleneck"].get<double>(), 0.0) << s.path;
  }
}

TEST(CliFormats, InputOptionsReachTheReaders) {
  const std::string pd = data_path("samples/pipedream/resnet18_graph.txt");
  testing::TempDir tmp;
  auto r = run_cli("convert '" + pd + "' '" + tmp.path("a.json") + "' --link-bandwidth 32");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Graph g = read_pipecut_graph(tmp.path("a.json"));
  EXPECT_DOUBLE_EQ(g.comm[*g.find("node2")], 822083584.0 / 32e6);
  const std::string onnx = data_path("samples/onnx/tiny_conv_matmul_split.onnx");
  r = run_cli("convert '" + onnx + "' '" + tmp.path("b.json") + "' --device t4 --dtype bf16");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_DOUBLE_EQ(read_pipecut_graph(tmp.path("b.json")).comm[0], 512.0 / 16e6 + 0.010);
  r = run_cli("convert '" + pd + "' '" + tmp.path("c.json") + "' --input-format regal");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("resnet18_graph.txt:"), std::string::npos) << r.err;
  r = run_cli("convert '" + onnx + "' '" + tmp.path("d.json") + "' --device nope");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--device 'nope'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace pipecut

namespace pipecut {
namespace {

// An option the input does not use is ignored with one warning (it used to be silently
// ignored); an ONNX dynamic dimension costed as 1 is said once.
TEST(CostOptions, OptionsThatDoNotApplyToTheInputAreWarnedAbout) {
  auto warnings = [](const std::string& args) {
    const auto r = testing::run_cli("bound " + args + " -k 2 --method simple");
    EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.err;
    std::vector<std::string> lines;
    std::istringstream in(r.err);
    for (std::string line; std::getline(in, line);)
      if (line.rfind("pipecut: warning: ", 0) == 0) lines.push_back(line);
    return lines;
  };
  const std::string json = testing::data_path("samples/pipecut/bert_l-3_inference.json");
  const std::string tarnawski = testing::data_path("samples/tarnawski/bert_l-3_inference.json");
  const std::string pipedream = testing::data_path("samples/pipedream/resnet18_graph.txt");
  const std::string regal = testing::data_path("samples/regal/tiny.pbtxt");
  const std::string onnx = testing::data_path("samples/onnx/tiny_conv_matmul_split.onnx");
  const std::string dynamic = testing::data_path("samples/onnx/tiny_shape_chain_dynamic.onnx");
  for (const std::string& given : {json, tarnawski}) {
    const auto w = warnings(given + " --device t4 --dtype fp16 --link-bandwidth 3");
    ASSERT_EQ(w.size(), 3u) << given;
    EXPECT_NE(w[0].find(given + ": --device applies to ONNX models only"), std::string::npos)
        << w[0];
    EXPECT_NE(w[1].find("--dtype applies to ONNX models only"), std::string::npos) << w[1];
    EXPECT_NE(w[2].find("--link-bandwidth applies to PipeDream, REGAL and ONNX input only"),
              std::string::npos)
        << w[2];
  }
  for (const std::string& given : {pipedream, regal}) {
    const auto w = warnings(given + " --device t4 --link-bandwidth 3");  // the bandwidth applies
    ASSERT_EQ(w.size(), 1u) << given;
    EXPECT_NE(w[0].find("--device applies to ONNX models only"), std::string::npos) << w[0];
  }
  EXPECT_TRUE(warnings(onnx + " --device t4 --dtype fp16 --link-bandwidth 3").empty());
  EXPECT_TRUE(warnings(json).empty());
  const auto d = warnings(dynamic);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_NE(d[0].find(dynamic + ": dynamic dimension(s) 'N' costed as 1"), std::string::npos)
      << d[0];
  EXPECT_TRUE(warnings(testing::data_path("samples/onnx/tiny_shape_chain_static.onnx")).empty());
}

}  // namespace
}  // namespace pipecut
