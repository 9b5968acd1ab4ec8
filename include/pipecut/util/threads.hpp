#pragma once
// The one rule for every `threads` option: a positive count is used as given, and 0 (or less)
// means all hardware threads (at least 1).
#include <thread>

namespace pipecut {

inline int resolve_threads(int requested) {
  if (requested > 0) return requested;
  const unsigned hardware = std::thread::hardware_concurrency();
  return hardware > 0 ? static_cast<int>(hardware) : 1;
}

}  // namespace pipecut
