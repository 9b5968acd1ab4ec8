#include "pipecut/gen/synthetic.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "pipecut/io/foreign_formats.hpp"
#include "pipecut/model/error.hpp"

namespace pipecut {

namespace {

// std::mt19937_64 output is fully specified by the standard; the transforms below are ours, so
// the graphs do not depend on the standard library's distribution implementations.
class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_(seed) {}
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }  // [0, 1)
  bool chance(double p) { return uniform() < p; }
  int between(int lo, int hi) {  // inclusive
    return lo + static_cast<int>(uniform() * static_cast<double>(hi - lo + 1));
  }
  double normal() {  // Box-Muller
    const double u1 = 1.0 - uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  // Log-normal with the given mean (not median).
  double lognormal(double mean, double sigma) {
    return mean * std::exp(sigma * normal() - 0.5 * sigma * sigma);
  }

 private:
  std::mt19937_64 engine_;
};

struct OpKind {
  const char* name;
  double work_factor;    // relative compute time
  double weight_factor;  // weight bytes relative to the tensor size (0 = no weights)
};
constexpr OpKind kChainOps[] = {{"Conv", 2.0, 0.25},       {"MatMul", 1.5, 0.5}, {"Relu", 0.1, 0},
                                {"BatchNorm", 0.2, 0.001}, {"Conv", 1.0, 0.1},   {"Gelu", 0.2, 0},
                                {"LayerNorm", 0.3, 0.001}};

}  // namespace

Graph generate_synthetic_graph(const SyntheticGraphOptions& o, const std::string& name) {
  const std::string source = "generate";
  if (o.nodes < 1) throw InputError(source + ": --nodes must be >= 1");
  if (o.min_chain_ops < 1 || o.max_chain_ops < o.min_chain_ops)
    throw InputError(source + ": need 1 <= min chain ops <= max chain ops");
  if (o.max_branches < 2) throw InputError(source + ": --max-branches must be >= 2");
  for (double p : {o.branch_probability, o.skip_probability, o.long_skip_probability})
    if (!(p >= 0 && p <= 1)) throw InputError(source + ": probabilities must be in [0, 1]");
  if (!(o.cross_branch_probability >= 0 && o.cross_branch_probability <= 1))
    throw InputError(source + ": probabilities must be in [0, 1]");
  if (!(o.work_mean_ms > 0) || !(o.tensor_mean_mb > 0) || !(o.link_bandwidth_gbps > 0) ||
      !(o.work_sigma >= 0) || !(o.tensor_sigma >= 0) || o.downsample_every < 0)
    throw InputError(source + ": means and bandwidth must be > 0, sigmas >= 0");

  Random rng(o.seed);
  GraphBuilder builder(source, name);
  double tensor_level_bytes = o.tensor_mean_mb * 1e6;
  auto add = [&](const std::string& id, const std::string& op, double work_factor,
                 double weight_factor, double tensor_bytes) {
    NodeSpec s;
    s.id = id;
    s.op = op;
    s.work = work_factor == 0 ? 0.0 : work_factor * rng.lognormal(o.work_mean_ms, o.work_sigma);
    s.comm = transfer_ms(tensor_bytes, o.link_bandwidth_gbps);
    s.memory = std::round(weight_factor * tensor_bytes);
    return builder.add_node(std::move(s));
  };
  auto tensor = [&] { return std::round(rng.lognormal(tensor_level_bytes, o.tensor_sigma)); };

  NodeId block_input = add("input", "Input", 0.05, 0, tensor());
  std::vector<NodeId> block_outputs{block_input};
  for (int block = 0; builder.num_nodes() < o.nodes; ++block) {
    if (o.downsample_every > 0 && block > 0 && block % o.downsample_every == 0)
      tensor_level_bytes *= 0.5;  // spatial downsampling: smaller tensors from here on
    const std::string prefix = "b" + std::to_string(block);
    const bool branched = rng.chance(o.branch_probability);
    const int branches = branched ? rng.between(2, o.max_branches) : 1;
    std::vector<NodeId> branch_ends;
    std::vector<std::vector<NodeId>> branch_ops;  // operators of this block's finished branches
    for (int br = 0; br < branches; ++br) {
      NodeId previous = block_input;
      std::vector<NodeId> chain;
      const int length = rng.between(o.min_chain_ops, o.max_chain_ops);
      for (int step = 0; step < length; ++step) {
        const OpKind& kind = kChainOps[rng.between(0, static_cast<int>(std::size(kChainOps)) - 1)];
        const std::string id = prefix + (branched ? ".br" + std::to_string(br) : std::string()) +
                               "." + std::to_string(step) + "." + kind.name;
        const double bytes = tensor() / (branched && o.branches_split_tensor ? branches : 1);
        const NodeId v = add(id, kind.name, kind.work_factor, kind.weight_factor, bytes);
        builder.add_edge(previous, v);
        // A cross-link reads an operator at an earlier step of an earlier branch, so the block
        // stays as shallow as its longest branch. Drawn only when cross-links are on, so that
        // graphs without them stay as they were.
        if (o.cross_branch_probability > 0 && step > 0 && !branch_ops.empty() &&
            rng.chance(o.cross_branch_probability)) {
          int candidates = 0;
          for (const auto& ops : branch_ops)
            candidates += std::min(step, static_cast<int>(ops.size()));
          int pick = rng.between(0, candidates - 1);
          for (const auto& ops : branch_ops) {
            const int here = std::min(step, static_cast<int>(ops.size()));
            if (pick < here) {
              builder.add_edge(ops[static_cast<std::size_t>(pick)], v);
              break;
            }
            pick -= here;
          }
        }
        previous = v;
        chain.push_back(v);
      }
      if (branched) branch_ops.push_back(chain);
      branch_ends.push_back(previous);
    }
    std::vector<NodeId> merge_inputs = branch_ends;
    if (!branched && rng.chance(o.skip_probability)) merge_inputs.push_back(block_input);
    if (block_outputs.size() > 2 && rng.chance(o.long_skip_probability))
      merge_inputs.push_back(
          block_outputs[rng.between(0, static_cast<int>(block_outputs.size()) - 3)]);
    NodeId output = branch_ends.front();
    if (merge_inputs.size() > 1) {
      const char* op = branched ? "Concat" : "Add";
      output = add(prefix + ".merge." + op, op, 0.1, 0, tensor());
      for (NodeId u : merge_inputs) builder.add_edge(u, output);
    }
    block_outputs.push_back(output);
    block_input = output;
  }
  return std::move(builder).build();
}

SyntheticGraphOptions synthetic_preset(const std::string& name) {
  SyntheticGraphOptions o;
  if (name == "dnn") return o;
  if (name == "regal") {
    o.nodes = 1000;
    o.min_chain_ops = 1;
    o.max_chain_ops = 4;
    o.branch_probability = 0.85;
    o.max_branches = 8;
    o.skip_probability = 0.5;
    o.long_skip_probability = 0.1;
    o.downsample_every = 0;
    o.work_mean_ms = 1.0;
    o.work_sigma = 0.8;
    o.tensor_mean_mb = 11.0;
    o.tensor_sigma = 0.5;
    o.link_bandwidth_gbps = 16.0;
    o.branches_split_tensor = false;
    o.cross_branch_probability = 0.25;
    return o;
  }
  throw InputError("generate: unknown preset '" + name + "' (expected dnn or regal)");
}

}  // namespace pipecut
