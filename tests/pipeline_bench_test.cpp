// `pipecut bench` and the pipecut.bench format. Suites named OnnxStages* run real stage models
// (tools/make_split_test_models.py, a ctest fixture) in ONNX Runtime through
// tools/bench_pipeline.mjs. No assertion depends on how fast this machine is: they check
// structure, positivity and consistency between fields and with the manifest.
#include "pipecut/io/pipeline_bench.hpp"

#include <gtest/gtest.h>
#include <sched.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "pipecut/model/error.hpp"
#include "pipecut/onnx/onnx_import.hpp"
#include "support/io_test_util.hpp"

namespace pipecut {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::run_cli;
using testing::TempDir;

json read_json(const std::string& path) { return json::parse(testing::read_text(path)); }

int usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  return sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
}

// "t3" and the like, built by appending (GCC 12 warns, wrongly, about `"t" + std::to_string(i)`).
std::string indexed(const char* prefix, int i, const char* suffix = "") {
  std::string text = prefix;
  text += std::to_string(i);
  text += suffix;
  return text;
}

// A pipeline.json with `stages` stages (the stage files need not exist for the checks that come
// before anything runs).
std::string fake_pipeline(const TempDir& tmp, const std::string& name, int stages) {
  json doc = {{"format", "pipecut.pipeline"},
              {"version", 1},
              {"model", "m.onnx"},
              {"partition",
               {{"k", stages},
                {"bottleneck", 1.0},
                {"lower_bound", 1.0},
                {"lower_bound_method", "simple"},
                {"ratio", 1.0},
                {"moved_port_nodes", 0}}},
              {"inputs", json::array({{{"name", "x"}, {"dtype", "float32"}, {"shape", {1, 4}}}})},
              {"outputs", json::array()}};
  json list = json::array();
  for (int s = 0; s < stages; ++s) {
    json in = {{"name", s == 0 ? std::string("x") : indexed("t", s - 1)},
               {"dtype", "float32"},
               {"shape", {1, 4}}};
    in["from"] = s == 0 ? json("input") : json(s - 1);
    json out = {{"name", indexed("t", s)},
                {"dtype", "float32"},
                {"shape", {1, 4}},
                {"to", s + 1 < stages ? json::array({s + 1}) : json::array()},
                {"model_output", s + 1 == stages}};
    list.push_back(
        {{"stage", s},
         {"partition_stage", s},
         {"file", indexed("stage_", s, ".onnx")},
         {"external_data", nullptr},
         {"inputs", json::array({in})},
         {"outputs", json::array({out})},
         {"operators", json::array({indexed("op", s)})},
         {"folded_operators", 0},
         {"parameter_bytes", 0},
         {"predicted", {{"work", 1.0}, {"comm_in", 0.0}, {"comm_out", 0.0}, {"cost", 1.0}}}});
  }
  doc["stages"] = list;
  fs::create_directories(tmp.path(name));
  tmp.write(name + "/pipeline.json", doc.dump());
  return tmp.path(name);
}

// A hand-made result: two stages, pipelined.
BenchResult sample_result() {
  BenchResult r;
  r.pipeline = "stages";
  r.model = "m.onnx";
  r.k = 3;
  r.runtime = "test";
  r.prediction_source = "pipeline.json";
  r.cpu = "cpu";
  r.cores = 2;
  r.runs = 10;
  r.warmup = 2;
  r.optimizations = "on";
  for (int i = 0; i < 2; ++i) {
    BenchStage s;
    s.stage = i;
    s.partition_stage = 2 * i;  // partition stage 1 is empty
    s.file = "stage_" + std::to_string(i) + ".onnx";
    s.operators = 5 + i;
    s.predicted.work = 1.0 + i;
    s.predicted.comm_in = i == 1 ? 0.5 : 0.0;
    s.predicted.comm_out = i == 0 ? 0.5 : 0.0;
    s.predicted.cost = s.predicted.work + s.predicted.comm_in + s.predicted.comm_out;
    s.run_ms = {2.0 + i, 1.5 + i, 3.0 + i, 0.2, 2.1 + i, 1.0 + i, 4.0 + i};
    s.copy_in_ms = i == 1 ? 0.25 : 0.0;
    s.copy_out_ms = i == 0 ? 0.25 : 0.0;
    r.stages.push_back(s);
  }
  BenchPipelined p;
  p.microbatches = 20;
  p.skipped_microbatches = 3;
  p.steady_microbatches = 16;
  p.window_ms = 64;
  p.throughput_per_s = 250;
  p.period_ms = 4;
  p.pinned = true;
  for (int i = 0; i < 2; ++i) p.stages.push_back({i, 0.5 + 0.25 * i, 0, {1, 1, 1, 0, 1, 1, 1}, i});
  r.pipelined = p;
  finish_bench(r);
  return r;
}

