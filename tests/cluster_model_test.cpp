// The cluster model (docs/clusters.md): per-class work and bytes in pipecut.graph, the graph
// checked against a cluster, evaluation against the brute-force oracle's recomputation, the
// reduction to today's model, and the partition file's devices.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "pipecut/io/cluster_json.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/io/graph_json.hpp"
#include "pipecut/io/partition_json.hpp"
#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/cluster_cost.hpp"
#include "pipecut/model/constraints.hpp"
#include "pipecut/model/error.hpp"
#include "support/cluster_oracle.hpp"
#include "support/oracle.hpp"
#include "support/run_cli.hpp"

namespace pipecut {
namespace {

using testing::cluster_oracle_bottleneck;

const char* kCluster = R"({"format": "pipecut.cluster", "version": 1, "name": "mixed",
 "device_classes": {"fast": {"memory": 100}, "slow": {"memory": 50, "speed": 0.5}},
 "hosts": [{"name": "h0", "devices": [{"class": "fast"}, {"class": "slow"}], "bandwidth": 8},
           {"name": "h1", "devices": [{"class": "slow"}]}],
 "network_bandwidth": 1})";

// a -> b -> c, a -> c. a: 2 ms (numeric), 4 MB out; b: per class, 1 MB out; c: numeric, no bytes.
const char* kGraph = R"({"format": "pipecut.graph", "version": 1, "name": "g",
 "nodes": [{"id": "a", "work": 2, "comm": 9, "bytes": 4000000, "memory": 10},
           {"id": "b", "work": {"fast": 1, "slow": 5}, "comm": 9, "bytes": 1000000, "memory": 40},
           {"id": "c", "work": 3, "comm": 0.5, "memory": 30}],
 "edges": [["a", "b"], ["b", "c"], ["a", "c"]]})";

TEST(ClusterGraph, CheckedAgainstTheCluster) {
  const Cluster c = parse_cluster(kCluster, "c.json");
  const Graph g = parse_pipecut_graph(kGraph, "g.json");
  EXPECT_NO_THROW(check_graph_on_cluster(g, c, "g.json"));
  // An unknown class in a node's work.
  std::string unknown = kGraph;
  unknown.replace(unknown.find("\"slow\": 5"), 9, "\"medium\": 5");
  try {
    check_graph_on_cluster(parse_pipecut_graph(unknown, "g.json"), c, "g.json");
    ADD_FAILURE() << "unknown class accepted";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(),
                 "g.json: node 'b': \"work\": unknown class 'medium' (cluster mixed has "
                 "no such device class)");
  }
  // A class that has devices but no time in a map.
  std::string missing = kGraph;
  missing.replace(missing.find(", \"slow\": 5"), 11, "");
  try {
    check_graph_on_cluster(parse_pipecut_graph(missing, "g.json"), c, "g.json");
    ADD_FAILURE() << "missing class accepted";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "g.json: node 'b': \"work\": no time for class 'slow' of cluster mixed");
  }
}

TEST(ClusterGraph, ReadGraphNeedsAClusterForWorkMapsAndRefusesTwoCapacities) {
  const std::string dir = testing::make_temp_dir("cluster-read");
  const std::string graph = dir + "/g.json", cluster = dir + "/c.json";
  write_file_atomic(graph, kGraph, false);
  write_file_atomic(cluster, kCluster, false);
  try {
    (void)read_graph(graph);
    ADD_FAILURE() << "per-class work accepted without a cluster";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(graph + ": nodes give their work per device class"),
              std::string::npos)
        << e.what();
  }
  ReadOptions options;
  options.cluster = cluster;
  EXPECT_EQ(read_graph(graph, options).num_nodes(), 3);
  options.memory_per_stage = 100;
  EXPECT_THROW((void)read_graph(graph, options), InputError);
  std::filesystem::remove_all(dir);
}

