#include "pipecut/util/options.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <type_traits>

#include "pipecut/model/error.hpp"
#include "pipecut/util/memory_size.hpp"

namespace pipecut {

namespace {

// The shortest text that reads back as x ("60", "0.99", "1e-05").
std::string number_text(double x) {
  char buffer[64];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, x);
  return error == std::errc() ? std::string(buffer, end) : std::string("nan");
}

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

// An option as a message names it: its spec and its name in the front end at hand.
struct Named {
  const OptionSpec& spec;
  std::string shown;
};

[[noreturn]] void fail(const Named& o, const std::string& problem, const std::string& text) {
  throw InputError(o.shown + ": " + problem + " (got '" + text + "')");
}

std::string range_suffix(const OptionSpec& spec) {
  const std::string range = option_range_text(spec);
  return range.empty() ? "" : " " + range;
}

// Whole-text number parsing: no leading '+', spaces or trailing garbage; inf and nan are
// refused by check_range.
double parse_number(const Named& o, const std::string& text) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [after, error] = std::from_chars(text.data(), end, value, std::chars_format::general);
  if (error != std::errc() || after != end || text.empty() || !std::isfinite(value))
    fail(o, "must be a finite number" + range_suffix(o.spec), text);
  return value;
}

// Decimal digits with an optional '-', nothing else (no spaces, '+', exponent or fraction).
long long parse_integer(const Named& o, const std::string& text) {
  long long value = 0;
  const char* end = text.data() + text.size();
  const auto [after, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || after != end || text.empty())
    fail(o, "must be an integer" + range_suffix(o.spec), text);
  return value;
}

// An int option's full range, named when a value goes past the type's limit.
std::string integer_range_text(const OptionSpec& spec) {
  const double lo = spec.min ? *spec.min + (spec.min_exclusive ? 1 : 0)
                             : static_cast<double>(std::numeric_limits<int>::min());
  const double hi = spec.max ? *spec.max : static_cast<double>(std::numeric_limits<int>::max());
  return "in " + number_text(lo) + " .. " + number_text(hi);
}

void check_range(const Named& o, double value, const std::string& text) {
  if (!std::isfinite(value)) fail(o, "must be a finite number" + range_suffix(o.spec), text);
  const bool below =
      o.spec.min && (o.spec.min_exclusive ? value <= *o.spec.min : value < *o.spec.min);
  const bool above = o.spec.max && value > *o.spec.max;
  if (below || above)
    fail(o,
         std::string(o.spec.kind == OptionKind::integer ? "must be an integer " : "must be ") +
             option_range_text(o.spec),
         text);
}

// A text option's value against its choices (and, for choice_or_number, its number range).
void check_choice(const Named& o, const std::string& text) {
  if (!o.spec.choices || (o.spec.kind != OptionKind::choice &&
                          o.spec.kind != OptionKind::choice_or_number))
    return;
  const std::vector<std::string> allowed = o.spec.choices();
  if (std::find(allowed.begin(), allowed.end(), text) != allowed.end()) return;
  if (o.spec.kind == OptionKind::choice) fail(o, "must be one of " + joined(allowed), text);
  // A number, whole text, within the range: otherwise one message naming every allowed value.
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [after, error] = std::from_chars(text.data(), end, value, std::chars_format::general);
  const bool below =
      o.spec.min && (o.spec.min_exclusive ? value <= *o.spec.min : value < *o.spec.min);
  const bool above = o.spec.max && value > *o.spec.max;
  if (text.empty() || error != std::errc() || after != end || !std::isfinite(value) || below ||
      above)
    fail(o, "must be " + option_range_text(o.spec), text);
}

}  // namespace

std::string option_display_name(const OptionSpec& spec, OptionNaming naming) {
  return naming == OptionNaming::python ? python_option_name(spec) : "--" + spec.name;
}

const char* option_kind_name(OptionKind kind) {
  switch (kind) {
    case OptionKind::flag:
      return "flag";
    case OptionKind::integer:
      return "integer";
    case OptionKind::count:
      return "count";
    case OptionKind::number:
      return "number";
    case OptionKind::text:
      return "text";
    case OptionKind::choice:
      return "choice";
    case OptionKind::size:
      return "size";
    case OptionKind::choice_or_number:
      return "choice or number";
  }
  return "text";
}

