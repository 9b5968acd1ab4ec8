// docs/clusters.md, "Reduction": a homogeneous cluster (one class of speed 1, one bandwidth) is
// today's model exactly, checked bit for bit on every model of the torchvision corpus
// (data/corpus/torchvision/*.onnx), one test per model so that ctest spreads them over cores:
// graph_on_class gives the graph back (work, comm, memory of every node, the edges), and
// evaluate_on_cluster gives what evaluate_partition gives on the topo partitions at k = 2, 4, 8
// placed on devices in any order; on a few of the smallest models, solve_on_cluster gives
// today's solve (bottleneck, bound, partition).
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "pipecut/io/cluster_json.hpp"
#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/cluster_cost.hpp"
#include "pipecut/model/constraints.hpp"
#include "pipecut/model/cost.hpp"
#include "pipecut/solve/api.hpp"
#include "pipecut/solve/cluster_solve.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

// Eight devices of one class at speed 1 (the default), one bandwidth everywhere: on one host,
// and split over two hosts whose network runs at the hosts' bandwidth (the claim covers both).
constexpr const char* kOneHost = R"({"format": "pipecut.cluster", "version": 1, "name": "one-host",
  "device_classes": {"gpu": {"memory": "16GiB"}},
  "hosts": [{"name": "h0", "devices": [{"class": "gpu", "count": 8}], "bandwidth": "32GB/s"}]})";
constexpr const char* kTwoHosts =
    R"({"format": "pipecut.cluster", "version": 1, "name": "two-hosts",
  "device_classes": {"gpu": {"memory": "16GiB", "speed": 1}},
  "hosts": [{"name": "a", "devices": [{"class": "gpu", "count": 3}], "bandwidth": "32GB/s"},
            {"name": "b", "devices": [{"class": "gpu", "count": 5}], "bandwidth": "32GB/s"}],
  "network_bandwidth": "256Gb/s"})";

std::uint64_t bits(double x) { return std::bit_cast<std::uint64_t>(x); }

