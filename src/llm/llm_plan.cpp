// LLM serving plans (docs/llm.md): the layer split solved on the cluster, the engines' default
// splits on the same cluster, and the strings to paste.
#include "pipecut/llm/llm_plan.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>

#include "pipecut/llm/engine_splits.hpp"
#include "pipecut/model/cluster_cost.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/solve/cluster_solve.hpp"

namespace pipecut {

const std::vector<std::string>& llm_engine_names() {
  static const std::vector<std::string> names{"vllm", "trtllm", "llamacpp"};
  return names;
}

const OptionCatalogue<LlmOptions>& llm_option_catalogue() {
  static const OptionCatalogue<LlmOptions> catalogue = [] {
    OptionCatalogue<LlmOptions> c;
    using O = LlmOptions;
    declare(c,
            option("phase", OptionKind::choice,
                   "What one pipeline step does: prefill (--batch prompts of --seq-len tokens) "
                   "or decode (one new token for each of --batch sequences, reading a KV cache "
                   "of --context tokens)")
                .one_of([] { return std::vector<std::string>{"prefill", "decode"}; }),
            &O::phase);
    declare(c,
            option("batch", OptionKind::integer,
                   "Sequences in one micro-batch: the tokens a stage processes per step are "
                   "batch (decode) or batch x seq-len (prefill)")
                .at_least(1)
                .at_most(1 << 20),
            &O::batch);
    declare(c, option("seq-len", OptionKind::integer, "Prefill: prompt tokens per sequence")
                   .at_least(1)
                   .at_most(1 << 22),
            &O::seq_len);
    declare(c,
            option("context", OptionKind::integer,
                   "Tokens per sequence held in the KV cache (its memory in both phases; read "
                   "at every decode step)")
                .at_least(1)
                .at_most(1 << 24),
            &O::context);
    declare(c,
            option("dtype", OptionKind::choice,
                   "Weight type: bf16, fp16, fp8, int8 or int4 (int4 is weight-only: products "
                   "run at fp16); activations and KV cache are 16-bit")
                .one_of([] {
                  return std::vector<std::string>{"bf16", "fp16", "fp8", "int8", "int4"};
                }),
            &O::dtype);
    declare(c,
            option("device", OptionKind::text,
                   "Roofline profile for the cluster's device classes that name no "
                   "device_model: a built-in profile or a JSON profile file "
                   "(docs/cost-model.md); its times are divided by the class's speed")
                .when_unset("a100-pcie"),
            &O::device);
    declare(c,
            option("memory-utilization", OptionKind::number,
                   "Share of each device's memory the engine may use (vLLM's "
                   "gpu_memory_utilization); the activation workspace comes out of it")
                .above(0)
                .at_most(1),
            &O::memory_utilization);
    declare(c,
            option("engine", OptionKind::choice,
                   "The engine whose default split the top-level comparison "
                   "(engine_default_bottleneck, engine_default_tokens_per_s) uses; every "
                   "engine's default is listed anyway")
                .one_of([] { return llm_engine_names(); }),
            &O::engine);
    declare(c,
            option("time-limit", OptionKind::number,
                   "Wall-clock limit of the solve (0 = none); a layer chain is solved exactly "
                   "in far less")
                .in_unit("s")
                .at_least(0),
            &O::time_limit_seconds);
    return c;
  }();
  return catalogue;
}

const LlmSplit& LlmPlan::engine_default() const {
  const auto& names = llm_engine_names();
  const auto it = std::find(names.begin(), names.end(), options.engine);
  return engine_defaults.at(static_cast<std::size_t>(it - names.begin()));
}

namespace {

std::string gigabytes(double bytes) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << bytes / 1e9 << " GB";
  return s.str();
}

std::string join(const std::vector<int>& values, const std::string& separator) {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i)
    out += (i ? separator : "") + std::to_string(values[i]);
  return out;
}

