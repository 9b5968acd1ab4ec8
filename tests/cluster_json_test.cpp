// The pipecut.cluster reader: units, device names, links, digest, and every bad input of
// docs/formats.md ("pipecut.cluster") as one line naming the file and the field.
#include <gtest/gtest.h>

#include <cmath>

#include "pipecut/io/cluster_json.hpp"
#include "pipecut/model/error.hpp"

namespace pipecut {
namespace {

const char* kExample = R"({"format": "pipecut.cluster", "version": 1, "name": "2xGH200+4xV100",
 "device_classes": {"GH-96": {"memory": "96GiB"}, "V100-16": {"memory": "16GiB", "speed": 0.1}},
 "hosts": [{"name": "h0", "devices": [{"class": "GH-96", "count": 2}], "bandwidth": "125GB/s"},
           {"name": "h1", "devices": [{"class": "V100-16", "count": 4}], "bandwidth": "68GB/s"},
           {"name": "h2", "devices": [{"class": "V100-16"}]}],
 "network_bandwidth": "2.4GB/s",
 "links": [{"hosts": ["h0", "h1"], "bandwidth": "100Gb/s"}]})";

TEST(ClusterJson, ReadsTheExample) {
  const Cluster c = parse_cluster(kExample, "c.json");
  EXPECT_EQ(c.name, "2xGH200+4xV100");
  ASSERT_EQ(c.classes.size(), 2u);
  EXPECT_EQ(c.classes[0].name, "GH-96");
  EXPECT_EQ(c.classes[0].memory, 96.0 * 1073741824.0);
  EXPECT_EQ(c.classes[0].speed, 1.0);
  EXPECT_EQ(c.classes[1].speed, 0.1);
  ASSERT_EQ(c.num_devices(), 7);
  EXPECT_EQ(c.devices[0].name, "h0:0");
  EXPECT_EQ(c.devices[1].name, "h0:1");
  EXPECT_EQ(c.devices[2].name, "h1:0");
  EXPECT_EQ(c.devices[5].name, "h1:3");
  EXPECT_EQ(c.devices[6].name, "h2:0");
  EXPECT_EQ(c.devices[5].device_class, 1);
  EXPECT_EQ(c.bandwidth(0, 1), 125.0);
  EXPECT_EQ(c.bandwidth(2, 3), 68.0);
  EXPECT_EQ(c.bandwidth(0, 2), 12.5);  // the h0-h1 link: 100 Gb/s
  EXPECT_EQ(c.bandwidth(3, 0), 12.5);  // symmetric
  EXPECT_EQ(c.bandwidth(0, 6), 2.4);   // no link: the network
  EXPECT_FALSE(c.homogeneous());
  const std::vector<DeviceType> types = c.types();
  ASSERT_EQ(types.size(), 3u);
  EXPECT_EQ(types[1].devices, (std::vector<int>{2, 3, 4, 5}));
  EXPECT_EQ(c.digest.size(), 64u);
}

TEST(ClusterJson, Units) {
  EXPECT_EQ(parse_bandwidth_gbps("25", "x"), 25.0);
  EXPECT_EQ(parse_bandwidth_gbps("25GB/s", "x"), 25.0);
  EXPECT_EQ(parse_bandwidth_gbps("200 Gb/s", "x"), 25.0);
  EXPECT_EQ(parse_bandwidth_gbps("500MB/s", "x"), 0.5);
  EXPECT_EQ(parse_bandwidth_gbps("2TB/s", "x"), 2000.0);
  EXPECT_DOUBLE_EQ(parse_bandwidth_gbps("1GiB/s", "x"), 1.073741824);
  EXPECT_DOUBLE_EQ(parse_bandwidth_gbps("800Mb/s", "x"), 0.1);
  // Memory units are those of --memory-per-stage.
  const Cluster c = parse_cluster(R"({"format":"pipecut.cluster","version":1,
    "device_classes":{"a":{"memory":"80GB"},"b":{"memory":1024}},
    "hosts":[{"name":"h","bandwidth":10,"devices":[{"class":"a"},{"class":"b","count":2}]}]})",
                                  "dir/small.json");
  EXPECT_EQ(c.name, "small");  // the file stem when the file has no name
  EXPECT_EQ(c.classes[0].memory, 80e9);
  EXPECT_EQ(c.classes[1].memory, 1024.0);
  EXPECT_EQ(c.devices[2].name, "h:2");
  EXPECT_EQ(c.bandwidth(0, 2), 10.0);
}

TEST(ClusterJson, OneClassOneBandwidthIsHomogeneous) {
  const Cluster one = parse_cluster(R"({"format":"pipecut.cluster","version":1,
    "device_classes":{"a":{"memory":"16GiB"}},
    "hosts":[{"name":"h0","bandwidth":"16GB/s","devices":[{"class":"a","count":2}]},
             {"name":"h1","devices":[{"class":"a"}]}], "network_bandwidth":16})",
                                    "c.json");
  EXPECT_TRUE(one.homogeneous());
  const Cluster two = parse_cluster(R"({"format":"pipecut.cluster","version":1,
    "device_classes":{"a":{"memory":"16GiB"}},
    "hosts":[{"name":"h0","bandwidth":"16GB/s","devices":[{"class":"a","count":2}]},
             {"name":"h1","devices":[{"class":"a"}]}], "network_bandwidth":8})",
                                    "c.json");
  EXPECT_FALSE(two.homogeneous());
}

