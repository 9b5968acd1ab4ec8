// The compiled part of the Python package: pipecut._pipecut, re-exported by pipecut/__init__.py.
// A thin layer over pipecut/solve/api.hpp; docs/python.md is the reference. Every default comes
// from a default-constructed C++ options struct, never from a number written here.
//
// Long calls (solve, partition, bound) run on a worker thread with the GIL released, while the
// calling thread wakes every 100 ms to deliver progress and log events (with the GIL held, on
// the caller's own thread) and to check for Ctrl-C; a KeyboardInterrupt (or an exception raised
// by a progress callback) sets the run's StopFlag, waits for the library to return its best
// result (the methods poll the flag), and is then raised.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <climits>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "pipecut/io/cluster_json.hpp"
#include "pipecut/io/device_model.hpp"
#include "pipecut/io/graph_json.hpp"
#include "pipecut/util/memory_size.hpp"
#include "pipecut/io/partition_json.hpp"
#include "pipecut/pipecut.hpp"
#include "pipecut/solve/cluster_solve.hpp"
#include "options.hpp"

namespace py = pybind11;

namespace pipecut::python {
namespace {

// ---------------------------------------------------------------------------------------------
// Exceptions: pipecut.Error and its subclasses, created here so that InputError can derive from
// both pipecut.Error and ValueError.

struct ExceptionTypes {
  PyObject* error = nullptr;
  PyObject* input = nullptr;
  PyObject* output = nullptr;
  PyObject* infeasible = nullptr;
  PyObject* no_feasible = nullptr;
};
ExceptionTypes exceptions;

PyObject* new_exception(py::module_& m, const char* name, const char* doc, PyObject* bases) {
  const std::string qualified = std::string("pipecut.") + name;
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases, nullptr);
  if (type == nullptr) throw py::error_already_set();
  m.attr(name) = py::reinterpret_borrow<py::object>(type);  // the module keeps it alive
  return type;
}

[[noreturn]] void raise_input_error(const std::string& message) { throw InputError(message); }

// Raises `type` with a message from the library. Messages quote file names and file contents,
// which need not be UTF-8: bytes that are not become \xNN rather than a UnicodeDecodeError.
void set_error(PyObject* type, const std::string& message) {
  PyObject* text = PyUnicode_DecodeUTF8(message.data(), static_cast<Py_ssize_t>(message.size()),
                                        "backslashreplace");
  if (text == nullptr) return;  // MemoryError is set
  PyErr_SetObject(type, text);
  Py_DECREF(text);
}

// ---------------------------------------------------------------------------------------------
// Python-side values.

struct PyGraph {
  std::shared_ptr<const Graph> graph;
  // read_graph(..., cluster=FILE): the cluster the graph is solved on (docs/clusters.md).
  std::shared_ptr<const Cluster> cluster = {};
};

// Commands that do not work on clusters yet refuse a graph read with one.
void refuse_cluster(const PyGraph& graph, const char* function) {
  if (graph.cluster)
    throw InputError(std::string(function) + ": the graph was read with a cluster, and " +
                     function + " does not work on clusters yet (solve does; docs/clusters.md)");
}

struct StageRecord {
  int stage = 0;
  std::vector<std::string> nodes;
  double work = 0, comm_in = 0, comm_out = 0, cost = 0;
};

std::vector<StageRecord> stage_records(const Graph& g, const Evaluation& e) {
  std::vector<StageRecord> out;
  for (const StageCost& s : e.stages) {
    if (s.nodes.empty()) continue;  // Solution and evaluate list non-empty stages only
    StageRecord r{s.stage, {}, s.work, s.comm_in, s.comm_out, s.cost};
    r.nodes.reserve(s.nodes.size());
    for (NodeId v : s.nodes) r.nodes.push_back(g.ids[v]);
    out.push_back(std::move(r));
  }
  return out;
}

struct PySolution {
  std::shared_ptr<const Graph> graph;
  Solution solution;
};

struct PyEvaluation {
  int k = 0;
  std::vector<StageRecord> stages;
  double bottleneck = 0;
  int bottleneck_stage = 0;
  int stages_used = 0;
};

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
    throw py::type_error(what + " must be an integer, not " +
                         type_name(value));
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
    raise_input_error("k must be at most " + std::to_string(INT_MAX) + " (got " +
                      text_of(i) + ")");
  return static_cast<int>(v);
}