// The chain's node indices: 0 embed, 1..N the layers, N + 1 the head. A split into stages
// of `counts` layers (some may be 0 for llama.cpp) on `devices`, the head on stage
// `head_stage`, as a partition of the layer graph.
Partition partition_of_counts(int num_layers, const std::vector<int>& counts,
                              const std::vector<int>& devices, int head_stage) {
  Partition p;
  p.k = static_cast<int>(counts.size());
  p.stage_of.assign(static_cast<std::size_t>(num_layers + 2), 0);
  p.device_of_stage.assign(counts.size(), -1);
  int node = 1;
  for (int s = 0; s < p.k; ++s)
    for (int i = 0; i < counts[static_cast<std::size_t>(s)]; ++i) p.stage_of[node++] = s;
  p.stage_of.back() = head_stage;
  for (int s = 0; s < p.k; ++s) {
    const bool used = s == 0 || s == head_stage || counts[static_cast<std::size_t>(s)] > 0;
    if (used) p.device_of_stage[static_cast<std::size_t>(s)] = devices[static_cast<std::size_t>(s)];
  }
  return p;
}

// The stages of an evaluated partition of the layer graph, with their layers.
std::vector<LlmStage> stages_of(const LlmGraphs& graphs, const Evaluation& e) {
  std::vector<LlmStage> out;
  const int head = graphs.layers.num_nodes() - 1;
  for (const StageCost& s : e.stages) {
    if (s.nodes.empty()) continue;
    LlmStage st;
    st.device = s.device;
    st.embedding = s.nodes.front() == 0;
    st.head = s.nodes.back() == head;
    for (NodeId v : s.nodes)
      if (v >= 1 && v < head) {
        if (st.layers == 0) st.first_layer = v - 1;
        ++st.layers;
      }
    if (st.layers == 0) st.first_layer = st.embedding ? 0 : head - 1;
    st.work = s.work;
    st.comm_in = s.comm_in;
    st.comm_out = s.comm_out;
    st.cost = s.cost;
    st.memory = s.memory;
    st.capacity =
        graphs.usable.classes[static_cast<std::size_t>(graphs.usable.devices[s.device].device_class)]
            .memory;
    out.push_back(st);
  }
  return out;
}

LlmSplit evaluate_split(const std::string& name, const LlmGraphs& graphs, const ClusterCosts& costs,
                        const Partition& p) {
  LlmSplit split;
  split.name = name;
  const Evaluation e = evaluate_on_cluster(costs, p);
  split.stages = stages_of(graphs, e);
  for (const LlmStage& s : split.stages)
    if (s.memory > s.capacity && split.problem.empty())
      split.problem = "device " + graphs.usable.devices[s.device].name + " needs " +
                      gigabytes(s.memory) + " but may use " + gigabytes(s.capacity);
  if (split.problem.empty()) {
    split.bottleneck = e.bottleneck;
    split.tokens_per_s = graphs.tokens_per_step / (e.bottleneck / 1000.0);
  }
  return split;
}

// The device order of `devices` as CUDA_VISIBLE_DEVICES takes it, per host
// (docs/clusters.md): "CUDA_VISIBLE_DEVICES=1,0" on one host, "h0: CUDA_VISIBLE_DEVICES=1;
// h1: CUDA_VISIBLE_DEVICES=0,1" on several.
std::vector<std::pair<std::string, std::string>> visible_devices(const Cluster& c,
                                                                 const std::vector<int>& devices) {
  std::vector<std::pair<std::string, std::string>> out;
  std::vector<std::vector<int>> per_host(c.hosts.size());
  for (int d : devices) per_host[c.devices[d].host].push_back(c.devices[d].index_on_host);
  for (std::size_t h = 0; h < per_host.size(); ++h)
    if (!per_host[h].empty()) out.emplace_back(c.hosts[h].name, join(per_host[h], ","));
  return out;
}

