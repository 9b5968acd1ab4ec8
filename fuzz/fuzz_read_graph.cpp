// The format-detecting entry point: gzip detection and inflation, format detection by name and
// content, then whichever reader that picks. The first byte picks the file name's extension, so
// that extension-based detection is exercised too.
#include <sstream>

#include "fuzz_util.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/io/read_graph.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || size > pipecut::fuzz::kMaxInput) return -1;
  static const char* const kNames[] = {"fuzz.json", "fuzz.txt",     "fuzz.pbtxt",
                                       "fuzz.onnx", "fuzz.json.gz", "fuzz"};
  const std::string source = kNames[data[0] % (sizeof kNames / sizeof kNames[0])];
  std::istringstream in(pipecut::fuzz::as_string(data + 1, size - 1));
  pipecut::fuzz::expect_graceful(source, [&] {
    const std::string content = pipecut::read_stream_maybe_gzip(in, source, 4 << 20);
    (void)pipecut::parse_graph(content, source);
  });
  return 0;
}