TEST(ClusterJson, DigestIsOfTheContentNotTheSpelling) {
  const Cluster a = parse_cluster(kExample, "a.json");
  // Same cluster written differently: canonical form, other units, other key order.
  const Cluster b = parse_cluster(cluster_to_json(a, -1), "b.json");
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_EQ(cluster_to_json(a), cluster_to_json(b));
  std::string changed = kExample;
  changed.replace(changed.find("68GB/s"), 6, "69GB/s");
  EXPECT_NE(parse_cluster(changed, "c.json").digest, a.digest);
}

void expect_error(const std::string& text, const std::string& fragment) {
  try {
    (void)parse_cluster(text, "bad.json");
    ADD_FAILURE() << "no error for: " << text;
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind("bad.json: ", 0), 0u) << msg;
    EXPECT_NE(msg.find(fragment), std::string::npos) << "want '" << fragment << "' in: " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
  }
}

// A valid cluster with `from` replaced by `to`.
std::string edit(const std::string& from, const std::string& to) {
  std::string s = kExample;
  const std::size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

TEST(ClusterJson, BadBandwidths) {
  expect_error(edit("\"125GB/s\"", "0"), "host 'h0'.bandwidth: must be a bandwidth above 0");
  expect_error(edit("\"125GB/s\"", "-3"), "host 'h0'.bandwidth: must be a bandwidth above 0");
  expect_error(edit("\"125GB/s\"", "\"0GB/s\""), "host 'h0'.bandwidth: must be above 0");
  expect_error(edit("\"125GB/s\"", "\"nan\""), "host 'h0'.bandwidth: not a number");
  expect_error(edit("\"125GB/s\"", "\"inf GB/s\""), "host 'h0'.bandwidth: number out of range");
  expect_error(edit("\"125GB/s\"", "\"-1 GB/s\""), "host 'h0'.bandwidth: must be above 0");
  expect_error(edit("\"2.4GB/s\"", "\"0\""), "network_bandwidth: must be above 0");
  expect_error(edit("\"100Gb/s\"", "-1"), "links[0].bandwidth: must be a bandwidth above 0");
  expect_error(edit("\"125GB/s\"", "1e400"), "malformed JSON");
  expect_error(edit("\"125GB/s\"", "\"1e400GB/s\""), "host 'h0'.bandwidth: number out of range");
}

TEST(ClusterJson, UnknownUnits) {
  expect_error(edit("\"125GB/s\"", "\"125 GB\""), "host 'h0'.bandwidth: unknown unit 'GB'");
  expect_error(edit("\"125GB/s\"", "\"125gbps\""), "host 'h0'.bandwidth: unknown unit 'gbps'");
  expect_error(edit("\"96GiB\"", "\"96GIGS\""), "device_classes.GH-96.memory: unknown unit");
  expect_error(edit("\"96GiB\"", "0"), "device_classes.GH-96.memory: must be more than 0 bytes");
}

TEST(ClusterJson, DuplicateAndUnknownNames) {
  expect_error(edit("\"name\": \"h1\"", "\"name\": \"h0\""),
               "hosts[1].name: duplicate host name 'h0'");
  expect_error(edit("\"class\": \"V100-16\", \"count\": 4", "\"class\": \"A100\", \"count\": 4"),
               "host 'h1'.devices[0].class: unknown class 'A100'");
  expect_error(edit("[\"h0\", \"h1\"]", "[\"h0\", \"h9\"]"), "links[0].hosts: unknown host 'h9'");
  expect_error(edit("[\"h0\", \"h1\"]", "[\"h0\", \"h0\"]"),
               "links[0].hosts: a link joins two different hosts");
  expect_error(edit("\"links\": [", "\"links\": [{\"hosts\": [\"h1\", \"h0\"], \"bandwidth\": 1},"),
               "links[1].hosts: a second link between 'h0' and 'h1'");
}

TEST(ClusterJson, StructureErrors) {
  expect_error(edit("\"pipecut.cluster\"", "\"pipecut.graph\""),
               "\"format\": must be \"pipecut.cluster\"");
  expect_error(edit("\"version\": 1", "\"version\": 2"), "\"version\": unsupported");
  expect_error(edit("\"network_bandwidth\"", "\"network_bandwith\""),
               "\"network_bandwith\": unknown field");
  expect_error(edit("\"speed\": 0.1", "\"speed\": 0"),
               "device_classes.V100-16.speed: must be a number above 0");
  expect_error(edit("\"speed\": 0.1", "\"sped\": 0.1"),
               "device_classes.V100-16.sped: unknown field");
  expect_error(edit("\"count\": 4", "\"count\": 0"),
               "host 'h1'.devices[0].count: must be at least 1");
  expect_error(edit("\"count\": 4", "\"count\": -2"), "host 'h1'.devices[0].count is out of range");
  expect_error(edit("\"count\": 4", "\"count\": 2.5"),
               "host 'h1'.devices[0].count must be an integer");
  expect_error(edit("\"count\": 4", "\"count\": 100000000"), "host 'h1'.devices[0].count");
  expect_error(edit(", \"bandwidth\": \"68GB/s\"", ""), "host 'h1'.bandwidth: missing");
  expect_error(edit("\"network_bandwidth\": \"2.4GB/s\",", ""), "network_bandwidth: missing");
  expect_error(edit("\"devices\": [{\"class\": \"GH-96\", \"count\": 2}]", "\"devices\": []"),
               "host 'h0'.devices: must be a non-empty array");
  expect_error(R"({"format":"pipecut.cluster","version":1,"device_classes":{},"hosts":[]})",
               "device_classes: must be a non-empty object");
  expect_error("[1]", "expected a JSON object");
  expect_error("{", "malformed JSON");
}

}  // namespace
}  // namespace pipecut
