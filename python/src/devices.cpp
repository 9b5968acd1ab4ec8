// Device profiles and the shared roofline (docs/cost-model.md).
#include <pybind11/stl.h>

#include <climits>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "binding.hpp"
#include "options.hpp"
#include "pipecut/io/cluster_json.hpp"
#include "pipecut/io/graph_json.hpp"
#include "pipecut/io/partition_json.hpp"
#include "pipecut/onnx/device_model.hpp"
#include "pipecut/util/memory_size.hpp"

namespace pipecut::python {

void bind_devices(py::module_& m) {
  const py::object deviceprofile_class =
      py::class_<DeviceProfile>(
          m, "DeviceProfile",
          "A device of the roofline cost model (docs/cost-model.md). Rates in "
          "TFLOP/s, bandwidths in GB/s, latencies in microseconds.")
          .def_readonly("name", &DeviceProfile::name,
                        "The profile's name (a built-in name, or the "
                        "file's \"name\").")
          .def_readonly("description", &DeviceProfile::description,
                        "What the numbers are and where they come from.")
          .def_readonly("peak_tflops", &DeviceProfile::peak_tflops, "Peak rate by compute dtype.")
          .def_readonly("memory_bandwidth_gbps", &DeviceProfile::memory_bandwidth_gbps,
                        "Device memory bandwidth.")
          .def_readonly("link_bandwidth_gbps", &DeviceProfile::link_bandwidth_gbps,
                        "One direction of the link between two pipeline stages.")
          .def_readonly("link_latency_us", &DeviceProfile::link_latency_us,
                        "Fixed cost of one tensor transfer.")
          .def_readonly("launch_overhead_us", &DeviceProfile::launch_overhead_us,
                        "Fixed cost of one operator.")
          .def(
              "operator_time_ms",
              [](const DeviceProfile& d, const std::string& op_type, double flops,
                 double bytes_moved, const std::string& dtype) {
                if (!(flops >= 0) || !(bytes_moved >= 0) || std::isinf(flops) ||
                    std::isinf(bytes_moved))
                  raise_input_error("flops and bytes_moved must be finite numbers >= 0");
                return operator_time_ms(d, op_type, flops, bytes_moved, dtype);
              },
              py::arg("op_type"), py::arg("flops"), py::arg("bytes_moved"),
              py::arg("dtype") = "fp32",
              "Roofline time (ms) of one operator of ONNX type `op_type`: max(flops / peak(dtype), "
              "bytes_moved / memory bandwidth) + launch overhead, or 0 for a view operator "
              "(Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout). The ONNX importer prices "
              "operators with this same function.")
          .def(
              "tensor_transfer_ms",
              [](const DeviceProfile& d, double bytes, const std::optional<double>& link) {
                const double gbps = link.value_or(d.link_bandwidth_gbps);
                if (!(gbps > 0) || std::isinf(gbps))
                  raise_input_error("link bandwidth must be a finite number > 0");
                if (!(bytes >= 0) || std::isinf(bytes))
                  raise_input_error("bytes must be a finite number >= 0");
                return tensor_transfer_ms(d, bytes, gbps);
              },
              py::arg("bytes"), py::arg("link_bandwidth") = py::none(),
              "Time (ms) to send a tensor of `bytes` to another stage: bytes / link bandwidth "
              "(GB/s; the profile's unless given) + link latency.")
          .def("__repr__",
               [](const DeviceProfile& d) { return "<pipecut.DeviceProfile '" + d.name + "'>"; });

  // Shown as pipecut.Name (in reprs, help and the signatures of later definitions), not
  // pipecut._pipecut.Name.
  for (const py::object& cls : {deviceprofile_class}) cls.attr("__module__") = "pipecut";

  m.def("device_profile", &load_device_profile, py::arg("name") = std::string(),
        "A built-in device profile by name (see device_profiles()), or a JSON profile file; "
        "empty = the default profile.");
  m.def(
      "device_profiles", [] { return builtin_device_profiles(); },
      "The built-in device profiles; the first is not necessarily the default "
      "(DEFAULT_DEVICE names it).");
  m.attr("DEFAULT_DEVICE") = kDefaultDeviceProfile;
  m.def(
      "dtype_bytes",
      [](const std::string& dtype) {
        if (!is_known_compute_dtype(dtype))
          raise_input_error("dtype '" + dtype + "': expected fp32, tf32, fp16, bf16 or int8");
        return compute_dtype_bytes(dtype);
      },
      py::arg("dtype"), "Element size in bytes of a compute dtype (fp32, tf32, fp16, bf16, int8).");
  // How pipecut.torch costs a module on a cluster, as the ONNX importer does (docs/clusters.md,
  // "ONNX inputs"): each class's name, speed, and device_model profile (None without one), and
  // how many devices there are (split's default k).
  m.def(
      "_cluster_classes",
      [](const py::object& path) {
        const Cluster c = read_cluster(path_argument(path));
        py::list out;
        for (int x = 0; x < static_cast<int>(c.classes.size()); ++x) {
          const DeviceClass& k = c.classes[x];
          out.append(py::make_tuple(k.name, k.speed,
                                    k.device_model.empty()
                                        ? py::object(py::none())
                                        : py::cast(load_class_device_profile(c, x))));
        }
        return py::make_tuple(out, c.num_devices());
      },
      py::arg("path"),
      "The device classes of a pipecut.cluster file, (name, speed, DeviceProfile or None) each, "
      "the profile being the class's device_model, and its device count. For pipecut.torch.");
}

}  // namespace pipecut::python
