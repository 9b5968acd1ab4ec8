#include "pipecut/util/memory_size.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <utility>

#include "pipecut/model/error.hpp"

namespace pipecut {

double parse_memory_size(const std::string& text, const std::string& what) {
  auto fail = [&](const std::string& problem) -> double {
    throw InputError(what + ": " + problem + " (got '" + text +
                     "'; expected bytes > 0, optionally with a unit: B, kB, MB, GB, TB, KiB, "
                     "MiB, GiB, TiB)");
  };
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(*begin))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(end[-1]))) --end;
  double number = 0;
  // from_chars reads plain decimal (and exponent) notation only: no "inf", "nan" or hex.
  const auto [after, error] = std::from_chars(begin, end, number, std::chars_format::general);
  if (error == std::errc::result_out_of_range) return fail("number out of range");
  if (error != std::errc() || after == begin) return fail("not a number");
  const char* unit_begin = after;
  while (unit_begin < end && std::isspace(static_cast<unsigned char>(*unit_begin))) ++unit_begin;
  std::string unit;
  for (const char* p = unit_begin; p < end; ++p)
    unit.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(*p))));
  static const std::pair<const char*, double> units[] = {{"", 1.0},
                                                         {"b", 1.0},
                                                         {"kb", 1e3},
                                                         {"mb", 1e6},
                                                         {"gb", 1e9},
                                                         {"tb", 1e12},
                                                         {"kib", 1024.0},
                                                         {"mib", 1048576.0},
                                                         {"gib", 1073741824.0},
                                                         {"tib", 1099511627776.0}};
  for (const auto& [name, scale] : units)
    if (unit == name) {
      const double bytes = number * scale;
      if (!std::isfinite(bytes)) return fail("number out of range");
      if (!(bytes > 0)) return fail("must be more than 0 bytes");
      return bytes;
    }
  return fail("unknown unit '" + std::string(unit_begin, end) + "'");
}

}  // namespace pipecut
