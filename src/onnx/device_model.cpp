#include "pipecut/onnx/device_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "io/json_util.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/io/foreign_formats.hpp"
#include "pipecut/model/error.hpp"

namespace pipecut {

double DeviceProfile::peak_ops_per_ms(const std::string& dtype) const {
  auto it = peak_tflops.find(dtype);
  if (it == peak_tflops.end()) it = peak_tflops.find("fp32");
  double tflops = 0;
  if (it != peak_tflops.end()) {
    tflops = it->second;
  } else if (!peak_tflops.empty()) {
    tflops = std::min_element(peak_tflops.begin(), peak_tflops.end(), [](auto& a, auto& b) {
               return a.second < b.second;
             })->second;
  }
  return tflops * 1e9;  // 1e12 per second = 1e9 per millisecond
}

const std::vector<DeviceProfile>& builtin_device_profiles() {
  static const std::vector<DeviceProfile> profiles = {
      {"a100-pcie",
       "NVIDIA A100 40GB PCIe (NVIDIA A100 datasheet: FP32 19.5, TF32 156, FP16/BF16 312 TFLOPS "
       "dense tensor core, INT8 624 TOPS, HBM2 1555 GB/s); stages linked by PCIe 4.0 x16, 32 GB/s "
       "per direction; latency and launch overhead are typical measured orders of magnitude",
       {{"fp32", 19.5}, {"tf32", 156}, {"fp16", 312}, {"bf16", 312}, {"int8", 624}},
       1555,
       32,
       10,
       5},
      {"a100-sxm",
       "NVIDIA A100 80GB SXM (NVIDIA A100 datasheet: FP32 19.5, TF32 156, FP16/BF16 312 TFLOPS "
       "dense, INT8 624 TOPS, HBM2e 2039 GB/s); stages linked by NVLink 3, 600 GB/s total = "
       "300 GB/s per direction",
       {{"fp32", 19.5}, {"tf32", 156}, {"fp16", 312}, {"bf16", 312}, {"int8", 624}},
       2039,
       300,
       5,
       5},
      {"t4",
       "NVIDIA T4 (NVIDIA T4 datasheet: FP32 8.1 TFLOPS, mixed FP16 65 TFLOPS, INT8 130 TOPS, "
       "GDDR6 320 GB/s); PCIe 3.0 x16, 16 GB/s per direction; no bf16/tf32 (fall back to fp32)",
       {{"fp32", 8.1}, {"fp16", 65}, {"int8", 130}},
       320,
       16,
       10,
       5},
      {"tpu-v4",
       "Google Cloud TPU v4 chip (Cloud TPU documentation: 275 TFLOPS bf16/int8, HBM2 1200 GB/s); "
       "ICI link taken as 50 GB/s per direction; fp32 is an estimate (multi-pass bf16 on the MXU, "
       "a quarter of the bf16 rate)",
       {{"bf16", 275}, {"int8", 275}, {"fp32", 68.75}},
       1200,
       50,
       5,
       2},
      {"cpu-avx512",
       "A 32-core AVX-512 server CPU at 2 GHz: 32 cores x 2 GHz x 2 FMA units x 16 fp32 lanes x 2 "
       "= 4.1 TFLOPS fp32 (twice for bf16 with AVX512_BF16, four times for int8 VNNI); 8 channels "
       "DDR4-3200 = 204.8 GB/s; stages linked by 100 Gb Ethernet = 12.5 GB/s",
       {{"fp32", 4.1}, {"bf16", 8.2}, {"int8", 16.4}},
       204.8,
       12.5,
       20,
       10},
  };
  return profiles;
}

namespace {
// Rates and times far outside any device (docs/cost-model.md): beyond these a 1-TFLOP operator
// or a 1-GB tensor could cost an infinite or denormal time, which no reader accepts.
constexpr double kMinRate = 1e-6, kMaxRate = 1e9;  // TFLOPS and GB/s
constexpr double kMaxMicroseconds = 1e9;           // latency and launch overhead

double field_in_range(const nlohmann::json& doc, const char* key, const std::string& source,
                      double min, double max) {
  if (!doc.contains(key)) throw InputError(source + ": missing \"" + key + "\"");
  const auto& value = doc[key];
  if (!value.is_number()) throw InputError(source + ": \"" + key + "\" must be a number");
  const double x = value.get<double>();
  if (!(x >= min && x <= max)) {
    char range[64];
    std::snprintf(range, sizeof range, "%g .. %g", min, max);
    throw InputError(source + ": \"" + key + "\" must be in " + range);
  }
  return x;
}
}  // namespace

DeviceProfile parse_device_profile(const std::string& json_text, const std::string& source) {
  const nlohmann::json doc = parse_json_document(json_text, source);
  if (!doc.is_object())
    throw InputError(source + ": a device profile is a JSON object (docs/cost-model.md)");
  DeviceProfile p;
  p.name = doc.contains("name") && doc["name"].is_string() ? doc["name"].get<std::string>()
                                                           : file_stem(source);
  if (doc.contains("description") && doc["description"].is_string())
    p.description = doc["description"].get<std::string>();
  if (!doc.contains("peak_tflops") || !doc["peak_tflops"].is_object() || doc["peak_tflops"].empty())
    throw InputError(source + ": \"peak_tflops\" must be an object {\"fp32\": TFLOPS, ...}");
  for (const auto& [dtype, value] : doc["peak_tflops"].items())
    p.peak_tflops[dtype] = field_in_range(doc["peak_tflops"], dtype.c_str(),
                                          source + ": peak_tflops", kMinRate, kMaxRate);
  p.memory_bandwidth_gbps =
      field_in_range(doc, "memory_bandwidth_gbps", source, kMinRate, kMaxRate);
  p.link_bandwidth_gbps = field_in_range(doc, "link_bandwidth_gbps", source, kMinRate, kMaxRate);
  p.link_latency_us = field_in_range(doc, "link_latency_us", source, 0, kMaxMicroseconds);
  p.launch_overhead_us = field_in_range(doc, "launch_overhead_us", source, 0, kMaxMicroseconds);
  return p;
}

DeviceProfile load_device_profile(const std::string& name_or_path) {
  const std::string name = name_or_path.empty() ? kDefaultDeviceProfile : name_or_path;
  for (const auto& p : builtin_device_profiles())
    if (p.name == name) return p;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(name, ec)) {
    std::string known;
    for (const auto& p : builtin_device_profiles()) known += (known.empty() ? "" : ", ") + p.name;
    throw InputError("--device '" + name + "': neither a built-in profile (" + known +
                     ") nor a readable JSON file");
  }
  return parse_device_profile(read_file_maybe_gzip(name), name);
}

