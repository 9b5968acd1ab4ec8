#pragma once
// Error types shared by every layer. Messages are one line, meant to be shown to the user as is.
#include <stdexcept>
#include <string>

namespace pipecut {

// Bad user input: a malformed file, an invalid graph, an invalid partition or option.
// The message names the file (when there is one) and the problem: "model.json: edge 3 ...".
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace pipecut
