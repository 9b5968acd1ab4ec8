#pragma once
// Seeded random computation graphs shaped like DNN operator graphs (a stand-in for the REGAL
// synthetic set; docs/formats.md "Synthetic graphs").
//
// Shape: an input node, then a chain of blocks. A block is either one chain of operators or
// 2..max_branches parallel chains from the block input that meet in a merge node (concat/add);
// an operator of a branch may also read an operator of an earlier branch of its block; a
// single-chain block may add a residual skip from its input to its merge node, and any merge
// may also take a long skip from the output of an earlier block. Every few blocks a
// "downsample" halves the tensor size. Work and tensor sizes are log-normal around their means.
// Presets (synthetic_preset) name whole option sets: "dnn" (the defaults) and "regal".
// Units: work and comm in ms, memory in bytes. Same options and seed -> the same graph: the
// engine is std::mt19937_64 (fully specified) and the transforms to uniform/normal are our own,
// not the standard library's distributions (whose output differs between implementations).
#include <cstdint>
#include <string>

#include "pipecut/model/graph.hpp"

namespace pipecut {

struct SyntheticGraphOptions {
  std::uint64_t seed = 1;
  int nodes = 100;        // target node count (the result has >= nodes, within a block)
  int min_chain_ops = 1;  // operators per branch chain
  int max_chain_ops = 4;
  double branch_probability = 0.35;  // a block splits into parallel branches
  int max_branches = 4;
  double skip_probability = 0.5;        // a single-chain block has a residual skip
  double long_skip_probability = 0.05;  // a merge also reads an earlier block's output
  int downsample_every = 6;             // blocks between tensor-size halvings (0 = never)
  double work_mean_ms = 1.0;            // mean work of a compute operator
  double work_sigma = 0.8;              // log-normal sigma of work
  double tensor_mean_mb = 8.0;          // mean size of the first block's tensors, MB (1e6 bytes)
  double tensor_sigma = 0.3;            // log-normal sigma of tensor sizes around the level
  double link_bandwidth_gbps = 16.0;    // comm = tensor bytes / this
  // Parallel branches share the block's tensor size (channels split among them: each carries
  // 1/branches of it); false: every branch carries full-size tensors.
  bool branches_split_tensor = true;
  // Probability that an operator of branch b > 0 also reads the output of a random operator of
  // an earlier branch of the same block (cross-links, as in NAS cells). Edges only go from a
  // lower to a higher branch, so the graph stays acyclic.
  double cross_branch_probability = 0.0;
};

// Names accepted by synthetic_preset, for --help texts and validation.
inline constexpr const char* kSyntheticPresets[] = {"dnn", "regal"};

// A named option set (the seed is left at 1):
//  * "dnn": the defaults above; narrow DNN-like graphs whose tensors shrink with depth.
//  * "regal": wide blocks with communication comparable to work, standing in for the REGAL
//    synthetic set (Paliwal et al., ICLR 2020) on which Archer et al. also report: 1 000 nodes
//    (use 200..2 000), most blocks split into 2..8 parallel branches of 1..4 operators with
//    cross-links between branches, every branch carrying full-size tensors that never shrink,
//    so that total comm is about total work (docs/formats.md "Synthetic graphs").
// Throws InputError naming the preset for an unknown name.
SyntheticGraphOptions synthetic_preset(const std::string& name);

// Throws InputError on invalid options (e.g. nodes < 1, min > max).
Graph generate_synthetic_graph(const SyntheticGraphOptions& options, const std::string& name);

}  // namespace pipecut
