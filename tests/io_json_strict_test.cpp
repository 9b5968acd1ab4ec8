// Every JSON reader refuses data after the JSON value, a zero byte included: nlohmann's lexer
// ends its input at a zero byte, so "{...}\0anything" used to read as "{...}".
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "pipecut/io/foreign_formats.hpp"
#include "pipecut/io/graph_json.hpp"
#include "pipecut/io/partition_json.hpp"
#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/onnx/device_model.hpp"
#include "pipecut/onnx/ort_profile.hpp"
#include "support/io_test_util.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

const std::string kGraph =
    R"({"format":"pipecut.graph","version":1,"nodes":[{"id":"a","work":1,"comm":1},{"id":"b","work":1,"comm":0}],"edges":[["a","b"]]})";
const std::string kTarnawski =
    R"({"maxFPGAs":2,"nodes":[{"id":1,"fpgaLatency":1},{"id":2,"fpgaLatency":1}],"edges":[{"sourceId":1,"destId":2,"cost":1}]})";
const std::string kPartition =
    R"({"format":"pipecut.partition","version":1,"k":2,"assignment":{"a":0,"b":1}})";
const std::string kDevice =
    R"({"peak_tflops":{"fp32":1},"memory_bandwidth_gbps":1,"link_bandwidth_gbps":1,"link_latency_us":0,"launch_overhead_us":0})";
const std::string kOrtProfile =
    R"([{"cat":"Session","name":"model_run","ts":0,"dur":10},{"cat":"Session","name":"model_run","ts":20,"dur":10},)"
    R"({"cat":"Node","name":"a_kernel_time","ts":21,"dur":2,"args":{"op_name":"Relu"}}])";

struct Reader {
  std::string name;
  std::string valid;
  std::function<void(const std::string& text, const std::string& source)> read;
};

std::vector<Reader> readers() {
  const Graph g = parse_pipecut_graph(kGraph, "g.json");
  return {
      {"pipecut.graph", kGraph,
       [](const std::string& t, const std::string& s) { (void)parse_graph(t, s); }},
      {"tarnawski", kTarnawski,
       [](const std::string& t, const std::string& s) { (void)parse_graph(t, s); }},
      {"partition", kPartition,
       [g](const std::string& t, const std::string& s) {
         (void)parse_partition_assignment(g, t, s);
       }},
      {"device profile", kDevice,
       [](const std::string& t, const std::string& s) { (void)parse_device_profile(t, s); }},
      {"ORT profile", kOrtProfile,
       [](const std::string& t, const std::string& s) { (void)parse_ort_profile(t, s, 1); }},
  };
}

TEST(JsonStrict, EveryReaderRefusesDataAfterTheJsonValue) {
  for (const Reader& r : readers()) {
    ASSERT_NO_THROW(r.read(r.valid, "in.json")) << r.name;
    ASSERT_NO_THROW(r.read(r.valid + " \n\t", "in.json")) << r.name;  // trailing space is fine
    for (const std::string& tail :
         {std::string("\0", 1), std::string("\0garbage", 8), std::string(" \0{}", 4),
          std::string(" x"), std::string("{}"), std::string(","), std::string("]")}) {
      try {
        r.read(r.valid + tail, "in.json");
        ADD_FAILURE() << r.name << ": accepted trailing data of " << tail.size() << " bytes";
      } catch (const InputError& e) {
        const std::string message = e.what();
        EXPECT_EQ(message.rfind("in.json: ", 0), 0u) << r.name << ": " << message;
        EXPECT_NE(message.find("malformed JSON"), std::string::npos) << r.name << ": " << message;
      }
    }
  }
}

TEST(JsonStrict, TheCliRefusesAGraphAndADeviceFileWithDataAfterAZeroByte) {
  testing::TempDir tmp;
  const std::string graph = tmp.write("g.json", kGraph + std::string("\0{\"more\":1}", 12));
  const auto r = testing::run_cli("evaluate " + graph + " " + tmp.write("p.json", kPartition));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(graph + ": malformed JSON (a zero byte at byte"), std::string::npos)
      << r.err;
  const std::string device = tmp.write("d.json", kDevice + std::string("\0x", 2));
  const auto d =
      testing::run_cli("bound " + testing::data_path("samples/onnx/tiny_conv_matmul_split.onnx") +
                       " -k 2 --method simple --device " + device);
  EXPECT_EQ(d.exit_code, 2) << d.err;
  EXPECT_NE(d.err.find(device + ": malformed JSON"), std::string::npos) << d.err;
  EXPECT_EQ(std::count(d.err.begin(), d.err.end(), '\n'), 1) << d.err;
}

}  // namespace
}  // namespace pipecut
