#pragma once
// Device profiles for the ONNX cost model (docs/cost-model.md).
//
// Units, as in the JSON profile files: peak compute in TFLOP/s (1e12 floating-point or integer
// operations per second) per data type, memory and link bandwidth in GB/s (1e9 bytes per second),
// latencies and overheads in microseconds. Costs derived from a profile are in milliseconds.
#include <map>
#include <string>
#include <vector>

#include "pipecut/model/cluster.hpp"

namespace pipecut {

struct DeviceProfile {
  std::string name;
  std::string description;                    // what the numbers are and where they come from
  std::map<std::string, double> peak_tflops;  // by dtype: fp32, tf32, fp16, bf16, int8, ...
  double memory_bandwidth_gbps = 0;           // device memory (HBM/DDR) bandwidth
  double link_bandwidth_gbps = 0;  // one direction of the link between two pipeline stages
  double link_latency_us = 0;      // fixed cost of one tensor transfer
  double launch_overhead_us = 0;   // fixed cost of one operator (kernel launch, dispatch)

  // Peak rate for `dtype` in operations per millisecond. A dtype the device lacks falls back to
  // fp32 (e.g. bf16 on a T4), and fp32 to the slowest listed rate.
  [[nodiscard]] double peak_ops_per_ms(const std::string& dtype) const;
};

// Name of the profile used when none is chosen.
inline constexpr const char* kDefaultDeviceProfile = "a100-pcie";

// The built-in profiles (public spec-sheet numbers; sources in each description).
const std::vector<DeviceProfile>& builtin_device_profiles();

// A built-in profile by name, or else a JSON profile file (schema in docs/cost-model.md).
// Empty = kDefaultDeviceProfile. Throws InputError on unknown names and malformed files.
DeviceProfile load_device_profile(const std::string& name_or_path);
// The profile that class `device_class` of `cluster` names as its device_model: a built-in
// name, or a profile file, looked up next to the cluster's file when the path is relative and
// found there (docs/clusters.md, "ONNX inputs"). InputError naming the cluster file and the
// class when it is neither. The class must have a device_model.
DeviceProfile load_class_device_profile(const Cluster& cluster, int device_class);
DeviceProfile parse_device_profile(const std::string& json_text, const std::string& source);

// Data types understood by --dtype, and their element size in bytes.
bool is_known_compute_dtype(const std::string& dtype);
double compute_dtype_bytes(const std::string& dtype);

// The roofline of docs/cost-model.md. The ONNX importer and the PyTorch front end (Python
// package, pipecut.torch) both price operators and tensors with these two functions, so a model
// costs the same whichever way it comes in; each front end only counts FLOPs and bytes.

// ONNX operator types that only re-label their input's memory (Reshape, Flatten, Squeeze,
// Unsqueeze, Identity, Dropout): no kernel runs and no bytes move.
bool is_view_operator(const std::string& op_type);

// Time in ms of one operator of ONNX type `op_type`: max(flops / peak rate for `dtype`,
// bytes_moved / memory bandwidth) + launch overhead, or 0 for a view operator. `flops` counts a
// multiply-add as 2; `bytes_moved` is bytes read (activations and weights) plus bytes written;
// `dtype` is a compute dtype (fp32, tf32, fp16, bf16, int8), falling back as peak_ops_per_ms.
double operator_time_ms(const DeviceProfile& device, const std::string& op_type, double flops,
                        double bytes_moved, const std::string& dtype);

// Time in ms to send a tensor of `bytes` to another stage over a link of `link_gbps` GB/s
// (usually device.link_bandwidth_gbps, or the user's override): bytes / link + link latency.
double tensor_transfer_ms(const DeviceProfile& device, double bytes, double link_gbps);

}  // namespace pipecut