// k: an integer >= 1, or None for the graph's own number of stages.
int stages_argument(const Graph& g, const py::object& k) {
  if (k.is_none()) return stages_to_use(g, std::nullopt);
  return stages_to_use(g, stages_value(k));
}

// On a cluster k defaults to its device count (docs/clusters.md).
int cluster_stages_argument(const Cluster& c, const py::object& k) {
  if (k.is_none()) return c.num_devices();
  return stages_value(k);
}

double number_argument(const py::handle& value, const std::string& what) {
  if (is_bool(value) || PyNumber_Check(value.ptr()) == 0 || PyComplex_Check(value.ptr()) != 0)
    throw py::type_error(what + " must be a number, not " +
                         type_name(value));
  return py::cast<double>(py::float_(py::reinterpret_borrow<py::object>(value)));
}

std::string string_argument(const py::handle& value, const std::string& what) {
  if (!py::isinstance<py::str>(value))
    throw py::type_error(what + " must be a str, not " +
                         type_name(value));
  return utf8_argument(value, what);
}

// A node id as the pipecut.graph reader takes it: a str, or an int written in decimal.
std::string id_argument(const py::handle& value, const std::string& what) {
  if (py::isinstance<py::str>(value)) return utf8_argument(value, what);
  if (!is_bool(value) && py::isinstance<py::int_>(value)) return py::str(value);
  throw py::type_error(what + " must be a str or an int, not " +
                       type_name(value));
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
// Running a long call on a worker thread, interruptible from Python.

using Event = std::variant<Progress, std::string>;  // a progress report or a log line

template <class Result>
Result run_interruptible(std::function<Result(const RunControl&)> work,
                         const py::object& progress) {
  struct Shared {
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<Event> events;
    bool done = false;
    std::optional<Result> result;
    std::exception_ptr error;
    StopFlag stop;
  };
  auto shared = std::make_shared<Shared>();
  auto post = [shared](Event e) {
    {
      const std::lock_guard lock(shared->mutex);
      shared->events.push_back(std::move(e));
    }
    shared->wake.notify_one();
  };
  RunControl control;
  control.stop = &shared->stop;
  if (!progress.is_none()) control.progress = [post](const Progress& p) { post(p); };
  control.log = [post](const std::string& line) { post(line); };

  std::thread worker([shared, work = std::move(work), control] {
    std::optional<Result> result;
    std::exception_ptr error;
    try {
      result.emplace(work(control));
    } catch (...) {
      error = std::current_exception();
    }
    {
      const std::lock_guard lock(shared->mutex);
      shared->result = std::move(result);
      shared->error = error;
      shared->done = true;
    }
    shared->wake.notify_one();
  });

  std::optional<py::error_already_set> raised;  // KeyboardInterrupt or a callback's exception
  for (;;) {
    std::deque<Event> events;
    bool done = false;
    {
      const py::gil_scoped_release release;
      std::unique_lock lock(shared->mutex);
      shared->wake.wait_for(lock, std::chrono::milliseconds(100),
                            [&] { return shared->done || !shared->events.empty(); });
      events.swap(shared->events);
      done = shared->done;
    }
    try {
      for (const Event& e : events) {
        if (raised) break;  // stopping: later reports are dropped
        if (const auto* p = std::get_if<Progress>(&e))
          progress(*p);
        else
          log_warning(std::get<std::string>(e));
      }
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    } catch (py::error_already_set& e) {
      if (!raised) raised.emplace(std::move(e));  // a second Ctrl-C while stopping is dropped
      shared->stop.request();
    }
    if (done) break;
  }
  {
    const py::gil_scoped_release release;
    worker.join();
  }
  if (raised) throw std::move(*raised);
  if (shared->error) std::rethrow_exception(shared->error);
  return std::move(*shared->result);
}

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
    raise_input_error(what + " must be a finite number of bytes > 0 (got " + text_of(value) +
                      ")");
  return bytes;
}

