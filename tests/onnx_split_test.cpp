// Stage models: write_onnx_stages and `pipecut split` / `solve --export-onnx`. Suites named
// OnnxStages* use the models tools/make_split_test_models.py writes (a ctest fixture) and run
// the stages in ONNX Runtime with tools/run_pipeline.mjs.
#include "pipecut/onnx/onnx_split.hpp"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "pipecut/model/error.hpp"
#include "pipecut/onnx/onnx_import.hpp"
#include "pipecut/partition/slicegraph.hpp"
#include "support/io_test_util.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::data_path;
using testing::run_cli;
using testing::TempDir;

std::string model(const std::string& name) {
  const std::string path = std::string(PIPECUT_SPLIT_MODELS_DIR) + "/" + name;
  if (!fs::exists(path))
    ADD_FAILURE() << path << " is missing: run the tests through ctest (fixture split_models) "
                  << "or tools/make_split_test_models.py " << PIPECUT_SPLIT_MODELS_DIR;
  return path;
}

// Partition from operator names; output-port nodes follow their operator unless `ports` says
// otherwise.
Partition partition_by_name(const OnnxImport& imported, const std::map<std::string, int>& stages,
                            int k, const std::map<std::string, int>& ports = {}) {
  const Graph& g = imported.graph;
  Partition p;
  p.k = k;
  p.stage_of.assign(g.num_nodes(), -1);
  for (NodeId v = 0; v < g.num_nodes(); ++v)
    if (imported.origins[v].op >= 0) p.stage_of[v] = stages.at(g.ids[v]);
  for (NodeId v = 0; v < g.num_nodes(); ++v)
    if (imported.origins[v].op < 0)
      p.stage_of[v] =
          ports.count(g.ids[v]) ? ports.at(g.ids[v]) : p.stage_of[imported.origins[v].port_owner];
  return p;
}

// The feature model's partition described in tools/make_split_test_models.py.
const std::map<std::string, int> kFeatureStages = {
    {"relu", 0},  {"matmul_w", 0},  {"split", 1},  {"sigmoid", 1},        {"reshape1", 1},
    {"tanh", 1},  {"reshape2", 2},  {"concat", 2}, {"matmul_w_again", 2}, {"add_y1", 2},
    {"add_t", 2}, {"matmul_w2", 3}, {"add_z", 3},  {"reduce", 3},         {"mul", 3}};

json read_json(const std::string& path) { return json::parse(testing::read_text(path)); }

onnx::ModelProto read_onnx(const std::string& path) {
  onnx::ModelProto m;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(m.ParseFromIstream(&in)) << path;
  return m;
}

struct PipelineRun {
  int exit_code = -1;
  std::string output;
};

PipelineRun run_pipeline(const std::string& dir, const std::string& source) {
  // Configured without Node (tests/CMakeLists.txt), ctest does not run the tests that get here.
  if (std::string(PIPECUT_NODE_PATH).empty()) return {-1, "Node.js was not found by CMake"};
  const std::string log = dir + ".run.log";
  const std::string cmd = std::string(PIPECUT_NODE_PATH) + " " + PIPECUT_TOOLS_DIR +
                          "/run_pipeline.mjs '" + dir + "' '" + source + "' >'" + log + "' 2>&1";
  const int status = std::system(cmd.c_str());
  PipelineRun r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.output = testing::read_text(log);
  fs::remove(log);
  return r;
}

std::set<std::string> names(const json& list) {
  std::set<std::string> out;
  for (const json& t : list) out.insert(t.at("name").get<std::string>());
  return out;
}

const json& stage_tensor(const json& list, const std::string& name) {
  for (const json& t : list)
    if (t.at("name") == name) return t;
  static const json none;
  ADD_FAILURE() << "no tensor " << name << " in " << list.dump();
  return none;
}

