#pragma once
// Lookups shared by the name -> function registries (partition algorithms, bound methods):
// entries are structs with a `name` member, kept in the order --help lists them.
#include <string>
#include <vector>

#include "pipecut/model/error.hpp"

namespace pipecut {

template <typename Entry>
std::vector<std::string> registered_names(const std::vector<Entry>& entries) {
  std::vector<std::string> names;
  for (const Entry& e : entries) names.push_back(e.name);
  return names;
}

inline std::string comma_list(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

// The entry called `name`; an InputError naming `kind` and the known names if there is none.
template <typename Entry>
const Entry& find_registered(const std::vector<Entry>& entries, const std::string& name,
                             const std::string& kind) {
  for (const Entry& e : entries)
    if (e.name == name) return e;
  throw InputError("unknown " + kind + " '" + name + "' (expected one of " +
                   comma_list(registered_names(entries)) + ")");
}

}  // namespace pipecut
