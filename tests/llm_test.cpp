// LLM serving plans (docs/llm.md): the graphs built from configs, the plan against brute force
// over layer splits, the engines' rules and strings, bad input, the command line.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>

#include "pipecut/io/cluster_json.hpp"
#include "pipecut/llm/engine_splits.hpp"
#include "pipecut/llm/llm_plan.hpp"
#include "pipecut/model/cluster_cost.hpp"
#include "pipecut/model/error.hpp"
#include "support/io_test_util.hpp"

namespace pipecut {
namespace {

using testing::read_text;
using testing::run_cli;
using testing::TempDir;

const std::string kData = PIPECUT_DATA_DIR;
const std::string kLlm = kData + "/llm/";
const std::string kMixed = kLlm + "clusters/a100x4+l4x4.json";
const std::string kHomogeneous = kLlm + "clusters/a100-40x4.json";

// ---------------------------------------------------------------------------------------------
// Configs and graphs

struct Published {
  const char* file;
  double parameters;  // the published count
};

TEST(LlmConfig, ParameterCountsMatchThePublishedSizes) {
  const Published models[] = {
      {"llama-3-8b.json", 8.03e9},      {"llama-3-70b.json", 70.6e9}, {"mistral-7b.json", 7.24e9},
      {"qwen2-72b.json", 72.7e9},       {"mixtral-8x7b.json", 46.7e9},
      {"gpt-neox-20b.json", 20.55e9},   {"opt-66b.json", 66e9},
  };
  for (const Published& m : models) {
    const LlmConfig c = read_llm_config(kLlm + m.file);
    const double counted = static_cast<double>(llm_parameter_count(c).total);
    EXPECT_LT(std::abs(counted / m.parameters - 1), 0.01) << m.file << ": " << counted;
  }
  // Exact where the source gives every digit.
  EXPECT_EQ(llm_parameter_count(read_llm_config(kLlm + "llama-3-8b.json")).total, 8030261248);
  EXPECT_EQ(llm_parameter_count(read_llm_config(kLlm + "gpt-neox-20b.json")).total, 20554567680);
  // Mixtral: 12.9 B parameters are active per token (two experts of eight).
  const LlmParameterCount mixtral = llm_parameter_count(read_llm_config(kLlm + "mixtral-8x7b.json"));
  const double active = static_cast<double>(mixtral.embedding + mixtral.head) +
                        32 * static_cast<double>(mixtral.active_per_layer);
  EXPECT_LT(std::abs(active / 12.9e9 - 1), 0.01) << active;
}

int count_ids_with(const Graph& g, const std::string& part) {
  return static_cast<int>(std::count_if(g.ids.begin(), g.ids.end(), [&](const std::string& id) {
    return id.find(part) != std::string::npos;
  }));
}

TEST(LlmGraph, LayerAndOperatorCounts) {
  const Cluster cluster = read_cluster(kMixed);
  struct Expect {
    const char* file;
    int layers;
    int ops_per_layer;
  };
  // llama: 2 norms, qkv, attention, o_proj, 2 residual adds, gate_up, act, down = 10;
  // gpt_neox (parallel residual): one add fewer = 9; opt: as llama = 10; mixtral: 6 before the
  // MLP, router, 8 experts, their sum, the residual add = 17.
  const Expect expects[] = {{"llama-3-8b.json", 32, 10},
                            {"gpt-neox-20b.json", 44, 9},
                            {"opt-66b.json", 64, 10},
                            {"mixtral-8x7b.json", 32, 17}};
  for (const Expect& e : expects) {
    const LlmConfig c = read_llm_config(kLlm + e.file);
    const LlmGraphs g = build_llm_graphs(c, cluster);
    EXPECT_EQ(g.layers.num_nodes(), e.layers + 2) << e.file;
    EXPECT_EQ(g.layers.num_edges(), e.layers + 1) << e.file;
    EXPECT_EQ(g.operators.num_nodes(), e.layers * e.ops_per_layer + 1 + 2) << e.file;
    EXPECT_EQ(count_ids_with(g.operators, "/attention"), e.layers) << e.file;
    // Each layer node's memory and work are its operators'.
    double layer_memory = 0;
    for (int v = 0; v < g.operators.num_nodes(); ++v)
      if (g.operators.ids[v].rfind("layer.3/", 0) == 0) layer_memory += g.operators.memory[v];
    EXPECT_DOUBLE_EQ(g.layers.memory[4], layer_memory) << e.file;
  }
  const LlmGraphs mixtral = build_llm_graphs(read_llm_config(kLlm + "mixtral-8x7b.json"), cluster);
  EXPECT_EQ(count_ids_with(mixtral.operators, "/expert."), 32 * 8);
}

TEST(LlmGraph, WeightBytesAreTheParametersAtTheDtype) {
  const Cluster cluster = read_cluster(kMixed);
  const LlmConfig llama = read_llm_config(kLlm + "llama-3-8b.json");
  const auto params = static_cast<double>(llm_parameter_count(llama).total);
  LlmOptions o;
  EXPECT_DOUBLE_EQ(build_llm_graphs(llama, cluster, o).weight_bytes, 2 * params);
  // int4: the matrices at half a byte, norms at 16 bits.
  o.dtype = "int4";
  const double int4 = build_llm_graphs(llama, cluster, o).weight_bytes;
  EXPECT_GT(int4, 0.5 * params);
  EXPECT_LT(int4, 0.51 * params);
  // OPT ties its head to the embedding: the last stage still holds a copy.
  const LlmConfig opt = read_llm_config(kLlm + "opt-66b.json");
  EXPECT_DOUBLE_EQ(build_llm_graphs(opt, cluster).weight_bytes,
                   2 * (static_cast<double>(llm_parameter_count(opt).total) +
                        static_cast<double>(opt.vocab_size * opt.hidden_size)));
  // KV cache: batch x context tokens x 2 (K and V) x kv_dim x 2 bytes per layer.
  EXPECT_DOUBLE_EQ(build_llm_graphs(llama, cluster).kv_cache_bytes,
                   32.0 * 16 * 4096 * 2 * 1024 * 2);
}

TEST(LlmGraph, DecodeCostsMoreOnTheSlowerClass) {
  const Cluster cluster = read_cluster(kMixed);
  const LlmGraphs g = build_llm_graphs(read_llm_config(kLlm + "llama-3-8b.json"), cluster);
  const ClusterCosts costs(g.layers, g.usable, "test");
  const int a100 = *cluster.class_index("A100-80"), l4 = *cluster.class_index("L4-24");
  EXPECT_GT(costs.work(5, l4), 2 * costs.work(5, a100));
  // The workspace comes out of every class's usable memory.
  EXPECT_DOUBLE_EQ(g.usable.classes[a100].memory,
                   std::floor(0.9 * cluster.classes[a100].memory - g.workspace_bytes));
}

// ---------------------------------------------------------------------------------------------
// The plan against brute force over every layer split on every device order

const char* kTinyConfig = R"({"model_type": "llama", "hidden_size": 256, "num_hidden_layers": 5,
  "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 512,
  "vocab_size": 1000, "tie_word_embeddings": false})";
