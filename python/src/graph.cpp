// pipecut.Graph: built from Python values or read from a file, and read back as Python values.
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
#include "pipecut/model/cluster_cost.hpp"
#include "pipecut/io/partition_json.hpp"
#include "pipecut/model/backward_pass.hpp"
#include "pipecut/onnx/device_model.hpp"
#include "pipecut/util/memory_size.hpp"

namespace pipecut::python {

// ---------------------------------------------------------------------------------------------
// Graph construction from Python values.

// A colour class label as the pipecut.graph reader takes it (README, "Placement constraints"):
// a non-empty str, or an int within 64 bits kept as its decimal text.
ColourLabel colour_label_argument(const py::handle& value, const std::string& what) {
  if (py::isinstance<py::str>(value)) {
    std::string text = utf8_argument(value, what);
    if (text.empty()) raise_input_error(what + " must not be empty");
    return {std::move(text), false};
  }
  if (is_bool(value) || !py::isinstance<py::int_>(value))
    throw py::type_error(what + " must be a str or an int, not " + type_name(value));
  const auto i = py::reinterpret_borrow<py::int_>(value);
  const py::int_ lowest(std::numeric_limits<long long>::min());
  const py::int_ highest(std::numeric_limits<unsigned long long>::max());
  if (i < lowest || i > highest)
    raise_input_error(what + " must be within 64 bits (got " + text_of(i) +
                      "; write other labels as strings)");
  return {text_of(i), true};
}

// A memory capacity: bytes as a number, or a size with a unit as on the command line ("16GiB").
double memory_size_argument(const py::handle& value, const std::string& what) {
  const double bytes = py::isinstance<py::str>(value)
                           ? parse_memory_size(utf8_argument(value, what), what)
                           : number_argument(value, what);
  if (!std::isfinite(bytes) || !(bytes > 0))
    raise_input_error(what + " must be a finite number of bytes > 0 (got " + text_of(value) + ")");
  return bytes;
}

PyGraph graph_from_python(const py::iterable& nodes, const py::iterable& edges,
                          const py::object& name_arg, const py::object& memory_per_stage,
                          const py::object& cluster) {
  const std::string name = name_arg.is_none() ? "" : string_argument(name_arg, "name");
  const std::string source = name.empty() ? "pipecut.Graph" : name;
  GraphBuilder builder(source, name);
  if (!memory_per_stage.is_none())
    builder.set_memory_per_stage(
        memory_size_argument(memory_per_stage, source + ": memory_per_stage"));
  int index = 0;
  for (const py::handle item : nodes) {
    const std::string where = "node " + std::to_string(index++);
    if (!py::isinstance<py::dict>(item))
      throw py::type_error(source + ": " + where +
                           ": expected a dict with 'id', 'work', 'comm' (optional 'memory', "
                           "'op', 'colour_class', 'bytes'), not " +
                           type_name(item));
    const auto node = py::reinterpret_borrow<py::dict>(item);
    for (const auto& [key, value] : node) {
      const std::string k = py::isinstance<py::str>(key) ? text_of(key) : "";
      if (k != "id" && k != "work" && k != "comm" && k != "memory" && k != "op" &&
          k != "colour_class" && k != "bytes" && k != "backward")
        raise_input_error(source + ": " + where + ": unknown key " + text_of(py::repr(key)) +
                          " (expected 'id', 'work', 'comm', 'memory', 'op', 'colour_class', "
                          "'bytes', 'backward')");
    }
    for (const char* required : {"id", "work", "comm"})
      if (!node.contains(required))
        raise_input_error(source + ": " + where + " has no '" + required + "'");
    NodeSpec spec;
    spec.id = id_argument(node["id"], source + ": " + where + ": 'id'");
    const std::string node_where = source + ": node '" + spec.id + "': ";
    // Work per device class (docs/clusters.md, "Node costs per class"): a dict class -> ms.
    if (py::isinstance<py::dict>(node["work"])) {
      for (const auto& [cls, time] : py::reinterpret_borrow<py::dict>(node["work"])) {
        const std::string class_name = string_argument(cls, node_where + "'work' class name");
        spec.class_work.emplace_back(
            class_name, number_argument(time, node_where + "'work'['" + class_name + "']"));
      }
      if (spec.class_work.empty()) raise_input_error(node_where + "'work' is an empty dict");
    } else {
      spec.work = number_argument(node["work"], node_where + "'work'");
    }
    spec.comm = number_argument(node["comm"], node_where + "'comm'");
    if (node.contains("bytes") && !node["bytes"].is_none())
      spec.bytes = number_argument(node["bytes"], node_where + "'bytes'");
    if (node.contains("memory") && !node["memory"].is_none())
      spec.memory = number_argument(node["memory"], node_where + "'memory'");
    if (node.contains("op") && !node["op"].is_none())
      spec.op = string_argument(node["op"], node_where + "'op'");
    if (node.contains("colour_class") && !node["colour_class"].is_none())
      spec.colour_class =
          colour_label_argument(node["colour_class"], node_where + "'colour_class'");
    if (node.contains("backward") && !node["backward"].is_none()) {
      if (!is_bool(node["backward"]))
        throw py::type_error(node_where + "'backward' must be a bool, not " +
                             type_name(node["backward"]));
      spec.backward = node["backward"].cast<bool>();
    }
    builder.add_node(std::move(spec));
  }
  index = 0;
  for (const py::handle item : edges) {
    const std::string where = source + ": edge " + std::to_string(index++);
    if (py::isinstance<py::str>(item) || !py::isinstance<py::sequence>(item) || py::len(item) != 2)
      throw py::type_error(where + ": expected a pair (from_id, to_id)");
    const auto pair = py::reinterpret_borrow<py::sequence>(item);
    builder.add_edge(id_argument(pair[0], where + ": from id"),
                     id_argument(pair[1], where + ": to id"));
  }
  auto graph = std::make_shared<const Graph>(std::move(builder).build());
  // As read_graph(..., cluster=FILE) (io/read_graph.cpp): the cluster's classes must be those
  // the work maps name, and its capacities replace memory_per_stage.
  if (cluster.is_none()) {
    if (!graph->work_classes.empty())
      raise_input_error(source + ": nodes give their work per device class (" +
                        graph->work_classes.front() +
                        ", ...): a cluster is needed to cost them (cluster=FILE, "
                        "docs/clusters.md)");
    return PyGraph{graph};
  }
  if (!memory_per_stage.is_none())
    raise_input_error(
        "cluster and memory_per_stage contradict each other: the cluster's device classes give "
        "each device's memory");
  if (graph->is_training())
    raise_input_error(source +
                      ": cluster: training graphs are solved on identical devices only "
                      "(docs/training.md)");
  auto c = std::make_shared<const Cluster>(read_cluster(path_argument(cluster)));
  check_graph_on_cluster(*graph, *c, source);
  return PyGraph{graph, c};
}

py::dict node_dict(const Graph& g, NodeId v) {
  py::dict d;
  d["id"] = g.ids[v];
  d["work"] = g.work[v];
  d["comm"] = g.comm[v];
  d["memory"] = g.memory[v];
  d["op"] = g.op[v];
  // Per-class work and bytes (docs/clusters.md) as the constructor takes them, so that
  // Graph(g.nodes, g.edges, ...) rebuilds the graph.
  const std::size_t classes = g.work_classes.size();
  py::dict times;
  for (std::size_t c = 0; c < classes; ++c) {
    const double t = g.class_work[static_cast<std::size_t>(v) * classes + c];
    if (!std::isnan(t)) times[py::str(g.work_classes[c])] = t;
  }
  if (!times.empty()) d["work"] = times;
  if (!g.bytes.empty() && g.bytes[v] >= 0) d["bytes"] = g.bytes[v];
  // Backward nodes of a training graph (docs/training.md); forward nodes carry no key, as in
  // the pipecut.graph format.
  if (g.is_backward(v)) d["backward"] = true;
  // Only nodes with a class carry the key, as in the pipecut.graph format.
  if (!g.colour_class.empty() && g.colour_class[v] >= 0) {
    const ColourLabel& label = g.colour_labels[static_cast<std::size_t>(g.colour_class[v])];
    d["colour_class"] =
        label.integer
            ? py::reinterpret_steal<py::object>(PyLong_FromString(label.text.c_str(), nullptr, 10))
            : py::str(label.text);
  }
  return d;
}

NodeId node_index(const Graph& g, const py::handle& id) {
  const std::string key = id_argument(id, "node id");
  const auto v = g.find(key);
  if (!v) throw py::key_error("no node with id '" + key + "' in graph " + g.name);
  return *v;
}

void bind_graph(py::module_& m) {
  const py::object graph_class =
      py::class_<PyGraph>(
          m, "Graph",
          "An operator graph (a DAG): per node a compute time `work` (ms), the time "
          "`comm` (ms) to move its output tensor to another stage, `memory` (bytes) "
          "and an operator type `op`. Immutable; nodes keep the order given.")
          .def(py::init(&graph_from_python), py::arg("nodes"), py::arg("edges") = py::tuple(),
               py::arg("name") = py::none(), py::kw_only(),
               py::arg("memory_per_stage") = py::none(), py::arg("cluster") = py::none(),
               "Builds and validates a graph. `nodes`: dicts with 'id' (str or int), 'work' and "
               "'comm' (numbers >= 0), optional 'memory' (bytes), 'op' (str), 'colour_class' (a "
               "str or int label: nodes with the same label must share a stage) and 'bytes' (the "
               "output tensor's size, priced over each link on a cluster; the stash of a "
               "training graph) and 'backward' (True for a backward node of a training graph: "
               "docs/training.md); 'work' may be a dict device class -> ms. `edges`: pairs (from_id, to_id); duplicates are merged. "
               "`memory_per_stage`: the memory capacity of every stage (bytes, or a size such as "
               "'16GiB'). `cluster`: a pipecut.cluster file the graph is solved on, as "
               "read_graph's (docs/clusters.md); its devices' memories replace "
               "memory_per_stage. Raises pipecut.InputError for "
               "duplicate or unknown ids, self-loops, cycles (naming a node on one), negative, NaN "
               "or infinite costs, text that is not valid Unicode, or no nodes; TypeError for "
               "values of the wrong type.")
          .def_property_readonly(
              "name", [](const PyGraph& g) { return g.graph->name; }, "The graph's name.")
          .def_property_readonly(
              "num_nodes", [](const PyGraph& g) { return g.graph->num_nodes(); },
              "Number of nodes.")
          .def_property_readonly(
              "num_edges", [](const PyGraph& g) { return g.graph->num_edges(); },
              "Number of edges (after merging duplicates).")
          .def(
              "__len__", [](const PyGraph& g) { return g.graph->num_nodes(); }, "Number of nodes.")
          .def(
              "__contains__",
              [](const PyGraph& g, const py::handle& id) {
                if (!py::isinstance<py::str>(id) && (is_bool(id) || !py::isinstance<py::int_>(id)))
                  return false;
                // A str that is not valid Unicode (a lone surrogate) is no node's id; `in` answers
                // as for any other value that cannot be one.
                if (py::isinstance<py::str>(id) &&
                    PyUnicode_AsUTF8AndSize(id.ptr(), nullptr) == nullptr) {
                  PyErr_Clear();
                  return false;
                }
                return g.graph->find(id_argument(id, "node id")).has_value();
              },
              py::arg("id"), "Whether a node has this id.")
          .def_property_readonly(
              "ids", [](const PyGraph& g) { return g.graph->ids; }, "Node ids, in node order.")
          .def_property_readonly(
              "nodes",
              [](const PyGraph& g) {
                py::list out;
                for (NodeId v = 0; v < g.graph->num_nodes(); ++v)
                  out.append(node_dict(*g.graph, v));
                return out;
              },
              "Nodes as dicts {'id', 'work', 'comm', 'memory', 'op'}, in node order (the form the "
              "constructor takes).")
          .def_property_readonly(
              "edges",
              [](const PyGraph& g) {
                py::list out;
                const Graph& graph = *g.graph;
                for (NodeId u = 0; u < graph.num_nodes(); ++u)
                  for (NodeId v : graph.successors(u))
                    out.append(py::make_tuple(graph.ids[u], graph.ids[v]));
                return out;
              },
              "Edges as (from_id, to_id) pairs: the producer of a tensor, then its consumer.")
          .def(
              "node",
              [](const PyGraph& g, const py::handle& id) {
                return node_dict(*g.graph, node_index(*g.graph, id));
              },
              py::arg("id"), "The node with this id as a dict; KeyError if there is none.")
          .def(
              "successors",
              [](const PyGraph& g, const py::handle& id) {
                std::vector<std::string> out;
                for (NodeId w : g.graph->successors(node_index(*g.graph, id)))
                  out.push_back(g.graph->ids[w]);
                return out;
              },
              py::arg("id"), "Ids of the nodes that consume this node's output.")
          .def(
              "predecessors",
              [](const PyGraph& g, const py::handle& id) {
                std::vector<std::string> out;
                for (NodeId w : g.graph->predecessors(node_index(*g.graph, id)))
                  out.push_back(g.graph->ids[w]);
                return out;
              },
              py::arg("id"), "Ids of the nodes whose outputs this node consumes.")
          .def_property_readonly(
              "total_work", [](const PyGraph& g) { return g.graph->total_work(); },
              "Sum of the nodes' work (ms).")
          .def_property_readonly(
              "default_k",
              [](const PyGraph& g) -> std::optional<int> { return g.graph->default_k; },
              "The number of stages the input file suggests (pipecut.graph default_k, Tarnawski "
              "maxFPGAs), or None.")
          .def_property_readonly(
              "memory_per_stage",
              [](const PyGraph& g) -> std::optional<double> { return g.graph->memory_per_stage; },
              "The memory capacity of every stage in bytes (from the file or read_graph's "
              "memory_per_stage), or None: every partition must keep each stage's node memory "
              "within it.")
          .def_property_readonly(
              "colocation_groups", [](const PyGraph& g) { return g.graph->colour_labels.size(); },
              "How many colour classes (must-colocate groups) the graph has; each must lie in one "
              "stage.")
          .def(
              "to_json",
              [](const PyGraph& g, int indent) { return pipecut_graph_to_json(*g.graph, indent); },
              py::arg("indent") = -1,
              "The graph as a pipecut.graph v1 JSON document (one line when indent is -1).")
          .def("__repr__", [](const PyGraph& g) {
            return "<pipecut.Graph '" + g.graph->name +
                   "': " + std::to_string(g.graph->num_nodes()) + " nodes, " +
                   std::to_string(g.graph->num_edges()) + " edges>";
          });

  m.def(
      "add_backward_pass",
      [](const PyGraph& graph, const py::object& factor) {
        if (graph.cluster)
          raise_input_error(graph.graph->name +
                            ": add_backward_pass: training graphs are solved on identical "
                            "devices only, not on a cluster (docs/training.md)");
        BackwardPassModel model;
        if (!factor.is_none()) model.factor = number_argument(factor, "factor");
        std::shared_ptr<const Graph> out;
        {
          const py::gil_scoped_release release;
          out = std::make_shared<const Graph>(add_backward_pass(*graph.graph, model));
        }
        return PyGraph{out};
      },
      py::arg("graph"), py::arg("factor") = py::none(),
      "The training graph of an inference graph (docs/training.md, \"Synthesising a backward "
      "pass\"): every node v gets a backward twin v' in its colour class (a fresh class when "
      "it has none) whose work is v's times `factor` (None: the per-operator factors, 2 for "
      "convolutions, matrix products and attention, 1 for the rest), with gradient edges "
      "v' -> u' and activation edges u -> v' for every edge u -> v. Solve it with "
      "schedule='gpipe' or '1f1b' for the activation stash. Raises pipecut.InputError for a "
      "graph that already has backward nodes, a twin id that is taken, or a factor < 0.");

  // Shown as pipecut.Name (in reprs, help and the signatures of later definitions), not
  // pipecut._pipecut.Name.
  for (const py::object& cls : {graph_class}) cls.attr("__module__") = "pipecut";
}

}  // namespace pipecut::python