TEST(PipelineBench, DerivedFieldsFollowTheMeasurements) {
  const BenchResult r = sample_result();
  EXPECT_DOUBLE_EQ(r.stages[0].measured_ms, 2.0 + 0.25);
  EXPECT_DOUBLE_EQ(r.stages[1].measured_ms, 3.0 + 0.25);
  EXPECT_DOUBLE_EQ(r.stages[0].error, 1.5 / 2.25 - 1);
  EXPECT_DOUBLE_EQ(r.predicted_bottleneck_ms, 2.5);
  EXPECT_EQ(r.predicted_bottleneck_stage, 1);
  EXPECT_DOUBLE_EQ(r.measured_bottleneck_ms, 3.25);
  EXPECT_EQ(r.measured_bottleneck_stage, 1);
  EXPECT_DOUBLE_EQ(r.bottleneck_error, 2.5 / 3.25 - 1);
  ASSERT_TRUE(r.pipelined);
  EXPECT_DOUBLE_EQ(r.pipelined->predicted_throughput_per_s, 400);
  EXPECT_DOUBLE_EQ(r.pipelined->error, 400.0 / 250 - 1);
  EXPECT_DOUBLE_EQ(r.pipelined->stages[0].predicted_busy_fraction, 1.5 / 2.5);
  EXPECT_DOUBLE_EQ(r.pipelined->stages[1].predicted_busy_fraction, 1.0);
}

TEST(PipelineBench, JsonRoundTripAndSchema) {
  const BenchResult r = sample_result();
  const std::string text = bench_to_json(r);
  const json doc = json::parse(text);
  EXPECT_EQ(doc.at("format"), "pipecut.bench");
  EXPECT_EQ(doc.at("version"), 1);
  for (const char* key :
       {"pipeline", "model", "k", "runtime", "prediction", "machine", "threads", "runs", "warmup",
        "seed", "optimizations", "stages", "bottleneck", "pipelined"})
    EXPECT_TRUE(doc.contains(key)) << key;
  for (const json& s : doc.at("stages"))
    for (const char* key : {"stage", "partition_stage", "file", "operators", "predicted_ms",
                            "measured_ms", "error", "predicted", "run_ms", "copy_in_ms",
                            "copy_out_ms", "bytes_in", "bytes_out", "tensors_in", "tensors_out"})
      EXPECT_TRUE(s.contains(key)) << key;
  for (const char* key :
       {"throughput_per_s", "predicted_throughput_per_s", "error", "period_ms", "microbatches",
        "skipped_microbatches", "steady_microbatches", "window_ms", "pinned", "stages"})
    EXPECT_TRUE(doc.at("pipelined").contains(key)) << key;
  const BenchResult back = parse_bench(text, "b.json");
  EXPECT_EQ(bench_to_json(back), text);
}

