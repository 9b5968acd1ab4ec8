#pragma once
// Readers of graph formats written by other tools (see docs/formats.md for the cost mappings).
// Each parse function takes the whole file text and `source` (the file name, used at the start
// of every InputError message). Work and comm are in milliseconds, memory in bytes.
#include <string>

#include "pipecut/model/graph.hpp"
#include "pipecut/util/log.hpp"

namespace pipecut {

// Tarnawski et al. (msr-fiddle dnn-partitioning) JSON: work = fpgaLatency, comm = the node's
// out-edge cost, memory = size, colorClass -> colour_class, maxSizePerFPGA -> memory_per_stage,
// maxFPGAs -> default_k. Node ids are the decimal `id`s. If a node's out-edges disagree on cost,
// the maximum is used and one warning goes to `warn`.
Graph parse_tarnawski_graph(const std::string& text, const std::string& source,
                            const LogCallback& warn = {});

// PipeDream profiler graph.txt: work = forward_compute_time (ms), comm = activation_size bytes /
// link bandwidth, memory = parameter_size, op = layer name before '('. Ids are the `nodeN` labels.
Graph parse_pipedream_graph(const std::string& text, const std::string& source,
                            double link_bandwidth_gbps);

// REGAL / TensorFlow CostGraphDef in protobuf text format: work = compute_cost (microseconds)
// / 1000, comm = output size bytes / link bandwidth, memory = persistent_memory_size. `_SOURCE`
// (id 0) and `_SINK` are dropped with their edges. A node with several consumed output ports gets
// a zero-work node "NAME:PORT" per port and comm = their sum (exact; docs/formats.md); control
// inputs go through a zero-cost node "NAME^ctrl". Ids are the node names (made unique with
// "#ID" when missing or repeated).
Graph parse_regal_graph(const std::string& text, const std::string& source,
                        double link_bandwidth_gbps);

// Time in ms to move `bytes` over a link of `gbps` GB/s (1e9 bytes/s).
inline double transfer_ms(double bytes, double gbps) { return bytes / (gbps * 1e6); }

}  // namespace pipecut
