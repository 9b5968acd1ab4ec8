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

#include <exception>
#include <new>
#include <string>

#include "binding.hpp"

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

// Raises `type` with a message from the library. Messages quote file names and file contents,
// which need not be UTF-8: bytes that are not become \xNN rather than a UnicodeDecodeError.
void set_error(PyObject* type, const std::string& message) {
  PyObject* text = PyUnicode_DecodeUTF8(message.data(), static_cast<Py_ssize_t>(message.size()),
                                        "backslashreplace");
  if (text == nullptr) return;  // MemoryError is set
  PyErr_SetObject(type, text);
  Py_DECREF(text);
}

}  // namespace
}  // namespace pipecut::python

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
    const py::tuple bases =
        py::make_tuple(py::handle(exceptions.error), py::handle(PyExc_ValueError));
    exceptions.input = new_exception(
        m, "InputError",
        "Bad input: a malformed file, an invalid graph, partition or option. The message is one "
        "line naming the file (when there is one) and the problem.",
        bases.ptr());
  }
  exceptions.output =
      new_exception(m, "OutputError", "A result could not be written; the message names the path.",
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

  bind_graph(m);
  bind_records(m);
  bind_devices(m);
  bind_entry_points(m);
  bind_llm(m);
}