DeviceProfile load_class_device_profile(const Cluster& cluster, int device_class) {
  const DeviceClass& k = cluster.classes[device_class];
  for (const auto& p : builtin_device_profiles())
    if (p.name == k.device_model) return p;
  std::error_code ec;
  std::string path = k.device_model;
  const std::filesystem::path beside =
      std::filesystem::path(cluster.file).parent_path() / k.device_model;
  if (std::filesystem::path(path).is_relative() && !cluster.file.empty() &&
      std::filesystem::is_regular_file(beside, ec))
    path = beside.string();
  if (!std::filesystem::is_regular_file(path, ec)) {
    std::string known;
    for (const auto& p : builtin_device_profiles()) known += (known.empty() ? "" : ", ") + p.name;
    throw InputError((cluster.file.empty() ? "cluster " + cluster.name : cluster.file) +
                     ": device class '" + k.name + "'.device_model: '" + k.device_model +
                     "' is neither a built-in profile (" + known +
                     ") nor a profile file (docs/cost-model.md)");
  }
  return parse_device_profile(read_file_maybe_gzip(path), path);
}

bool is_known_compute_dtype(const std::string& dtype) { return compute_dtype_bytes(dtype) > 0; }

double compute_dtype_bytes(const std::string& dtype) {
  if (dtype == "fp32" || dtype == "tf32") return 4;
  if (dtype == "fp16" || dtype == "bf16") return 2;
  if (dtype == "int8" || dtype == "fp8") return 1;
  return 0;
}

bool is_view_operator(const std::string& op_type) {
  return op_type == "Reshape" || op_type == "Flatten" || op_type == "Squeeze" ||
         op_type == "Unsqueeze" || op_type == "Identity" || op_type == "Dropout";
}

double operator_time_ms(const DeviceProfile& device, const std::string& op_type, double flops,
                        double bytes_moved, const std::string& dtype) {
  if (is_view_operator(op_type)) return 0.0;
  return std::max(flops / device.peak_ops_per_ms(dtype),
                  bytes_moved / (device.memory_bandwidth_gbps * 1e6)) +
         device.launch_overhead_us / 1000.0;
}

double tensor_transfer_ms(const DeviceProfile& device, double bytes, double link_gbps) {
  return transfer_ms(bytes, link_gbps) + device.link_latency_us / 1000.0;
}

}  // namespace pipecut
