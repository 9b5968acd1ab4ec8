#pragma once
// Shared by the libFuzzer targets (one per reader; see fuzz/README.md). A reader may reject any
// input with an InputError (one line naming the source); any other exception, a crash, a leak,
// undefined behaviour or a message over several lines is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "pipecut/model/error.hpp"

namespace pipecut::fuzz {

// Inputs above this are not worth the fuzzer's time: readers scale linearly.
inline constexpr std::size_t kMaxInput = 1 << 20;

inline std::string as_string(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Runs `read`; accepts success and a proper InputError, aborts on a malformed message.
template <class Read>
void expect_graceful(const std::string& source, Read&& read) {
  try {
    read();
  } catch (const InputError& e) {
    const std::string message = e.what();
    if (message.rfind(source, 0) != 0 && message.rfind("--", 0) != 0) {
      std::fprintf(stderr, "error message does not name the source: %s\n", message.c_str());
      std::abort();
    }
    if (message.find('\n') != std::string::npos) {
      std::fprintf(stderr, "error message spans several lines: %s\n", message.c_str());
      std::abort();
    }
  }
}

}  // namespace pipecut::fuzz
