#include "pipecut/io/option_groups.hpp"

#include "pipecut/bounds/bounds.hpp"
#include "pipecut/io/read_graph.hpp"
// The llm group is gathered here with the others, so that every front end lists it (the layer
// rule binds headers; this file only collects the catalogues).
#include "pipecut/llm/llm_plan.hpp"
#include "pipecut/partition/algorithms.hpp"
#include "pipecut/solve/solve.hpp"

namespace pipecut {

std::vector<OptionGroupDoc> option_groups() {
  return {
      document_options("read", "Reading a graph (ReadOptions)",
                       {"solve", "partition", "bound", "evaluate", "convert", "report", "split"},
                       "read_graph", read_option_catalogue()),
      document_options("solve", "The main job (SolveOptions)", {"solve"}, "solve",
                       solve_option_catalogue()),
      document_options("partition", "A partition only (PartitionOptions)", {"partition"},
                       "partition", partition_option_catalogue()),
      document_options("bound", "Lower bounds (BoundOptions)", {"bound"}, "bound",
                       bound_option_catalogue()),
      document_options("llm", "LLM serving plans (LlmOptions; docs/llm.md)", {"llm"},
                       "llm.plan", llm_option_catalogue()),
  };
}

}  // namespace pipecut