// Two classes on two hosts: the fast one holds about five layers' KV cache, the slow one two.
const char* kTinyCluster = R"({"format": "pipecut.cluster", "version": 1, "name": "tiny",
  "device_classes": {"fast": {"memory": "200MB", "device_model": "t4"},
                     "slow": {"memory": "80MB", "speed": 0.3}},
  "hosts": [{"name": "h0", "devices": [{"class": "fast", "count": 2}], "bandwidth": "16GB/s"},
            {"name": "h1", "devices": [{"class": "slow", "count": 2}], "bandwidth": "8GB/s"}],
  "network_bandwidth": "1GB/s"})";

// The least bottleneck over every split of the N layers into s <= k contiguous non-empty
// groups (embedding with the first, head with the last) on every sequence of distinct
// devices, within the memories: infinity when none fits.
double brute_force(const LlmGraphs& g, int num_layers, int k) {
  const ClusterCosts costs(g.layers, g.usable, "brute");
  const int devices = g.usable.num_devices();
  double best = std::numeric_limits<double>::infinity();
  std::vector<int> counts, order;
  std::function<void(int)> place = [&](int s) {  // choose the devices of stages s..
    if (s == static_cast<int>(counts.size())) {
      Partition p;
      p.k = s;
      p.device_of_stage = order;
      int node = 1;
      p.stage_of.assign(static_cast<std::size_t>(num_layers + 2), 0);
      for (int i = 0; i < s; ++i)
        for (int j = 0; j < counts[i]; ++j) p.stage_of[node++] = i;
      p.stage_of.back() = s - 1;
      const Evaluation e = evaluate_on_cluster(costs, p);
      for (const StageCost& st : e.stages)
        if (st.memory > g.usable.classes[g.usable.devices[st.device].device_class].memory) return;
      best = std::min(best, e.bottleneck);
      return;
    }
    for (int d = 0; d < devices; ++d) {
      if (std::find(order.begin(), order.end(), d) != order.end()) continue;
      order.push_back(d);
      place(s + 1);
      order.pop_back();
    }
  };
  std::function<void(int)> split = [&](int left) {
    if (left == 0) {
      place(0);
      return;
    }
    if (static_cast<int>(counts.size()) == k) return;
    for (int c = 1; c <= left; ++c) {
      counts.push_back(c);
      split(left - c);
      counts.pop_back();
    }
  };
  split(num_layers);
  return best;
}