// Checks every stage model against the source and the manifest: opsets, IR version and producer
// copied; graph inputs/outputs as in the manifest; every source operator in exactly one stage.
void expect_stages_consistent(const std::string& dir, const std::string& source_path,
                              const OnnxImport& imported) {
  const onnx::ModelProto source = read_onnx(source_path);
  const json manifest = read_json(dir + "/pipeline.json");
  std::map<std::string, int> seen;  // source operator -> number of stages holding it
  for (const json& stage : manifest.at("stages")) {
    const onnx::ModelProto m = read_onnx(dir + "/" + stage.at("file").get<std::string>());
    EXPECT_EQ(m.ir_version(), source.ir_version());
    EXPECT_EQ(m.producer_name(), source.producer_name());
    ASSERT_EQ(m.opset_import_size(), source.opset_import_size());
    EXPECT_EQ(m.opset_import(0).version(), source.opset_import(0).version());
    std::set<std::string> inputs, outputs;
    for (const auto& v : m.graph().input()) inputs.insert(v.name());
    for (const auto& v : m.graph().output()) outputs.insert(v.name());
    EXPECT_EQ(inputs, names(stage.at("inputs")));
    EXPECT_EQ(outputs, names(stage.at("outputs")));
    for (const auto& n : m.graph().node()) ++seen[n.name()];
    for (const json& op : stage.at("operators")) {
      const auto v = imported.graph.find(op.get<std::string>());
      ASSERT_TRUE(v) << op;
    }
  }
  for (NodeId v = 0; v < imported.graph.num_nodes(); ++v) {
    const int op = imported.origins[v].op;
    if (op < 0) continue;
    EXPECT_EQ(seen[source.graph().node(op).name()], 1) << source.graph().node(op).name();
  }
}

// ---- library behaviour that needs no generated model -----------------------------------------

TEST(OnnxSplit, StrippedWeightsAreAClearErrorAndLeaveNothingBehind) {
  // The sample's weights are stripped: one points at an external file that is not shipped,
  // two have no data at all.
  const std::string path = data_path("samples/onnx/tiny_conv_matmul_split.onnx");
  const OnnxImport imported = import_onnx_model(path);
  Partition p;
  p.k = 2;
  p.stage_of.assign(imported.graph.num_nodes(), 0);
  TempDir tmp;
  const std::string out = tmp.path("stages");
  try {
    write_onnx_stages(path, imported, p, out);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("stripped"), std::string::npos) << what;
    EXPECT_NE(what.find(path), std::string::npos) << what;
  }
  EXPECT_FALSE(fs::exists(out));
  for (const auto& entry : fs::directory_iterator(fs::path(out).parent_path()))
    EXPECT_EQ(entry.path().filename().string().find("stages.tmp-"), std::string::npos);
  EXPECT_THROW(check_onnx_split_inputs(path, out), InputError);
}

TEST(OnnxSplit, CorpusModelsAreStripped) {
  const std::string path = data_path("corpus/torchvision/squeezenet1_0.onnx");
  ASSERT_TRUE(fs::exists(path));
  TempDir tmp;
  try {
    check_onnx_split_inputs(path, tmp.path("out"));
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("stripped"), std::string::npos) << e.what();
  }
}

TEST(OnnxSplit, PartitionNotMatchingTheModelNamesTheNode) {
  const std::string path = data_path("samples/onnx/tiny_conv_matmul_split.onnx");
  const OnnxImport imported = import_onnx_model(path);
  Partition p;
  p.k = 2;
  p.stage_of.assign(imported.graph.num_nodes(), 0);
  p.stage_of[*imported.graph.find("conv")] = 1;  // conv -> relu now goes backwards
  TempDir tmp;
  try {
    write_onnx_stages(path, imported, p, tmp.path("out"));
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'conv' -> 'relu'"), std::string::npos) << e.what();
  }
}

TEST(OnnxSplit, NonEmptyFolderIsRefusedWithoutForceAndInputsAreNeverReplaced) {
  const std::string path = data_path("samples/onnx/tiny_conv_matmul_split.onnx");
  TempDir tmp;
  const std::string out = tmp.path("out");
  fs::create_directories(out);
  tmp.write("out/keep.txt", "user data");
  EXPECT_THROW(check_onnx_split_inputs(path, out), InputError);
  EXPECT_EQ(testing::read_text(out + "/keep.txt"), "user data");
  // With force, a folder holding one of the inputs is still refused.
  OnnxSplitOptions force;
  force.force = true;
  force.protected_paths = {out + "/keep.txt"};
  try {
    check_onnx_split_inputs(path, out, force);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("an input"), std::string::npos) << e.what();
  }
  TempDir other;
  other.write("x", "y");
  EXPECT_THROW(check_onnx_split_inputs(path, other.path("x")), InputError);  // a file, not a folder
}

// ---- stage models run in ONNX Runtime ------------------------------------------------------

