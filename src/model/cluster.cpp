#include "pipecut/model/cluster.hpp"

#include <algorithm>

namespace pipecut {

double Cluster::host_bandwidth(int a, int b) const {
  if (a == b) return hosts[a].bandwidth_gbps;
  if (!link_gbps.empty() && link_gbps[a][b] > 0) return link_gbps[a][b];
  return network_bandwidth_gbps;
}

double Cluster::bandwidth(int from, int to) const {
  return host_bandwidth(devices[from].host, devices[to].host);
}

std::vector<DeviceType> Cluster::types() const {
  std::vector<DeviceType> out;
  for (int d = 0; d < num_devices(); ++d) {
    const ClusterDevice& device = devices[d];
    auto it = std::find_if(out.begin(), out.end(), [&](const DeviceType& t) {
      return t.device_class == device.device_class && t.host == device.host;
    });
    if (it == out.end()) {
      out.push_back({device.device_class, device.host, {}});
      it = out.end() - 1;
    }
    it->devices.push_back(d);
  }
  return out;
}

bool Cluster::homogeneous() const {
  if (classes.size() != 1) return false;
  std::optional<double> bandwidth;
  const int h = static_cast<int>(hosts.size());
  // Only links some pair of devices uses count: a host with one device has no inner link.
  std::vector<int> count(h, 0);
  for (const ClusterDevice& d : devices) ++count[d.host];
  for (int a = 0; a < h; ++a)
    for (int b = a; b < h; ++b) {
      if (count[a] == 0 || count[b] == 0 || (a == b && count[a] < 2)) continue;
      const double x = host_bandwidth(a, b);
      if (bandwidth && *bandwidth != x) return false;
      bandwidth = x;
    }
  return true;
}

std::optional<int> Cluster::class_index(const std::string& class_name) const {
  for (std::size_t c = 0; c < classes.size(); ++c)
    if (classes[c].name == class_name) return static_cast<int>(c);
  return std::nullopt;
}

}  // namespace pipecut