TEST(LlmPlan, EqualsBruteForceOverLayerSplitsOnTwoClasses) {
  TempDir dir;
  const LlmConfig config = parse_llm_config(kTinyConfig, "tiny.json");
  const Cluster cluster = parse_cluster(kTinyCluster, "tiny-cluster.json");
  int instances = 0;
  for (const char* phase : {"decode", "prefill"})
    for (int batch : {1, 16})
      for (int k : {2, 3, 4}) {
        LlmOptions o;
        o.phase = phase;
        o.batch = batch;
        o.seq_len = 256;
        const LlmPlan plan = plan_llm(config, cluster, k, o);
        const double optimum = brute_force(plan.graphs, 5, k);
        ASSERT_TRUE(std::isfinite(optimum));
        EXPECT_NEAR(*plan.plan.bottleneck, optimum, 1e-12 * optimum) << phase << batch << k;
        EXPECT_LE(plan.lower_bound, optimum);
        EXPECT_TRUE(plan.optimal);
        // The operator-level problem is a relaxation of the layer-level one.
        EXPECT_LE(plan.operator_bound.value, optimum * (1 + 1e-12));
        // Every stage holds a decoder layer; the layers are contiguous and all there.
        int next = 0;
        for (const LlmStage& s : plan.plan.stages) {
          EXPECT_GE(s.layers, 1);
          EXPECT_EQ(s.first_layer, next);
          next += s.layers;
        }
        EXPECT_EQ(next, 5);
        EXPECT_TRUE(plan.plan.stages.front().embedding);
        EXPECT_TRUE(plan.plan.stages.back().head);
        ++instances;
      }
  EXPECT_EQ(instances, 12);
}

