// Every reader on every prefix of its sample: an InputError naming the file, or (when the cut
// falls on a record boundary) a valid graph. Never a crash or another exception type.
#include <gtest/gtest.h>

#include "pipecut/io/read_graph.hpp"
#include "pipecut/model/error.hpp"
#include "support/io_test_util.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

void check_prefixes(const std::string& sample, const std::string& name, const std::string& format,
                    std::size_t step) {
  testing::TempDir tmp;
  const std::string full = testing::read_text(testing::data_path(sample));
  ReadOptions options;
  options.format = format;
  int errors = 0;
  for (std::size_t cut = 0; cut < full.size(); cut += step) {
    const std::string path = tmp.write(name, full.substr(0, cut));
    try {
      (void)read_graph(path, options);
    } catch (const InputError& e) {
      ++errors;
      const std::string message = e.what();
      EXPECT_EQ(message.rfind(path, 0), 0u) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  }
  EXPECT_GT(errors, 0) << sample;
}

TEST(Truncation, PipeDream) {
  check_prefixes("samples/pipedream/resnet18_graph.txt", "g.txt", "pipedream", 197);
}
TEST(Truncation, Regal) { check_prefixes("samples/regal/tiny.pbtxt", "g.pbtxt", "regal", 11); }
TEST(Truncation, Tarnawski) {
  check_prefixes("samples/tarnawski/bert_l-3_inference.json", "g.json", "tarnawski", 1999);
}
TEST(Truncation, Pipecut) {
  check_prefixes("samples/pipecut/bert_l-3_inference.json", "g.json", "pipecut", 1999);
}
TEST(Truncation, AutoDetected) {
  check_prefixes("samples/pipedream/resnet18_graph.txt", "g.txt", "auto", 499);
  check_prefixes("samples/regal/tiny.pbtxt", "g.pbtxt", "auto", 29);
  check_prefixes("samples/tarnawski/bert_l-3_inference.json", "g.json", "auto", 3999);
}

}  // namespace
}  // namespace pipecut
