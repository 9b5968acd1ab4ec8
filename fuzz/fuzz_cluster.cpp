// The pipecut.cluster reader (--cluster FILE) on arbitrary text, then what the solvers rely on in
// the cluster it accepted: every device of a class and a host that exist, every link between two
// devices above 0 GB/s, and the canonical form read back to the same digest.
#include <cstdio>
#include <cstdlib>

#include "fuzz_util.hpp"
#include "pipecut/io/cluster_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > pipecut::fuzz::kMaxInput) return -1;
  const std::string text = pipecut::fuzz::as_string(data, size);
  pipecut::fuzz::expect_graceful("fuzz.json", [&] {
    const pipecut::Cluster c = pipecut::parse_cluster(text, "fuzz.json");
    auto broken = [](const char* what) {
      std::fprintf(stderr, "accepted cluster breaks an invariant: %s\n", what);
      std::abort();
    };
    if (c.devices.empty()) broken("no device");
    for (const pipecut::ClusterDevice& d : c.devices) {
      if (d.device_class < 0 || d.device_class >= static_cast<int>(c.classes.size()))
        broken("class index");
      if (d.host < 0 || d.host >= static_cast<int>(c.hosts.size())) broken("host index");
    }
    // Links: every pair of hosts that hold devices, and each host with two or more.
    for (std::size_t a = 0; a < c.hosts.size(); ++a)
      for (std::size_t b = 0; b < c.hosts.size(); ++b) {
        int on_a = 0, on_b = 0;
        for (const pipecut::ClusterDevice& d : c.devices) {
          on_a += d.host == static_cast<int>(a);
          on_b += d.host == static_cast<int>(b);
        }
        if (on_a == 0 || on_b == 0 || (a == b && on_a < 2)) continue;
        if (!(c.host_bandwidth(static_cast<int>(a), static_cast<int>(b)) > 0))
          broken("a link of 0 GB/s or NaN");
      }
    const pipecut::Cluster back = pipecut::parse_cluster(pipecut::cluster_to_json(c), "back.json");
    if (back.digest != c.digest) broken("canonical form reads back to another digest");
  });
  return 0;
}