TEST(OnnxStagesRun, FeatureModelEveryCase) {
  const std::string source = model("feature.onnx");
  const OnnxImport imported = import_onnx_model(source);
  const Partition p = partition_by_name(imported, kFeatureStages, 4);
  TempDir tmp;
  const std::string out = tmp.path("stages");
  OnnxSplitOptions options;
  options.lower_bound = 0.01;
  options.lower_bound_method = "test";
  const PipelineManifest m = write_onnx_stages(source, imported, p, out, options);
  ASSERT_EQ(m.stages.size(), 4u);
  EXPECT_EQ(m.moved_port_nodes, 0);

  const json doc = read_json(out + "/pipeline.json");
  EXPECT_EQ(doc.at("format"), "pipecut.pipeline");
  EXPECT_EQ(doc.at("version"), 1);
  EXPECT_EQ(doc.at("model"), "feature.onnx");
  EXPECT_EQ(doc.at("partition").at("k"), 4);
  EXPECT_EQ(names(doc.at("inputs")), (std::set<std::string>{"X", "Z"}));
  EXPECT_EQ(names(doc.at("outputs")), (std::set<std::string>{"Y1", "Y"}));
  const json& st = doc.at("stages");
  for (int s = 0; s < 4; ++s) {
    EXPECT_EQ(st[s].at("stage"), s);
    EXPECT_EQ(st[s].at("file"), "stage_" + std::to_string(s) + ".onnx");
  }
  // T is sent once by stage 0 and received by each of stages 1, 2, 3.
  EXPECT_EQ(names(st[0].at("inputs")), (std::set<std::string>{"X"}));
  EXPECT_EQ(stage_tensor(st[0].at("inputs"), "X").at("from"), "input");
  EXPECT_EQ(names(st[0].at("outputs")), (std::set<std::string>{"T"}));
  EXPECT_EQ(stage_tensor(st[0].at("outputs"), "T").at("to"), json({1, 2, 3}));
  EXPECT_EQ(stage_tensor(st[0].at("outputs"), "T").at("shape"), json({2, 8}));
  EXPECT_EQ(stage_tensor(st[0].at("outputs"), "T").at("dtype"), "float32");
  // Stage 1: the Split's second output goes on to stage 2; Y1 is a model output that stage 2
  // also reads; the folded Shape chain is copied in and needs no activation.
  EXPECT_EQ(names(st[1].at("inputs")), (std::set<std::string>{"T"}));
  EXPECT_EQ(stage_tensor(st[1].at("inputs"), "T").at("from"), 0);
  EXPECT_EQ(names(st[1].at("outputs")), (std::set<std::string>{"S1", "Y1", "P1"}));
  EXPECT_EQ(stage_tensor(st[1].at("outputs"), "Y1").at("model_output"), true);
  EXPECT_EQ(stage_tensor(st[1].at("outputs"), "Y1").at("to"), json({2}));
  EXPECT_EQ(stage_tensor(st[1].at("outputs"), "S1").at("model_output"), false);
  EXPECT_EQ(st[1].at("folded_operators"), 4);  // Shape, Gather, Unsqueeze, Concat
  EXPECT_EQ(names(st[2].at("inputs")), (std::set<std::string>{"S1", "P1", "Y1", "T"}));
  EXPECT_EQ(st[2].at("folded_operators"), 4);  // the same chain, copied again
  EXPECT_EQ(names(st[2].at("outputs")), (std::set<std::string>{"V2"}));
  // Z is read only by the last stage.
  EXPECT_EQ(names(st[3].at("inputs")), (std::set<std::string>{"V2", "Z", "T"}));
  EXPECT_EQ(stage_tensor(st[3].at("inputs"), "Z").at("from"), "input");
  EXPECT_EQ(stage_tensor(st[3].at("outputs"), "Y").at("model_output"), true);
  EXPECT_EQ(stage_tensor(st[3].at("outputs"), "Y").at("to"), json::array());

  // Predicted costs are the evaluator's for this partition.
  const Evaluation e = evaluate_partition(imported.graph, p);
  for (int s = 0; s < 4; ++s)
    EXPECT_DOUBLE_EQ(st[s].at("predicted").at("cost").get<double>(), e.stages[s].cost);
  EXPECT_DOUBLE_EQ(doc.at("partition").at("bottleneck").get<double>(), e.bottleneck);

  // Initializer W is copied into both stages that use it; the Shape of an activation became a
  // constant, so stage 2 does not need A.
  std::set<std::string> init0, init2;
  const onnx::ModelProto stage0 = read_onnx(out + "/stage_0.onnx");
  const onnx::ModelProto stage2 = read_onnx(out + "/stage_2.onnx");
  for (const auto& t : stage0.graph().initializer()) init0.insert(t.name());
  for (const auto& t : stage2.graph().initializer()) init2.insert(t.name());
  EXPECT_TRUE(init0.count("W"));
  EXPECT_TRUE(init2.count("W"));
  EXPECT_FALSE(init0.count("W2"));
  expect_stages_consistent(out, source, imported);

  const PipelineRun run = run_pipeline(out, source);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("Y1: max abs diff"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("match"), std::string::npos) << run.output;
}