std::string python_option_name(const OptionSpec& spec) {
  std::string name = spec.name;
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
}

std::string option_range_text(const OptionSpec& spec) {
  if (spec.kind == OptionKind::choice && spec.choices) return "one of " + joined(spec.choices());
  if (spec.kind == OptionKind::choice_or_number && spec.choices) {
    OptionSpec number = spec;
    number.kind = OptionKind::number;
    const std::string range = option_range_text(number);
    return "one of " + joined(spec.choices()) + ", or a number" + (range.empty() ? "" : " " + range);
  }
  if (spec.min && spec.max)
    return "in " + number_text(*spec.min) + (spec.min_exclusive ? " (excluded)" : "") + " .. " +
           number_text(*spec.max);
  if (spec.min) return std::string(spec.min_exclusive ? "> " : ">= ") + number_text(*spec.min);
  if (spec.max) return "<= " + number_text(*spec.max);
  return "";
}

std::string option_value_text(OptionField field) {
  return std::visit(
      [](auto* p) -> std::string {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, bool>)
          return *p ? "true" : "false";
        else if constexpr (std::is_same_v<T, int>)
          return std::to_string(*p);
        else if constexpr (std::is_same_v<T, std::uint64_t>)
          return std::to_string(*p);
        else if constexpr (std::is_same_v<T, double>)
          return number_text(*p);
        else if constexpr (std::is_same_v<T, std::string>)
          return *p;
        else if constexpr (std::is_same_v<T, std::optional<int>>)
          return *p ? std::to_string(**p) : "";
        else
          return *p ? number_text(**p) : "";
      },
      field);
}

void set_option_from_text(const OptionSpec& spec, OptionField field, const std::string& text,
                          OptionNaming naming) {
  const Named o{spec, option_display_name(spec, naming)};
  std::visit(
      [&](auto* p) {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, bool>) {
          if (text == "true" || text == "1" || text.empty())
            *p = true;
          else if (text == "false" || text == "0")
            *p = false;
          else
            fail(o, "expected true or false", text);
        } else if constexpr (std::is_same_v<T, std::uint64_t>) {
          std::uint64_t value = 0;
          const char* end = text.data() + text.size();
          const auto [after, error] = std::from_chars(text.data(), end, value);
          if (error != std::errc() || after != end || text.empty())
            fail(o, "must be an integer in 0 .. 18446744073709551615 (2^64 - 1)", text);
          *p = value;
        } else if constexpr (std::is_same_v<T, int> || std::is_same_v<T, std::optional<int>>) {
          const long long value = parse_integer(o, text);
          if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max())
            fail(o, "must be an integer " + integer_range_text(spec), text);
          check_range(o, static_cast<double>(value), text);
          *p = static_cast<int>(value);
        } else if constexpr (std::is_same_v<T, std::string>) {
          check_choice(o, text);
          *p = text;
        } else {  // double or std::optional<double>
          const double value = spec.kind == OptionKind::size ? parse_memory_size(text, o.shown)
                                                             : parse_number(o, text);
          check_range(o, value, text);
          *p = value;
        }
      },
      field);
}

void check_option(const OptionSpec& spec, OptionField field, OptionNaming naming) {
  const Named o{spec, option_display_name(spec, naming)};
  std::visit(
      [&](auto* p) {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, int> || std::is_same_v<T, double>) {
          check_range(o, static_cast<double>(*p), option_value_text(field));
        } else if constexpr (std::is_same_v<T, std::optional<int>> ||
                             std::is_same_v<T, std::optional<double>>) {
          if (*p) check_range(o, static_cast<double>(**p), option_value_text(field));
        } else if constexpr (std::is_same_v<T, std::string>) {
          // An empty choice is the unset value (for example "the model's own types").
          if (!p->empty()) check_choice(o, *p);
        }
      },
      field);
}

}  // namespace pipecut
