// The pipecut.partition reader (assignment, k, stage numbers) against a small fixed graph whose
// ids include integers at the edges of their ranges.
#include "fuzz_util.hpp"
#include "pipecut/io/partition_json.hpp"

namespace {

const pipecut::Graph& fixed_graph() {
  static const pipecut::Graph g = [] {
    pipecut::GraphBuilder b("graph.json");
    for (const char* id : {"a", "b", "c", "-1", "18446744073709551615"}) {
      pipecut::NodeSpec s;
      s.id = id;
      s.work = 1;
      s.comm = 1;
      b.add_node(s);
    }
    b.add_edge(0, 1);
    b.add_edge(1, 2);
    b.add_edge(0, 3);
    b.add_edge(3, 4);
    return std::move(b).build();
  }();
  return g;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > pipecut::fuzz::kMaxInput) return -1;
  const std::string text = pipecut::fuzz::as_string(data, size);
  pipecut::fuzz::expect_graceful("fuzz.json", [&] {
    const pipecut::Partition p =
        pipecut::parse_partition_assignment(fixed_graph(), text, "fuzz.json");
    (void)pipecut::partition_problem(fixed_graph(), p);
  });
  return 0;
}