TEST(PipelineBench, MalformedDocumentsAreInputErrorsNamingTheFile) {
  const json good = json::parse(bench_to_json(sample_result()));
  auto message = [](const json& doc) {
    try {
      parse_bench(doc.dump(), "bench.json");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message(good), "no error");
  json doc = good;
  doc["format"] = "pipecut.partition";
  EXPECT_NE(message(doc).find("bench.json: not a pipecut.bench document"), std::string::npos);
  doc = good;
  doc["version"] = 2;
  EXPECT_NE(message(doc).find("unsupported pipecut.bench version"), std::string::npos);
  doc = good;
  doc["pipelined"]["stages"][0]["busy_fraction"] = 1.5;
  EXPECT_NE(message(doc).find("busy_fraction above 1"), std::string::npos);
  doc = good;
  doc["stages"][1]["stage"] = 0;
  EXPECT_NE(message(doc).find("pipeline order"), std::string::npos);
  doc = good;
  doc["stages"][0]["run_ms"]["p10"] = 100;
  EXPECT_NE(message(doc).find("min <= p10 <= median"), std::string::npos);
  doc = good;
  doc["stages"][0]["partition_stage"] = 3;  // k is 3
  EXPECT_NE(message(doc).find("below k"), std::string::npos);
  doc = good;
  doc["stages"][0]["copy_in_ms"] = -1;
  EXPECT_NE(message(doc).find("\"copy_in_ms\" must be a finite number >= 0"), std::string::npos);
  EXPECT_NE(message(json::array()).find("not a pipecut.bench document"), std::string::npos);
  // Fields of the wrong type are input errors too, never an internal error.
  doc = good;
  doc["pipeline"] = 5;
  EXPECT_NE(message(doc).find("\"pipeline\" must be a string"), std::string::npos);
  doc = good;
  doc["pipelined"]["pinned"] = "yes";
  EXPECT_NE(message(doc).find("\"pinned\" must be true or false"), std::string::npos);
  doc = good;
  doc["prediction"]["device"] = 1;
  EXPECT_NE(message(doc).find("\"device\" must be a string"), std::string::npos);
  EXPECT_THROW(read_bench("/nonexistent/bench.json"), InputError);
}

TEST(PipelineBench, ManifestReader) {
  TempDir tmp;
  const std::string dir = fake_pipeline(tmp, "p", 3);
  const PipelineManifest m = read_pipeline_manifest(dir);
  EXPECT_EQ(m.model, "m.onnx");
  EXPECT_EQ(m.k, 3);
  ASSERT_EQ(m.stages.size(), 3u);
  EXPECT_EQ(m.stages[1].inputs[0].from_stage, 0);
  EXPECT_EQ(m.stages[0].inputs[0].from_stage, -1);
  EXPECT_EQ(m.stages[0].outputs[0].to_stages, std::vector<int>{1});
  EXPECT_DOUBLE_EQ(m.stages[2].predicted.cost, 1.0);
  auto message = [&](const std::string& text) {
    tmp.write("p/pipeline.json", text);
    try {
      read_pipeline_manifest(dir);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  json doc = read_json(dir + "/pipeline.json");
  EXPECT_EQ(message(doc.dump()), "no error");
  EXPECT_NE(message("{").find("pipeline.json: malformed JSON"), std::string::npos);
  json bad = doc;
  bad["format"] = "pipecut.graph";
  EXPECT_NE(message(bad.dump()).find("not a pipecut.pipeline document"), std::string::npos);
  bad = doc;
  bad["stages"][1]["file"] = "../elsewhere.onnx";
  EXPECT_NE(message(bad.dump()).find("must be a file name in the folder"), std::string::npos);
  bad = doc;
  bad["stages"][1]["inputs"][0]["from"] = 2;  // a later stage
  EXPECT_NE(message(bad.dump()).find("out of range"), std::string::npos);
  bad = doc;
  bad["stages"][0]["outputs"][0]["model_output"] = "no";
  EXPECT_NE(message(bad.dump()).find("\"model_output\" must be true or false"), std::string::npos);
  bad = doc;
  bad["stages"] = json::array();
  EXPECT_NE(message(bad.dump()).find("non-empty list"), std::string::npos);
  EXPECT_THROW(read_pipeline_manifest(tmp.path("missing")), InputError);
}

// ---- the command's bad inputs: nothing has to run for these --------------------------------

TEST(PipelineBench, NotAPipelineFolder) {
  TempDir tmp;
  fs::create_directories(tmp.path("empty"));
  auto r = run_cli("bench '" + tmp.path("empty") + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "pipecut: error: " + tmp.path("empty") +
                       ": not a pipeline folder (no pipeline.json; write one with pipecut split "
                       "or solve --export-onnx)\n");
  r = run_cli("bench '" + tmp.path("nothing") + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "pipecut: error: " + tmp.path("nothing") + ": not a folder\n");
  fs::create_directories(tmp.path("graph"));
  tmp.write("graph/pipeline.json", "{\"format\": \"pipecut.graph\"}");
  r = run_cli("bench '" + tmp.path("graph") + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not a pipecut.pipeline document"), std::string::npos) << r.err;
}

TEST(PipelineBench, MoreStagesThanCoresIsRefusedForAPipelinedRun) {
  TempDir tmp;
  const int cores = usable_cores();
  const std::string dir = fake_pipeline(tmp, "p", cores + 1);
  const auto r = run_cli("bench '" + dir + "' --pipelined");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "pipecut: error: " + dir + ": a pipelined run needs one core per stage: " +
                       std::to_string(cores + 1) + " stages, " + std::to_string(cores) +
                       " core(s) available here (run the stages alone without --pipelined)\n");
}

TEST(PipelineBench, MissingNodeOrToolsAreOneLineErrors) {
  TempDir tmp;
  const std::string dir = fake_pipeline(tmp, "p", 1);
  setenv("PIPECUT_NODE", "/nonexistent/node", 1);
  auto r = run_cli("bench '" + dir + "'");
  unsetenv("PIPECUT_NODE");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "pipecut: error: /nonexistent/node: PIPECUT_NODE does not name an executable node\n");
  // The tools are looked for once a node is found: any executable will do, so that this test
  // needs no Node.js.
  setenv("PIPECUT_NODE", "/bin/sh", 1);
  fs::create_directories(tmp.path("tools"));
  setenv("PIPECUT_TOOLS_DIR", tmp.path("tools").c_str(), 1);
  r = run_cli("bench '" + dir + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bench_pipeline.mjs not found in " + tmp.path("tools")), std::string::npos)
      << r.err;
  tmp.write("tools/bench_pipeline.mjs", "");
  r = run_cli("bench '" + dir + "'");
  unsetenv("PIPECUT_TOOLS_DIR");
  unsetenv("PIPECUT_NODE");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("onnxruntime-node is not installed in " + tmp.path("tools") +
                       "/node_modules: run `npm ci --ignore-scripts`"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(PipelineBench, PredictionsUnderOtherCostsNeedTheSourceModel) {
  TempDir tmp;
  const std::string dir = fake_pipeline(tmp, "p", 1);
  const auto r = run_cli("bench '" + dir + "' --device cpu-avx512");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("the source model 'm.onnx' is needed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--model"), std::string::npos) << r.err;
}

// ---- real stage models ---------------------------------------------------------------------

std::string model(const std::string& name) {
  const std::string path = std::string(PIPECUT_SPLIT_MODELS_DIR) + "/" + name;
  if (!fs::exists(path))
    ADD_FAILURE() << path << " is missing: run the tests through ctest (fixture split_models)";
  return path;
}

// Bytes of a tensor of the manifest (static shapes, as the test models have).
double tensor_bytes(const json& t) {
  double n = 1;
  for (const json& d : t.at("shape")) n *= d.get<double>();
  const std::string dtype = t.at("dtype");
  return n * (dtype == "float32" || dtype == "int32"   ? 4
              : dtype == "int64" || dtype == "float64" ? 8
                                                       : 1);
}

void expect_spread(const json& s) {
  EXPECT_GT(s.at("min").get<double>(), 0);
  EXPECT_LE(s.at("min").get<double>(), s.at("p10").get<double>());
  EXPECT_LE(s.at("p10").get<double>(), s.at("median").get<double>());
  EXPECT_LE(s.at("median").get<double>(), s.at("p90").get<double>());
  EXPECT_LE(s.at("p90").get<double>(), s.at("max").get<double>());
  EXPECT_GE(s.at("mad").get<double>(), 0);
}

TEST(OnnxStagesBench, StagesAloneMatchTheManifest) {
  const std::string source = model("feature.onnx");
  TempDir tmp;
  const std::string dir = tmp.path("stages");
  auto r =
      run_cli("solve '" + source + "' -k 4 --time-limit 5 --quiet --export-onnx '" + dir + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string out = tmp.path("bench.json");
  r = run_cli("bench '" + dir + "' --runs 5 --warmup 1 --json -o '" + out + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json doc = json::parse(r.out);
  EXPECT_EQ(doc, read_json(out));  // the same document on stdout and in the file
  const json manifest = read_json(dir + "/pipeline.json");
  EXPECT_EQ(doc.at("format"), "pipecut.bench");
  EXPECT_EQ(doc.at("model"), "feature.onnx");
  EXPECT_EQ(doc.at("k"), 4);
  EXPECT_EQ(doc.at("runs"), 5);
  EXPECT_EQ(doc.at("threads"), 1);
  EXPECT_EQ(doc.at("prediction").at("source"), "pipeline.json");
  EXPECT_FALSE(doc.contains("pipelined"));
  ASSERT_EQ(doc.at("stages").size(), manifest.at("stages").size());
  double predicted_bottleneck = 0, measured_bottleneck = 0;
  for (std::size_t i = 0; i < doc.at("stages").size(); ++i) {
    const json& s = doc.at("stages")[i];
    const json& m = manifest.at("stages")[i];
    EXPECT_EQ(s.at("stage"), m.at("stage"));
    EXPECT_EQ(s.at("partition_stage"), m.at("partition_stage"));
    EXPECT_EQ(s.at("file"), m.at("file"));
    EXPECT_EQ(s.at("operators"), m.at("operators").size());
    EXPECT_DOUBLE_EQ(s.at("predicted_ms").get<double>(),
                     m.at("predicted").at("cost").get<double>());
    expect_spread(s.at("run_ms"));
    const double measured = s.at("run_ms").at("median").get<double>() +
                            s.at("copy_in_ms").get<double>() + s.at("copy_out_ms").get<double>();
    EXPECT_DOUBLE_EQ(s.at("measured_ms").get<double>(), measured);
    EXPECT_NEAR(s.at("error").get<double>(), s.at("predicted_ms").get<double>() / measured - 1,
                1e-12);
    // What a stage copies is what the manifest says it receives and sends.
    double bytes_in = 0, bytes_out = 0;
    int tensors_in = 0, tensors_out = 0;
    for (const json& t : m.at("inputs"))
      if (t.at("from") != "input") bytes_in += tensor_bytes(t), ++tensors_in;
    for (const json& t : m.at("outputs"))
      if (!t.at("to").empty()) bytes_out += tensor_bytes(t), ++tensors_out;
    EXPECT_EQ(s.at("tensors_in"), tensors_in);
    EXPECT_EQ(s.at("tensors_out"), tensors_out);
    EXPECT_DOUBLE_EQ(s.at("bytes_in").get<double>(), bytes_in);
    EXPECT_DOUBLE_EQ(s.at("bytes_out").get<double>(), bytes_out);
    EXPECT_EQ(s.at("copy_in_ms").get<double>() > 0, tensors_in > 0);
    predicted_bottleneck = std::max(predicted_bottleneck, s.at("predicted_ms").get<double>());
    measured_bottleneck = std::max(measured_bottleneck, measured);
  }
  EXPECT_DOUBLE_EQ(doc.at("bottleneck").at("predicted_ms").get<double>(), predicted_bottleneck);
  EXPECT_DOUBLE_EQ(doc.at("bottleneck").at("measured_ms").get<double>(), measured_bottleneck);
  // The human summary went to stderr.
  EXPECT_NE(r.err.find("bottleneck: predicted"), std::string::npos) << r.err;
  // -o never replaces an input of the run.
  const std::string before = testing::read_text(dir + "/pipeline.json");
  r = run_cli("bench '" + dir + "' --runs 1 -o '" + dir + "/pipeline.json'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(testing::read_text(dir + "/pipeline.json"), before);
}

TEST(OnnxStagesBench, PredictionsRecomputedFromTheSourceModel) {
  const std::string source = model("resnet18.onnx");
  TempDir tmp;
  const std::string dir = tmp.path("stages");
  auto r =
      run_cli("solve '" + source + "' -k 2 --time-limit 5 --quiet --export-onnx '" + dir + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json manifest = read_json(dir + "/pipeline.json");
  // The same cost options as the split: the manifest's predictions again.
  r = run_cli("bench '" + dir + "' --runs 1 --warmup 0 --json --model '" + source + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json doc = json::parse(r.out);
  EXPECT_EQ(doc.at("prediction").at("source"), "device");
  EXPECT_EQ(doc.at("prediction").at("device"), "a100-pcie");
  for (std::size_t i = 0; i < manifest.at("stages").size(); ++i)
    EXPECT_NEAR(doc.at("stages")[i].at("predicted_ms").get<double>(),
                manifest.at("stages")[i].at("predicted").at("cost").get<double>(), 1e-9);
  // Another device: every stage's prediction is that device's cost of the same operators.
  r = run_cli("bench '" + dir + "' --runs 1 --warmup 0 --json --model '" + source +
              "' --device cpu-avx512");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  doc = json::parse(r.out);
  EXPECT_EQ(doc.at("prediction").at("device"), "cpu-avx512");
  const auto partition_doc = run_cli("convert '" + source + "' - --device cpu-avx512");
  ASSERT_EQ(partition_doc.exit_code, 0);
  const json graph = json::parse(partition_doc.out);
  std::map<std::string, double> work;
  for (const json& n : graph.at("nodes")) work[n.at("id")] = n.at("work");
  for (std::size_t i = 0; i < manifest.at("stages").size(); ++i) {
    double sum = 0;
    for (const json& op : manifest.at("stages")[i].at("operators"))
      sum += work.at(op.get<std::string>());
    EXPECT_NEAR(doc.at("stages")[i].at("predicted").at("work").get<double>(), sum, 1e-9 * sum);
  }
  // A model that is not the one split: the first missing operator is named.
  r = run_cli("bench '" + dir + "' --runs 1 --model '" + model("feature.onnx") + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("is not in the model; was the pipeline split from another model?"),
            std::string::npos)
      << r.err;
}

TEST(OnnxStagesBench, PipelinedRunOfTwoStages) {
  if (usable_cores() < 2) GTEST_SKIP() << "needs 2 cores";
  const std::string source = model("feature.onnx");
  TempDir tmp;
  const std::string dir = tmp.path("stages");
  auto r =
      run_cli("solve '" + source + "' -k 2 --time-limit 5 --quiet --export-onnx '" + dir + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_cli("bench '" + dir + "' --runs 2 --warmup 2 --pipelined --microbatches 12 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json doc = json::parse(r.out);
  ASSERT_TRUE(doc.contains("pipelined"));
  const json& p = doc.at("pipelined");
  EXPECT_EQ(p.at("microbatches"), 12);
  const int skipped = p.at("skipped_microbatches"), steady = p.at("steady_microbatches");
  EXPECT_GE(skipped, 2);  // at least the warm-up and at least the number of stages
  EXPECT_EQ(skipped + steady + 1, 12);
  const double window = p.at("window_ms"), throughput = p.at("throughput_per_s");
  EXPECT_GT(window, 0);
  EXPECT_NEAR(throughput, 1000.0 * steady / window, 1e-9 * throughput);
  EXPECT_NEAR(p.at("period_ms").get<double>() * steady, window, 1e-9 * window);
  EXPECT_NEAR(p.at("predicted_throughput_per_s").get<double>(),
              1000.0 / doc.at("bottleneck").at("predicted_ms").get<double>(), 1e-9);
  ASSERT_EQ(p.at("stages").size(), 2u);
  std::set<int> cpus;
  double predicted_max = 0;
  for (std::size_t i = 0; i < 2; ++i) {
    const json& s = p.at("stages")[i];
    EXPECT_EQ(s.at("stage"), i);
    EXPECT_GE(s.at("busy_fraction").get<double>(), 0.0);
    EXPECT_LE(s.at("busy_fraction").get<double>(), 1.0);
    expect_spread(s.at("run_ms"));
    predicted_max = std::max(predicted_max, s.at("predicted_busy_fraction").get<double>());
    if (p.at("pinned").get<bool>()) cpus.insert(s.at("cpu").get<int>());
  }
  EXPECT_DOUBLE_EQ(predicted_max, 1.0);  // the predicted bottleneck stage is always busy
  if (p.at("pinned").get<bool>()) {
    EXPECT_EQ(cpus.size(), 2u);  // one core each
  }
  // Without pinning the same run works and says so.
  r = run_cli("bench '" + dir + "' --runs 1 --pipelined --microbatches 6 --no-pin --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(json::parse(r.out).at("pipelined").at("pinned").get<bool>());
}

TEST(OnnxStagesBench, AStageThatFailsToLoadIsNamed) {
  const std::string source = model("feature.onnx");
  TempDir tmp;
  const std::string dir = tmp.path("stages");
  auto r =
      run_cli("solve '" + source + "' -k 2 --time-limit 5 --quiet --export-onnx '" + dir + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  tmp.write("stages/stage_1.onnx", "not an onnx model");
  r = run_cli("bench '" + dir + "' --runs 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("pipecut: error: " + dir + "/stage_1.onnx: ONNX Runtime cannot load it", 0),
            0u)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  fs::remove(dir + "/stage_1.onnx");
  r = run_cli("bench '" + dir + "' --runs 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "pipecut: error: " + dir + "/stage_1.onnx: no such file (listed in pipeline.json)\n");
}

}  // namespace
}  // namespace pipecut
