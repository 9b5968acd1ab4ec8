#pragma once
// Shared by the files of the compiled module pipecut._pipecut (docs/python.md): the Python-side
// value types, argument conversion (wrong types raise TypeError, bad values pipecut.InputError)
// and running a long call on a worker thread. Each file binds one part of the module:
// graph.cpp the Graph, records.cpp the result types, devices.cpp the device profiles,
// entry_points.cpp the registries and the functions, options.cpp the option catalogues.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "pipecut/pipecut.hpp"

namespace pipecut::python {

namespace py = pybind11;

[[noreturn]] void raise_input_error(const std::string& message);

// Python-side values.

struct PyGraph {
  std::shared_ptr<const Graph> graph;
  // read_graph(..., cluster=FILE): the cluster the graph is solved on (docs/clusters.md).
  std::shared_ptr<const Cluster> cluster = {};
};

struct StageRecord {
  int stage = 0;
  std::vector<std::string> nodes;
  double work = 0, comm_in = 0, comm_out = 0, cost = 0;
  // On a cluster: the stage's device ("host:index") and its class; None otherwise.
  std::optional<std::string> device = {}, device_class = {};
};

// The non-empty stages of an evaluation, with node ids, and their devices when `cluster` is
// given (the cluster the evaluation's device indices refer to).
std::vector<StageRecord> stage_records(const Graph& g, const Evaluation& e,
                                       const Cluster* cluster = nullptr);

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
// Argument conversion (arguments.cpp).

bool is_bool(const py::handle& h);
std::string text_of(const py::handle& h);
std::string utf8_argument(const py::handle& value, const std::string& what);
std::string type_name(const py::handle& h);
py::int_ as_integer(const py::handle& value, const std::string& what);
long long as_long_long(const py::handle& value, const std::string& what, long long min,
                       long long max);
int stages_value(const py::object& k);
int stages_argument(const Graph& g, const py::object& k);
// k for a graph read with a cluster: None is the cluster's device count.
int stages_argument(const PyGraph& graph, const py::object& k);
double number_argument(const py::handle& value, const std::string& what);
std::string string_argument(const py::handle& value, const std::string& what);
std::string id_argument(const py::handle& value, const std::string& what);
std::string path_argument(const py::object& path);
void log_warning(const std::string& message);
ColourLabel colour_label_argument(const py::handle& value, const std::string& what);
double memory_size_argument(const py::handle& value, const std::string& what);
PyGraph graph_from_python(const py::iterable& nodes, const py::iterable& edges,
                          const py::object& name_arg, const py::object& memory_per_stage,
                          const py::object& cluster);
py::dict node_dict(const Graph& g, NodeId v);
NodeId node_index(const Graph& g, const py::handle& id);
Partition partition_argument(const Graph& g, const py::object& assignment, const py::object& k_arg);
// The devices of p's k stages on cluster c (device_of_stage): `devices`, a sequence of k
// "host:index" names or None (an empty stage), else those of `assignment` when it is a Solution
// made on a cluster (matched by name). InputError when neither gives them.
std::vector<int> devices_argument(const Cluster& c, const py::object& assignment,
                                  const py::object& devices, int k);
std::vector<std::string> methods_argument(const py::object& method);
SolveOptions solve_options_argument(const std::string& function, const py::kwargs& kwargs,
                                    const py::object& progress);
std::string repr_number(double x);

// ---------------------------------------------------------------------------------------------
// Binding the parts of the module.

void bind_graph(py::module_& m);
void bind_records(py::module_& m);
void bind_devices(py::module_& m);
void bind_entry_points(py::module_& m);
void bind_llm(py::module_& m);

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

}  // namespace pipecut::python
