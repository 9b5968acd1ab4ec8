// Reading input files: the size cap (also while inflating gzip), endless or zero-filled sources,
// multi-member gzip, data after the gzip stream, and one read per file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "pipecut/io/file_util.hpp"
#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/error.hpp"
#include "support/io_test_util.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

using testing::TempDir;

const std::string kGraph =
    R"({"format":"pipecut.graph","version":1,"name":"t","nodes":[{"id":"a","work":1,"comm":2},)"
    R"({"id":"b","work":3,"comm":4}],"edges":[["a","b"]]})";

// The message of the InputError that `read` throws (fails the test if none is thrown).
template <class Read>
std::string error_of(Read read) {
  try {
    read();
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no InputError";
  return {};
}

// gzip bytes of `content` (one member), made with the library's writer.
std::string gzip_bytes(const TempDir& tmp, const std::string& content) {
  const std::string path = tmp.path("member.gz");
  write_file_atomic(path, content, true);
  return testing::read_text(path);
}

TEST(InputLimits, FileOverTheCapIsRefusedNamingFileCapAndOption) {
  TempDir tmp;
  const std::string path = tmp.write("g.json", kGraph);
  ReadOptions options;
  options.max_input_bytes = 100;
  const std::string message = error_of([&] { (void)read_graph(path, options); });
  EXPECT_EQ(message.rfind(path + ": ", 0), 0u) << message;
  EXPECT_NE(message.find("cap of 100 bytes"), std::string::npos) << message;
  EXPECT_NE(message.find("--max-input-size"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
  options.max_input_bytes = kGraph.size();  // exactly at the cap is fine
  EXPECT_EQ(read_graph(path, options).num_nodes(), 2);
  options.max_input_bytes = 0;  // no cap
  EXPECT_EQ(read_graph(path, options).num_nodes(), 2);
}

TEST(InputLimits, GzipIsCappedWhileInflating) {
  TempDir tmp;
  // 8 MiB of blanks after the document compress to about 8 KiB.
  const std::string path = tmp.path("bomb.json.gz");
  write_file_atomic(path, kGraph + std::string(8 << 20, ' '), true);
  ReadOptions options;
  options.max_input_bytes = 1 << 20;
  const std::string message = error_of([&] { (void)read_graph(path, options); });
  EXPECT_NE(message.find("cap of 1048576 bytes (1 MiB)"), std::string::npos) << message;
  options.max_input_bytes = 9 << 20;
  EXPECT_EQ(read_graph(path, options).num_nodes(), 2);
}

TEST(InputLimits, ZeroFilledSourcesAreRefusedAtOnce) {
  const auto start = std::chrono::steady_clock::now();
  const std::string message = error_of([] { (void)read_graph("/dev/zero"); });
  EXPECT_EQ(message.rfind("/dev/zero: ", 0), 0u) << message;
  EXPECT_NE(message.find("zero byte"), std::string::npos) << message;
  TempDir tmp;
  const std::string path = tmp.path("zeros.gz");
  write_file_atomic(path, std::string(32 << 20, '\0'), true);
  EXPECT_NE(error_of([&] { (void)read_graph(path); }).find("zero byte"), std::string::npos);
  // Generous: reading up to the 2 GiB cap instead would take far longer and 2 GiB of memory.
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 30);
}

TEST(InputLimits, MultiMemberGzipIsReadWhole) {
  TempDir tmp;
  const std::size_t half = kGraph.size() / 2;
  const std::string path = tmp.write("two.json.gz", gzip_bytes(tmp, kGraph.substr(0, half)) +
                                                        gzip_bytes(tmp, kGraph.substr(half)));
  EXPECT_EQ(read_file_maybe_gzip(path), kGraph);
  EXPECT_EQ(read_graph(path).num_nodes(), 2);
  // An empty member in between changes nothing.
  const std::string three =
      tmp.write("three.json.gz", gzip_bytes(tmp, kGraph.substr(0, half)) + gzip_bytes(tmp, "") +
                                     gzip_bytes(tmp, kGraph.substr(half)));
  EXPECT_EQ(read_file_maybe_gzip(three), kGraph);
}

TEST(InputLimits, DataAfterTheGzipStreamIsAnError) {
  TempDir tmp;
  const std::string member = gzip_bytes(tmp, kGraph);
  for (const std::string& tail :
       {std::string("garbage"), std::string(1, '\x1f'), std::string("\n"), std::string(8, '\0')}) {
    const std::string path = tmp.write("tail.json.gz", member + tail);
    const std::string message = error_of([&] { (void)read_graph(path); });
    EXPECT_EQ(message.rfind(path + ": ", 0), 0u) << message;
    EXPECT_NE(message.find("after the end of the gzip stream"), std::string::npos) << message;
  }
  // A second gzip header followed by junk is a corrupt member, not silently ignored.
  const std::string path = tmp.write("bad.json.gz", member + "\x1f\x8b" + "junkjunkjunk");
  EXPECT_NE(error_of([&] { (void)read_graph(path); }).find("gzip"), std::string::npos);
  // A truncated member is still an error.
  const std::string cut = tmp.write("cut.json.gz", member.substr(0, member.size() - 4));
  EXPECT_NE(error_of([&] { (void)read_graph(cut); }).find("truncated"), std::string::npos);
}

TEST(InputLimits, AGraphFileIsReadOnce) {
  // A pipe can be read only once: detecting the format and loading must share that one read.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ASSERT_EQ(::write(fds[1], kGraph.data(), kGraph.size()), static_cast<ssize_t>(kGraph.size()));
  ::close(fds[1]);
  const std::string path = "/dev/fd/" + std::to_string(fds[0]);
  EXPECT_EQ(read_graph(path).num_nodes(), 2);
  ::close(fds[0]);
}

}  // namespace
}  // namespace pipecut
