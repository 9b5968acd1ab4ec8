// Argument conversion for the compiled module: wrong types raise TypeError, bad values
// pipecut.InputError.
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

[[noreturn]] void raise_input_error(const std::string& message) { throw InputError(message); }

std::vector<StageRecord> stage_records(const Graph& g, const Evaluation& e,
                                       const Cluster* cluster) {
  std::vector<StageRecord> out;
  for (const StageCost& s : e.stages) {
    if (s.nodes.empty()) continue;  // Solution and evaluate list non-empty stages only
    StageRecord r{s.stage, {}, s.work, s.comm_in, s.comm_out, s.cost};
    r.nodes.reserve(s.nodes.size());
    for (NodeId v : s.nodes) r.nodes.push_back(g.ids[v]);
    if (cluster && s.device >= 0) {
      const ClusterDevice& d = cluster->devices[s.device];
      r.device = d.name;
      r.device_class = cluster->classes[d.device_class].name;
    }
    out.push_back(std::move(r));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Argument conversion: wrong types raise TypeError, bad values pipecut.InputError.

bool is_bool(const py::handle& h) { return PyBool_Check(h.ptr()) != 0; }

// str(h) for messages; a lone surrogate (which a Python str may hold) is written as \udXXX.
std::string text_of(const py::handle& h) {
  const py::str text(h);
  const auto bytes = py::reinterpret_steal<py::bytes>(
      PyUnicode_AsEncodedString(text.ptr(), "utf-8", "backslashreplace"));
  if (!bytes) throw py::error_already_set();
  return bytes.cast<std::string>();
}

// A str as UTF-8 text. A Python str may hold a lone surrogate ("\ud800"), which has no UTF-8
// form: that is bad input (pipecut.InputError naming `what`), not a UnicodeEncodeError.
std::string utf8_argument(const py::handle& value, const std::string& what) {
  Py_ssize_t size = 0;
  const char* data = PyUnicode_AsUTF8AndSize(value.ptr(), &size);
  if (data == nullptr) {
    PyErr_Clear();
    raise_input_error(what + " " + text_of(py::repr(value)) +
                      " is not valid Unicode text (it holds a lone surrogate, which has no "
                      "UTF-8 form)");
  }
  return {data, static_cast<std::size_t>(size)};
}
std::string type_name(const py::handle& h) {
  return text_of(py::type::handle_of(h).attr("__name__"));
}

// A Python integer (or anything with __index__, such as a NumPy integer), not a bool.
py::int_ as_integer(const py::handle& value, const std::string& what) {
  if (is_bool(value) || PyIndex_Check(value.ptr()) == 0)
    throw py::type_error(what + " must be an integer, not " + type_name(value));
  return py::reinterpret_steal<py::int_>(PyNumber_Index(value.ptr()));
}

long long as_long_long(const py::handle& value, const std::string& what, long long min,
                       long long max) {
  const py::int_ i = as_integer(value, what);
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(i.ptr(), &overflow);
  if (overflow != 0 || v < min || v > max)
    raise_input_error(what + " must be in [" + std::to_string(min) + ", " + std::to_string(max) +
                      "] (got " + text_of(i) + ")");
  return v;
}

// k: an integer from 1 to INT_MAX.
int stages_value(const py::object& k) {
  const py::int_ i = as_integer(k, "k");
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(i.ptr(), &overflow);
  if (overflow < 0 || (overflow == 0 && v < 1))
    raise_input_error("k must be at least 1 (got " + text_of(i) + ")");
  if (overflow > 0 || v > INT_MAX)
    raise_input_error("k must be at most " + std::to_string(INT_MAX) + " (got " + text_of(i) + ")");
  return static_cast<int>(v);
}

// k: an integer >= 1, or None for the graph's own number of stages.
int stages_argument(const Graph& g, const py::object& k) {
  if (k.is_none()) return stages_to_use(g, std::nullopt);
  return stages_to_use(g, stages_value(k));
}

// On a cluster k defaults to its device count (docs/clusters.md).
int stages_argument(const PyGraph& graph, const py::object& k) {
  if (!graph.cluster) return stages_argument(*graph.graph, k);
  if (k.is_none()) return graph.cluster->num_devices();
  return stages_value(k);
}

double number_argument(const py::handle& value, const std::string& what) {
  if (is_bool(value) || PyNumber_Check(value.ptr()) == 0 || PyComplex_Check(value.ptr()) != 0)
    throw py::type_error(what + " must be a number, not " + type_name(value));
  return py::cast<double>(py::float_(py::reinterpret_borrow<py::object>(value)));
}

std::string string_argument(const py::handle& value, const std::string& what) {
  if (!py::isinstance<py::str>(value))
    throw py::type_error(what + " must be a str, not " + type_name(value));
  return utf8_argument(value, what);
}

// A node id as the pipecut.graph reader takes it: a str, or an int written in decimal.
std::string id_argument(const py::handle& value, const std::string& what) {
  if (py::isinstance<py::str>(value)) return utf8_argument(value, what);
  if (!is_bool(value) && py::isinstance<py::int_>(value)) return py::str(value);
  throw py::type_error(what + " must be a str or an int, not " + type_name(value));
}

// A file name as the operating system takes it: os.fsencode's bytes, so that a name Python
// decoded with surrogateescape (bytes that are not UTF-8) names the same file again.
std::string path_argument(const py::object& path) {
  const py::object fspath = py::module_::import("os").attr("fspath");
  const py::object text = fspath(path);
  if (!py::isinstance<py::str>(text)) throw py::type_error("path must be a str or os.PathLike");
  const auto bytes = py::reinterpret_steal<py::bytes>(PyUnicode_EncodeFSDefault(text.ptr()));
  if (!bytes) {
    PyErr_Clear();
    raise_input_error("path " + text_of(py::repr(text)) +
                      " cannot be encoded as a file name (a lone surrogate)");
  }
  return bytes.cast<std::string>();
}

// ---------------------------------------------------------------------------------------------
// Logging: library warnings go to the "pipecut" logger of Python's logging module.

void log_warning(const std::string& message) {
  py::module_::import("logging").attr("getLogger")("pipecut").attr("warning")(message);
}

// ---------------------------------------------------------------------------------------------
// Assignments for evaluate: a Solution, a dict id -> stage, or a sequence indexed like the nodes.

Partition partition_argument(const Graph& g, const py::object& assignment,
                             const py::object& k_arg) {
  Partition p;
  p.stage_of.assign(g.num_nodes(), -1);
  auto stage_value = [](const py::handle& value, const std::string& what) {
    return static_cast<int>(as_long_long(value, what, 0, INT_MAX - 1));
  };
  std::optional<int> k_from_solution;
  if (py::isinstance<PySolution>(assignment)) {
    const PySolution& s = py::cast<const PySolution&>(assignment);
    const Graph& from = *s.graph;
    if (from.num_nodes() != g.num_nodes())
      raise_input_error("the solution is for graph '" + from.name + "' with " +
                        std::to_string(from.num_nodes()) + " nodes, not this graph (" +
                        std::to_string(g.num_nodes()) + " nodes)");
    for (NodeId v = 0; v < from.num_nodes(); ++v) {
      const auto w = g.find(from.ids[v]);
      if (!w)
        raise_input_error("the solution assigns node '" + from.ids[v] +
                          "', which is not in graph '" + g.name + "'");
      p.stage_of[*w] = s.solution.partition.stage_of[v];
    }
    k_from_solution = s.solution.k;
  } else if (py::isinstance<py::dict>(assignment)) {
    for (const auto& [id, stage] : py::reinterpret_borrow<py::dict>(assignment)) {
      const std::string key = id_argument(id, "assignment key");
      const auto v = g.find(key);
      if (!v) raise_input_error("assignment: unknown node id '" + key + "'");
      p.stage_of[*v] = stage_value(stage, "assignment['" + key + "']");
    }
    for (NodeId v = 0; v < g.num_nodes(); ++v)
      if (p.stage_of[v] < 0) raise_input_error("assignment: node '" + g.ids[v] + "' has no stage");
  } else if (py::isinstance<py::sequence>(assignment) && !py::isinstance<py::str>(assignment)) {
    const auto seq = py::reinterpret_borrow<py::sequence>(assignment);
    if (static_cast<int>(py::len(seq)) != g.num_nodes())
      raise_input_error("assignment: " + std::to_string(py::len(seq)) + " stages for " +
                        std::to_string(g.num_nodes()) + " nodes");
    for (NodeId v = 0; v < g.num_nodes(); ++v)
      p.stage_of[v] =
          stage_value(seq[static_cast<std::size_t>(v)], "assignment[" + std::to_string(v) + "]");
  } else {
    throw py::type_error(
        "assignment must be a Solution, a dict node id -> stage, or a sequence of stages");
  }
  if (!k_arg.is_none()) {
    p.k = static_cast<int>(as_long_long(k_arg, "k", 1, INT_MAX));
  } else if (k_from_solution) {
    p.k = *k_from_solution;
  } else {
    int max_stage = 0;
    for (int s : p.stage_of) max_stage = std::max(max_stage, s);
    p.k = max_stage + 1;
  }
  return p;
}

std::vector<int> devices_argument(const Cluster& c, const py::object& assignment,
                                  const py::object& devices, int k) {
  auto device_index = [&c](const std::string& name) {
    for (int d = 0; d < c.num_devices(); ++d)
      if (c.devices[d].name == name) return d;
    return -1;
  };
  std::vector<int> out;
  if (!devices.is_none()) {
    if (!py::isinstance<py::sequence>(devices) || py::isinstance<py::str>(devices))
      throw py::type_error("devices must be a sequence of device names ('host:index') or None, "
                           "not " + type_name(devices));
    const auto seq = py::reinterpret_borrow<py::sequence>(devices);
    if (static_cast<long long>(py::len(seq)) != k)
      raise_input_error("devices: " + std::to_string(py::len(seq)) + " devices for k = " +
                        std::to_string(k) + " stages");
    for (int b = 0; b < k; ++b) {
      const py::object name = seq[static_cast<std::size_t>(b)];
      if (name.is_none()) {
        out.push_back(-1);
        continue;
      }
      const std::string text = string_argument(name, "devices[" + std::to_string(b) + "]");
      const int d = device_index(text);
      if (d < 0)
        raise_input_error("devices[" + std::to_string(b) + "]: cluster " + c.name +
                          " has no device '" + text + "'");
      out.push_back(d);
    }
    return out;
  }
  if (py::isinstance<PySolution>(assignment)) {
    const Solution& s = py::cast<const PySolution&>(assignment).solution;
    if (!s.cluster)
      raise_input_error("the solution was made without a cluster: give its stages' devices "
                        "(devices=[...], 'host:index' names) to evaluate it on cluster " +
                        c.name);
    if (s.cluster->digest != c.digest)
      log_warning("the solution was made on cluster " + s.cluster->name + " (digest " +
                  s.cluster->digest.substr(0, 12) + "), not this one: evaluated on cluster " +
                  c.name);
    for (int b = 0; b < k; ++b) {
      const int from = b < static_cast<int>(s.partition.device_of_stage.size())
                           ? s.partition.device_of_stage[b]
                           : -1;
      if (from < 0) {
        out.push_back(-1);
        continue;
      }
      const std::string& name = s.cluster->devices[from].name;
      const int d = device_index(name);
      if (d < 0)
        raise_input_error("stage " + std::to_string(b) + " of the solution is on device '" + name +
                          "', which cluster " + c.name + " does not have");
      out.push_back(d);
    }
    return out;
  }
  raise_input_error("the graph was read with cluster " + c.name +
                    ": give the stages' devices (devices=[...], 'host:index' names or None "
                    "for an empty stage), or a Solution made on the cluster");
}

// ---------------------------------------------------------------------------------------------
// Bound method names: "all", one name, or a list of names.

std::vector<std::string> methods_argument(const py::object& method) {
  if (py::isinstance<py::str>(method)) {
    const auto name = utf8_argument(method, "method");
    if (name == "all") return {};
    bound_method(name);  // InputError listing the known names
    return {name};
  }
  if (!py::isinstance<py::sequence>(method))
    throw py::type_error("method must be a bound method name, 'all', or a list of names");
  std::vector<std::string> names;
  for (const py::handle item : method) {
    names.push_back(string_argument(item, "method"));
    bound_method(names.back());
  }
  if (names.empty()) raise_input_error("method: the list of bound methods is empty");
  return names;
}

// solve's options (shared with the up-front check of pipecut.torch.split).
SolveOptions solve_options_argument(const std::string& function, const py::kwargs& kwargs,
                                    const py::object& progress) {
  SolveOptions options;
  reject_unknown_keywords(function, kwargs, python_names(solve_option_catalogue()));
  apply_keywords(solve_option_catalogue(), options, kwargs);
  check_options(options, solve_option_catalogue());
  if (!progress.is_none() && !PyCallable_Check(progress.ptr()))
    throw py::type_error("progress must be callable or None");
  return options;
}

std::string repr_number(double x) { return py::repr(py::float_(x)); }

}  // namespace pipecut::python
