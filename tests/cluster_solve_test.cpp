// solve_on_cluster (docs/clusters.md, "Solving on a heterogeneous cluster"): against the
// brute-force oracle on random tiny instances, exactly today's answer on a homogeneous cluster,
// and the CLI's --cluster.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "pipecut/io/cluster_json.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/cluster_cost.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/model/numeric.hpp"
#include "pipecut/solve/api.hpp"
#include "pipecut/solve/cluster_solve.hpp"
#include "support/cluster_oracle.hpp"
#include "support/oracle.hpp"
#include "support/run_cli.hpp"

namespace pipecut {
namespace {

// >= 1000 random tiny instances: every partition valid and never better than the optimum, every
// bound at most the optimum, every claimed optimum equal to it, and infeasibility only claimed
// when true.
TEST(ClusterSolve, AgreesWithBruteForceOnRandomTinyInstances) {
  int solved = 0, proven = 0, infeasible = 0, not_found = 0, missed = 0;
  for (std::uint64_t seed = 1; seed <= 1100; ++seed) {
    const testing::ClusterInstance x = testing::random_cluster_instance(seed);
    const int k = 1 + static_cast<int>(seed % static_cast<std::uint64_t>(x.cluster.num_devices()));
    const testing::ClusterOptimum best = testing::cluster_brute_force(x.graph, x.cluster, k);
    SolveOptions options;
    options.time_limit_seconds = 10;
    options.partition.threads = 1;
    Solution s;
    try {
      s = solve_on_cluster(x.graph, x.cluster, k, options);
    } catch (const InfeasibleError&) {
      EXPECT_FALSE(best.feasible) << "seed " << seed << ": infeasibility claimed, optimum "
                                  << best.bottleneck;
      ++infeasible;
      continue;
    } catch (const NoFeasiblePartitionError&) {
      // Allowed: the search is not exact, and infeasibility is not always proven. Checked
      // below that a feasible instance is rarely missed.
      ++not_found;
      if (best.feasible) ++missed;
      continue;
    }
    ASSERT_TRUE(best.feasible) << "seed " << seed << ": a partition of an infeasible instance";
    const std::optional<double> oracle =
        testing::cluster_oracle_bottleneck(x.graph, x.cluster, s.partition);
    ASSERT_TRUE(oracle) << "seed " << seed << ": invalid partition";
    EXPECT_EQ(s.partition.k, k);
    // Relative tolerances only (tests/cluster_scale_test.cpp sweeps the scales).
    EXPECT_TRUE(testing::same_cost(s.bottleneck(), *oracle)) << "seed " << seed;
    EXPECT_TRUE(testing::at_most_cost(best.bottleneck, s.bottleneck())) << "seed " << seed;
    EXPECT_TRUE(testing::at_most_cost(s.lower_bound, best.bottleneck)) << "seed " << seed;
    for (const BoundResult& r : s.bounds)
      EXPECT_TRUE(testing::at_most_cost(r.value, best.bottleneck)) << r.method;
    ASSERT_TRUE(s.optimal.has_value());
    if (*s.optimal) {
      EXPECT_TRUE(proves_optimal(s.lower_bound, s.bottleneck()));
      EXPECT_LE(*oracle, best.bottleneck / (1 - kOptimalityTolerance) * (1 + 1e-12))
          << "seed " << seed;
      ++proven;
    }
    ++solved;
  }
  EXPECT_EQ(solved + infeasible + not_found, 1100);
  EXPECT_GE(solved, 700);
  EXPECT_LE(missed, 11) << "of 1100";
  EXPECT_GT(proven, 100);
  EXPECT_GT(infeasible, 0);
}

// docs/clusters.md, "Chains exactly": on a chain the DP over cuts and device types is exact.
// Every instance is either proven infeasible (when no partition exists) or proven optimal, and
// among the optimal partitions it returns one with the fewest devices, then the least latency.
TEST(ClusterSolve, ChainsExactlyAgainstBruteForce) {
  int heterogeneous = 0, infeasible = 0;
  for (std::uint64_t seed = 1; seed <= 1000; ++seed) {
    const testing::ClusterInstance x = testing::random_cluster_instance(seed, 7, /*chain=*/true);
    const int k = 1 + static_cast<int>(seed % static_cast<std::uint64_t>(x.cluster.num_devices()));
    const testing::ClusterOptimum best = testing::cluster_brute_force(x.graph, x.cluster, k);
    SolveOptions prove;
    prove.target_ratio = 1;  // a homogeneous cluster is today's solve, which stops at 0.99
    Solution s;
    try {
      s = solve_on_cluster(x.graph, x.cluster, k, prove);
    } catch (const InfeasibleError&) {
      EXPECT_FALSE(best.feasible) << "seed " << seed;
      ++infeasible;
      continue;
    } catch (const NoFeasiblePartitionError&) {
      ADD_FAILURE() << "seed " << seed << ": infeasibility of a chain not proven";
      continue;
    }
    ASSERT_TRUE(best.feasible) << "seed " << seed;
    const std::optional<double> oracle =
        testing::cluster_oracle_bottleneck(x.graph, x.cluster, s.partition);
    ASSERT_TRUE(oracle) << "seed " << seed << ": invalid partition";
    EXPECT_TRUE(testing::same_cost(*oracle, best.bottleneck)) << "seed " << seed;
    ASSERT_TRUE(s.optimal.has_value());
    EXPECT_TRUE(*s.optimal) << "seed " << seed;
    EXPECT_TRUE(testing::at_most_cost(s.lower_bound, best.bottleneck)) << "seed " << seed;
    if (x.cluster.homogeneous()) continue;  // today's solve, which breaks no ties
    ++heterogeneous;
    EXPECT_EQ(s.evaluation.stages_used, best.fewest_devices) << "seed " << seed;
    EXPECT_TRUE(testing::same_cost(
        *testing::cluster_oracle_latency(x.graph, x.cluster, s.partition), best.least_latency))
        << "seed " << seed;
    // --prefer latency: the least latency of any optimal partition.
    SolveOptions by_latency;
    by_latency.prefer = "latency";
    const Solution fast = solve_on_cluster(x.graph, x.cluster, k, by_latency);
    EXPECT_TRUE(testing::same_cost(fast.bottleneck(), best.bottleneck)) << "seed " << seed;
    EXPECT_TRUE(testing::same_cost(
        *testing::cluster_oracle_latency(x.graph, x.cluster, fast.partition),
        best.least_latency_overall))
        << "seed " << seed;
  }
  EXPECT_GT(heterogeneous, 400);
  EXPECT_GT(infeasible, 0);
}

Cluster uniform_cluster(int devices, double memory) {
  Cluster c;
  c.name = "uniform";
  c.classes.push_back({"gpu", memory, 1, ""});
  c.hosts.push_back({"h0", 16});
  for (int d = 0; d < devices; ++d) c.devices.push_back({"h0:" + std::to_string(d), 0, 0, d});
  return c;
}

// docs/clusters.md, "Reduction": one class and one bandwidth give today's answer, bit for bit.
TEST(ClusterSolve, HomogeneousIsToday) {
  const std::vector<std::string> graphs = {
      testing::data_path("samples/pipecut/bert_l-3_inference.json"),
      testing::data_path("synthetic/synthetic-0000.json"),
      testing::data_path("synthetic/synthetic-0003.json"),
      testing::data_path("corpus/torchvision/alexnet.onnx"),
      testing::data_path("corpus/torchvision/mobilenet_v2.onnx")};
  for (const std::string& path : graphs) {
    ReadOptions read;
    read.ignore_memory = true;
    Graph g = read_graph(path, read);
    const int k = 4;
    Cluster c = uniform_cluster(k, kMaxTotalMemory);
    // Today's instance: the class's memory as the capacity.
    Graph today = g;
    today.memory_per_stage = c.classes[0].memory;
    SolveOptions options;
    options.time_limit_seconds = 30;
    options.partition.threads = 1;
    const Solution expected = solve(today, k, options);
    const Solution s = solve_on_cluster(g, c, k, options);
    EXPECT_EQ(s.bottleneck(), expected.bottleneck()) << path;
    EXPECT_EQ(s.lower_bound, expected.lower_bound) << path;
    EXPECT_EQ(s.partition.stage_of, expected.partition.stage_of) << path;
    EXPECT_EQ(s.optimal, expected.optimal) << path;
    ASSERT_TRUE(s.cluster);
    EXPECT_EQ(testing::cluster_oracle_bottleneck(g, c, s.partition),
              std::optional<double>(expected.bottleneck()));
    // The non-empty stages on the devices in listing order.
    int next_device = 0;
    for (int b = 0; b < k; ++b) {
      const bool used = std::count(s.partition.stage_of.begin(), s.partition.stage_of.end(), b) > 0;
      EXPECT_EQ(s.partition.device_of_stage[b], used ? next_device++ : -1) << path;
    }
    // partition --cluster too: today's partition algorithm, bit for bit.
    PartitionOptions partition;
    partition.threads = 1;
    const Solution p_today = partition_graph(today, k, partition);
    const Solution p_cluster = partition_on_cluster(g, c, k, partition);
    EXPECT_EQ(p_cluster.bottleneck(), p_today.bottleneck()) << path;
    EXPECT_EQ(p_cluster.lower_bound, p_today.lower_bound) << path;
    EXPECT_EQ(p_cluster.partition.stage_of, p_today.partition.stage_of) << path;
  }
}

TEST(ClusterSolve, BadRequests) {
  const Graph g = testing::random_dag(3, {});
  const Cluster c = uniform_cluster(2, 1e9);
  EXPECT_THROW((void)solve_on_cluster(g, c, 3), InputError);  // more stages than devices
  EXPECT_THROW((void)solve_on_cluster(g, c, 0), InputError);
  Cluster small = uniform_cluster(2, 1);
  small.classes.push_back({"other", 2, 2, ""});  // heterogeneous
  small.devices[1].device_class = 1;
  GraphBuilder b("big", "big");
  NodeSpec heavy = testing::node("x", 1, 0);
  heavy.memory = 3;
  b.add_node(heavy);
  try {
    (void)solve_on_cluster(std::move(b).build(), small, 2);
    ADD_FAILURE() << "a node larger than every device";
  } catch (const InfeasibleError& e) {
    EXPECT_NE(std::string(e.what()).find("node 'x' needs"), std::string::npos) << e.what();
  }
}

// A chain of n nodes (work 1, comm 0, memory 1 each).
Graph chain(int n) {
  GraphBuilder b("chain", "chain");
  for (int i = 0; i < n; ++i) {
    NodeSpec s = testing::node(std::string("n").append(std::to_string(i)), 1, 0);
    s.memory = 1;
    b.add_node(std::move(s));
    if (i > 0) b.add_edge(i - 1, i);
  }
  return std::move(b).build();
}

std::vector<int> stage_sizes(const Solution& s) {
  std::vector<int> sizes;
  for (const StageCost& st : s.evaluation.stages)
    sizes.push_back(static_cast<int>(st.nodes.size()));
  return sizes;
}

TEST(ClusterBaselines, SplitAsTheEnginesDo) {
  Cluster three = uniform_cluster(3, 100);
  EXPECT_EQ(stage_sizes(cluster_baseline(chain(7), three, 3, "uniform")),
            (std::vector<int>{3, 2, 2}));
  // Memory 3 : 1: three quarters of the node memory on the first device.
  Cluster memory = uniform_cluster(2, 3);
  memory.classes.push_back({"small", 1, 1, ""});
  memory.devices[1].device_class = 1;
  const Solution by_memory = cluster_baseline(chain(4), memory, 2, "memory-proportional");
  EXPECT_EQ(stage_sizes(by_memory), (std::vector<int>{3, 1}));
  EXPECT_EQ(by_memory.partition.device_of_stage, (std::vector<int>{0, 1}));
  // Speed 1 : 0.5: two thirds of the work on the first device.
  Cluster speed = uniform_cluster(2, 100);
  speed.classes.push_back({"slow", 100, 0.5, ""});
  speed.devices[1].device_class = 1;
  const Solution by_speed = cluster_baseline(chain(6), speed, 2, "compute-proportional");
  EXPECT_EQ(stage_sizes(by_speed), (std::vector<int>{4, 2}));
  EXPECT_EQ(by_speed.bottleneck(), 4.0);  // 2 nodes at speed 0.5 also take 4
  // A split that overflows a device is no answer; an unknown name is an input error.
  EXPECT_THROW((void)cluster_baseline(chain(4), memory, 2, "uniform"), NoFeasiblePartitionError);
  EXPECT_THROW((void)cluster_baseline(chain(4), memory, 2, "greedy"), InputError);
}

// Without a cluster the engines' splits are partition algorithms on k identical devices, with
// the same cuts as on a homogeneous cluster.
TEST(ClusterBaselines, AsPartitionAlgorithms) {
  PartitionOptions options;
  options.algorithm = "uniform";
  EXPECT_EQ(stage_sizes(partition_graph(chain(7), 3, options)), (std::vector<int>{3, 2, 2}));
  for (const std::string& name : cluster_baseline_names()) {
    options.algorithm = name;
    const Solution plain = partition_graph(chain(9), 4, options);
    const Solution on_cluster = partition_on_cluster(chain(9), uniform_cluster(4, 100), 4, options);
    EXPECT_EQ(plain.partition.stage_of, on_cluster.partition.stage_of) << name;
    EXPECT_EQ(plain.bottleneck(), on_cluster.bottleneck()) << name;
    EXPECT_EQ(on_cluster.algorithm, name);
  }
}

// Bounds on a cluster: never above the optimum; on a heterogeneous cluster the methods proven
// for identical devices are not run; on a chain the exact bound is the optimum.
TEST(ClusterBounds, NeverAboveTheOptimum) {
  int chains_proven = 0, not_applicable = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    const bool as_chain = seed % 2 == 0;
    const testing::ClusterInstance x = testing::random_cluster_instance(seed, 7, as_chain);
    const int k = 1 + static_cast<int>(seed % static_cast<std::uint64_t>(x.cluster.num_devices()));
    const testing::ClusterOptimum best = testing::cluster_brute_force(x.graph, x.cluster, k);
    BoundOptions options;
    options.time_limit_seconds = 10;
    const BoundsReport report = compute_bounds_on_cluster(x.graph, x.cluster, k, {}, options);
    if (report.infeasible) {
      EXPECT_FALSE(best.feasible) << "seed " << seed;
      continue;
    }
    for (const BoundResult& r : report.bounds) {
      if (best.feasible) {
        EXPECT_TRUE(testing::at_most_cost(r.value, best.bottleneck)) << r.method << " " << seed;
      }
      if (r.status == BoundStatus::not_applicable) {
        EXPECT_FALSE(x.cluster.homogeneous());
        EXPECT_EQ(r.value, 0.0);
        ++not_applicable;
      }
      if (r.method == "cluster-chain" && best.feasible) {
        ASSERT_EQ(r.status, BoundStatus::proven) << seed;
        EXPECT_TRUE(proves_optimal(r.value, best.bottleneck)) << seed;
        ++chains_proven;
      }
    }
  }
  EXPECT_GT(chains_proven, 50);
  EXPECT_GT(not_applicable, 100);
}

TEST(ClusterBaselines, NeverBelowTheOptimum) {
  int compared = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    const testing::ClusterInstance x = testing::random_cluster_instance(seed);
    const int k = x.cluster.num_devices();
    const testing::ClusterOptimum best = testing::cluster_brute_force(x.graph, x.cluster, k);
    std::optional<Solution> solved;
    SolveOptions prove;
    prove.target_ratio = 1;  // a homogeneous cluster is today's solve, which stops at 0.99
    try {
      solved = solve_on_cluster(x.graph, x.cluster, k, prove);
    } catch (const Error&) {}
    for (const std::string& name : cluster_baseline_names()) {
      Solution s;
      try {
        s = cluster_baseline(x.graph, x.cluster, k, name);
      } catch (const NoFeasiblePartitionError&) {
        continue;
      }
      // solve tries the engines' splits too: it never returns worse than one that fits.
      ASSERT_TRUE(solved) << name << " seed " << seed;
      EXPECT_LE(solved->bottleneck(), s.bottleneck() * (1 + 1e-12)) << name << " seed " << seed;
      ASSERT_TRUE(best.feasible) << seed;
      const auto oracle = testing::cluster_oracle_bottleneck(x.graph, x.cluster, s.partition);
      ASSERT_TRUE(oracle) << name << " seed " << seed;
      EXPECT_TRUE(testing::same_cost(s.bottleneck(), *oracle)) << name << " seed " << seed;
      EXPECT_TRUE(testing::at_most_cost(best.bottleneck, s.bottleneck())) << name << " " << seed;
      EXPECT_TRUE(testing::at_most_cost(s.lower_bound, best.bottleneck)) << name << " " << seed;
      ++compared;
    }
  }
  EXPECT_GT(compared, 300);
}

