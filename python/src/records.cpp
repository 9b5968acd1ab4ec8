// The result types: Stage, BoundResult, Progress, Solution, Evaluation.
#include <pybind11/stl.h>

#include <climits>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "binding.hpp"
#include "options.hpp"
#include "pipecut/io/graph_json.hpp"
#include "pipecut/io/partition_json.hpp"
#include "pipecut/onnx/device_model.hpp"
#include "pipecut/util/memory_size.hpp"

namespace pipecut::python {

void bind_records(py::module_& m) {
  const py::object stage_class =
      py::class_<StageRecord>(m, "Stage",
                              "One non-empty pipeline stage: its index, node ids, and costs (ms): "
                              "cost = work + comm_in + comm_out.")
          .def_readonly("stage", &StageRecord::stage, "Stage index in 0..k-1 (pipeline order).")
          .def_readonly("nodes", &StageRecord::nodes,
                        "Ids of the nodes in the stage, in node order.")
          .def_readonly("work", &StageRecord::work, "Sum of the nodes' work.")
          .def_readonly("comm_in", &StageRecord::comm_in,
                        "Comm of the distinct tensors produced outside and consumed inside.")
          .def_readonly("comm_out", &StageRecord::comm_out,
                        "Comm of the tensors produced inside with a consumer outside.")
          .def_readonly("cost", &StageRecord::cost, "work + comm_in + comm_out.")
          .def_readonly("device", &StageRecord::device,
                        "On a cluster: the stage's device, 'host:index'; None otherwise.")
          .def_readonly("device_class", &StageRecord::device_class,
                        "On a cluster: the class of the stage's device; None otherwise.")
          .def("__repr__", [](const StageRecord& s) {
            return "<pipecut.Stage " + std::to_string(s.stage) + ": " +
                   std::to_string(s.nodes.size()) + " nodes, cost " + repr_number(s.cost) + ">";
          });

  const py::object boundresult_class =
      py::class_<BoundResult>(m, "BoundResult",
                              "A lower bound on the bottleneck of every partition into at most k "
                              "stages, from one method.")
          .def_readonly("method", &BoundResult::method, "The bound method's name.")
          .def_readonly("value", &BoundResult::value,
                        "The lower bound (ms); valid whatever the status.")
          .def_property_readonly(
              "status", [](const BoundResult& r) { return to_string(r.status); },
              "'proven' (ran to completion), 'time_limit' (stopped early, still valid) or "
              "'gave_up' (did not apply or exceeded a size limit).")
          .def_readonly("seconds", &BoundResult::seconds, "Wall time of the method.")
          .def_readonly("detail", &BoundResult::detail, "One line for humans, may be empty.")
          .def("__repr__", [](const BoundResult& r) {
            return "<pipecut.BoundResult " + r.method + " " + repr_number(r.value) + " (" +
                   to_string(r.status) + ")>";
          });

  const py::object progress_class =
      py::class_<Progress>(m, "Progress",
                           "Where a running solve stands; passed to the `progress` callback after "
                           "every step.")
          .def_readonly("step", &Progress::step,
                        "The method that just ran, or 'name...' for one about to start.")
          .def_readonly("bottleneck", &Progress::bottleneck, "Best partition so far (ms).")
          .def_readonly("lower_bound", &Progress::lower_bound, "Best lower bound so far (ms).")
          .def_readonly("seconds", &Progress::seconds, "Since the run started.")
          .def_property_readonly(
              "ratio",
              [](const Progress& p) {
                return p.bottleneck > 0 ? p.lower_bound / p.bottleneck : 1.0;
              },
              "lower_bound / bottleneck.")
          .def("__repr__", [](const Progress& p) {
            return "<pipecut.Progress " + p.step + ": bottleneck " + repr_number(p.bottleneck) +
                   ", bound " + repr_number(p.lower_bound) + ">";
          });

  const py::object solution_class =
      py::class_<PySolution>(m, "Solution",
                             "A partition with its certificate, as returned by solve and "
                             "partition. Costs in ms.")
          .def_property_readonly(
              "graph_name", [](const PySolution& s) { return s.solution.graph_name; },
              "Name of the graph partitioned.")
          .def_property_readonly(
              "k", [](const PySolution& s) { return s.solution.k; },
              "Number of stages asked for; the partition may use fewer.")
          .def_property_readonly(
              "assignment",
              [](const PySolution& s) {
                py::dict out;
                const Graph& g = *s.graph;
                for (NodeId v = 0; v < g.num_nodes(); ++v)
                  out[py::str(g.ids[v])] = s.solution.partition.stage_of[v];
                return out;
              },
              "Dict node id -> stage index in 0..k-1, every node; stages are in pipeline order "
              "(every edge goes to the same or a later stage).")
          .def_property_readonly(
              "stages",
              [](const PySolution& s) {
                return stage_records(*s.graph, s.solution.evaluation,
                                     s.solution.cluster ? &*s.solution.cluster : nullptr);
              },
              "The non-empty stages in pipeline order, as Stage records.")
          .def_property_readonly(
              "devices",
              [](const PySolution& s) {
                py::list out;
                if (!s.solution.cluster) return out;
                for (int d : s.solution.partition.device_of_stage)
                  out.append(d >= 0 ? py::object(py::str(s.solution.cluster->devices[d].name))
                                    : py::object(py::none()));
                return out;
              },
              "On a cluster (read_graph(..., cluster=FILE)): the device of each of the k stages, "
              "'host:index', None for an empty stage; [] otherwise (docs/clusters.md).")
          .def_property_readonly(
              "stages_used", [](const PySolution& s) { return s.solution.evaluation.stages_used; },
              "Number of non-empty stages.")
          .def_property_readonly(
              "bottleneck", [](const PySolution& s) { return s.solution.bottleneck(); },
              "The largest stage cost (recomputed by the reference evaluator).")
          .def_property_readonly(
              "latency", [](const PySolution& s) { return s.solution.evaluation.latency(); },
              "The sum of the stage costs: what `prefer` weighs after the bottleneck.")
          .def_property_readonly(
              "lower_bound", [](const PySolution& s) { return s.solution.lower_bound; },
              "A proven lower bound on every partition's bottleneck (<= bottleneck).")
          .def_property_readonly(
              "lower_bound_method",
              [](const PySolution& s) { return s.solution.lower_bound_method; },
              "The bound method that gave lower_bound.")
          .def_property_readonly(
              "ratio", [](const PySolution& s) { return s.solution.ratio(); },
              "lower_bound / bottleneck (1 = proven optimal).")
          .def_property_readonly(
              "optimal", [](const PySolution& s) { return s.solution.optimal; },
              "After solve: whether the partition is proven optimal; None when not known.")
          .def_property_readonly(
              "algorithm", [](const PySolution& s) { return s.solution.algorithm; },
              "How the partition was found, with parameters.")
          .def_property_readonly(
              "seed", [](const PySolution& s) { return s.solution.seed; }, "Random seed used.")
          .def_property_readonly(
              "seconds", [](const PySolution& s) { return s.solution.seconds; },
              "Wall time of the run.")
          .def_property_readonly(
              "hit_time_limit", [](const PySolution& s) { return s.solution.hit_time_limit; },
              "Whether the time limit stopped the run before it reached its target.")
          .def_property_readonly(
              "stopped", [](const PySolution& s) { return s.solution.stopped; },
              "Whether a stop request ended the run early.")
          .def_property_readonly(
              "bounds", [](const PySolution& s) { return s.solution.bounds; },
              "Every bound method run (solve only), in order, as BoundResult records.")
          .def(
              "to_json",
              [](const PySolution& s, int indent) {
                return solution_to_json(*s.graph, s.solution, indent);
              },
              py::arg("indent") = 2,
              "The pipecut.partition v1 JSON document, as the command line writes it (one line "
              "when indent is -1).")
          .def("__repr__", [](const PySolution& s) {
            return "<pipecut.Solution '" + s.solution.graph_name +
                   "' k=" + std::to_string(s.solution.k) + ": bottleneck " +
                   repr_number(s.solution.bottleneck()) + ", lower bound " +
                   repr_number(s.solution.lower_bound) + ">";
          });

  const py::object evaluation_class =
      py::class_<PyEvaluation>(m, "Evaluation",
                               "The costs of a valid partition, as recomputed by evaluate (ms).")
          .def_readonly("k", &PyEvaluation::k, "Number of stages allowed.")
          .def_readonly("stages", &PyEvaluation::stages,
                        "The non-empty stages in pipeline order, as Stage records.")
          .def_readonly("bottleneck", &PyEvaluation::bottleneck, "The largest stage cost.")
          .def_readonly("bottleneck_stage", &PyEvaluation::bottleneck_stage,
                        "Index of the first stage with the largest cost.")
          .def_readonly("stages_used", &PyEvaluation::stages_used, "Number of non-empty stages.")
          .def("__repr__", [](const PyEvaluation& e) {
            return "<pipecut.Evaluation k=" + std::to_string(e.k) + ": bottleneck " +
                   repr_number(e.bottleneck) + ", " + std::to_string(e.stages_used) +
                   " stages used>";
          });

  // Shown as pipecut.Name (in reprs, help and the signatures of later definitions), not
  // pipecut._pipecut.Name.
  for (const py::object& cls :
       {stage_class, boundresult_class, progress_class, solution_class, evaluation_class})
    cls.attr("__module__") = "pipecut";
}

}  // namespace pipecut::python
