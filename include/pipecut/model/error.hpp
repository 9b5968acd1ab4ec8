#pragma once
// Error types shared by every layer. Messages are one line, meant to be shown to the user as
// is. Front ends map each type to one exit code (README "Exit codes"); anything else that
// escapes the library is an internal error.
#include <stdexcept>
#include <string>

namespace pipecut {

// Base of every error pipecut reports on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad user input: a malformed file, an invalid graph, an invalid partition or option.
// The message names the file (when there is one) and the problem: "model.json: edge 3 ...".
class InputError : public Error {
 public:
  using Error::Error;
};

// A result could not be written (permission, full disk, refusing to replace an input file...).
// The message names the output path.
class OutputError : public Error {
 public:
  using Error::Error;
};

// Proven: no partition satisfies the placement constraints (memory capacity, colocation) with
// at most k stages. The message is the proof in one line.
class InfeasibleError : public Error {
 public:
  using Error::Error;
};

// The methods run found no partition satisfying the placement constraints, and infeasibility
// was not proven within the time limit either.
class NoFeasiblePartitionError : public Error {
 public:
  using Error::Error;
};

}  // namespace pipecut