PyGraph graph_from_python(const py::iterable& nodes, const py::iterable& edges,
                          const py::object& name_arg, const py::object& memory_per_stage) {
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
                           "'op', 'colour_class'), not " +
                           type_name(item));
    const auto node = py::reinterpret_borrow<py::dict>(item);
    for (const auto& [key, value] : node) {
      const std::string k = py::isinstance<py::str>(key) ? text_of(key) : "";
      if (k != "id" && k != "work" && k != "comm" && k != "memory" && k != "op" &&
          k != "colour_class")
        raise_input_error(source + ": " + where + ": unknown key " + text_of(py::repr(key)) +
                          " (expected 'id', 'work', 'comm', 'memory', 'op', 'colour_class')");
    }
    for (const char* required : {"id", "work", "comm"})
      if (!node.contains(required))
        raise_input_error(source + ": " + where + " has no '" + required + "'");
    NodeSpec spec;
    spec.id = id_argument(node["id"], source + ": " + where + ": 'id'");
    const std::string node_where = source + ": node '" + spec.id + "': ";
    spec.work = number_argument(node["work"], node_where + "'work'");
    spec.comm = number_argument(node["comm"], node_where + "'comm'");
    if (node.contains("memory") && !node["memory"].is_none())
      spec.memory = number_argument(node["memory"], node_where + "'memory'");
    if (node.contains("op") && !node["op"].is_none())
      spec.op = string_argument(node["op"], node_where + "'op'");
    if (node.contains("colour_class") && !node["colour_class"].is_none())
      spec.colour_class =
          colour_label_argument(node["colour_class"], node_where + "'colour_class'");
    builder.add_node(std::move(spec));
  }
  index = 0;
  for (const py::handle item : edges) {
    const std::string where = source + ": edge " + std::to_string(index++);
    if (py::isinstance<py::str>(item) || !py::isinstance<py::sequence>(item) ||
        py::len(item) != 2)
      throw py::type_error(where + ": expected a pair (from_id, to_id)");
    const auto pair = py::reinterpret_borrow<py::sequence>(item);
    builder.add_edge(id_argument(pair[0], where + ": from id"),
                     id_argument(pair[1], where + ": to id"));
  }
  return PyGraph{std::make_shared<const Graph>(std::move(builder).build())};
}

