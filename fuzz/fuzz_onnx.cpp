// The ONNX importer (protobuf parsing, shape inference, cost model) on arbitrary bytes.
#include "fuzz_util.hpp"
#include "pipecut/onnx/onnx_import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > pipecut::fuzz::kMaxInput) return -1;
  const std::string bytes = pipecut::fuzz::as_string(data, size);
  pipecut::fuzz::expect_graceful("fuzz.onnx",
                                 [&] { (void)pipecut::import_onnx_bytes(bytes, "fuzz.onnx"); });
  return 0;
}
