// --cluster on report, convert and experiment (docs/clusters.md, "Commands"); split and
// solve --export-onnx on a cluster are in onnx_split_test.cpp (they need the generated models).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "pipecut/experiment/runner.hpp"
#include "pipecut/io/cluster_json.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/cluster_cost.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/solve/cluster_solve.hpp"
#include "support/io_test_util.hpp"
#include "support/oracle.hpp"
#include "support/report_test_util.hpp"
#include "support/run_cli.hpp"

namespace pipecut {
namespace {

using nlohmann::json;

// Two classes on two hosts joined by a slow network: where a stage sits changes its cost.
constexpr const char* kCluster = R"({"format": "pipecut.cluster", "version": 1, "name": "mixed",
  "device_classes": {"fast": {"memory": 100}, "slow": {"memory": 60, "speed": 0.5}},
  "hosts": [{"name": "h0", "devices": [{"class": "fast"}, {"class": "slow"}], "bandwidth": 8},
            {"name": "h1", "devices": [{"class": "slow"}], "bandwidth": 8}],
  "network_bandwidth": 0.5})";

// A diamond with a skip: a tensor read by two later stages has two links.
constexpr const char* kGraph = R"({"format": "pipecut.graph", "version": 1, "name": "diamond",
  "nodes": [{"id": "a", "work": 4, "comm": 1, "bytes": 4e6, "memory": 20},
            {"id": "b", "work": 6, "comm": 1, "bytes": 2e6, "memory": 20},
            {"id": "c", "work": {"fast": 3, "slow": 9}, "comm": 1, "bytes": 1e6, "memory": 20},
            {"id": "d", "work": 5, "comm": 1, "memory": 20}],
  "edges": [["a", "b"], ["a", "c"], ["b", "c"], ["b", "d"], ["c", "d"]]})";

void expect_one_line_error(const testing::CliRun& run, int code, const std::string& fragment) {
  EXPECT_EQ(run.exit_code, code) << run.err;
  EXPECT_EQ(run.err.rfind("pipecut: error: ", 0), 0u) << run.err;
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  EXPECT_NE(run.err.find(fragment), std::string::npos) << run.err;
}

