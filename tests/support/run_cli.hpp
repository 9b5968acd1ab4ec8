#pragma once
// Runs the pipecut CLI binary in a shell and captures its stdout, stderr and exit code.
#include <string>

namespace pipecut::testing {

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// `args` is appended to the binary's path as is (quote file names yourself).
CliRun run_cli(const std::string& args);

// A fresh empty temporary folder for one test (removed by the caller when done).
std::string make_temp_dir(const std::string& name);

}  // namespace pipecut::testing
