#pragma once
// Helpers for the reader and CLI tests: temporary files, running the pipecut binary, and
// asserting that a read fails with an InputError naming the file and the problem.
#include <string>

#include "support/run_cli.hpp"

namespace pipecut::testing {

// A fresh empty folder under the system temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] std::string path(const std::string& name) const;                 // dir/name
  std::string write(const std::string& name, const std::string& content) const;  // returns path

 private:
  std::string dir_;
};

// run_cli() (PIPECUT_CLI_PATH with arguments; exit code, stdout, stderr) is in run_cli.hpp.
using CliResult = CliRun;

std::string read_text(const std::string& path);

}  // namespace pipecut::testing