TEST(OnnxStagesRun, SplitOutputsGoToDifferentStages) {
  // The Split sits in stage 0; its first output is read in stage 1, its second in stage 2. The
  // partition also puts the output-port nodes in those stages: they move back to the Split.
  const std::string source = model("feature.onnx");
  const OnnxImport imported = import_onnx_model(source);
  auto stages = kFeatureStages;
  stages["split"] = 0;
  const Partition p = partition_by_name(imported, stages, 4, {{"split:0", 1}, {"split:1", 2}});
  TempDir tmp;
  const std::string out = tmp.path("stages");
  const PipelineManifest m = write_onnx_stages(source, imported, p, out);
  EXPECT_EQ(m.moved_port_nodes, 2);
  const json st = read_json(out + "/pipeline.json").at("stages");
  EXPECT_EQ(names(st[0].at("outputs")), (std::set<std::string>{"T", "S0", "S1"}));
  EXPECT_EQ(stage_tensor(st[0].at("outputs"), "S0").at("to"), json({1}));
  EXPECT_EQ(stage_tensor(st[0].at("outputs"), "S1").at("to"), json({2}));
  EXPECT_EQ(stage_tensor(st[1].at("inputs"), "S0").at("from"), 0);
  EXPECT_EQ(stage_tensor(st[2].at("inputs"), "S1").at("from"), 0);
  // Moving the port nodes never raises a cost: each stage costs at most what the partition as
  // given did.
  const Evaluation given = evaluate_partition(imported.graph, p);
  for (int s = 0; s < 4; ++s)
    EXPECT_LE(st[s].at("predicted").at("cost").get<double>(), given.stages[s].cost + 1e-12);
  expect_stages_consistent(out, source, imported);
  const PipelineRun run = run_pipeline(out, source);
  EXPECT_EQ(run.exit_code, 0) << run.output;
}

TEST(OnnxStagesRun, EmptyStagesAreSkippedAndStagesRenumbered) {
  const std::string source = model("feature.onnx");
  const OnnxImport imported = import_onnx_model(source);
  auto stages = kFeatureStages;
  for (auto& [name, stage] : stages) stage = stage < 2 ? 1 : 4;  // stages 0, 2, 3 empty
  TempDir tmp;
  const std::string out = tmp.path("stages");
  const PipelineManifest m =
      write_onnx_stages(source, imported, partition_by_name(imported, stages, 5), out);
  ASSERT_EQ(m.stages.size(), 2u);
  EXPECT_EQ(m.stages[0].partition_stage, 1);
  EXPECT_EQ(m.stages[1].partition_stage, 4);
  EXPECT_EQ(m.stages[1].file, "stage_1.onnx");
  EXPECT_FALSE(fs::exists(out + "/stage_2.onnx"));
  const PipelineRun run = run_pipeline(out, source);
  EXPECT_EQ(run.exit_code, 0) << run.output;
}

