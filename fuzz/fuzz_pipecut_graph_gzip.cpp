// Reading a gzip-compressed pipecut.graph: the streaming inflater (members, trailing data, the
// size cap) and then the JSON reader on what it produced.
#include <sstream>

#include "fuzz_util.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/io/graph_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > pipecut::fuzz::kMaxInput) return -1;
  std::istringstream in(pipecut::fuzz::as_string(data, size));
  pipecut::fuzz::expect_graceful("fuzz.json.gz", [&] {
    // A small cap keeps gzip bombs cheap: hitting it is an InputError like any other.
    const std::string text = pipecut::read_stream_maybe_gzip(in, "fuzz.json.gz", 4 << 20);
    (void)pipecut::parse_pipecut_graph(text, "fuzz.json.gz");
  });
  return 0;
}
