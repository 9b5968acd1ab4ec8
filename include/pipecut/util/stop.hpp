#pragma once
// A cooperative stop request. A front end sets it from any thread (the CLI on Ctrl-C, the
// Python binding when the interpreter sees a KeyboardInterrupt); long-running algorithms poll it
// wherever they poll their time limit and return the best result they have, marked as stopped
// early (the same way as when the time limit is hit).
#include <atomic>

namespace pipecut {

class StopFlag {
 public:
  void request() noexcept { requested_.store(true, std::memory_order_relaxed); }
  void reset() noexcept { requested_.store(false, std::memory_order_relaxed); }
  [[nodiscard]] bool requested() const noexcept {
    return requested_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<bool> requested_{false};
};

// True when `flag` is set; a null flag is never set.
inline bool stop_requested(const StopFlag* flag) { return flag != nullptr && flag->requested(); }

}  // namespace pipecut