TEST(LlmPlan, HomogeneousIsProvenOptimalAndNeverWorseThanTheEngineDefaults) {
  const Cluster cluster = read_cluster(kHomogeneous);
  for (const char* model : {"llama-3-8b.json", "mistral-7b.json", "mixtral-8x7b.json"}) {
    for (const char* phase : {"decode", "prefill"}) {
      LlmOptions o;
      o.phase = phase;
      o.batch = 4;
      o.seq_len = 512;
      const LlmPlan plan = plan_llm(read_llm_config(kLlm + model), cluster, {}, o);
      EXPECT_TRUE(plan.optimal) << model << phase;
      ASSERT_EQ(plan.engine_defaults.size(), 3U);
      for (const LlmSplit& d : plan.engine_defaults) {
        if (d.bottleneck) {
          EXPECT_LE(*plan.plan.bottleneck, *d.bottleneck) << model << phase << d.name;
          EXPECT_GE(*plan.plan.tokens_per_s, *d.tokens_per_s);
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The engines' rules and strings

TEST(LlmEngines, DefaultSplitsFollowTheEnginesSources) {
  // vLLM's get_pp_indices: the remainder goes to the ranks before the last, from the back.
  EXPECT_EQ(vllm_default_layer_counts(10, 3), (std::vector<int>{3, 4, 3}));
  EXPECT_EQ(vllm_default_layer_counts(11, 3), (std::vector<int>{4, 4, 3}));
  EXPECT_EQ(vllm_default_layer_counts(80, 8), (std::vector<int>(8, 10)));
  EXPECT_EQ(vllm_default_layer_counts(7, 1), (std::vector<int>{7}));
  // TensorRT-LLM's Mapping.pp_layers: DeepSeek-V3's 61 layers on 8 ranks (its PR's example).
  EXPECT_EQ(trtllm_default_layer_counts(61, 8), (std::vector<int>{8, 8, 8, 8, 8, 7, 7, 7}));
  EXPECT_THROW(vllm_default_layer_counts(3, 4), InputError);
  // llama.cpp: --tensor-split 3,1 on 32 layers: 33 slots, layer il on device 0 while
  // il / 33 < 0.75, so layers 0..24 there and 25..31 with the output on device 1.
  const LlamaCppSplit s = llamacpp_layer_split(32, {3, 1}, 33);
  EXPECT_EQ(s.layers, (std::vector<int>{25, 7}));
  EXPECT_EQ(s.output_device, 1);
  // Fewer GPU layers than n_layer + 1: the first layers stay on the CPU.
  const LlamaCppSplit partial = llamacpp_layer_split(32, {1, 1}, 10);
  EXPECT_EQ(partial.cpu_layers, 23);
  EXPECT_EQ(partial.layers[0] + partial.layers[1], 9);
}

TEST(LlmEngines, TensorSplitReproducesTheCountsOverRandomPlans) {
  std::mt19937 rng(20261127);
  for (int trial = 0; trial < 5000; ++trial) {
    const int devices = std::uniform_int_distribution<int>(1, 16)(rng);
    const int layers = std::uniform_int_distribution<int>(devices, 200)(rng);
    // A random composition of `layers` into `devices` positive parts, sometimes very uneven.
    std::vector<int> cuts;
    std::vector<int> points(static_cast<std::size_t>(layers - 1));
    std::iota(points.begin(), points.end(), 1);
    std::shuffle(points.begin(), points.end(), rng);
    cuts.assign(points.begin(), points.begin() + (devices - 1));
    std::sort(cuts.begin(), cuts.end());
    std::vector<int> counts;
    int previous = 0;
    for (int c : cuts) {
      counts.push_back(c - previous);
      previous = c;
    }
    counts.push_back(layers - previous);
    const std::vector<float> proportions = llamacpp_tensor_split_for(counts);
    // Through the text llama.cpp parses, as the user pastes it.
    std::string text;
    for (float p : proportions) {
      if (!text.empty()) text += ',';
      text += std::to_string(static_cast<long>(p));
    }
    const LlamaCppSplit split =
        llamacpp_layer_split(layers, parse_tensor_split(text, "--tensor-split"), layers + 1);
    ASSERT_EQ(split.layers, counts) << text;
    ASSERT_EQ(split.output_device, devices - 1) << text;
    ASSERT_EQ(split.cpu_layers, 0);
  }
}

TEST(LlmEngines, StringsParseBackToThePlannedCounts) {
  const Cluster cluster = read_cluster(kMixed);
  for (const char* model : {"llama-3-70b.json", "mixtral-8x7b.json", "qwen2-72b.json"}) {
    const LlmConfig config = read_llm_config(kLlm + model);
    const LlmPlan plan = plan_llm(config, cluster);
    std::vector<int> counts;
    for (const LlmStage& s : plan.plan.stages) counts.push_back(s.layers);
    // vLLM: VLLM_PP_LAYER_PARTITION=a,b,... and --pipeline-parallel-size.
    const auto after = [](const std::string& text, const std::string& key) {
      const std::size_t at = text.find(key);
      EXPECT_NE(at, std::string::npos) << key << " in " << text;
      const std::string rest = text.substr(at + key.size());
      return rest.substr(0, rest.find_first_of(" \n"));
    };
    EXPECT_EQ(parse_layer_counts(after(plan.vllm, "VLLM_PP_LAYER_PARTITION="), "vllm"), counts);
    EXPECT_EQ(std::stoi(after(plan.vllm, "--pipeline-parallel-size ")),
              static_cast<int>(counts.size()));
    // TensorRT-LLM: pp_partition: [a, b, ...].
    const std::string trt = plan.trtllm.substr(plan.trtllm.find("pp_partition: ") + 14);
    EXPECT_EQ(parse_layer_counts(trt.substr(0, trt.find('\n')), "trtllm"), counts);
    // llama.cpp: its own rule applied to the printed proportions and -ngl.
    const LlamaCppSplit lc = llamacpp_layer_split(
        static_cast<int>(config.num_layers),
        parse_tensor_split(after(plan.llamacpp, "--tensor-split "), "llamacpp"),
        std::stoi(after(plan.llamacpp, "--n-gpu-layers ")));
    EXPECT_EQ(lc.layers, counts) << plan.llamacpp;
    EXPECT_EQ(lc.output_device, static_cast<int>(counts.size()) - 1);
    // The device order is the plan's.
    const std::string order = plan.vllm.substr(plan.vllm.find("device order: ") + 14);
    std::string expected;
    for (const LlmStage& s : plan.plan.stages)
      expected += (expected.empty() ? "" : ",") + cluster.devices[s.device].name;
    EXPECT_EQ(order.substr(0, order.find('\n')), expected);
  }
}

TEST(LlmEngines, ListParsersRejectBadItems) {
  EXPECT_EQ(parse_layer_counts("[20, 22, 22, 16]", "x"), (std::vector<int>{20, 22, 22, 16}));
  EXPECT_THROW(parse_layer_counts("20,,22", "x"), InputError);
  EXPECT_THROW(parse_layer_counts("20,-1", "x"), InputError);
  EXPECT_THROW(parse_layer_counts("20,2x", "x"), InputError);
  EXPECT_EQ(parse_tensor_split("3/1", "x"), (std::vector<float>{3, 1}));
  EXPECT_THROW(parse_tensor_split("3,nan", "x"), InputError);
}

// ---------------------------------------------------------------------------------------------
// Bad input

void expect_input_error(const std::string& config, const std::string& text) {
  try {
    parse_llm_config(config, "c.json");
    ADD_FAILURE() << "no error; expected " << text;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind("c.json: ", 0), 0U) << e.what();
  }
}

TEST(LlmConfig, BadConfigsNameTheFileAndTheField) {
  expect_input_error(R"({"model_type": "bloom"})",
                     "unsupported model_type 'bloom' (supported: llama, mistral, qwen2, mixtral, "
                     "gpt_neox, opt)");
  expect_input_error(R"({"hidden_size": 8})", "missing field 'model_type'");
  expect_input_error(R"({"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4,
                         "intermediate_size": 128, "vocab_size": 10})",
                     "missing field 'num_hidden_layers'");
  expect_input_error(R"({"model_type": "llama", "hidden_size": -64, "num_hidden_layers": 2,
                         "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 10})",
                     "field 'hidden_size'");
  expect_input_error(R"({"model_type": "llama", "hidden_size": "64", "num_hidden_layers": 2,
                         "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 10})",
                     "field 'hidden_size' must be a positive integer");
  expect_input_error(R"({"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2,
                         "num_attention_heads": 5, "intermediate_size": 128, "vocab_size": 10})",
                     "does not divide hidden_size");
  expect_input_error(R"({"model_type": "mixtral", "hidden_size": 64, "num_hidden_layers": 2,
                         "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 10,
                         "num_local_experts": 2, "num_experts_per_tok": 3})",
                     "'num_experts_per_tok' (3) exceeds num_local_experts (2)");
  expect_input_error("[1, 2]", "must be a JSON object");
  expect_input_error("{", "malformed JSON");
}