void make_strings(LlmPlan& plan) {
  const Cluster& c = plan.graphs.usable;
  std::vector<int> counts, devices;
  for (const LlmStage& s : plan.plan.stages) {
    counts.push_back(s.layers);
    devices.push_back(s.device);
  }
  const auto hosts = visible_devices(c, devices);
  const bool one_host = hosts.size() == 1;
  std::string order;
  for (int d : devices) order += (order.empty() ? "" : ",") + c.devices[d].name;
  const std::string pp = std::to_string(counts.size());
  const std::string layers = join(counts, ",");
  std::string per_host_note;
  for (const auto& [host, list] : hosts)
    per_host_note += "\n# on " + host + ": CUDA_VISIBLE_DEVICES=" + list;
  // vLLM: the partition by environment, ranks in CUDA_VISIBLE_DEVICES order on one host.
  if (one_host)
    plan.vllm = "VLLM_PP_LAYER_PARTITION=" + layers + " CUDA_VISIBLE_DEVICES=" + hosts[0].second +
                " vllm serve MODEL --pipeline-parallel-size " + pp +
                "\n# pipeline ranks in this device order: " + order;
  else
    plan.vllm = "VLLM_PP_LAYER_PARTITION=" + layers + " vllm serve MODEL --pipeline-parallel-size " +
                pp + "\n# pipeline ranks in this device order: " + order + per_host_note;
  // TensorRT-LLM: the LLM API's options (trtllm-serve --extra_llm_api_options FILE).
  plan.trtllm = "pipeline_parallel_size: " + pp + "\npp_partition: [" + join(counts, ", ") + "]" +
                (one_host ? "\n# CUDA_VISIBLE_DEVICES=" + hosts[0].second
                          : "\n# pipeline ranks in this device order: " + order + per_host_note);
  // llama.cpp: proportions that its float rounding turns into exactly these counts, the output
  // layer with the last device, every layer offloaded (n_gpu_layers = N + 1).
  std::string split;
  for (float p : llamacpp_tensor_split_for(counts))
    split += (split.empty() ? "" : ",") + std::to_string(static_cast<long long>(p));
  const std::string ngl = std::to_string(plan.config.num_layers + 1);
  if (one_host) {
    std::string dev;
    for (int d : devices)
      dev += (dev.empty() ? "" : ",") + std::string("CUDA") +
             std::to_string(c.devices[d].index_on_host);
    plan.llamacpp = "llama-server -m MODEL.gguf --split-mode layer --tensor-split " + split +
                    " --n-gpu-layers " + ngl + " --device " + dev;
  } else {
    plan.llamacpp = "llama-server -m MODEL.gguf --split-mode layer --tensor-split " + split +
                    " --n-gpu-layers " + ngl +
                    "\n# --device: these devices in this order (other hosts through llama.cpp's "
                    "RPC backend): " +
                    order;
  }
}

[[noreturn]] void throw_shortfall(const LlmPlan& plan, int k_used, const std::string& why) {
  // The total the model needs against what the k largest devices may hold.
  const LlmGraphs& g = plan.graphs;
  std::vector<double> capacity;
  for (const ClusterDevice& d : g.usable.devices)
    capacity.push_back(g.usable.classes[static_cast<std::size_t>(d.device_class)].memory);
  std::sort(capacity.rbegin(), capacity.rend());
  capacity.resize(static_cast<std::size_t>(k_used));
  const double held = std::accumulate(capacity.begin(), capacity.end(), 0.0);
  const double needed = g.weight_bytes + g.kv_cache_bytes + g.logits_bytes;
  std::string message = plan.config.source + ": " + why + "; the model needs " +
                        gigabytes(needed) + " (weights " + gigabytes(g.weight_bytes) +
                        ", KV cache " + gigabytes(g.kv_cache_bytes) + ", logits " +
                        gigabytes(g.logits_bytes) + ") and " + std::to_string(k_used) +
                        " device(s) may hold " + gigabytes(held) + " (after the " +
                        gigabytes(g.workspace_bytes) + " workspace each)";
  if (needed > held)
    message += ": short by " + gigabytes(needed - held) + ", " +
               gigabytes((needed - held) / k_used) + " per device";
  throw InfeasibleError(message);
}

}  // namespace