std::vector<std::string> torchvision_models() {
  std::vector<std::string> names;
  for (const auto& entry :
       std::filesystem::directory_iterator(testing::data_path("corpus/torchvision")))
    if (entry.path().extension() == ".onnx") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Test names are the model names.
std::string model_name(const ::testing::TestParamInfo<std::string>& p) { return p.param; }

Graph read_model(const std::string& name) {
  return read_graph(testing::data_path("corpus/torchvision/" + name + ".onnx"));
}

// Stage costs of two evaluations of one partition, to the last bit.
void expect_same_evaluation(const Evaluation& on_cluster, const Evaluation& today,
                            const std::string& what) {
  ASSERT_EQ(on_cluster.stages.size(), today.stages.size()) << what;
  for (std::size_t b = 0; b < today.stages.size(); ++b) {
    const StageCost& x = on_cluster.stages[b];
    const StageCost& y = today.stages[b];
    EXPECT_EQ(x.nodes, y.nodes) << what << " stage " << b;
    EXPECT_EQ(bits(x.work), bits(y.work)) << what << " stage " << b;
    EXPECT_EQ(bits(x.comm_in), bits(y.comm_in)) << what << " stage " << b;
    EXPECT_EQ(bits(x.comm_out), bits(y.comm_out)) << what << " stage " << b;
    EXPECT_EQ(bits(x.cost), bits(y.cost)) << what << " stage " << b;
    EXPECT_EQ(bits(x.memory), bits(y.memory)) << what << " stage " << b;
  }
  EXPECT_EQ(bits(on_cluster.bottleneck), bits(today.bottleneck)) << what;
  EXPECT_EQ(on_cluster.bottleneck_stage, today.bottleneck_stage) << what;
  EXPECT_EQ(on_cluster.stages_used, today.stages_used) << what;
}

class ClusterCorpus : public ::testing::TestWithParam<std::string> {};

TEST_P(ClusterCorpus, HomogeneousClusterIsTodaysModelBitForBit) {
  const std::string& name = GetParam();
  const Graph g = read_model(name);
  for (const char* text : {kOneHost, kTwoHosts}) {
    const Cluster c = parse_cluster(text, "cluster.json");
    ASSERT_TRUE(c.homogeneous()) << c.name;
    const ClusterCosts costs(g, c, name);
    const double gbps = c.bandwidth(0, c.num_devices() - 1);
    const Graph on_class = graph_on_class(costs, 0, gbps);
    // The graph itself: every node's work, comm and memory, and every edge.
    ASSERT_EQ(on_class.num_nodes(), g.num_nodes()) << name;
    for (NodeId v = 0; v < g.num_nodes(); ++v) {
      ASSERT_EQ(bits(on_class.work[v]), bits(g.work[v])) << name << " node " << g.ids[v];
      ASSERT_EQ(bits(on_class.comm[v]), bits(g.comm[v])) << name << " node " << g.ids[v];
      ASSERT_EQ(bits(on_class.memory[v]), bits(g.memory[v])) << name << " node " << g.ids[v];
      ASSERT_EQ(on_class.ids[v], g.ids[v]);
      const auto a = on_class.successors(v);
      const auto b = g.successors(v);
      ASSERT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end())) << name << " " << g.ids[v];
    }
    ASSERT_EQ(on_class.memory_per_stage, std::optional<double>(c.classes[0].memory));
    // Evaluation: the topo partition at k = 2, 4, 8, its non-empty stages on the devices in
    // reverse listing order (any distinct devices give the same costs), costs the same.
    Graph today = g;
    today.memory_per_stage = c.classes[0].memory;
    for (int k : {2, 4, 8}) {
      PartitionOptions topo;
      topo.algorithm = "topo";
      Partition p = partition_graph(today, k, topo).partition;
      p.device_of_stage.assign(static_cast<std::size_t>(k), -1);
      int device = c.num_devices() - 1;
      for (int b = 0; b < k; ++b)
        if (std::count(p.stage_of.begin(), p.stage_of.end(), b) > 0)
          p.device_of_stage[b] = device--;
      const std::string what = name + " on " + c.name + " k=" + std::to_string(k);
      ASSERT_FALSE(cluster_partition_problem(g, c, p).has_value()) << what;
      expect_same_evaluation(evaluate_on_cluster(costs, p), evaluate_partition(today, p), what);
      EXPECT_EQ(cluster_constraint_violation(g, c, p).has_value(),
                constraint_violation(today, p).has_value())
          << what;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Torchvision, ClusterCorpus, ::testing::ValuesIn(torchvision_models()),
                         model_name);

// The whole corpus is there: the suite above must not pass by finding no models.
TEST(ClusterCorpusList, HasEveryTorchvisionModel) { EXPECT_EQ(torchvision_models().size(), 80u); }

// solve_on_cluster on the homogeneous cluster is today's solve of the graph with the class's
// memory as capacity, bit for bit, on the smallest models at k = 2, 4, 8. Both runs must finish
// before their time limit: a run cut short by the clock could differ for reasons of timing alone.
class ClusterCorpusSolve : public ::testing::TestWithParam<std::string> {};

TEST_P(ClusterCorpusSolve, SolveOnHomogeneousClusterIsTodaysSolve) {
  const std::string& name = GetParam();
  const Graph g = read_model(name);
  const Cluster c = parse_cluster(kOneHost, "cluster.json");
  Graph today = g;
  today.memory_per_stage = c.classes[0].memory;
  SolveOptions options;
  options.time_limit_seconds = 20;
  options.partition.threads = 1;
  for (int k : {2, 4, 8}) {
    const std::string what = name + " k=" + std::to_string(k);
    const Solution expected = solve(today, k, options);
    const Solution s = solve_on_cluster(g, c, k, options);
    ASSERT_FALSE(expected.hit_time_limit) << what;
    ASSERT_FALSE(s.hit_time_limit) << what;
    EXPECT_EQ(bits(s.bottleneck()), bits(expected.bottleneck())) << what;
    EXPECT_EQ(bits(s.lower_bound), bits(expected.lower_bound)) << what;
    EXPECT_EQ(s.lower_bound_method, expected.lower_bound_method) << what;
    EXPECT_EQ(s.partition.stage_of, expected.partition.stage_of) << what;
    EXPECT_EQ(s.optimal, expected.optimal) << what;
    ASSERT_TRUE(s.cluster.has_value()) << what;
    expect_same_evaluation(evaluate_on_cluster(ClusterCosts(g, c, name), s.partition),
                           evaluate_partition(today, expected.partition), what);
  }
}

INSTANTIATE_TEST_SUITE_P(Smallest, ClusterCorpusSolve,
                         ::testing::Values("alexnet", "vgg11", "vgg16_bn", "resnet18",
                                           "squeezenet1_1"),
                         model_name);

}  // namespace
}  // namespace pipecut
