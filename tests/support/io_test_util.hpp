#pragma once
// Helpers for the reader and CLI tests: temporary files, running the pipecut binary, and
// asserting that a read fails with an InputError naming the file and the problem.
#include <string>

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

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};
// Runs PIPECUT_CLI_PATH with `arguments` (already shell-quoted where needed).
CliResult run_cli(const std::string& arguments);

std::string read_text(const std::string& path);

}  // namespace pipecut::testing
