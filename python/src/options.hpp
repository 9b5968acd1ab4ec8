#pragma once
// Python's side of the option catalogues (pipecut/util/options.hpp): keyword arguments are
// matched to catalogue entries by their Python name and set with the catalogue's own checks,
// so a bad value raises pipecut.InputError with the same text as the command line's (naming
// `time_limit` where the command line names `--time-limit`).
#include <pybind11/pybind11.h>

#include <string>

#include "pipecut/util/options.hpp"

namespace pipecut::python {

// Sets `field` from a Python value: TypeError when the value's type does not fit the option's
// kind, pipecut.InputError (a C++ InputError) when its value is out of range. None leaves an
// option whose default is unset (device, memory_per_stage, ...) unset, and is a TypeError for
// the others.
void set_option_from_python(const OptionSpec& spec, OptionField field,
                            const pybind11::handle& value);

// Applies every keyword of `kwargs` that names an entry of `catalogue`; returns how many it
// applied. Keywords it does not know are left for the caller (see reject_unknown_keywords).
template <class Options>
int apply_keywords(const OptionCatalogue<Options>& catalogue, Options& options,
                   const pybind11::dict& kwargs) {
  int applied = 0;
  for (const OptionEntry<Options>& entry : catalogue) {
    if (!entry.spec.python) continue;
    const pybind11::str key(python_option_name(entry.spec));
    if (!kwargs.contains(key)) continue;
    set_option_from_python(entry.spec, entry.field(options), kwargs[key]);
    ++applied;
  }
  return applied;
}

// TypeError naming the first keyword of `kwargs` that is not one of `known` groups' options, as
// Python does for an unexpected keyword argument.
void reject_unknown_keywords(const std::string& function, const pybind11::dict& kwargs,
                             const std::vector<std::string>& known_names);

// The Python names of a catalogue's options.
template <class Options>
std::vector<std::string> python_names(const OptionCatalogue<Options>& catalogue) {
  std::vector<std::string> names;
  for (const OptionEntry<Options>& entry : catalogue)
    if (entry.spec.python) names.push_back(python_option_name(entry.spec));
  return names;
}

// The option groups (pipecut/io/option_groups.hpp) as Python values, for pipecut's signatures,
// docstrings and stubs: [{"name", "python_function", "options": [{"name", "kind", "default",
// "help", "allowed", "unit"}]}], defaults as Python values (None when unset).
pybind11::list option_groups_for_python();

}  // namespace pipecut::python