LlmPlan plan_llm(const LlmConfig& config, const Cluster& cluster, std::optional<int> k,
                 const LlmOptions& options, const RunControl& control) {
  LlmPlan plan;
  plan.config = config;
  plan.options = options;
  plan.cluster_name = cluster.name;
  plan.k = k.value_or(cluster.num_devices());
  if (plan.k < 1 || plan.k > cluster.num_devices())
    throw InputError("k: must be in 1.." + std::to_string(cluster.num_devices()) +
                     " (the cluster's devices), got " + std::to_string(plan.k));
  plan.graphs = build_llm_graphs(config, cluster, options);
  const LlmGraphs& g = plan.graphs;
  const int num_layers = static_cast<int>(config.num_layers);
  const int k_used = std::min(plan.k, num_layers);

  SolveOptions solve_options;
  solve_options.target_ratio = 1.0;
  solve_options.time_limit_seconds = options.time_limit_seconds;
  try {
    plan.solution = solve_on_cluster(g.layers, g.usable, plan.k, solve_options, control);
  } catch (const InfeasibleError& e) {
    throw_shortfall(plan, k_used, std::string("no layer split fits (") + e.what() + ")");
  }
  // The partition file names the cluster the user gave (its digest), not the usable one.
  plan.solution.cluster = cluster;
  plan.lower_bound = plan.solution.lower_bound;
  plan.ratio = plan.solution.ratio();
  plan.optimal = plan.solution.optimal.value_or(false);
  const ClusterCosts costs(g.layers, g.usable, config.source);
  plan.plan.name = "plan";
  plan.plan.stages = stages_of(g, plan.solution.evaluation);
  plan.plan.bottleneck = plan.solution.bottleneck();
  plan.plan.tokens_per_s = g.tokens_per_step / (plan.solution.bottleneck() / 1000.0);

  // The operator-level problem's bound: the cheap methods only (docs/llm.md).
  BoundOptions bound_options;
  bound_options.time_limit_seconds = std::min(2.0, options.time_limit_seconds);
  const BoundsReport ops =
      compute_bounds_on_cluster(g.operators, g.usable, plan.k, {"simple"}, bound_options, control);
  plan.operator_bound = ops.best;

  // The engines' defaults on the first k devices in listing order.
  std::vector<int> first_devices(static_cast<std::size_t>(k_used));
  std::iota(first_devices.begin(), first_devices.end(), 0);
  const auto even = [&](const std::string& name, const std::vector<int>& counts) {
    return evaluate_split(name, g, costs,
                          partition_of_counts(num_layers, counts, first_devices, k_used - 1));
  };
  plan.engine_defaults.push_back(even("vllm", vllm_default_layer_counts(num_layers, k_used)));
  plan.engine_defaults.push_back(even("trtllm", trtllm_default_layer_counts(num_layers, k_used)));
  // llama.cpp splits by free memory by default: each device's whole memory when it is idle.
  std::vector<float> free_memory;
  for (int d : first_devices)
    free_memory.push_back(static_cast<float>(
        cluster.classes[static_cast<std::size_t>(cluster.devices[d].device_class)].memory));
  const LlamaCppSplit lc = llamacpp_layer_split(num_layers, free_memory, num_layers + 1);
  plan.engine_defaults.push_back(evaluate_split(
      "llamacpp", g, costs,
      partition_of_counts(num_layers, lc.layers, first_devices, lc.output_device)));

  make_strings(plan);
  return plan;
}

