#pragma once
// A cluster of devices that differ (docs/clusters.md): each device has a class (its memory and
// its speed, or its own operator times) and sits on a host; two devices of one host are joined
// at the host's bandwidth, devices of two hosts at the network's, unless that pair of hosts has
// a link of its own. A partition on a cluster puts each non-empty stage on its own device, and
// pipecut chooses which devices are used and in what order.
//
// Units: memory in bytes, bandwidth in GB/s (1e9 bytes per second), times in ms.
#include <optional>
#include <string>
#include <vector>

namespace pipecut {

struct DeviceClass {
  std::string name;
  double memory = 0;         // bytes per device, > 0
  double speed = 1;          // a node's numeric work is divided by it (> 0)
  std::string device_model;  // a cost-model profile for ONNX and torch inputs; empty = none
};

struct ClusterHost {
  std::string name;
  double bandwidth_gbps = 0;  // between two devices of this host, > 0
};

struct ClusterDevice {
  std::string name;  // "host:index", the index counting this host's devices in listing order
  int device_class = 0;
  int host = 0;
  int index_on_host = 0;
};

// Devices of one class on one host are interchangeable: a partition can swap them without
// changing any cost. The algorithms search over such types, not over devices.
struct DeviceType {
  int device_class = 0;
  int host = 0;
  std::vector<int> devices;  // ascending device indices
};

struct Cluster {
  std::string name;
  std::string digest;  // hex SHA-256 of the file's canonical content (io/cluster_json.hpp)
  // The file it was read from (empty when built in code): messages name it, and a class's
  // device_model file is looked up next to it.
  std::string file;
  std::vector<DeviceClass> classes;
  std::vector<ClusterHost> hosts;
  std::vector<ClusterDevice> devices;  // in listing order
  double network_bandwidth_gbps = 0;
  // Host-pair links overriding the network, symmetric: link_gbps[a][b] for hosts a != b (0 =
  // none, the network's). Empty = no overrides.
  std::vector<std::vector<double>> link_gbps;

  [[nodiscard]] int num_devices() const { return static_cast<int>(devices.size()); }
  // Bandwidth between two distinct devices, in GB/s.
  [[nodiscard]] double bandwidth(int from, int to) const;
  // Bandwidth between two hosts (the host's own when a == b).
  [[nodiscard]] double host_bandwidth(int a, int b) const;
  // The types of the cluster: devices grouped by (class, host), in order of first device.
  [[nodiscard]] std::vector<DeviceType> types() const;
  // One class, and every pair of devices joined at the same bandwidth: the cluster is k
  // identical devices on identical links, today's model.
  [[nodiscard]] bool homogeneous() const;
  [[nodiscard]] std::optional<int> class_index(const std::string& class_name) const;
};

}  // namespace pipecut
