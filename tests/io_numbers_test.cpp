// Out-of-range numbers in every reader and in partition files: an InputError naming the file,
// or the number kept exactly; never wrapped, truncated or converted with undefined behaviour.
#include <gtest/gtest.h>

#include "pipecut/io/foreign_formats.hpp"
#include "pipecut/io/graph_json.hpp"
#include "pipecut/io/partition_json.hpp"
#include "pipecut/model/error.hpp"
#include "support/io_test_util.hpp"

namespace pipecut {
namespace {

template <class Read>
void expect_input_error(Read read, const std::string& source, const std::string& fragment) {
  try {
    read();
    ADD_FAILURE() << "no error; expected " << fragment;
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(source + ": ", 0), 0u) << message;
    EXPECT_NE(message.find(fragment), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

std::string pipecut_doc(const std::string& nodes, const std::string& edges,
                        const std::string& extra = "") {
  return R"({"format":"pipecut.graph","version":1,"name":"t","nodes":[)" + nodes +
         R"(],"edges":[)" + edges + "]" + extra + "}";
}

TEST(InputNumbers, PipecutDefaultKBeyondIntIsAnErrorAndColourClassesAreExact) {
  const std::string nodes = R"({"id":"a","work":1,"comm":0})";
  // 4294967298 = 2^32 + 2 used to become 2; 0 (read as an unsigned literal) used to pass the
  // lower end of 1.
  for (const char* k : {"4294967298", "18446744073709551615", "-4294967295", "0", "-1", "0.0"})
    expect_input_error(
        [&] {
          (void)parse_pipecut_graph(pipecut_doc(nodes, "", R"(,"default_k":)" + std::string(k)),
                                    "g.json");
        },
        "g.json", "\"default_k\" is out of range");
  EXPECT_EQ(*parse_pipecut_graph(pipecut_doc(nodes, "", R"(,"default_k":2147483647)"), "g.json")
                 .default_k,
            2147483647);
  // An integer colour class is a label kept as its exact decimal text: 2^32 + 2 is not 2.
  const Graph g =
      parse_pipecut_graph(pipecut_doc(R"({"id":"a","work":1,"comm":0,"colour_class":4294967298},)"
                                      R"({"id":"b","work":1,"comm":0,"colour_class":2})",
                                      R"(["a","b"])"),
                          "g.json");
  ASSERT_EQ(g.colour_labels.size(), 2u);
  EXPECT_EQ(g.colour_labels[0].text, "4294967298");
  EXPECT_EQ(g.colour_labels[1].text, "2");
  EXPECT_NE(g.colour_class[0], g.colour_class[1]);
}

TEST(InputNumbers, PipecutIntegerIdsAreKeptExactly) {
  // 2^64-1 and -1 used to be the same id.
  const Graph g = parse_pipecut_graph(
      pipecut_doc(R"({"id":18446744073709551615,"work":1,"comm":1},{"id":-1,"work":1,"comm":1},)"
                  R"({"id":9223372036854775807,"work":1,"comm":1})",
                  R"([18446744073709551615,-1],[-1,9223372036854775807])"),
      "g.json");
  ASSERT_EQ(g.num_nodes(), 3);
  EXPECT_EQ(g.ids, (std::vector<std::string>{"18446744073709551615", "-1", "9223372036854775807"}));
  EXPECT_EQ(g.num_edges(), 2);
}

std::string tarnawski_doc(const std::string& nodes, const std::string& edges,
                          const std::string& max_fpgas = "2") {
  return R"({"maxFPGAs":)" + max_fpgas + R"(,"nodes":[)" + nodes + R"(],"edges":[)" + edges + "]}";
}

TEST(InputNumbers, TarnawskiHugeFloatsAreErrorsAndIntegerIdsAreExact) {
  expect_input_error(
      [] {
        (void)parse_tarnawski_graph(tarnawski_doc(R"({"id":1e300,"fpgaLatency":1})", ""), "t.json");
      },
      "t.json", "id is out of range");
  expect_input_error(
      [] {
        (void)parse_tarnawski_graph(tarnawski_doc(R"({"id":1.5,"fpgaLatency":1})", ""), "t.json");
      },
      "t.json", "must be an integer");
  expect_input_error(
      [] {
        (void)parse_tarnawski_graph(
            tarnawski_doc(R"({"id":1,"fpgaLatency":1,"colorClass":1e300})", ""), "t.json");
      },
      "t.json", "colorClass is out of range");
  const Graph coloured =
      parse_tarnawski_graph(tarnawski_doc(R"({"id":1,"fpgaLatency":1,"colorClass":4294967298},)"
                                          R"({"id":2,"fpgaLatency":1,"colorClass":2})",
                                          ""),
                            "t.json");
  ASSERT_EQ(coloured.colour_labels.size(), 2u);
  EXPECT_EQ(coloured.colour_labels[0].text, "4294967298");  // kept exactly, not wrapped to 2
  for (const char* k : {"4294967298", "1e300", "18446744073709551615"})
    expect_input_error(
        [&] {
          (void)parse_tarnawski_graph(tarnawski_doc(R"({"id":1,"fpgaLatency":1})", "", k),
                                      "t.json");
        },
        "t.json", "\"maxFPGAs\" is out of range");
  const Graph g = parse_tarnawski_graph(
      tarnawski_doc(R"({"id":18446744073709551615,"fpgaLatency":1},{"id":-1,"fpgaLatency":1},)"
                    R"({"id":3.0,"fpgaLatency":1})",
                    R"({"sourceId":18446744073709551615,"destId":-1,"cost":2},)"
                    R"({"sourceId":-1,"destId":3,"cost":1})"),
      "t.json");
  EXPECT_EQ(g.ids, (std::vector<std::string>{"18446744073709551615", "-1", "3"}));
  EXPECT_EQ(g.comm[0], 2.0);
  EXPECT_EQ(g.num_edges(), 2);
}

TEST(InputNumbers, PartitionStagesAndKBeyondIntAreErrors) {
  testing::TempDir tmp;
  const Graph g = parse_pipecut_graph(
      pipecut_doc(R"({"id":"a","work":1,"comm":1},{"id":"b","work":1,"comm":1})", R"(["a","b"])"),
      "g.json");
  auto partition = [&](const std::string& k, const std::string& stage_b) {
    return tmp.write("p.json", R"({"format":"pipecut.partition","version":1,"k":)" + k +
                                   R"(,"assignment":{"a":0,"b":)" + stage_b + "}}");
  };
  // Stage 2^32 used to become stage 0, and the partition was declared valid.
  std::string path = partition("2", "4294967296");
  expect_input_error([&] { (void)read_partition_assignment(g, path); }, path,
                     "stage of node 'b' is out of range");
  path = partition("4294967298", "1");
  expect_input_error([&] { (void)read_partition_assignment(g, path); }, path,
                     "\"k\" is out of range");
  // In range values are kept exactly, even when the partition is invalid (stage -1).
  path = partition("2147483647", "-1");
  const Partition p = read_partition_assignment(g, path);
  EXPECT_EQ(p.k, 2147483647);
  EXPECT_EQ(p.stage_of, (std::vector<int>{0, -1}));
  EXPECT_TRUE(partition_problem(g, p).has_value());
  // A stage index far beyond the node count made the evaluator allocate one entry per stage up
  // to it (16 GB here; found by fuzz_report_partition): refused, asking for a renumbering.
  path = partition("2147483647", "2147483646");
  expect_input_error([&] { (void)read_partition_assignment(g, path); }, path,
                     "node 'b' is in stage 2147483646, but at most 2 stages can hold nodes");
  path = partition("2147483647", "1");  // below the node count: fine however large k is
  EXPECT_EQ(read_partition_assignment(g, path).stage_of, (std::vector<int>{0, 1}));
}

}  // namespace
}  // namespace pipecut

namespace pipecut {
namespace {

// docs/formats.md: wherever an integer is expected, a number written as a float is accepted when
// it is integral and in range. The readers used to refuse "k": 2.0 and a float stage, and
// silently dropped "default_k": 3.0.
TEST(InputNumbers, IntegralFloatsAreAcceptedWhereverAnIntegerIsExpected) {
  const Graph g =
      parse_pipecut_graph(pipecut_doc(R"({"id":"a","work":1,"comm":1,"colour_class":3.0},)"
                                      R"({"id":7.0,"work":1,"comm":1,"colour_class":3})",
                                      R"(["a",7])", R"(,"default_k":3.0)"),
                          "g.json");
  EXPECT_EQ(g.ids, (std::vector<std::string>{"a", "7"}));
  ASSERT_TRUE(g.default_k.has_value());
  EXPECT_EQ(*g.default_k, 3);
  ASSERT_EQ(g.colour_labels.size(), 1u);  // 3.0 and 3 are one class
  EXPECT_EQ(g.colour_labels[0].text, "3");
  EXPECT_EQ(
      parse_pipecut_graph(
          R"({"format":"pipecut.graph","version":1.0,"nodes":[{"id":"a","work":1,"comm":0}]})",
          "v.json")
          .num_nodes(),
      1);
  // Not integral, or not a number: an error naming the field, never ignored.
  expect_input_error(
      [&] {
        (void)parse_pipecut_graph(
            pipecut_doc(R"({"id":"a","work":1,"comm":0})", "", R"(,"default_k":2.5)"), "g.json");
      },
      "g.json", "\"default_k\" must be an integer");
  expect_input_error(
      [&] {
        (void)parse_pipecut_graph(
            pipecut_doc(R"({"id":"a","work":1,"comm":0})", "", R"(,"default_k":"3")"), "g.json");
      },
      "g.json", "\"default_k\" must be an integer");
  expect_input_error(
      [&] {
        (void)parse_pipecut_graph(
            pipecut_doc(R"({"id":"a","work":1,"comm":0,"colour_class":1.5})", ""), "g.json");
      },
      "g.json", "must be an integer");
  // A float beyond 2^53 may not be the integer written: refused rather than changed.
  expect_input_error(
      [&] {
        (void)parse_pipecut_graph(pipecut_doc(R"({"id":9007199254740993.0,"work":1,"comm":0})", ""),
                                  "g.json");
      },
      "g.json", "too large to be read exactly");

  const Graph t = parse_tarnawski_graph(
      tarnawski_doc(
          R"({"id":1,"fpgaLatency":1,"colorClass":5.0},{"id":2,"fpgaLatency":1,"colorClass":5})",
          R"({"sourceId":1.0,"destId":2,"cost":1})", "4.0"),
      "t.json");
  EXPECT_EQ(t.colour_labels.size(), 1u);
  EXPECT_EQ(*t.default_k, 4);

  testing::TempDir tmp;
  const Graph two = parse_pipecut_graph(
      pipecut_doc(R"({"id":"a","work":1,"comm":1},{"id":"b","work":1,"comm":1})", R"(["a","b"])"),
      "g.json");
  const std::string path = tmp.write(
      "p.json",
      R"({"format":"pipecut.partition","version":1,"k":2.0,"assignment":{"a":0.0,"b":1e0},"seed":5.0})");
  const Solution s = read_solution(two, path);
  EXPECT_EQ(s.partition.k, 2);
  EXPECT_EQ(s.partition.stage_of, (std::vector<int>{0, 1}));
  EXPECT_EQ(s.seed, 5u);
  const std::string fraction = tmp.write(
      "f.json", R"({"format":"pipecut.partition","version":1,"k":2.5,"assignment":{"a":0,"b":1}})");
  expect_input_error([&] { (void)read_partition_assignment(two, fraction); }, fraction,
                     "\"k\" must be an integer");
  const std::string stage = tmp.write(
      "s.json", R"({"format":"pipecut.partition","version":1,"k":2,"assignment":{"a":0,"b":0.5}})");
  expect_input_error([&] { (void)read_partition_assignment(two, stage); }, stage,
                     "stage of node 'b' must be an integer");
  const std::string seed = tmp.write(
      "seed.json",
      R"({"format":"pipecut.partition","version":1,"k":2,"assignment":{"a":0,"b":1},"seed":-1})");
  expect_input_error([&] { (void)read_solution(two, seed); }, seed, "\"seed\" is out of range");
}

}  // namespace
}  // namespace pipecut