std::string llm_plan_to_json(const LlmPlan& plan, int indent) {
  using nlohmann::json;
  const Cluster& c = plan.graphs.usable;
  auto stage_json = [&](const LlmStage& s) {
    const ClusterDevice& d = c.devices[s.device];
    return json{{"device", d.name},
                {"class", c.classes[static_cast<std::size_t>(d.device_class)].name},
                {"first_layer", s.first_layer},
                {"layers", s.layers},
                {"embedding", s.embedding},
                {"head", s.head},
                {"work", s.work},
                {"comm_in", s.comm_in},
                {"comm_out", s.comm_out},
                {"cost", s.cost},
                {"memory", s.memory},
                {"capacity", s.capacity}};
  };
  auto optional_number = [](const std::optional<double>& x) { return x ? json(*x) : json(nullptr); };
  auto split_json = [&](const LlmSplit& split) {
    json stages = json::array();
    std::vector<int> counts;
    json devices = json::array();
    for (const LlmStage& s : split.stages) {
      stages.push_back(stage_json(s));
      counts.push_back(s.layers);
      devices.push_back(c.devices[s.device].name);
    }
    json out{{"engine", split.name},
             {"layers_per_stage", counts},
             {"devices", devices},
             {"bottleneck", optional_number(split.bottleneck)},
             {"tokens_per_s", optional_number(split.tokens_per_s)},
             {"stages", stages}};
    if (!split.problem.empty()) out["problem"] = split.problem;
    return out;
  };
  const LlmParameterCount params = llm_parameter_count(plan.config);
  const LlmSplit& def = plan.engine_default();
  json plan_split = split_json(plan.plan);
  json doc{
      {"format", "pipecut.llm_plan"},
      {"version", 1},
      {"model",
       {{"config", plan.config.source},
        {"model_type", plan.config.model_type},
        {"layers", plan.config.num_layers},
        {"hidden_size", plan.config.hidden_size},
        {"parameters", params.total}}},
      {"cluster", {{"name", plan.cluster_name}, {"digest", c.digest}, {"devices", c.num_devices()}}},
      {"workload",
       {{"phase", plan.options.phase},
        {"batch", plan.options.batch},
        {"seq_len", plan.options.seq_len},
        {"context", plan.options.context},
        {"dtype", plan.options.dtype},
        {"memory_utilization", plan.options.memory_utilization},
        {"tokens_per_step", plan.graphs.tokens_per_step}}},
      {"memory",
       {{"weights", plan.graphs.weight_bytes},
        {"kv_cache", plan.graphs.kv_cache_bytes},
        {"logits", plan.graphs.logits_bytes},
        {"workspace_per_device", plan.graphs.workspace_bytes}}},
      {"k", plan.k},
      {"bottleneck", *plan.plan.bottleneck},
      {"lower_bound", plan.lower_bound},
      {"lower_bound_method", plan.solution.lower_bound_method},
      {"ratio", plan.ratio},
      {"optimal", plan.optimal},
      {"tokens_per_s", *plan.plan.tokens_per_s},
      {"engine", plan.options.engine},
      {"engine_default_bottleneck", optional_number(def.bottleneck)},
      {"engine_default_tokens_per_s", optional_number(def.tokens_per_s)},
      {"operator_bound",
       {{"method", plan.operator_bound.method},
        {"value", plan.operator_bound.value},
        {"status", to_string(plan.operator_bound.status)}}},
      {"layers_per_stage", plan_split["layers_per_stage"]},
      {"devices", plan_split["devices"]},
      {"stages", plan_split["stages"]},
      {"engine_defaults", json::array()},
      {"strings", {{"vllm", plan.vllm}, {"trtllm", plan.trtllm}, {"llamacpp", plan.llamacpp}}}};
  for (const LlmSplit& split : plan.engine_defaults) doc["engine_defaults"].push_back(split_json(split));
  return doc.dump(indent);
}

