// The report's partition reader (the whole pipecut.partition file: assignment, bound, flags,
// bound list) against a small fixed graph with a memory capacity and a colour class, then the
// HTML report of what it accepted, as `pipecut report` does.
#include "fuzz_util.hpp"
#include "pipecut/io/partition_json.hpp"
#include "pipecut/report/html_report.hpp"
#include "pipecut/solve/api.hpp"

namespace {

const pipecut::Graph& fixed_graph() {
  static const pipecut::Graph g = [] {
    pipecut::GraphBuilder b("graph.json", "fixed");
    const char* ids[] = {"a", "b", "c", "-1", "18446744073709551615"};
    for (int i = 0; i < 5; ++i) {
      pipecut::NodeSpec s;
      s.id = ids[i];
      s.work = 1 + i;
      s.comm = 0.5 * i;
      s.memory = 4 * i;
      if (i == 1 || i == 2) s.colour_class = pipecut::ColourLabel{"pair", false};
      b.add_node(s);
    }
    b.add_edge(0, 1);
    b.add_edge(1, 2);
    b.add_edge(0, 3);
    b.add_edge(3, 4);
    b.set_memory_per_stage(16);
    return std::move(b).build();
  }();
  return g;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > pipecut::fuzz::kMaxInput) return -1;
  const std::string text = pipecut::fuzz::as_string(data, size);
  pipecut::fuzz::expect_graceful("fuzz.json", [&] {
    const pipecut::Graph& g = fixed_graph();
    pipecut::Solution s = pipecut::parse_solution(g, text, "fuzz.json");
    if (pipecut::partition_problem(g, s.partition)) return;  // the command refuses it here
    s.evaluation = pipecut::evaluate(g, s.partition);
    const std::string page = pipecut::html_report(g, s);
    if (page.find("</html>") == std::string::npos) {
      std::fprintf(stderr, "report page is cut short\n");
      std::abort();
    }
  });
  return 0;
}