TEST(OnnxStagesRun, ExternalWeightsStayExternal) {
  const std::string source = model("feature_external.onnx");
  const OnnxImport imported = import_onnx_model(source);
  TempDir tmp;
  const std::string out = tmp.path("stages");
  const PipelineManifest m =
      write_onnx_stages(source, imported, partition_by_name(imported, kFeatureStages, 4), out);
  int stages_with_weights = 0;
  for (const PipelineStage& s : m.stages) {
    const bool has_weights = s.partition_stage != 1;  // stage 1 uses no W or W2
    stages_with_weights += has_weights;
    ASSERT_EQ(s.external_data_file, has_weights ? s.file + ".data" : "");
    if (!has_weights) continue;
    // The weights (float initializers) of the stage are external, and its data file holds
    // exactly their bytes; the small integer tensors stay inline as in the source.
    const onnx::ModelProto stage = read_onnx(out + "/" + s.file);
    std::uint64_t bytes = 0;
    int external = 0;
    for (const auto& t : stage.graph().initializer()) {
      const bool weight = t.data_type() == onnx::TensorProto::FLOAT;
      EXPECT_EQ(t.data_location() == onnx::TensorProto::EXTERNAL, weight) << t.name();
      EXPECT_EQ(t.raw_data().empty(), weight) << t.name();
      external += weight;
      for (const auto& e : t.external_data())
        if (e.key() == "length") bytes += std::stoull(e.value());
    }
    EXPECT_GE(external, 1);
    EXPECT_EQ(fs::file_size(out + "/" + s.external_data_file), bytes);
  }
  EXPECT_EQ(stages_with_weights, 3);
  EXPECT_EQ(read_json(out + "/pipeline.json").at("stages")[0].at("external_data"),
            "stage_0.onnx.data");
  const PipelineRun run = run_pipeline(out, source);
  EXPECT_EQ(run.exit_code, 0) << run.output;
}

TEST(OnnxStagesRun, ForceReplacesAnEarlierSplitOutputAtomically) {
  const std::string source = model("feature.onnx");
  const OnnxImport imported = import_onnx_model(source);
  const Partition p = partition_by_name(imported, kFeatureStages, 4);
  TempDir tmp;
  const std::string out = tmp.path("stages");
  fs::create_directories(out);
  tmp.write("stages/old.txt", "old");
  EXPECT_THROW(write_onnx_stages(source, imported, p, out), InputError);
  OnnxSplitOptions force;
  force.force = true;
  // Not an earlier split output: refused even with force.
  EXPECT_THROW(write_onnx_stages(source, imported, p, out, force), InputError);
  EXPECT_TRUE(fs::exists(out + "/old.txt"));
  fs::remove(out + "/old.txt");
  write_onnx_stages(source, imported, p, out);  // an empty folder is written into
  EXPECT_TRUE(fs::exists(out + "/stage_3.onnx"));
  // Two stages now: the earlier split's stage_2 and stage_3 go with the folder they were in.
  Partition two = p;
  for (int& stage : two.stage_of) stage = stage < 2 ? 0 : 1;
  two.k = 2;
  write_onnx_stages(source, imported, two, out, force);
  EXPECT_TRUE(fs::exists(out + "/stage_1.onnx"));
  EXPECT_FALSE(fs::exists(out + "/stage_2.onnx"));
  for (const auto& entry : fs::directory_iterator(tmp.path("")))
    EXPECT_EQ(entry.path().filename(), "stages");  // no temporary or old folder left
}

