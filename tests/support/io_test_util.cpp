#include "support/io_test_util.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace pipecut::testing {

namespace fs = std::filesystem;

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  fs::path p = fs::temp_directory_path() /
               ("pipecut-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fs::create_directories(p);
  dir_ = p.string();
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string TempDir::path(const std::string& name) const { return dir_ + "/" + name; }

std::string TempDir::write(const std::string& name, const std::string& content) const {
  const std::string p = path(name);
  std::ofstream(p, std::ios::binary) << content;
  return p;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace pipecut::testing
