#pragma once
// Library code never prints: warnings and log lines go to a callback that the front end
// provides (the CLI prints them on stderr, Python forwards them to its logging module).
#include <functional>
#include <string>

namespace pipecut {

// Receives one message per call, without a trailing newline. An empty callback drops them.
using LogCallback = std::function<void(const std::string& message)>;

inline void log_to(const LogCallback& log, const std::string& message) {
  if (log) log(message);
}

}  // namespace pipecut