// The command line: evaluate, solve, bound and partition with --cluster, and every bad input
// that reaches a command as one line, exit 2.
TEST(ClusterCli, SolveWritesDevicesAndEvaluateChecksThem) {
  const std::string dir = testing::make_temp_dir("cluster-cli");
  const std::string cluster = dir + "/c.json", graph = dir + "/g.json", out = dir + "/p.json";
  write_file_atomic(cluster, R"({"format": "pipecut.cluster", "version": 1, "name": "two",
    "device_classes": {"fast": {"memory": "1GiB"}, "slow": {"memory": "1GiB", "speed": 0.5}},
    "hosts": [{"name": "h0", "devices": [{"class": "slow"}, {"class": "fast"}], "bandwidth": 8}]})",
                    false);
  write_file_atomic(graph, R"({"format": "pipecut.graph", "version": 1, "name": "chain",
    "nodes": [{"id": "a", "work": 4, "comm": 1}, {"id": "b", "work": {"fast": 2, "slow": 2}, "comm": 1},
              {"id": "c", "work": 4, "comm": 1}],
    "edges": [["a", "b"], ["b", "c"]]})",
                    false);
  const testing::CliRun solved =
      testing::run_cli("solve '" + graph + "' --cluster '" + cluster + "' -o '" + out + "'");
  ASSERT_EQ(solved.exit_code, 0) << solved.err;
  EXPECT_NE(solved.out.find("cluster two: 2 devices of 2 classes on 1 host"), std::string::npos)
      << solved.out;
  EXPECT_NE(solved.out.find("CUDA_VISIBLE_DEVICES="), std::string::npos) << solved.out;
  const auto doc = nlohmann::json::parse(read_file_maybe_gzip(out));
  EXPECT_EQ(doc["cluster"]["name"], "two");
  EXPECT_EQ(doc["devices"].size(), 2u);
  double latency = 0;
  for (const auto& stage : doc["stages"]) latency += stage["cost"].get<double>();
  EXPECT_DOUBLE_EQ(doc["latency"].get<double>(), latency);
  EXPECT_NE(solved.out.find("latency "), std::string::npos) << solved.out;
  const testing::CliRun evaluated =
      testing::run_cli("evaluate '" + graph + "' '" + out + "' --cluster '" + cluster + "' --json");
  ASSERT_EQ(evaluated.exit_code, 0) << evaluated.err;
  const auto e = nlohmann::json::parse(evaluated.out);
  EXPECT_EQ(e["bottleneck"], doc["bottleneck"]);
  EXPECT_EQ(e["cluster"]["digest"], doc["cluster"]["digest"]);

  // A partition with two stages on one device is invalid (exit 1).
  auto bad = doc;
  bad["devices"] = {"h0:1", "h0:1"};
  bad["assignment"] = {{"a", 0}, {"b", 1}, {"c", 1}};
  const std::string bad_path = dir + "/bad.json";
  write_file_atomic(bad_path, bad.dump(), false);
  const testing::CliRun invalid =
      testing::run_cli("evaluate '" + graph + "' '" + bad_path + "' --cluster '" + cluster + "'");
  EXPECT_EQ(invalid.exit_code, 1) << invalid.err;
  EXPECT_NE(invalid.err.find("both on device h0:1"), std::string::npos) << invalid.err;

  auto one_line_exit_2 = [](const testing::CliRun& run, const std::string& fragment) {
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_EQ(run.err.rfind("pipecut: error: ", 0), 0u) << run.err;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
    EXPECT_NE(run.err.find(fragment), std::string::npos) << run.err;
  };
  // Fewer devices than stages asked for.
  one_line_exit_2(testing::run_cli("solve '" + graph + "' --cluster '" + cluster + "' -k 3"),
                  "k = 3 stages, but cluster two has only 2 devices");
  // --cluster with --memory-per-stage.
  one_line_exit_2(
      testing::run_cli("solve '" + graph + "' --cluster '" + cluster + "' --memory-per-stage 1GiB"),
      "--cluster and --memory-per-stage");
  // Per-class work without a cluster.
  one_line_exit_2(testing::run_cli("solve '" + graph + "' -k 2"),
                  graph + ": nodes give their work per device class");
  // bound: the cluster bounds (exact on this chain), the others not applicable.
  const testing::CliRun bounds =
      testing::run_cli("bound '" + graph + "' --cluster '" + cluster + "' --json");
  ASSERT_EQ(bounds.exit_code, 0) << bounds.err;
  const auto b = nlohmann::json::parse(bounds.out);
  std::map<std::string, std::string> status;
  for (const auto& r : b["bounds"]) status[r["method"]] = r["status"];
  EXPECT_EQ(status["cluster-chain"], "proven");
  EXPECT_EQ(status["exact"], "not_applicable");
  EXPECT_EQ(status["downset"], "not_applicable");
  // The engines' splits as partition algorithms, on the devices in listing order.
  const std::string split_out = dir + "/split.json";
  const testing::CliRun split = testing::run_cli("partition '" + graph + "' --cluster '" + cluster +
                                                 "' --algorithm uniform -o '" + split_out + "'");
  ASSERT_EQ(split.exit_code, 0) << split.err;
  const auto split_doc = nlohmann::json::parse(read_file_maybe_gzip(split_out));
  EXPECT_EQ(split_doc["devices"], nlohmann::json({"h0:0", "h0:1"}));
  EXPECT_EQ(split_doc["algorithm"], "uniform");
  // A cluster on which no partition fits: exit 4 with the reason, and the infeasible document.
  const std::string small = dir + "/small.json";
  write_file_atomic(small, R"({"format": "pipecut.cluster", "version": 1, "name": "small",
    "device_classes": {"fast": {"memory": 8}, "slow": {"memory": 8}},
    "hosts": [{"name": "h0", "devices": [{"class": "slow"}, {"class": "fast"}], "bandwidth": 8}]})",
                    false);
  const std::string heavy = dir + "/heavy.json", heavy_out = dir + "/heavy-p.json";
  write_file_atomic(heavy, R"({"format": "pipecut.graph", "version": 1, "name": "heavy",
    "nodes": [{"id": "a", "work": 4, "comm": 1, "memory": 6}, {"id": "b", "work": {"fast": 2, "slow": 2}, "comm": 1, "memory": 6},
              {"id": "c", "work": 4, "comm": 1, "memory": 6}],
    "edges": [["a", "b"], ["b", "c"]]})",
                    false);
  const testing::CliRun infeasible =
      testing::run_cli("solve '" + heavy + "' --cluster '" + small + "' -o '" + heavy_out + "'");
  EXPECT_EQ(infeasible.exit_code, 4) << infeasible.err;
  EXPECT_NE(infeasible.err.find("exceeds the 16 bytes of the 2 largest devices of cluster small"),
            std::string::npos)
      << infeasible.err;
  EXPECT_EQ(nlohmann::json::parse(read_file_maybe_gzip(heavy_out))["feasible"], false);
  // A bad cluster file: one line naming the file and the field.
  const std::string broken = dir + "/broken.json";
  write_file_atomic(broken, R"({"format": "pipecut.cluster", "version": 1,
    "device_classes": {"fast": {"memory": "1GiB"}},
    "hosts": [{"name": "h0", "devices": [{"class": "fast", "count": 2}], "bandwidth": "8 GB/sec"}]})",
                    false);
  one_line_exit_2(testing::run_cli("solve '" + graph + "' --cluster '" + broken + "'"),
                  broken + ": host 'h0'.bandwidth: unknown unit 'GB/sec'");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pipecut