// pipeline.json records the best bound known for the partition: solve's, from a partition file
// written for the same costs, where it recorded only the simple bound (a proven-optimal
// partition then showed a ratio of 0.75).
TEST(OnnxStagesSplit, SplitRecordsTheBoundOfTheSolvedPartitionFile) {
  const std::string source = model("resnet18.onnx");
  TempDir tmp;
  const std::string partition = tmp.path("p.json");
  auto r = run_cli("solve '" + source + "' -k 4 --time-limit 30 --quiet -o '" + partition + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json solved = read_json(partition);
  const double simple =
      read_json(
          tmp.write("b.json", run_cli("bound '" + source + "' -k 4 --method simple --json").out))
          .at("best")
          .at("value")
          .get<double>();
  ASSERT_GT(solved.at("lower_bound").get<double>(), simple * 1.01)  // else the test shows nothing
      << "solve's bound is no better than the simple one";
  r = run_cli("split '" + source + "' '" + partition + "' -o '" + tmp.path("stages") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
  const json manifest = read_json(tmp.path("stages/pipeline.json")).at("partition");
  EXPECT_DOUBLE_EQ(manifest.at("lower_bound").get<double>(),
                   solved.at("lower_bound").get<double>());
  EXPECT_EQ(manifest.at("lower_bound_method"), solved.at("lower_bound_method"));
  EXPECT_DOUBLE_EQ(manifest.at("ratio").get<double>(), solved.at("ratio").get<double>());
  // Costed with another device, the file's bound does not hold: the simple bound, and a warning.
  r = run_cli("split '" + source + "' '" + partition + "' --device t4 -o '" + tmp.path("t4") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("its lower bound is not used"), std::string::npos) << r.err;
  const json t4 = read_json(tmp.path("t4/pipeline.json")).at("partition");
  EXPECT_EQ(t4.at("lower_bound_method"), "simple");
  EXPECT_LE(t4.at("lower_bound").get<double>(), t4.at("bottleneck").get<double>());
  // A file claiming a bound its costs do not support is not believed either.
  json forged = solved;
  forged["lower_bound"] = solved.at("bottleneck").get<double>() * 2;
  r = run_cli("split '" + source + "' '" + tmp.write("forged.json", forged.dump()) + "' -o '" +
              tmp.path("forged") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_json(tmp.path("forged/pipeline.json")).at("partition").at("lower_bound_method"),
            "simple");
}

// A 2-class cluster on two hosts (docs/clusters.md): split and solve --export-onnx write the
// stages of a partition on it, pipeline.json records the cluster and each stage's device (those
// of the partition), the predicted costs are the costs on those devices, and the stage models
// still run in ONNX Runtime.
TEST(OnnxStagesRun, SplitOnAClusterRecordsTheDevices) {
  const std::string source = model("feature.onnx");
  TempDir tmp;
  const std::string cluster = tmp.write("c.json", R"({"format": "pipecut.cluster", "version": 1,
    "name": "mixed", "device_classes": {"fast": {"memory": "1GiB"},
                                        "slow": {"memory": "1GiB", "speed": 0.25}},
    "hosts": [{"name": "h0", "devices": [{"class": "slow"}, {"class": "fast"}], "bandwidth": 8},
              {"name": "h1", "devices": [{"class": "fast"}], "bandwidth": 8}],
    "network_bandwidth": 0.001})");
  const std::string partition = tmp.path("p.json");
  auto r = run_cli("solve '" + source + "' --cluster '" + cluster +
                   "' --time-limit 10 --quiet -o '" + partition + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json solved = read_json(partition);
  std::vector<json> used;  // the partition file's non-empty stages, in pipeline order
  for (const json& st : solved.at("stages")) used.push_back(st);
  ASSERT_GE(used.size(), 2u) << "one stage shows no device order";

  auto expect_devices = [&](const std::string& dir) {
    const json m = read_json(dir + "/pipeline.json");
    EXPECT_EQ(m.at("cluster").at("name"), "mixed");
    EXPECT_EQ(m.at("cluster").at("digest"), solved.at("cluster").at("digest"));
    ASSERT_EQ(m.at("stages").size(), used.size());
    for (std::size_t i = 0; i < used.size(); ++i) {
      const json& stage = m.at("stages")[i];
      const std::string device = used[i].at("device").get<std::string>();
      EXPECT_EQ(stage.at("device").at("name"), device);
      EXPECT_EQ(stage.at("device").at("class"), used[i].at("class"));
      EXPECT_EQ(stage.at("device").at("host"), device.substr(0, device.find(':')));
      EXPECT_EQ(solved.at("devices")[stage.at("partition_stage").get<int>()], device);
      // Costed on its device, as the partition file was.
      EXPECT_DOUBLE_EQ(stage.at("predicted").at("cost").get<double>(),
                       used[i].at("cost").get<double>());
    }
    EXPECT_DOUBLE_EQ(m.at("partition").at("bottleneck").get<double>(),
                     solved.at("bottleneck").get<double>());
    EXPECT_DOUBLE_EQ(m.at("partition").at("lower_bound").get<double>(),
                     solved.at("lower_bound").get<double>());
    EXPECT_EQ(run_pipeline(dir, source).exit_code, 0);
  };
  r = run_cli("split '" + source + "' '" + partition + "' --cluster '" + cluster + "' -o '" +
              tmp.path("split") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;  // the file's bound holds
  expect_devices(tmp.path("split"));
  r = run_cli("solve '" + source + "' --cluster '" + cluster +
              "' --time-limit 10 --quiet --export-onnx '" + tmp.path("export") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_devices(tmp.path("export"));

  // Without the cluster, a partition on one cannot be costed: one line, exit 2, nothing written.
  r = run_cli("split '" + source + "' '" + partition + "' -o '" + tmp.path("plain") + "'");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err.rfind("pipecut: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("--cluster"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp.path("plain")));
  // Two stages on one device: refused, naming the device.
  json bad = solved;
  std::vector<std::string> devices;
  for (const json& d : solved.at("devices"))
    if (!d.is_null()) devices.push_back(d.get<std::string>());
  for (json& d : bad.at("devices"))
    if (!d.is_null()) d = devices.front();
  r = run_cli("split '" + source + "' '" + tmp.write("bad.json", bad.dump()) + "' --cluster '" +
              cluster + "' -o '" + tmp.path("bad") + "'");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("both on device " + devices.front()), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp.path("bad")));
}

// Real networks with random weights at several k, partitioned by SliceGraph.
void split_and_run(const std::string& name, std::initializer_list<int> ks) {
  const std::string source = model(name);
  const OnnxImport imported = import_onnx_model(source);
  BrkgaConfig config = *BrkgaConfig::preset("brkga-100");
  config.threads = 1;
  for (int k : ks) {
    SCOPED_TRACE(name + " k=" + std::to_string(k));
    const Partition p = slicegraph(imported.graph, k, config).partition;
    TempDir tmp;
    const std::string out = tmp.path("stages");
    const PipelineManifest m = write_onnx_stages(source, imported, p, out);
    EXPECT_EQ(static_cast<int>(m.stages.size()), evaluate_partition(imported.graph, p).stages_used);
    EXPECT_GE(m.stages.size(), 2u);
    expect_stages_consistent(out, source, imported);
    const PipelineRun run = run_pipeline(out, source);
    EXPECT_EQ(run.exit_code, 0) << run.output;
  }
}

TEST(OnnxStagesRun, Resnet18) { split_and_run("resnet18.onnx", {2, 4, 8}); }

TEST(OnnxStagesRun, MobilenetV3Small) { split_and_run("mobilenet_v3_small.onnx", {3, 6}); }

TEST(OnnxStagesRun, CliSplitAndSolveExportOnnx) {
  const std::string source = model("feature.onnx");
  TempDir tmp;
  const std::string partition = tmp.path("p.json");
  auto r = run_cli("partition '" + source + "' -k 3 --preset brkga-100 -o '" + partition + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string out = tmp.path("split");
  r = run_cli("split '" + source + "' '" + partition + "' -o '" + out + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("stage model(s) and pipeline.json"), std::string::npos) << r.out;
  EXPECT_EQ(run_pipeline(out, source).exit_code, 0);
  // Again without --force: refused, exit 2, folder untouched.
  const std::string before = testing::read_text(out + "/pipeline.json");
  r = run_cli("split '" + source + "' '" + partition + "' -o '" + out + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
  EXPECT_EQ(testing::read_text(out + "/pipeline.json"), before);
  r = run_cli("split '" + source + "' '" + partition + "' -o '" + out + "' --force");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // --force never replaces a folder holding an input (here the partition file).
  const std::string inner = out + "/p.json";
  fs::copy_file(partition, inner);
  r = run_cli("split '" + source + "' '" + inner + "' -o '" + out + "' --force");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("an input"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(inner));

  // A partition naming a node the model lacks: exit 2, the node named.
  json doc = read_json(partition);
  doc["assignment"]["no_such_op"] = 0;
  const std::string bad = tmp.write("bad.json", doc.dump());
  r = run_cli("split '" + source + "' '" + bad + "' -o '" + tmp.path("bad") + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no_such_op"), std::string::npos) << r.err;
  // A backward edge: the first offending node is named.
  doc = read_json(partition);
  doc["assignment"]["relu"] = 2;
  doc["assignment"]["matmul_w"] = 0;
  const std::string backward = tmp.write("backward.json", doc.dump());
  r = run_cli("split '" + source + "' '" + backward + "' -o '" + tmp.path("bad") + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("'relu' -> 'matmul_w'"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp.path("bad")));

  // solve --export-onnx goes through the same writer and records the proven bound.
  const std::string solved = tmp.path("solved");
  r = run_cli("solve '" + model("resnet18.onnx") +
              "' -k 4 --time-limit 20 --quiet --export-onnx '" + solved + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json manifest = read_json(solved + "/pipeline.json");
  EXPECT_GT(manifest.at("partition").at("lower_bound").get<double>(), 0);
  EXPECT_LE(manifest.at("partition").at("ratio").get<double>(), 1.0 + 1e-9);
  EXPECT_EQ(run_pipeline(solved, model("resnet18.onnx")).exit_code, 0);
  // A stripped corpus model is refused before solving.
  r = run_cli("solve '" + data_path("corpus/torchvision/squeezenet1_0.onnx") +
              "' -k 2 --quiet --export-onnx '" + tmp.path("corpus") + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("stripped"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace pipecut
