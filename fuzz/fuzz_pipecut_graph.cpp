// The pipecut.graph JSON reader on arbitrary text.
#include "fuzz_util.hpp"
#include "pipecut/io/graph_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > pipecut::fuzz::kMaxInput) return -1;
  const std::string text = pipecut::fuzz::as_string(data, size);
  pipecut::fuzz::expect_graceful("fuzz.json",
                                 [&] { (void)pipecut::parse_pipecut_graph(text, "fuzz.json"); });
  return 0;
}