// Stage costs worked by hand from docs/clusters.md.
TEST(ClusterEvaluate, HandExample) {
  const Cluster c = parse_cluster(kCluster, "c.json");
  const Graph g = parse_pipecut_graph(kGraph, "g.json");
  const ClusterCosts costs(g, c, "g.json");
  EXPECT_EQ(costs.work(0, 1), 4.0);  // 2 / 0.5
  EXPECT_EQ(costs.work(1, 1), 5.0);  // its map
  // Stage 0 = {a} on h0:0 (fast), stage 1 = {b} on h1:0 (slow), stage 2 = {c} on h0:1 (slow).
  Partition p{3, {0, 1, 2}};
  p.device_of_stage = {0, 2, 1};
  const Evaluation e = evaluate_on_cluster(costs, p);
  ASSERT_EQ(e.stages.size(), 3u);
  // a: work 2; sends 4 MB once, at the slowest of h0:0->h1:0 (1 GB/s: 4 ms) and h0:0->h0:1
  // (8 GB/s: 0.5 ms).
  EXPECT_EQ(e.stages[0].work, 2.0);
  EXPECT_EQ(e.stages[0].comm_out, 4.0);
  EXPECT_EQ(e.stages[0].comm_in, 0.0);
  // b on slow: 5; receives a over 1 GB/s: 4; sends 1 MB to h0:1 over 1 GB/s: 1.
  EXPECT_EQ(e.stages[1].cost, 10.0);
  // c on slow: 6; receives a over 8 GB/s (0.5) and b over 1 GB/s (1).
  EXPECT_EQ(e.stages[2].cost, 7.5);
  EXPECT_EQ(e.bottleneck, 10.0);
  EXPECT_EQ(e.stages[1].device, 2);
  EXPECT_EQ(cluster_oracle_bottleneck(g, c, p), std::optional<double>(10.0));
  // Memory: b (40) and c (30) on a slow device (50) do not fit; on the fast one (100) they do.
  Partition two{2, {0, 1, 1}};
  two.device_of_stage = {1, 2};
  EXPECT_NE(cluster_constraint_violation(g, c, two), std::nullopt);
  two.device_of_stage = {1, 0};
  EXPECT_EQ(cluster_constraint_violation(g, c, two), std::nullopt);
  // Two stages on one device, and more stages than devices, are not partitions on the cluster.
  Partition same{2, {0, 1, 1}};
  same.device_of_stage = {0, 0};
  EXPECT_NE(cluster_partition_problem(g, c, same), std::nullopt);
  Partition many{4, {0, 1, 2}};
  many.device_of_stage = {0, 1, 2, -1};
  EXPECT_NE(cluster_partition_problem(g, c, many), std::nullopt);
}

// A random partition of g into at most k stages (forward edges), on random distinct devices.
Partition random_partition(const Graph& g, const Cluster& c, int k, std::mt19937_64& rng) {
  Partition p;
  p.k = k;
  p.stage_of.assign(g.num_nodes(), 0);
  for (NodeId v : topological_order(g)) {
    int lowest = 0;
    for (NodeId u : g.predecessors(v)) lowest = std::max(lowest, p.stage_of[u]);
    p.stage_of[v] = std::uniform_int_distribution<int>(lowest, k - 1)(rng);
  }
  std::vector<int> devices(c.num_devices());
  for (int d = 0; d < c.num_devices(); ++d) devices[d] = d;
  std::shuffle(devices.begin(), devices.end(), rng);
  p.device_of_stage.assign(devices.begin(), devices.begin() + k);
  return p;
}

TEST(ClusterEvaluate, AgreesWithTheOraclesRecomputation) {
  int compared = 0;
  for (std::uint64_t seed = 1; seed <= 400; ++seed) {
    const testing::ClusterInstance x = testing::random_cluster_instance(seed);
    const ClusterCosts costs(x.graph, x.cluster, "random");
    std::mt19937_64 rng(seed);
    const int k = std::uniform_int_distribution<int>(1, x.cluster.num_devices())(rng);
    for (int trial = 0; trial < 5; ++trial) {
      const Partition p = random_partition(x.graph, x.cluster, k, rng);
      const Evaluation e = evaluate_on_cluster(costs, p);
      const bool fits = !cluster_constraint_violation(x.graph, x.cluster, p);
      const std::optional<double> oracle = cluster_oracle_bottleneck(x.graph, x.cluster, p);
      ASSERT_EQ(fits, oracle.has_value()) << "seed " << seed;
      if (!oracle) continue;
      EXPECT_NEAR(e.bottleneck, *oracle, 1e-12 * std::max(1.0, *oracle)) << "seed " << seed;
      ++compared;
    }
  }
  EXPECT_GT(compared, 500);
}

