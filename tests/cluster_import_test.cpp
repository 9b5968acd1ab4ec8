// ONNX models read with a cluster (docs/clusters.md, "ONNX and torch inputs"): each node's output
// size becomes its bytes; a class with a device_model gets that profile's roofline, the others
// the imported work over their speed; without a cluster nothing changes.
#include <gtest/gtest.h>

#include <filesystem>

#include "pipecut/io/cluster_json.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/cluster_cost.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/onnx/onnx_import.hpp"
#include "support/oracle.hpp"
#include "support/run_cli.hpp"

namespace pipecut {
namespace {

const std::string kModel = "samples/onnx/tiny_conv_matmul_split.onnx";

ReadOptions on_device(const std::string& device) {
  ReadOptions options;
  options.device = device;
  return options;
}

std::string write_cluster(const std::string& dir, const std::string& fast_model) {
  const std::string path = dir + "/c.json";
  write_file_atomic(path,
                    R"({"format": "pipecut.cluster", "version": 1, "name": "mixed",
    "device_classes": {"fast": {"memory": "80GiB", "device_model": ")" +
                        fast_model +
                        R"("}, "slow": {"memory": "16GiB", "speed": 0.5}},
    "hosts": [{"name": "h0", "devices": [{"class": "fast"}, {"class": "slow"}], "bandwidth": "16GB/s"}]})",
                    false);
  return path;
}

TEST(ClusterImport, BytesAndWorkPerClassFromTheProfiles) {
  const std::string dir = testing::make_temp_dir("cluster-import");
  const std::string model = testing::data_path(kModel);
  const ReadOptions plain = on_device("t4");
  OnnxImportOptions t4;
  t4.device = "t4";
  const OnnxImport on_t4 = import_onnx_model(model, t4);
  const Graph fast = read_graph(model, on_device("a100-sxm"));
  ReadOptions options = plain;
  options.cluster = write_cluster(dir, "a100-sxm");
  const Graph g = read_graph(model, options);
  ASSERT_EQ(g.num_nodes(), on_t4.graph.num_nodes());
  ASSERT_EQ(g.work_classes, (std::vector<std::string>{"fast", "slow"}));
  ASSERT_EQ(g.bytes.size(), static_cast<std::size_t>(g.num_nodes()));
  int with_work = 0;
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    EXPECT_EQ(g.bytes[v], on_t4.costs[v].output_bytes) << g.ids[v];
    EXPECT_EQ(g.class_work[v * 2 + 0], fast.work[v]) << g.ids[v];  // the class's own profile
    EXPECT_EQ(g.class_work[v * 2 + 1], on_t4.graph.work[v] / 0.5) << g.ids[v];  // --device / speed
    EXPECT_EQ(g.comm[v], on_t4.graph.comm[v]);
    if (fast.work[v] > 0) ++with_work;
  }
  EXPECT_GT(with_work, 1);
  // A tensor's time on the cluster is its bytes over the link.
  const Cluster c = read_cluster(options.cluster);
  const ClusterCosts costs(g, c, model);
  for (NodeId v = 0; v < g.num_nodes(); ++v)
    EXPECT_DOUBLE_EQ(costs.transfer(v, 0, 1), g.bytes[v] / (16 * 1e6));
  // Without a cluster: no bytes, no maps, today's graph.
  const Graph today = read_graph(model, plain);
  EXPECT_TRUE(today.bytes.empty());
  EXPECT_TRUE(today.work_classes.empty());
  EXPECT_EQ(today.work, on_t4.graph.work);
  std::filesystem::remove_all(dir);
}

TEST(ClusterImport, AProfileFileBesideTheClusterAndAnUnknownOne) {
  const std::string dir = testing::make_temp_dir("cluster-import-file");
  const std::string model = testing::data_path(kModel);
  write_file_atomic(
      dir + "/mine.json",
      read_file_maybe_gzip(testing::data_path("../docs/results/cpu-this-machine.json")), false);
  ReadOptions options;
  options.cluster = write_cluster(dir, "mine.json");
  const Graph g = read_graph(model, options);
  const Graph mine = read_graph(model, on_device(dir + "/mine.json"));
  for (NodeId v = 0; v < g.num_nodes(); ++v) EXPECT_EQ(g.class_work[v * 2 + 0], mine.work[v]);
  options.cluster = write_cluster(dir, "h200-nvl");
  try {
    (void)read_graph(model, options);
    FAIL() << "an unknown device_model was accepted";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(options.cluster + ": device class 'fast'.device_model: 'h200-nvl'", 0),
              0u)
        << message;
    EXPECT_EQ(message.find('\n'), std::string::npos);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pipecut