TEST(LlmPlan, AModelThatCannotFitIsInfeasibleWithTheShortfallPerDevice) {
  const Cluster cluster = parse_cluster(kTinyCluster, "tiny-cluster.json");
  const LlmConfig big = read_llm_config(kLlm + "llama-3-8b.json");
  try {
    plan_llm(big, cluster);
    ADD_FAILURE() << "no error";
  } catch (const InfeasibleError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("llama-3-8b.json"), std::string::npos) << m;
    EXPECT_NE(m.find("short by"), std::string::npos) << m;
    EXPECT_NE(m.find("per device"), std::string::npos) << m;
  }
  LlmOptions o;
  o.dtype = "fp4";
  EXPECT_THROW(plan_llm(big, cluster, {}, o), InputError);
  EXPECT_THROW(plan_llm(big, cluster, 5), InputError);  // 4 devices
}

// ---------------------------------------------------------------------------------------------
// The command line

TEST(LlmCli, ExportedGraphAndPartitionEvaluateToThePlansStageCosts) {
  TempDir dir;
  const auto r = run_cli("llm " + kLlm + "llama-3-70b.json --cluster " + kMixed +
                         " --format json -o " + dir.path("plan.json") + " --export-graph " +
                         dir.path("g.json") + " --export-partition " + dir.path("p.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json plan = nlohmann::json::parse(read_text(dir.path("plan.json")));
  EXPECT_EQ(plan["format"], "pipecut.llm_plan");
  for (const char* key : {"bottleneck", "lower_bound", "ratio", "tokens_per_s",
                          "engine_default_bottleneck", "engine_default_tokens_per_s"})
    EXPECT_TRUE(plan.contains(key)) << key;
  const auto e = run_cli("evaluate " + dir.path("g.json") + " " + dir.path("p.json") +
                         " --cluster " + kMixed + " --json");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const nlohmann::json eval = nlohmann::json::parse(e.out);
  ASSERT_EQ(eval["stages"].size(), plan["stages"].size());
  for (std::size_t i = 0; i < plan["stages"].size(); ++i) {
    const double a = plan["stages"][i]["cost"], b = eval["stages"][i]["cost"];
    EXPECT_NEAR(a, b, 1e-9 * a) << i;
  }
  EXPECT_NEAR(plan["bottleneck"].get<double>(), eval["bottleneck"].get<double>(),
              1e-9 * plan["bottleneck"].get<double>());
}

TEST(LlmCli, FormatsAndErrors) {
  TempDir dir;
  const auto vllm = run_cli("llm " + kLlm + "llama-3-8b.json --cluster " + kHomogeneous +
                            " --format vllm");
  ASSERT_EQ(vllm.exit_code, 0) << vllm.err;
  EXPECT_EQ(vllm.out.rfind("VLLM_PP_LAYER_PARTITION=", 0), 0U) << vllm.out;
  const auto text = run_cli("llm " + kLlm + "mixtral-8x7b.json --cluster " + kMixed);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("proven optimal"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("--tensor-split"), std::string::npos);

  const std::string bad = dir.write("bad.json", R"({"model_type": "falcon"})");
  const auto unknown = run_cli("llm " + bad + " --cluster " + kMixed);
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.err.rfind("pipecut: error: " + bad + ": unsupported model_type 'falcon'", 0),
            0U)
      << unknown.err;
  EXPECT_EQ(std::count(unknown.err.begin(), unknown.err.end(), '\n'), 1);
  const auto dtype = run_cli("llm " + kLlm + "llama-3-8b.json --cluster " + kMixed +
                             " --dtype fp4");
  EXPECT_EQ(dtype.exit_code, 2);
  EXPECT_NE(dtype.err.find("--dtype"), std::string::npos) << dtype.err;
  const std::string small = dir.write(
      "small.json", R"({"format": "pipecut.cluster", "version": 1, "device_classes":
      {"g": {"memory": "24GB"}}, "hosts": [{"name": "h", "devices": [{"class": "g", "count": 2}],
      "bandwidth": "32GB/s"}]})");
  const auto infeasible = run_cli("llm " + kLlm + "llama-3-70b.json --cluster " + small);
  EXPECT_EQ(infeasible.exit_code, 4) << infeasible.err;
  EXPECT_NE(infeasible.err.find("per device"), std::string::npos) << infeasible.err;
  // Nothing the user gave is overwritten.
  const auto onto_input = run_cli("llm " + kLlm + "llama-3-8b.json --cluster " + small +
                                  " -o " + small);
  EXPECT_EQ(onto_input.exit_code, 2);
  EXPECT_NE(read_text(small).find("pipecut.cluster"), std::string::npos);
}

}  // namespace
}  // namespace pipecut
