#include "options.hpp"

#include <algorithm>

#include "pipecut/io/option_groups.hpp"
#include "pipecut/model/error.hpp"

namespace py = pybind11;

namespace pipecut::python {

namespace {

bool is_bool(const py::handle& value) { return PyBool_Check(value.ptr()) != 0; }
bool is_int(const py::handle& value) { return !is_bool(value) && py::isinstance<py::int_>(value); }
bool is_number(const py::handle& value) {
  return !is_bool(value) && (py::isinstance<py::int_>(value) || py::isinstance<py::float_>(value));
}
std::string type_of(const py::handle& value) {
  return py::str(py::type::handle_of(value).attr("__name__"));
}
[[noreturn]] void wrong_type(const OptionSpec& spec, const char* wanted, const py::handle& value) {
  throw py::type_error(python_option_name(spec) + " must be " + wanted + ", not " + type_of(value));
}

// The text the catalogue parses: ints in decimal, floats as repr (round trip; inf and nan are
// refused by the range check), strings as given.
std::string text_of_number(const py::handle& value) {
  if (is_int(value)) return py::str(value);
  return py::repr(py::float_(py::reinterpret_borrow<py::object>(value)));
}

std::string utf8(const OptionSpec& spec, const py::handle& value) {
  try {
    return value.cast<std::string>();
  } catch (const py::cast_error&) {
    throw InputError(python_option_name(spec) +
                     ": not valid UTF-8 text: " + py::repr(value).cast<std::string>());
  }
}

py::object typed_default(const OptionSpec& spec, const std::string& text) {
  if (spec.kind == OptionKind::flag) return py::bool_(text == "true");
  if (text.empty()) return py::none();
  switch (spec.kind) {
    case OptionKind::integer:
    case OptionKind::count:
      return py::int_(py::str(text));
    case OptionKind::number:
    case OptionKind::size:
      return py::float_(std::stod(text));
    default:
      return py::str(text);
  }
}

}  // namespace

void set_option_from_python(const OptionSpec& spec, OptionField field, const py::handle& value) {
  // None means "unset" for the options that have an unset state, and nothing else.
  if (value.is_none()) {
    if (spec.kind != OptionKind::flag && option_value_text(field).empty()) return;
    throw py::type_error(python_option_name(spec) + " must not be None");
  }
  std::string text;
  switch (spec.kind) {
    case OptionKind::flag:
      if (!is_bool(value)) wrong_type(spec, "a bool", value);
      *std::get<bool*>(field) = value.cast<bool>();
      return;
    case OptionKind::integer:
    case OptionKind::count:
      if (!is_int(value)) wrong_type(spec, "an int", value);
      text = py::str(value);
      break;
    case OptionKind::number:
      if (!is_number(value)) wrong_type(spec, "a number", value);
      text = text_of_number(value);
      break;
    case OptionKind::size:
    case OptionKind::choice_or_number:
      if (py::isinstance<py::str>(value))
        text = utf8(spec, value);
      else if (is_number(value))
        text = text_of_number(value);
      else
        wrong_type(spec,
                   spec.kind == OptionKind::size ? "a number of bytes or a size such as '16GiB'"
                                                 : "a str or a number",
                   value);
      break;
    case OptionKind::choice:
      if (!py::isinstance<py::str>(value)) wrong_type(spec, "a str", value);
      text = utf8(spec, value);
      break;
    case OptionKind::text: {
      // Files may be given as os.PathLike; their names go to the OS as os.fsencode's bytes.
      const py::object fspath = py::module_::import("os").attr("fspath");
      py::object path;
      try {
        path = fspath(value);
      } catch (const py::error_already_set&) {
        wrong_type(spec, "a str or os.PathLike", value);
      }
      if (!py::isinstance<py::str>(path)) wrong_type(spec, "a str or os.PathLike", value);
      const auto bytes = py::reinterpret_steal<py::object>(PyUnicode_EncodeFSDefault(path.ptr()));
      if (!bytes) {
        PyErr_Clear();
        throw InputError(python_option_name(spec) + ": cannot be encoded as a file name");
      }
      text = bytes.cast<std::string>();
      break;
    }
  }
  set_option_from_text(spec, field, text, OptionNaming::python);
}

void reject_unknown_keywords(const std::string& function, const py::dict& kwargs,
                             const std::vector<std::string>& known_names) {
  for (const auto& [key, value] : kwargs) {
    const std::string name = py::str(key);
    if (std::find(known_names.begin(), known_names.end(), name) == known_names.end())
      throw py::type_error(function + "() got an unexpected keyword argument '" + name + "'");
  }
}

py::list option_groups_for_python() {
  py::list groups;
  for (const OptionGroupDoc& g : option_groups()) {
    py::list options;
    for (const auto& [spec, default_text] : g.options) {
      if (!spec.python) continue;
      py::dict o;
      o["name"] = python_option_name(spec);
      o["kind"] = option_kind_name(spec.kind);
      o["default"] = typed_default(spec, default_text);
      o["unset"] = spec.unset;
      o["help"] = spec.help;
      o["allowed"] = option_range_text(spec);
      o["unit"] = spec.unit;
      options.append(o);
    }
    py::dict group;
    group["name"] = g.name;
    group["python_function"] = g.python_function;
    group["options"] = options;
    groups.append(group);
  }
  return groups;
}

}  // namespace pipecut::python
