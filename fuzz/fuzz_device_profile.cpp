// The device profile reader (--device FILE) on arbitrary text, then the roofline formulas on
// the profile it accepted: every time must be a finite number >= 0.
#include <cmath>

#include "fuzz_util.hpp"
#include "pipecut/onnx/device_model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > pipecut::fuzz::kMaxInput) return -1;
  const std::string text = pipecut::fuzz::as_string(data, size);
  pipecut::fuzz::expect_graceful("fuzz.json", [&] {
    const pipecut::DeviceProfile d = pipecut::parse_device_profile(text, "fuzz.json");
    for (const char* dtype : {"fp32", "fp16", "bf16", "tf32", "int8"}) {
      const double compute = pipecut::operator_time_ms(d, "MatMul", 2e9, 4e6, dtype);
      const double transfer = pipecut::tensor_transfer_ms(d, 4e6, d.link_bandwidth_gbps);
      if (!(compute >= 0) || std::isinf(compute) || !(transfer >= 0) || std::isinf(transfer)) {
        std::fprintf(stderr, "device profile gives time %g / %g\n", compute, transfer);
        std::abort();
      }
    }
  });
  return 0;
}
