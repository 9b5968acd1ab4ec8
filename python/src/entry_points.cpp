// The registries and the entry points: read_graph, partition, bound, solve, evaluate.
#include <pybind11/stl.h>

#include <climits>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "binding.hpp"
#include "options.hpp"
#include "pipecut/io/cluster_json.hpp"
#include "pipecut/io/graph_json.hpp"
#include "pipecut/io/partition_json.hpp"
#include "pipecut/model/cluster_cost.hpp"
#include "pipecut/onnx/device_model.hpp"
#include "pipecut/solve/cluster_solve.hpp"
#include "pipecut/util/memory_size.hpp"

namespace pipecut::python {

void bind_entry_points(py::module_& m) {
  // Registries.
  m.def(
      "partition_algorithms",
      [] {
        py::dict out;
        for (const PartitionAlgorithm& a : partition_algorithms())
          out[py::str(a.name)] = a.description;
        return out;
      },
      "Partition algorithms by name, with a one-line description each.");
  m.def(
      "bound_methods",
      [] {
        py::dict out;
        for (const BoundMethod& b : bound_methods()) out[py::str(b.name)] = b.description;
        return out;
      },
      "Bound methods by name, cheapest first (the order 'all' runs them), with a one-line "
      "description each.");
  m.def("slicegraph_presets", &slicegraph_preset_names, "The SliceGraph presets' names.");

  // Entry points.
  const ReadOptions read_defaults;
  m.def(
      "read_graph",
      [](const py::object& path, const py::kwargs& kwargs) {
        ReadOptions options;
        reject_unknown_keywords("read_graph", kwargs, python_names(read_option_catalogue()));
        apply_keywords(read_option_catalogue(), options, kwargs);
        std::vector<std::string> warnings;
        options.warn = [&warnings](const std::string& w) { warnings.push_back(w); };
        const std::string file = path_argument(path);
        std::shared_ptr<const Graph> graph;
        {
          const py::gil_scoped_release release;
          graph = std::make_shared<const Graph>(read_graph(file, options));
        }
        for (const std::string& w : warnings) log_warning(w);
        std::shared_ptr<const Cluster> cluster;
        if (!options.cluster.empty())
          cluster = std::make_shared<const Cluster>(
              read_cluster(options.cluster, options.max_input_bytes));
        return PyGraph{graph, cluster};
      },
      py::arg("path"),
      "Reads a graph in any supported format (pipecut.graph JSON or .json.gz, Tarnawski et "
      "al. JSON, PipeDream graph.txt, REGAL .pbtxt, ONNX), detected from the file unless "
      "`input_format` names one. Placement constraints the file gives are kept unless an "
      "option replaces or drops them. Readers' warnings go to the 'pipecut' logger. Raises "
      "pipecut.InputError naming the file and the problem.");

  m.def(
      "partition",
      [](const PyGraph& graph, const py::object& k, const py::kwargs& kwargs) {
        PartitionOptions options;
        reject_unknown_keywords("partition", kwargs, python_names(partition_option_catalogue()));
        apply_keywords(partition_option_catalogue(), options, kwargs);
        check_options(options, partition_option_catalogue());
        brkga_config(options);  // unknown presets fail before the thread starts
        const int stages = stages_argument(graph, k);
        auto g = graph.graph;
        auto cluster = graph.cluster;
        Solution s = run_interruptible<Solution>(
            [g, cluster, stages, options](const RunControl& control) {
              return cluster ? partition_on_cluster(*g, *cluster, stages, options, control)
                             : partition_graph(*g, stages, options, control);
            },
            py::none());
        return PySolution{g, std::move(s)};
      },
      py::arg("graph"), py::arg("k") = py::none(),
      "One partition algorithm (partition_algorithms() lists them) for at most k stages, with "
      "the simple lower bound max(W/k, max work). k = None uses the graph's own number of "
      "stages. Returns a Solution. The GIL is released; Ctrl-C stops the search and raises "
      "KeyboardInterrupt.");

  m.def(
      "bound",
      [](const PyGraph& graph, const py::object& k, const py::object& method,
         const py::kwargs& kwargs) {
        BoundOptions options;
        reject_unknown_keywords("bound", kwargs, python_names(bound_option_catalogue()));
        apply_keywords(bound_option_catalogue(), options, kwargs);
        check_options(options, bound_option_catalogue());
        const std::vector<std::string> methods = methods_argument(method);
        const int stages = stages_argument(graph, k);
        auto g = graph.graph;
        auto cluster = graph.cluster;
        BoundsReport report = run_interruptible<BoundsReport>(
            [g, cluster, stages, methods, options](const RunControl& control) {
              return cluster ? compute_bounds_on_cluster(*g, *cluster, stages, methods, options,
                                                         control)
                             : compute_bounds(*g, stages, methods, options, control);
            },
            py::none());
        return report.bounds;
      },
      py::arg("graph"), py::arg("k") = py::none(), py::kw_only(), py::arg("method") = "all",
      "Certified lower bounds on the best bottleneck of any partition into at most k stages. "
      "`method`: a name from bound_methods(), a list of names, or 'all' (every method, "
      "cheapest first). Returns a list of BoundResult, one per method run. Ctrl-C stops and "
      "raises KeyboardInterrupt.");

  m.def(
      "solve",
      [](const PyGraph& graph, const py::object& k, const py::object& progress,
         const py::kwargs& kwargs) {
        const SolveOptions options = solve_options_argument("solve", kwargs, progress);
        const int stages = stages_argument(graph, k);
        auto g = graph.graph;
        auto cluster = graph.cluster;
        Solution s = run_interruptible<Solution>(
            [g, cluster, stages, options](const RunControl& control) {
              return cluster ? solve_on_cluster(*g, *cluster, stages, options, control)
                             : solve(*g, stages, options, control);
            },
            progress);
        return PySolution{g, std::move(s)};
      },
      py::arg("graph"), py::arg("k") = py::none(), py::kw_only(), py::arg("progress") = py::none(),
      "The main job: partition searches and lower bounds (the portfolio of docs/partitioning.md) "
      "until lower_bound / bottleneck >= target_ratio (1 = prove optimality) or `time_limit` "
      "seconds pass (0 = none). k = None uses the graph's own number of stages. `progress(p)` "
      "is called with a Progress after every step, on the calling thread. The GIL is released "
      "while solving; Ctrl-C stops the run within about a second and raises KeyboardInterrupt. "
      "Returns a Solution.");

  // solve's checks without a graph, so that pipecut.torch.split can reject a bad k or option
  // before it spends minutes tracing a module (docs/python.md, "pipecut.torch").
  m.def(
      "_check_solve_arguments",
      [](const py::object& k, const py::object& progress, const py::kwargs& kwargs) {
        stages_value(k);
        solve_options_argument("solve", kwargs, progress);
      },
      py::arg("k"), py::kw_only(), py::arg("progress") = py::none(),
      "Raises what solve(graph, k, ...) would for these arguments (InputError, TypeError); "
      "k must be given. For pipecut.torch.");
  m.def("_option_groups", &option_groups_for_python,
        "The option catalogues of read_graph, partition, bound and solve (pipecut options "
        "--json); pipecut builds its signatures and docstrings from them.");
  m.def(
      "_memory_size",
      [](const py::object& value, const std::string& what) {
        return memory_size_argument(value, what);
      },
      py::arg("value"), py::arg("what"),
      "Bytes from a number or a size with a unit ('16GiB'), as read_graph's memory_per_stage "
      "takes them; InputError naming `what` otherwise. For pipecut.torch.");

  m.def(
      "evaluate",
      [](const PyGraph& graph, const py::object& assignment, const py::object& k,
         const py::object& devices) {
        const Graph& g = *graph.graph;
        Partition p = partition_argument(g, assignment, k);
        Evaluation e;
        if (!graph.cluster) {
          if (!devices.is_none())
            raise_input_error("devices: the graph was read without a cluster "
                              "(read_graph(..., cluster=FILE) gives it one)");
          const py::gil_scoped_release release;
          e = evaluate(g, p);
          return PyEvaluation{p.k, stage_records(g, e), e.bottleneck, e.bottleneck_stage,
                              e.stages_used};
        }
        // As `pipecut evaluate --cluster` (docs/clusters.md): the partition with its devices,
        // valid on the cluster, each stage within its own device's memory.
        const Cluster& c = *graph.cluster;
        p.device_of_stage = devices_argument(c, assignment, devices, p.k);
        std::optional<std::string> problem = cluster_partition_problem(g, c, p);
        if (!problem) problem = cluster_constraint_violation(g, c, p);
        if (problem) raise_input_error("invalid partition: " + *problem);
        {
          const py::gil_scoped_release release;
          e = evaluate_on_cluster(ClusterCosts(g, c, g.name), p);
        }
        return PyEvaluation{p.k, stage_records(g, e, &c), e.bottleneck, e.bottleneck_stage,
                            e.stages_used};
      },
      py::arg("graph"), py::arg("assignment"), py::arg("k") = py::none(), py::kw_only(),
      py::arg("devices") = py::none(),
      "Validates a partition (every node assigned, stages in 0..k-1, every edge forward) and "
      "recomputes its stage costs with the reference evaluator. `assignment`: a Solution, a "
      "dict node id -> stage, or a sequence of stages in node order. `k` defaults to the "
      "Solution's, else the largest stage + 1. On a graph read with a cluster, the stages' "
      "devices are `devices` (k 'host:index' names, None for an empty stage) or the Solution's; "
      "each non-empty stage needs a device of its own that holds its memory, and the stages "
      "record their device and class. Raises pipecut.InputError naming the first problem. "
      "Returns an Evaluation.");
}

}  // namespace pipecut::python
