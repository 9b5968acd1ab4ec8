#pragma once
// Option catalogues (docs/options.md): every user-facing option of the library's option structs
// is declared once, next to its struct, with its name, kind, unit, description and range or
// choices; its default is the struct's own. The command line's options, Python's keyword
// arguments, their validation and docs/options.md are all made from these declarations, so a
// new option is one declaration.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace pipecut {

// A reference to one field of an option struct.
using OptionField = std::variant<bool*, int*, std::uint64_t*, double*, std::string*,
                                 std::optional<int>*, std::optional<double>*>;

enum class OptionKind {
  flag,     // bool: present = true
  integer,  // int or std::optional<int>
  count,    // std::uint64_t (seeds, byte counts): 0 .. 2^64 - 1, never wrapped
  number,   // double or std::optional<double>: finite
  text,     // std::string
  choice,   // std::string, one of `choices`
  size,     // std::optional<double> or double: bytes, or with a unit (512MiB, 16GiB, 80GB)
  choice_or_number,  // std::string: one of `choices`, or a number within the range (kept as
                     // its text)
};

struct OptionSpec {
  std::string name;        // kebab-case: --name on the command line, name_with_underscores in
                           // Python
  std::string short_name;  // one letter for -x on the command line, or empty
  OptionKind kind = OptionKind::text;
  std::string unit;                // for docs and --help: "s", "bytes", "GB/s" or empty
  std::string help;                // what it does, in sentences
  std::optional<double> min, max;  // numbers and integers: the allowed range
  bool min_exclusive = false;      // min itself is not allowed (> min)
  std::function<std::vector<std::string>()> choices;  // choice: the allowed values
  std::string unset;      // optional fields: what leaving it unset means, for docs
  bool python = true;     // also a keyword argument in Python
  std::string cli_alias;  // another long name the command line accepts (e.g. "verbose")

  // Declaration helpers, so that a catalogue reads as a list of sentences.
  OptionSpec& in_unit(std::string u) {
    unit = std::move(u);
    return *this;
  }
  OptionSpec& at_least(double x) {
    min = x;
    min_exclusive = false;
    return *this;
  }
  OptionSpec& above(double x) {
    min = x;
    min_exclusive = true;
    return *this;
  }
  OptionSpec& at_most(double x) {
    max = x;
    return *this;
  }
  OptionSpec& one_of(std::function<std::vector<std::string>()> values) {
    choices = std::move(values);
    return *this;
  }
  OptionSpec& when_unset(std::string meaning) {
    unset = std::move(meaning);
    return *this;
  }
  OptionSpec& letter(std::string l) {
    short_name = std::move(l);
    return *this;
  }
  OptionSpec& also(std::string alias) {
    cli_alias = std::move(alias);
    return *this;
  }
  OptionSpec& command_line_only() {
    python = false;
    return *this;
  }
};

inline OptionSpec option(std::string name, OptionKind kind, std::string help) {
  OptionSpec spec;
  spec.name = std::move(name);
  spec.kind = kind;
  spec.help = std::move(help);
  return spec;
}

// An entry of a catalogue: the spec and how to reach the field in an `Options` object.
template <class Options>
struct OptionEntry {
  OptionSpec spec;
  std::function<OptionField(Options&)> field;
};

template <class Options>
using OptionCatalogue = std::vector<OptionEntry<Options>>;

// Appends an entry whose field is `member` of Options.
template <class Options, class T>
void declare(OptionCatalogue<Options>& catalogue, OptionSpec spec, T Options::*member) {
  catalogue.push_back(
      {std::move(spec), [member](Options& o) -> OptionField { return &(o.*member); }});
}

// How a message names an option: "--time-limit" on the command line, "time_limit" in Python
// and in the library's own checks.
enum class OptionNaming { command_line, python };
std::string option_display_name(const OptionSpec& spec, OptionNaming naming);

// Sets the field from text as a user typed it, after checking it against the spec. InputError
// on any problem, one line naming the option and the value.
void set_option_from_text(const OptionSpec& spec, OptionField field, const std::string& text,
                          OptionNaming naming = OptionNaming::command_line);

// Checks the field's current value against the spec (range, choices, finiteness). InputError
// naming the option when it is out of range.
void check_option(const OptionSpec& spec, OptionField field,
                  OptionNaming naming = OptionNaming::python);

// The field's value as text (docs and --help defaults); "" for an unset optional.
std::string option_value_text(OptionField field);

// Python's name of the option: "time_limit" for "time-limit".
// The kind's name in docs and in `pipecut options --json`: "flag", "integer", "count", ...
const char* option_kind_name(OptionKind kind);

std::string python_option_name(const OptionSpec& spec);

// One line describing the allowed values, for --help and docs: "in [0, 1]", "> 0", "one of a,
// b", or "".
std::string option_range_text(const OptionSpec& spec);

// Checks every field of `options` against its catalogue (InputError naming the first problem).
// The library's entry points call it, so every front end gets the same checks.
template <class Options>
void check_options(const Options& options, const OptionCatalogue<Options>& catalogue,
                   OptionNaming naming = OptionNaming::python) {
  Options copy = options;  // fields are reached through non-const pointers, and only read
  for (const OptionEntry<Options>& entry : catalogue)
    check_option(entry.spec, entry.field(copy), naming);
}

// The entries of `inner` as entries of `Outer`, reached through `member`. With `names`, only
// those entries (in the inner catalogue's order).
template <class Outer, class Inner>
OptionCatalogue<Outer> nested_options(const OptionCatalogue<Inner>& inner, Inner Outer::*member,
                                      const std::vector<std::string>& names = {}) {
  OptionCatalogue<Outer> out;
  for (const OptionEntry<Inner>& entry : inner) {
    if (!names.empty() && std::find(names.begin(), names.end(), entry.spec.name) == names.end())
      continue;
    auto field = entry.field;
    out.push_back({entry.spec, [field, member](Outer& o) { return field(o.*member); }});
  }
  return out;
}

// The whole catalogue of every front-end option struct, by struct, for docs/options.md and the
// Python parity test: each group's title and its specs with their defaults as text.
struct OptionGroupDoc {
  std::string name;                   // "read", "partition", "bound", "solve"
  std::string title;                  // e.g. "Reading a graph (ReadOptions)"
  std::vector<std::string> commands;  // the CLI commands that take every option of the group
  std::string python_function;        // the pipecut function that takes them as keywords
  std::vector<std::pair<OptionSpec, std::string>> options;  // spec and default as text
};

template <class Options>
OptionGroupDoc document_options(std::string name, std::string title,
                                std::vector<std::string> commands, std::string python_function,
                                const OptionCatalogue<Options>& catalogue) {
  OptionGroupDoc doc{
      std::move(name), std::move(title), std::move(commands), std::move(python_function), {}};
  Options defaults{};
  for (const OptionEntry<Options>& entry : catalogue)
    doc.options.emplace_back(entry.spec, option_value_text(entry.field(defaults)));
  return doc;
}

}  // namespace pipecut
