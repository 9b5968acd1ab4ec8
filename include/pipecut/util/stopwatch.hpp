#pragma once
// Wall-clock timing shared by every layer: time limits in pipecut are wall-clock seconds
// (a busy machine must not stretch them), measured on a steady clock.
#include <chrono>

namespace pipecut {

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}

  // Seconds since construction.
  [[nodiscard]] double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  // True when `limit_seconds` > 0 and at least that much time has passed (0 = no limit).
  [[nodiscard]] bool exceeded(double limit_seconds) const {
    return limit_seconds > 0 && seconds() >= limit_seconds;
  }
  // Seconds left of `limit_seconds` (never negative); 0 stays 0, meaning no limit.
  [[nodiscard]] double remaining(double limit_seconds) const {
    if (limit_seconds <= 0) return 0;
    const double left = limit_seconds - seconds();
    return left > 0 ? left : 0;
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace pipecut
