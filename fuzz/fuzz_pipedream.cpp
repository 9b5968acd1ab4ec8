// The PipeDream graph.txt reader on arbitrary text.
#include "fuzz_util.hpp"
#include "pipecut/io/foreign_formats.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > pipecut::fuzz::kMaxInput) return -1;
  const std::string text = pipecut::fuzz::as_string(data, size);
  pipecut::fuzz::expect_graceful(
      "fuzz.txt", [&] { (void)pipecut::parse_pipedream_graph(text, "fuzz.txt", 16.0); });
  return 0;
}
