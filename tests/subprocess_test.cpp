// Work in a forked child (src/util/subprocess): its result comes back; a crash or an exception in
// it is reported, and the caller carries on.
#include <gtest/gtest.h>

#include <csignal>
#include <stdexcept>

#include "util/subprocess.hpp"

namespace pipecut::detail {
namespace {

TEST(Subprocess, TheChildsResultComesBack) {
  ASSERT_FALSE(other_threads_running());  // the test runner is single-threaded
  const ChildResult r = run_in_child([] { return std::string("bytes\0and more", 14); }, "work");
  EXPECT_TRUE(r.completed) << r.failure;
  EXPECT_EQ(r.output, std::string("bytes\0and more", 14));
}

TEST(Subprocess, ACrashInTheChildIsReportedWithItsSignal) {
  const ChildResult r = run_in_child(
      []() -> std::string {
        std::raise(SIGFPE);  // as libonnx's shape inference dividing by zero
        return "unreachable";
      },
      "shape inference");
  EXPECT_FALSE(r.completed);
  EXPECT_EQ(r.failure.rfind("shape inference died of signal " + std::to_string(SIGFPE), 0), 0u)
      << r.failure;
}

TEST(Subprocess, AnExceptionInTheChildIsReportedWithItsMessage) {
  const ChildResult r =
      run_in_child([]() -> std::string { throw std::runtime_error("inference failed"); }, "work");
  EXPECT_FALSE(r.completed);
  EXPECT_EQ(r.failure, "inference failed");
}

}  // namespace
}  // namespace pipecut::detail
