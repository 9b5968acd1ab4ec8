#pragma once
// The command line's side of the option catalogues (pipecut/util/options.hpp): every entry
// becomes a CLI11 option whose text is checked by the catalogue's own rules, so a bad value is
// one `pipecut: error:` line naming the option, the same as in Python.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "pipecut/util/options.hpp"

namespace pipecut::cli {

// The --help text of an entry: its help, unit, range or choices, and default (from `field`'s
// value when the option is bound, which is the struct's default).
std::string option_help(const OptionSpec& spec, const std::string& default_text);

// Adds one CLI11 option for `spec` that sets `field` (a flag for OptionKind::flag).
CLI::Option* add_catalogue_option(CLI::App& cmd, const OptionSpec& spec, OptionField field);

// Adds every entry of `catalogue` (or only those named in `names`) bound into `options`, which
// must outlive the command.
template <class Options>
void add_catalogue_options(CLI::App& cmd, Options& options,
                           const OptionCatalogue<Options>& catalogue,
                           const std::vector<std::string>& names = {}) {
  for (const OptionEntry<Options>& entry : catalogue) {
    if (!names.empty() && std::find(names.begin(), names.end(), entry.spec.name) == names.end())
      continue;
    add_catalogue_option(cmd, entry.spec, entry.field(options));
  }
}

}  // namespace pipecut::cli
