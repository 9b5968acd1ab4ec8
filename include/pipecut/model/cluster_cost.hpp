#pragma once
// Costs of a graph on a cluster (docs/clusters.md, "The model"): a stage costs the work of its
// nodes on its device's class, plus each tensor it receives over the link from the sender's
// device, plus each tensor it sends once, over the slowest link to a receiving stage's device.
// Its memory must fit its device's class.
#include <optional>
#include <string>
#include <vector>

#include "pipecut/model/cluster.hpp"
#include "pipecut/model/cost.hpp"
#include "pipecut/model/graph.hpp"

namespace pipecut {

// Node times per class and tensor times per link of one graph on one cluster.
class ClusterCosts {
 public:
  // Throws InputError starting with `graph_source` when a node's work map names a class the
  // cluster lacks, or lacks a class that has devices (docs/clusters.md, "Work per class").
  ClusterCosts(const Graph& g, const Cluster& c, const std::string& graph_source);

  [[nodiscard]] const Graph& graph() const { return *g_; }
  [[nodiscard]] const Cluster& cluster() const { return *c_; }
  // Time of node v on a device of class `device_class`, in ms: its map's entry, or work / speed.
  [[nodiscard]] double work(NodeId v, int device_class) const {
    return work_[static_cast<std::size_t>(v) * classes_ + device_class];
  }
  // Time of v's output tensor over a link of `gbps` GB/s: bytes / bandwidth, or `comm` when v
  // gives no bytes.
  [[nodiscard]] double transfer(NodeId v, double gbps) const;
  // The same over the link between two distinct devices.
  [[nodiscard]] double transfer(NodeId v, int from_device, int to_device) const {
    return transfer(v, c_->bandwidth(from_device, to_device));
  }

 private:
  const Graph* g_;
  const Cluster* c_;
  std::size_t classes_;
  std::vector<double> work_;  // n x classes
};

// Throws InputError starting with `graph_source` when g does not fit c's classes (as above).
void check_graph_on_cluster(const Graph& g, const Cluster& c, const std::string& graph_source);

// Why `p` is not a pipeline partition of g on c, or nullopt: partition_problem, then k at most
// the device count, one device per stage, each a device of c, distinct over non-empty stages,
// and every non-empty stage on a device.
std::optional<std::string> cluster_partition_problem(const Graph& g, const Cluster& c,
                                                     const Partition& p);

// Why a valid partition breaks a placement constraint on c, or nullopt: a stage's memory above
// its device's class capacity, or a colour class split (model/constraints.hpp).
std::optional<std::string> cluster_constraint_violation(const Graph& g, const Cluster& c,
                                                        const Partition& p);

// Full per-stage breakdown on the cluster (StageCost::device set). Throws InputError if the
// partition is invalid (cluster_partition_problem). O(n + m + k).
Evaluation evaluate_on_cluster(const ClusterCosts& costs, const Partition& p);

// Today's graph for one class and one link: every work on `device_class`, every tensor over a
// link of `gbps`, the class's memory as the capacity (docs/clusters.md, "Reduction"). On a
// homogeneous cluster a partition of this graph costs on every stage what it costs on any
// distinct devices of the cluster.
Graph graph_on_class(const ClusterCosts& costs, int device_class, double gbps);

}  // namespace pipecut
