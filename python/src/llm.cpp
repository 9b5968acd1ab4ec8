// pipecut.llm's compiled side (docs/llm.md, "Python"): plan() as a pipecut.llm_plan document, the
// same JSON `pipecut llm --format json` writes, so the two front ends cannot disagree; llm.py
// wraps it.
#include "binding.hpp"
#include "options.hpp"
#include "pipecut/io/cluster_json.hpp"
#include "pipecut/llm/llm_plan.hpp"

namespace pipecut::python {

void bind_llm(py::module_& m) {
  m.def(
      "_llm_plan_json",
      [](const std::string& config, const std::string& cluster, std::optional<int> k,
         const py::kwargs& kwargs) {
        LlmOptions options;
        apply_keywords(llm_option_catalogue(), options, kwargs);
        reject_unknown_keywords("plan", kwargs, python_names(llm_option_catalogue()));
        return run_interruptible<std::string>(
            [=](const RunControl& control) {
              const LlmConfig c = read_llm_config(config);
              const Cluster cl = read_cluster(cluster);
              return llm_plan_to_json(plan_llm(c, cl, k, options, control));
            },
            py::none());
      },
      py::arg("config"), py::arg("cluster"), py::arg("k") = py::none(),
      "The pipecut.llm_plan document of a plan (pipecut.llm.plan is the public face).");
}

}  // namespace pipecut::python
