// Planning time of `pipecut llm` (docs/llm.md): every bundled config (data/llm) on clusters of
// 4, 8 and 16 devices of two classes on two hosts, in decode and prefill. The target is under
// 1 s per plan; the table gives each plan's wall time, its stages and its certificate, and the
// last line the slowest plan against that target.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "pipecut/io/cluster_json.hpp"
#include "pipecut/llm/llm_plan.hpp"

namespace {

std::string cluster_json(int per_host) {
  const std::string n = std::to_string(per_host);
  return R"({"format": "pipecut.cluster", "version": 1, "name": ")" + n + "xA100-80+" + n +
         R"(xL4", "device_classes": {"A100-80": {"memory": "80GB", "device_model": "a100-sxm"},
         "L4-24": {"memory": "24GB", "speed": 0.2}},
         "hosts": [{"name": "a100", "devices": [{"class": "A100-80", "count": )" + n +
         R"(}], "bandwidth": "300GB/s"}, {"name": "l4", "devices": [{"class": "L4-24", "count": )" +
         n + R"(}], "bandwidth": "32GB/s"}], "network_bandwidth": "12.5GB/s"})";
}

}  // namespace

int main() {
  namespace fs = std::filesystem;
  std::vector<fs::path> configs;
  for (const auto& entry : fs::directory_iterator(fs::path(PIPECUT_DATA_DIR) / "llm"))
    if (entry.path().extension() == ".json") configs.push_back(entry.path());
  std::sort(configs.begin(), configs.end());
  double slowest = 0;
  std::string slowest_name;
  std::cout << std::left << std::setw(22) << "config" << std::setw(9) << "devices" << std::setw(9)
            << "phase" << std::setw(8) << "stages" << std::setw(10) << "ratio" << "seconds\n";
  for (const fs::path& path : configs) {
    const pipecut::LlmConfig config = pipecut::read_llm_config(path.string());
    for (int per_host : {2, 4, 8}) {
      const pipecut::Cluster cluster = pipecut::parse_cluster(cluster_json(per_host), "bench");
      for (const char* phase : {"decode", "prefill"}) {
        pipecut::LlmOptions options;
        options.phase = phase;
        options.seq_len = 1024;
        const auto start = std::chrono::steady_clock::now();
        std::string stages = "-", ratio = "infeasible";
        try {
          const pipecut::LlmPlan plan = pipecut::plan_llm(config, cluster, {}, options);
          stages = std::to_string(plan.plan.stages.size());
          std::ostringstream r;
          r << std::fixed << std::setprecision(4) << plan.ratio;
          ratio = r.str();
        } catch (const pipecut::InfeasibleError&) {
        }
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (seconds > slowest) {
          slowest = seconds;
          slowest_name = path.filename().string() + " on " + std::to_string(2 * per_host) +
                         " devices, " + phase;
        }
        std::cout << std::setw(22) << path.filename().string() << std::setw(9) << 2 * per_host
                  << std::setw(9) << phase << std::setw(8) << stages << std::setw(10) << ratio
                  << std::fixed << std::setprecision(3) << seconds << "\n";
      }
    }
  }
  std::cout << "slowest plan: " << std::fixed << std::setprecision(3) << slowest << " s ("
            << slowest_name << "); target: under 1 s\n";
  return 0;
}