// docs/clusters.md, "Reduction": on one class and one bandwidth, every stage costs exactly what
// today's evaluator gives on graph_on_class, to the last bit.
TEST(ClusterEvaluate, OneClassOneBandwidthIsTodaysModelBitForBit) {
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    testing::ClusterInstance x = testing::random_cluster_instance(seed);
    Cluster& c = x.cluster;
    // One class, every link 2 GB/s.
    c.classes.resize(1);
    for (ClusterDevice& d : c.devices) d.device_class = 0;
    for (ClusterHost& h : c.hosts) h.bandwidth_gbps = 2;
    c.network_bandwidth_gbps = 2;
    c.link_gbps.clear();
    // Work maps name only class c0 now.
    GraphBuilder b("g", "g");
    const Graph& g0 = x.graph;
    for (NodeId v = 0; v < g0.num_nodes(); ++v) {
      NodeSpec s = testing::node(g0.ids[v], g0.work[v], g0.comm[v]);
      s.memory = g0.memory[v];
      if (!g0.bytes.empty() && g0.bytes[v] >= 0) s.bytes = g0.bytes[v];
      b.add_node(std::move(s));
    }
    for (NodeId u = 0; u < g0.num_nodes(); ++u)
      for (NodeId v : g0.successors(u)) b.add_edge(u, v);
    const Graph g = std::move(b).build();
    ASSERT_TRUE(c.homogeneous());
    const ClusterCosts costs(g, c, "g");
    const Graph today = graph_on_class(costs, 0, 2);
    std::mt19937_64 rng(seed);
    const int k = c.num_devices();
    for (int trial = 0; trial < 5; ++trial) {
      const Partition p = random_partition(g, c, k, rng);
      const Evaluation on_cluster = evaluate_on_cluster(costs, p);
      const Evaluation e = evaluate_partition(today, p);
      ASSERT_EQ(static_cast<int>(e.stages.size()), stored_stages(today, p));
      for (int s = 0; s < static_cast<int>(e.stages.size()); ++s) {
        EXPECT_EQ(on_cluster.stages[s].cost, e.stages[s].cost) << "seed " << seed;
        EXPECT_EQ(on_cluster.stages[s].memory, e.stages[s].memory);
      }
      EXPECT_EQ(cluster_constraint_violation(g, c, p).has_value(),
                constraint_violation(today, p).has_value());
    }
  }
}

TEST(ClusterPartitionFile, RecordsAndReadsDevices) {
  const Cluster c = parse_cluster(kCluster, "c.json");
  const Graph g = parse_pipecut_graph(kGraph, "g.json");
  const ClusterCosts costs(g, c, "g.json");
  Solution s;
  s.graph_name = g.name;
  s.k = 3;
  s.partition = Partition{3, {0, 1, 1}};
  s.partition.device_of_stage = {2, 0, -1};
  s.evaluation = evaluate_on_cluster(costs, s.partition);
  s.cluster = c;
  const std::string text = solution_to_json(g, s);
  const auto doc = nlohmann::json::parse(text);
  EXPECT_EQ(doc["devices"], nlohmann::json::parse(R"(["h1:0", "h0:0", null])"));
  EXPECT_EQ(doc["cluster"]["name"], "mixed");
  EXPECT_EQ(doc["cluster"]["digest"], c.digest);
  EXPECT_EQ(doc["stages"][1]["device"], "h0:0");
  EXPECT_EQ(doc["stages"][1]["class"], "fast");
  const Partition back = parse_partition_assignment(g, text, "p.json", &c);
  EXPECT_EQ(back.stage_of, s.partition.stage_of);
  EXPECT_EQ(back.device_of_stage, s.partition.device_of_stage);
  // Without the cluster the file cannot be costed; with another one naming other devices it
  // does not fit.
  EXPECT_THROW((void)parse_partition_assignment(g, text, "p.json"), InputError);
  Cluster other = c;
  other.devices[2].name = "h7:0";
  EXPECT_THROW((void)parse_partition_assignment(g, text, "p.json", &other), PartitionMismatchError);
  ASSERT_TRUE(partition_file_cluster(text, "p.json"));
  EXPECT_EQ(partition_file_cluster(text, "p.json")->digest, c.digest);
}

TEST(ClusterOracle, BruteForceOnAHandExample) {
  const Cluster c = parse_cluster(kCluster, "c.json");
  const Graph g = parse_pipecut_graph(kGraph, "g.json");
  const testing::ClusterOptimum best = testing::cluster_brute_force(g, c, 3);
  ASSERT_TRUE(best.feasible);
  // All on the fast device costs 2 + 1 + 3 = 6. Better: a alone on the slow h0:1 (2 / 0.5 = 4,
  // plus its 4 MB sent over the host's 8 GB/s: 0.5) and b, c on the fast h0:0 (1 + 3, plus a
  // received: 0.5), 70 of its 100 bytes: 4.5 on both stages, the optimum.
  EXPECT_EQ(best.bottleneck, 4.5);
  EXPECT_EQ(cluster_oracle_bottleneck(g, c, best.best), std::optional<double>(4.5));
  Partition split{3, {0, 1, 1}};
  split.device_of_stage = {1, 0, -1};
  EXPECT_EQ(evaluate_on_cluster(ClusterCosts(g, c, "g.json"), split).bottleneck, 4.5);
}

}  // namespace
}  // namespace pipecut