std::string llm_plan_to_text(const LlmPlan& plan) {
  std::ostringstream out;
  const Cluster& c = plan.graphs.usable;
  const LlmParameterCount params = llm_parameter_count(plan.config);
  out << "model      " << plan.config.source << ": " << plan.config.model_type << ", "
      << plan.config.num_layers << " layers, " << std::fixed << std::setprecision(2)
      << static_cast<double>(params.total) / 1e9 << " B parameters\n";
  out << "workload   " << plan.options.phase << ", batch " << plan.options.batch;
  if (plan.options.phase == "prefill") out << " x " << plan.options.seq_len << " tokens";
  out << ", context " << plan.options.context << ", " << plan.options.dtype << " weights: "
      << std::setprecision(0) << plan.graphs.tokens_per_step << " tokens per step\n";
  out << "memory     weights " << gigabytes(plan.graphs.weight_bytes) << ", KV cache "
      << gigabytes(plan.graphs.kv_cache_bytes) << ", logits " << gigabytes(plan.graphs.logits_bytes)
      << "; workspace " << gigabytes(plan.graphs.workspace_bytes) << " per device\n";
  out << "cluster    " << plan.cluster_name << ": " << c.num_devices() << " devices, k <= "
      << plan.k << "\n";
  out << "  stage      device       class      layers          work ms   comm ms   cost ms"
         "     memory   may use\n";
  const double bottleneck = *plan.plan.bottleneck;
  for (std::size_t i = 0; i < plan.plan.stages.size(); ++i) {
    const LlmStage& s = plan.plan.stages[i];
    const ClusterDevice& d = c.devices[s.device];
    std::string layers = std::to_string(s.first_layer) + "-" +
                         std::to_string(s.first_layer + s.layers - 1);
    if (s.embedding) layers = "emb+" + layers;
    if (s.head) layers += "+head";
    out << "  " << std::setw(5) << i << std::setw(12) << d.name << std::setw(12)
        << c.classes[static_cast<std::size_t>(d.device_class)].name << std::setw(16) << layers
        << std::setprecision(3) << std::setw(10) << s.work << std::setw(10)
        << s.comm_in + s.comm_out << std::setw(10) << s.cost << std::setw(11)
        << gigabytes(s.memory) << std::setw(10) << gigabytes(s.capacity)
        << (s.cost == bottleneck ? "  <- bottleneck" : "") << "\n";
  }
  out << std::setprecision(4);
  out << "bottleneck " << bottleneck << " ms per step, lower bound " << plan.lower_bound << " ("
      << plan.solution.lower_bound_method << "): ratio " << plan.ratio
      << (plan.optimal ? ", proven optimal" : "") << "\n";
  out << "operators  the operator-level problem's bound is " << plan.operator_bound.value
      << " ms (" << plan.operator_bound.method
      << "): no split, even inside layers, does better\n";
  out << std::setprecision(1);
  out << "tokens/s   plan " << *plan.plan.tokens_per_s;
  for (const LlmSplit& s : plan.engine_defaults) {
    out << "; " << s.name << " default " << join([&] {
      std::vector<int> counts;
      for (const LlmStage& st : s.stages) counts.push_back(st.layers);
      return counts;
    }(), ",");
    if (s.tokens_per_s)
      out << ": " << *s.tokens_per_s;
    else
      out << ": does not fit (" << s.problem << ")";
  }
  out << "\n";
  const auto indented = [](const std::string& lines) {
    std::string outl = "  ";
    for (char ch : lines) outl += ch == '\n' ? std::string("\n  ") : std::string(1, ch);
    return outl;
  };
  out << "vLLM:\n" << indented(plan.vllm) << "\n";
  out << "TensorRT-LLM (trtllm-serve --extra_llm_api_options FILE.yaml):\n"
      << indented(plan.trtllm) << "\n";
  out << "llama.cpp:\n" << indented(plan.llamacpp) << "\n";
  return out.str();
}

}  // namespace pipecut