py::dict node_dict(const Graph& g, NodeId v) {
  py::dict d;
  d["id"] = g.ids[v];
  d["work"] = g.work[v];
  d["comm"] = g.comm[v];
  d["memory"] = g.memory[v];
  d["op"] = g.op[v];
  // Only nodes with a class carry the key, as in the pipecut.graph format.
  if (!g.colour_class.empty() && g.colour_class[v] >= 0) {
    const ColourLabel& label = g.colour_labels[static_cast<std::size_t>(g.colour_class[v])];
    d["colour_class"] =
        label.integer ? py::reinterpret_steal<py::object>(
                            PyLong_FromString(label.text.c_str(), nullptr, 10))
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
      if (!w) raise_input_error("the solution assigns node '" + from.ids[v] +
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
      p.stage_of[v] = stage_value(seq[static_cast<std::size_t>(v)],
                                  "assignment[" + std::to_string(v) + "]");
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

}  // namespace
}  // namespace pipecut::python

// ---------------------------------------------------------------------------------------------

PYBIND11_MODULE(_pipecut, m) {
  using namespace pipecut;          // NOLINT(google-build-using-namespace)
  using namespace pipecut::python;  // NOLINT(google-build-using-namespace)
  m.doc() =
      "The compiled core of the pipecut package (pipeline partitioning of DNN operator graphs "
      "with certified lower bounds). Import `pipecut` instead; docs/python.md is the reference.";
  m.attr("__version__") = kVersion;

  // Exceptions.
  exceptions.error = new_exception(
      m, "Error", "Base class of every error pipecut raises on purpose.", PyExc_Exception);
  {
    const py::tuple bases = py::make_tuple(py::handle(exceptions.error), py::handle(PyExc_ValueError));
    exceptions.input = new_exception(
        m, "InputError",
        "Bad input: a malformed file, an invalid graph, partition or option. The message is one "
        "line naming the file (when there is one) and the problem.",
        bases.ptr());
  }
  exceptions.output = new_exception(
      m, "OutputError", "A result could not be written; the message names the path.",
      exceptions.error);
  exceptions.infeasible = new_exception(
      m, "InfeasibleError",
      "Proven: no partition satisfies the placement constraints with at most k stages.",
      exceptions.error);
  exceptions.no_feasible = new_exception(
      m, "NoFeasiblePartitionError",
      "No partition satisfying the placement constraints was found, and infeasibility was not "
      "proven within the time limit.",
      exceptions.error);
  py::register_local_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const py::error_already_set&) {
      throw;
    } catch (const py::builtin_exception&) {
      throw;
    } catch (const InputError& e) {
      set_error(exceptions.input, e.what());
    } catch (const OutputError& e) {
      set_error(exceptions.output, e.what());
    } catch (const InfeasibleError& e) {
      set_error(exceptions.infeasible, e.what());
    } catch (const NoFeasiblePartitionError& e) {
      set_error(exceptions.no_feasible, e.what());
    } catch (const Error& e) {
      set_error(exceptions.error, e.what());
    } catch (const std::bad_alloc&) {
      PyErr_SetString(PyExc_MemoryError, "pipecut: out of memory");
    } catch (const std::exception& e) {
      set_error(PyExc_RuntimeError,
                std::string("pipecut internal error (please report it): ") + e.what());
    }
  });

  // Graph.
  const py::object graph_class = py::class_<PyGraph>(m, "Graph",
                      "An operator graph (a DAG): per node a compute time `work` (ms), the time "
                      "`comm` (ms) to move its output tensor to another stage, `memory` (bytes) "
                      "and an operator type `op`. Immutable; nodes keep the order given.")
      .def(py::init(&graph_from_python), py::arg("nodes"), py::arg("edges") = py::tuple(),
           py::arg("name") = py::none(), py::kw_only(), py::arg("memory_per_stage") = py::none(),
           "Builds and validates a graph. `nodes`: dicts with 'id' (str or int), 'work' and "
           "'comm' (numbers >= 0), optional 'memory' (bytes), 'op' (str) and 'colour_class' (a "
           "str or int label: nodes with the same label must share a stage). `edges`: pairs "
           "(from_id, to_id); duplicates are merged. `memory_per_stage`: the memory capacity "
           "of every stage (bytes, or a size such as '16GiB'). Raises pipecut.InputError for "
           "duplicate or unknown ids, self-loops, cycles (naming a node on one), negative, NaN "
           "or infinite costs, text that is not valid Unicode, or no nodes; TypeError for "
           "values of the wrong type.")
      .def_property_readonly(
          "name", [](const PyGraph& g) { return g.graph->name; }, "The graph's name.")
      .def_property_readonly(
          "num_nodes", [](const PyGraph& g) { return g.graph->num_nodes(); }, "Number of nodes.")
      .def_property_readonly(
          "num_edges", [](const PyGraph& g) { return g.graph->num_edges(); },
          "Number of edges (after merging duplicates).")
      .def("__len__", [](const PyGraph& g) { return g.graph->num_nodes(); },
           "Number of nodes.")
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
            for (NodeId v = 0; v < g.graph->num_nodes(); ++v) out.append(node_dict(*g.graph, v));
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
          "node", [](const PyGraph& g, const py::handle& id) {
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
          "colocation_groups",
          [](const PyGraph& g) { return g.graph->colour_labels.size(); },
          "How many colour classes (must-colocate groups) the graph has; each must lie in one "
          "stage.")
      .def(
          "to_json",
          [](const PyGraph& g, int indent) { return pipecut_graph_to_json(*g.graph, indent); },
          py::arg("indent") = -1,
          "The graph as a pipecut.graph v1 JSON document (one line when indent is -1).")
      .def("__repr__", [](const PyGraph& g) {
        return "<pipecut.Graph '" + g.graph->name + "': " + std::to_string(g.graph->num_nodes()) +
               " nodes, " + std::to_string(g.graph->num_edges()) + " edges>";
      });

  // Records.
  const py::object stage_class = py::class_<StageRecord>(m, "Stage",
                          "One non-empty pipeline stage: its index, node ids, and costs (ms): "
                          "cost = work + comm_in + comm_out.")
      .def_readonly("stage", &StageRecord::stage, "Stage index in 0..k-1 (pipeline order).")
      .def_readonly("nodes", &StageRecord::nodes, "Ids of the nodes in the stage, in node order.")
      .def_readonly("work", &StageRecord::work, "Sum of the nodes' work.")
      .def_readonly("comm_in", &StageRecord::comm_in,
                    "Comm of the distinct tensors produced outside and consumed inside.")
      .def_readonly("comm_out", &StageRecord::comm_out,
                    "Comm of the tensors produced inside with a consumer outside.")
      .def_readonly("cost", &StageRecord::cost, "work + comm_in + comm_out.")
      .def("__repr__", [](const StageRecord& s) {
        return "<pipecut.Stage " + std::to_string(s.stage) + ": " +
               std::to_string(s.nodes.size()) + " nodes, cost " + repr_number(s.cost) + ">";
      });

  const py::object boundresult_class = py::class_<BoundResult>(m, "BoundResult",
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

  const py::object progress_class = py::class_<Progress>(m, "Progress",
                       "Where a running solve stands; passed to the `progress` callback after "
                       "every step.")
      .def_readonly("step", &Progress::step,
                    "The method that just ran, or 'name...' for one about to start.")
      .def_readonly("bottleneck", &Progress::bottleneck, "Best partition so far (ms).")
      .def_readonly("lower_bound", &Progress::lower_bound, "Best lower bound so far (ms).")
      .def_readonly("seconds", &Progress::seconds, "Since the run started.")
      .def_property_readonly(
          "ratio",
          [](const Progress& p) { return p.bottleneck > 0 ? p.lower_bound / p.bottleneck : 1.0; },
          "lower_bound / bottleneck.")
      .def("__repr__", [](const Progress& p) {
        return "<pipecut.Progress " + p.step + ": bottleneck " + repr_number(p.bottleneck) +
               ", bound " + repr_number(p.lower_bound) + ">";
      });

  const py::object solution_class = py::class_<PySolution>(m, "Solution",
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
          [](const PySolution& s) { return stage_records(*s.graph, s.solution.evaluation); },
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
          "lower_bound", [](const PySolution& s) { return s.solution.lower_bound; },
          "A proven lower bound on every partition's bottleneck (<= bottleneck).")
      .def_property_readonly(
          "lower_bound_method", [](const PySolution& s) { return s.solution.lower_bound_method; },
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
        return "<pipecut.Solution '" + s.solution.graph_name + "' k=" +
               std::to_string(s.solution.k) + ": bottleneck " +
               repr_number(s.solution.bottleneck()) + ", lower bound " +
               repr_number(s.solution.lower_bound) + ">";
      });

  const py::object evaluation_class = py::class_<PyEvaluation>(m, "Evaluation",
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

  // Device profiles and the shared roofline (docs/cost-model.md).
  const py::object deviceprofile_class = py::class_<DeviceProfile>(m, "DeviceProfile",
                            "A device of the roofline cost model (docs/cost-model.md). Rates in "
                            "TFLOP/s, bandwidths in GB/s, latencies in microseconds.")
      .def_readonly("name", &DeviceProfile::name, "The profile's name (a built-in name, or the "
                    "file's \"name\").")
      .def_readonly("description", &DeviceProfile::description,
                    "What the numbers are and where they come from.")
      .def_readonly("peak_tflops", &DeviceProfile::peak_tflops, "Peak rate by compute dtype.")
      .def_readonly("memory_bandwidth_gbps", &DeviceProfile::memory_bandwidth_gbps,
                    "Device memory bandwidth.")
      .def_readonly("link_bandwidth_gbps", &DeviceProfile::link_bandwidth_gbps,
                    "One direction of the link between two pipeline stages.")
      .def_readonly("link_latency_us", &DeviceProfile::link_latency_us,
                    "Fixed cost of one tensor transfer.")
      .def_readonly("launch_overhead_us", &DeviceProfile::launch_overhead_us,
                    "Fixed cost of one operator.")
      .def(
          "operator_time_ms",
          [](const DeviceProfile& d, const std::string& op_type, double flops,
             double bytes_moved, const std::string& dtype) {
            if (!(flops >= 0) || !(bytes_moved >= 0) || std::isinf(flops) ||
                std::isinf(bytes_moved))
              raise_input_error("flops and bytes_moved must be finite numbers >= 0");
            return operator_time_ms(d, op_type, flops, bytes_moved, dtype);
          },
          py::arg("op_type"), py::arg("flops"), py::arg("bytes_moved"),
          py::arg("dtype") = "fp32",
          "Roofline time (ms) of one operator of ONNX type `op_type`: max(flops / peak(dtype), "
          "bytes_moved / memory bandwidth) + launch overhead, or 0 for a view operator "
          "(Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout). The ONNX importer prices "
          "operators with this same function.")
      .def(
          "tensor_transfer_ms",
          [](const DeviceProfile& d, double bytes, const std::optional<double>& link) {
            const double gbps = link.value_or(d.link_bandwidth_gbps);
            if (!(gbps > 0) || std::isinf(gbps))
              raise_input_error("link bandwidth must be a finite number > 0");
            if (!(bytes >= 0) || std::isinf(bytes))
              raise_input_error("bytes must be a finite number >= 0");
            return tensor_transfer_ms(d, bytes, gbps);
          },
          py::arg("bytes"), py::arg("link_bandwidth") = py::none(),
          "Time (ms) to send a tensor of `bytes` to another stage: bytes / link bandwidth "
          "(GB/s; the profile's unless given) + link latency.")
      .def("__repr__",
           [](const DeviceProfile& d) { return "<pipecut.DeviceProfile '" + d.name + "'>"; });

  // Classes show as pipecut.Name (in reprs, help and the signatures below), not pipecut._pipecut.Name.
  for (const py::object& cls : {graph_class, stage_class, boundresult_class, progress_class, solution_class, evaluation_class, deviceprofile_class})
    cls.attr("__module__") = "pipecut";

  m.def("device_profile", &load_device_profile, py::arg("name") = std::string(),
        "A built-in device profile by name (see device_profiles()), or a JSON profile file; "
        "empty = the default profile.");
  m.def(
      "device_profiles", [] { return builtin_device_profiles(); },
      "The built-in device profiles; the first is not necessarily the default "
      "(DEFAULT_DEVICE names it).");
  m.attr("DEFAULT_DEVICE") = kDefaultDeviceProfile;
  m.def(
      "dtype_bytes",
      [](const std::string& dtype) {
        if (!is_known_compute_dtype(dtype))
          raise_input_error("dtype '" + dtype + "': expected fp32, tf32, fp16, bf16 or int8");
        return compute_dtype_bytes(dtype);
      },
      py::arg("dtype"), "Element size in bytes of a compute dtype (fp32, tf32, fp16, bf16, int8).");

  // Registries.
  m.def(
      "partition_algorithms",
      [] {
        py::dict out;
        for (const PartitionAlgorithm& a : partition_algorithms()) out[py::str(a.name)] = a.description;
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
          cluster = std::make_shared<const Cluster>(read_cluster(options.cluster, options.max_input_bytes));
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
        const int stages = graph.cluster ? cluster_stages_argument(*graph.cluster, k)
                                         : stages_argument(*graph.graph, k);
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
        refuse_cluster(graph, "bound");
        const int stages = stages_argument(*graph.graph, k);
        auto g = graph.graph;
        BoundsReport report = run_interruptible<BoundsReport>(
            [g, stages, methods, options](const RunControl& control) {
              return compute_bounds(*g, stages, methods, options, control);
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
        const int stages = graph.cluster ? cluster_stages_argument(*graph.cluster, k)
                                         : stages_argument(*graph.graph, k);
        auto cluster = graph.cluster;
        auto g = graph.graph;
        Solution s = run_interruptible<Solution>(
            [g, cluster, stages, options](const RunControl& control) {
              return cluster ? solve_on_cluster(*g, *cluster, stages, options, control)
                             : solve(*g, stages, options, control);
            },
            progress);
        return PySolution{g, std::move(s)};
      },
      py::arg("graph"), py::arg("k") = py::none(), py::kw_only(),
      py::arg("progress") = py::none(),
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
      [](const PyGraph& graph, const py::object& assignment, const py::object& k) {
        refuse_cluster(graph, "evaluate");
        const Partition p = partition_argument(*graph.graph, assignment, k);
        Evaluation e;
        {
          const py::gil_scoped_release release;
          e = evaluate(*graph.graph, p);
        }
        return PyEvaluation{p.k, stage_records(*graph.graph, e), e.bottleneck,
                            e.bottleneck_stage, e.stages_used};
      },
      py::arg("graph"), py::arg("assignment"), py::arg("k") = py::none(),
      "Validates a partition (every node assigned, stages in 0..k-1, every edge forward) and "
      "recomputes its stage costs with the reference evaluator. `assignment`: a Solution, a "
      "dict node id -> stage, or a sequence of stages in node order. `k` defaults to the "
      "Solution's, else the largest stage + 1. Raises pipecut.InputError naming the first "
      "problem. Returns an Evaluation.");
}