// report --cluster (and solve --cluster --report): each stage's device and class, each boundary
// tensor's links (sender device -> receiver device) with their bandwidth and time, the costs of
// the cluster, and the certificate as without a cluster.
TEST(ClusterReport, ShowsDevicesClassesAndLinks) {
  const testing::TempDir tmp;
  const std::string cluster = tmp.write("c.json", kCluster);
  const std::string graph = tmp.write("g.json", kGraph);
  const std::string p = tmp.path("p.json");
  // A partition on chosen devices: a on h0:0 (fast), b on h1:0 (slow, over the network), c and
  // d on h0:1 (slow).
  const std::string manual = tmp.write("m.json", R"({"format": "pipecut.partition", "version": 1,
    "k": 3, "assignment": {"a": 0, "b": 1, "c": 2, "d": 2}, "devices": ["h0:0", "h1:0", "h0:1"]})");
  auto r = testing::run_cli("report '" + graph + "' '" + manual + "' --cluster '" + cluster +
                            "' -o '" + tmp.path("m.html") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string page = testing::read_text(tmp.path("m.html"));
  const json data = testing::report_data_of(page);
  const Cluster c = parse_cluster(kCluster, "c.json");
  EXPECT_EQ(data["cluster"]["name"], "mixed");
  EXPECT_EQ(data["cluster"]["digest"], c.digest);
  ASSERT_EQ(data["stages"].size(), 3u);
  EXPECT_EQ(data["stages"][0]["device"], "h0:0");
  EXPECT_EQ(data["stages"][0]["class"], "fast");
  EXPECT_EQ(data["stages"][1]["device"], "h1:0");
  EXPECT_EQ(data["stages"][1]["host"], "h1");
  EXPECT_EQ(data["stages"][2]["class"], "slow");
  EXPECT_EQ(data["stages"][2]["capacity"], 60);
  // Costs are the cluster's: c on a slow device takes its map's 9, d its 5 / 0.5.
  EXPECT_DOUBLE_EQ(data["stages"][2]["work"].get<double>(), 9 + 10);
  // a's tensor goes to stage 1 over the network (4e6 B at 0.5 GB/s = 8 ms) and to stage 2 on
  // its own host (4e6 B at 8 GB/s = 0.5 ms); its send lasts as long as the slowest.
  std::map<std::string, json> cut;
  for (const json& t : data["boundary_tensors"]) cut[t["producer"]] = t;
  ASSERT_EQ(cut["a"]["links"].size(), 2u);
  EXPECT_EQ(cut["a"]["links"][0]["from_device"], "h0:0");
  EXPECT_EQ(cut["a"]["links"][0]["to_device"], "h1:0");
  EXPECT_DOUBLE_EQ(cut["a"]["links"][0]["bandwidth_gbps"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(cut["a"]["links"][0]["time"].get<double>(), 8);
  EXPECT_EQ(cut["a"]["links"][1]["to_device"], "h0:1");
  EXPECT_DOUBLE_EQ(cut["a"]["links"][1]["bandwidth_gbps"].get<double>(), 8);
  EXPECT_DOUBLE_EQ(cut["a"]["links"][1]["time"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(cut["a"]["comm"].get<double>(), 8);
  // The same figures as evaluate --cluster gives.
  r = testing::run_cli("evaluate '" + graph + "' '" + manual + "' --cluster '" + cluster +
                       "' --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json e = json::parse(r.out);
  EXPECT_EQ(data["partition"]["bottleneck"], e["bottleneck"]);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(data["stages"][i]["cost"], e["stages"][i]["cost"]);
  // And the page shows them: the device and class columns, the link rows.
  EXPECT_NE(page.find("<th class=\"l\">device</th><th class=\"l\">class</th>"), std::string::npos);
  EXPECT_NE(page.find("h0:0 → h1:0 (stage 1), 0.5 GB/s, 8.0000 ms"), std::string::npos);
  EXPECT_NE(page.find("h0:0 → h0:1 (stage 2), 8 GB/s, 0.5000 ms"), std::string::npos);

  // solve --cluster --report: the solved partition's devices and its certificate.
  r = testing::run_cli("solve '" + graph + "' --cluster '" + cluster + "' --quiet -o '" + p +
                       "' --report '" + tmp.path("s.html") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json solved = json::parse(testing::read_text(p));
  const json solved_data = testing::report_data_of(testing::read_text(tmp.path("s.html")));
  std::vector<json> devices;
  for (const json& d : solved["devices"])
    if (!d.is_null()) devices.push_back(d);
  ASSERT_EQ(solved_data["stages"].size(), devices.size());
  for (std::size_t i = 0; i < devices.size(); ++i)
    EXPECT_EQ(solved_data["stages"][i]["device"], devices[i]);
  EXPECT_EQ(solved_data["partition"]["lower_bound"], solved["lower_bound"]);
  EXPECT_EQ(solved_data["partition"]["proven_optimal"], solved["optimal"]);
  // report --cluster of that file draws the same partition with the same certificate.
  r = testing::run_cli("report '" + graph + "' '" + p + "' --cluster '" + cluster + "' -o '" +
                       tmp.path("r.html") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
  const json again = testing::report_data_of(testing::read_text(tmp.path("r.html")));
  EXPECT_EQ(again["stages"], solved_data["stages"]);
  EXPECT_EQ(again["boundary_tensors"], solved_data["boundary_tensors"]);
  EXPECT_EQ(again["partition"]["lower_bound"], solved["lower_bound"]);

  // Without the cluster a partition on one cannot be costed: one line, exit 2, no page.
  expect_one_line_error(
      testing::run_cli("report '" + graph + "' '" + p + "' -o '" + tmp.path("x.html") + "'"), 2,
      "--cluster");
  EXPECT_FALSE(std::filesystem::exists(tmp.path("x.html")));
  // On another cluster (the same devices, another network) the file's bound proves nothing:
  // the page is drawn without it, and a warning says why.
  std::string other_text = kCluster;
  other_text.replace(other_text.find("\"network_bandwidth\": 0.5"), 24, "\"network_bandwidth\": 5");
  const std::string other = tmp.write("other.json", other_text);
  r = testing::run_cli("report '" + graph + "' '" + p + "' --cluster '" + other + "' -o '" +
                       tmp.path("o.html") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("its lower bound is not shown"), std::string::npos) << r.err;
  EXPECT_TRUE(
      testing::report_data_of(testing::read_text(tmp.path("o.html")))["partition"]["lower_bound"]
          .is_null());
  // A stage above its device's memory: drawn, named as the violation, no claim.
  // (80 bytes on a 60-byte device.)
  const std::string heavy = tmp.write("heavy.json", R"({"format": "pipecut.partition",
    "version": 1, "k": 1, "assignment": {"a": 0, "b": 0, "c": 0, "d": 0}, "devices": ["h1:0"],
    "lower_bound": 1, "lower_bound_method": "cluster-work"})");
  r = testing::run_cli("report '" + graph + "' '" + heavy + "' --cluster '" + other + "' -o '" +
                       tmp.path("h.html") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json violated = testing::report_data_of(testing::read_text(tmp.path("h.html")));
  EXPECT_EQ(violated["partition"]["valid"], false);
  EXPECT_NE(violated["partition"]["violation"].get<std::string>().find("h1:0"), std::string::npos)
      << violated["partition"]["violation"];
}

// convert --cluster: the graph with every node's work per class of the cluster, so the file is
// solved with --cluster alone and costs exactly what the source costs on the cluster.
TEST(ClusterConvert, WritesWorkPerClassThatCostsTheSame) {
  const testing::TempDir tmp;
  // The classes of kCluster with room for a whole model.
  std::string big_text = kCluster;
  big_text.replace(big_text.find("\"memory\": 100"), 13, "\"memory\": \"1GiB\"");
  big_text.replace(big_text.find("\"memory\": 60"), 12, "\"memory\": \"1GiB\"");
  const std::string cluster = tmp.write("c.json", big_text);
  const std::string model = testing::data_path("corpus/torchvision/squeezenet1_1.onnx");
  const std::string out = tmp.path("g.json");
  auto r = testing::run_cli("convert '" + model + "' '" + out + "' --cluster '" + cluster + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json doc = json::parse(testing::read_text(out));
  const Cluster c = parse_cluster(big_text, "c.json");
  ReadOptions options;
  options.cluster = cluster;
  const Graph source = read_graph(model, options);
  const ClusterCosts costs(source, c, model);
  ASSERT_EQ(doc["nodes"].size(), static_cast<std::size_t>(source.num_nodes()));
  for (NodeId v = 0; v < source.num_nodes(); ++v) {
    const json& n = doc["nodes"][v];
    ASSERT_TRUE(n["work"].is_object()) << n;
    EXPECT_EQ(n["work"]["fast"].get<double>(), costs.work(v, 0));
    EXPECT_EQ(n["work"]["slow"].get<double>(), costs.work(v, 1));
    EXPECT_EQ(n["work"]["slow"].get<double>(), source.work[v] / 0.5);  // the class's speed
  }
  // Solved with the cluster alone; evaluated, a partition costs the same on both.
  const std::string p = tmp.path("p.json");
  r = testing::run_cli("solve '" + out + "' --cluster '" + cluster +
                       "' --time-limit 5 --quiet -o '" + p + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = testing::run_cli("evaluate '" + model + "' '" + p + "' --cluster '" + cluster + "' --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["bottleneck"], json::parse(testing::read_text(p))["bottleneck"]);
  // The file needs its cluster: without one, one line, exit 2.
  expect_one_line_error(testing::run_cli("solve '" + out + "' -k 2"), 2,
                        "nodes give their work per device class");

  // A graph whose nodes give bytes and work maps keeps them: its maps' times as they are, its
  // numbers over each class's speed.
  const std::string graph = tmp.write("g0.json", kGraph);
  r = testing::run_cli("convert '" + graph + "' '" + tmp.path("d.json") + "' --cluster '" +
                       cluster + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json diamond = json::parse(testing::read_text(tmp.path("d.json")));
  EXPECT_EQ(diamond["nodes"][0]["bytes"], 4e6);
  EXPECT_EQ(diamond["nodes"][0]["work"], json({{"fast", 4.0}, {"slow", 8.0}}));
  EXPECT_EQ(diamond["nodes"][2]["work"], json({{"fast", 3.0}, {"slow", 9.0}}));
  EXPECT_FALSE(diamond["nodes"][3].contains("bytes"));
}

// experiment --cluster: solve is solve_on_cluster, the partition algorithms
// partition_on_cluster; rows carry the cluster and the devices.
TEST(ClusterExperiment, RunsOnTheClusterAndRecordsDevices) {
  const testing::TempDir tmp;
  const std::string cluster = tmp.write("c.json", kCluster);
  const std::string graph = tmp.write("g.json", kGraph);
  const Cluster c = parse_cluster(kCluster, "c.json");
  ReadOptions options;
  options.cluster = cluster;
  const Graph g = read_graph(graph, options);
  const ClusterCosts costs(g, c, graph);

  ExperimentConfig config;
  config.graphs = {graph};
  config.ks = {3};
  config.algorithms = {"solve", "uniform", "topo"};
  config.bounds = {"simple"};
  config.time_limit_seconds = 5;
  config.solve_time_limit_seconds = 5;
  config.threads = 1;
  config.read.cluster = cluster;
  config.results_path = tmp.path("results.jsonl");
  EXPECT_EQ(run_experiment(config), 5);
  std::map<std::string, json> rows;  // by "kind method"
  std::ifstream in(config.results_path);
  for (std::string line; std::getline(in, line);) {
    const json row = json::parse(line);
    rows[row["kind"].get<std::string>() + " " + row["method"].get<std::string>()] = row;
    EXPECT_EQ(row["cluster"]["name"], "mixed");
    EXPECT_EQ(row["cluster"]["digest"], c.digest);
  }
  const Solution solved = solve_on_cluster(g, c, 3, [] {
    SolveOptions o;  // as the runner sets them
    o.partition.seed = 1;
    o.partition.threads = 1;
    o.time_limit_seconds = 5;
    o.target_ratio = 1;
    return o;
  }());
  const json& solve_row = rows["partition solve"];
  EXPECT_EQ(solve_row["value"].get<double>(), solved.bottleneck());
  EXPECT_EQ(rows["bound solve"]["value"].get<double>(), solved.lower_bound);
  // The devices of the row are a partition with that bottleneck on the cluster.
  ASSERT_GE(solve_row["devices"].size(), 1u);
  const Solution uniform = cluster_baseline(g, c, 3, "uniform");
  const json& uniform_row = rows["partition uniform"];
  EXPECT_EQ(uniform_row["value"].get<double>(), uniform.bottleneck());
  EXPECT_EQ(uniform_row["devices"], json({"h0:0", "h0:1", "h1:0"}));
  EXPECT_EQ(evaluate_on_cluster(costs, uniform.partition).bottleneck, uniform.bottleneck());
  // The homogeneous bound methods do not apply on a heterogeneous cluster.
  EXPECT_EQ(rows["bound simple"]["status"], "not_applicable");
  // Resumed: nothing to do; on another cluster the same sweep is new rows.
  EXPECT_EQ(run_experiment(config), 0);
  std::string other_text = kCluster;
  other_text.replace(other_text.find("\"network_bandwidth\": 0.5"), 24, "\"network_bandwidth\": 5");
  config.read.cluster = tmp.write("other.json", other_text);
  EXPECT_EQ(run_experiment(config), 5);

  // More stages than devices, and a capacity factor, are refused before any work.
  config.ks = {4};
  EXPECT_THROW(run_experiment(config), InputError);
  config.ks = {2};
  config.capacity_factor = 1.5;
  EXPECT_THROW(run_experiment(config), InputError);
  // The CLI: k defaults to the device count.
  const std::string cli_results = tmp.path("cli.jsonl");
  auto r = testing::run_cli("experiment '" + graph + "' --cluster '" + cluster +
                            "' --algorithms uniform --bounds simple --quiet --results '" +
                            cli_results + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream cli(cli_results);
  std::string first;
  ASSERT_TRUE(std::getline(cli, first));
  EXPECT_EQ(json::parse(first)["k"], 3);
}

}  // namespace
}  // namespace pipecut
