#pragma once
// Text of the HTML report's pages: escaping and the numbers as the page shows them.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>

namespace pipecut::detail {

inline std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

template <typename... Args>
std::string printf_string(const char* format, Args... args) {
  char buffer[128];
  const int n = std::snprintf(buffer, sizeof buffer, format, args...);
  return std::string(buffer, static_cast<std::size_t>(std::clamp(n, 0, 127)));
}

// A time or cost for reading: four significant digits, never in exponent form for the values
// an operator graph has (1e-4 .. 1e6).
inline std::string fmt(double x) {
  if (x == 0) return "0";
  const double a = std::fabs(x);
  if (a >= 1000) return printf_string("%.0f", x);
  if (a >= 1) return printf_string("%.*f", 3 - static_cast<int>(std::floor(std::log10(a))), x);
  if (a >= 1e-4) return printf_string("%.3g", x);
  return printf_string("%.2e", x);
}

}  // namespace pipecut::detail
