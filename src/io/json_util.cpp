#include "io/json_util.hpp"

#include <cmath>
#include <cstdint>

#include "pipecut/model/error.hpp"

namespace pipecut {

nlohmann::json parse_json_document(const std::string& text, const std::string& source) {
  // nlohmann's lexer takes a zero byte for the end of the input, so "{...}\0anything" would
  // parse as "{...}". JSON has no raw zero byte anywhere (not even in strings), so any is an
  // error; other data after the value is refused by the parser itself.
  if (const auto zero = text.find('\0'); zero != std::string::npos)
    throw InputError(source + ": malformed JSON (a zero byte at byte " + std::to_string(zero + 1) +
                     "; nothing may follow the JSON value)");
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(source + ": malformed JSON (byte " + std::to_string(e.byte) + ")");
  } catch (const nlohmann::json::exception&) {
    throw InputError(source + ": malformed JSON (a number is out of range)");
  }
}

double json_number(const nlohmann::json& object, const char* key, const std::string& source,
                   const std::string& where, bool required) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    if (required) throw InputError(source + ": " + where + ": missing \"" + key + "\"");
    return 0.0;
  }
  if (!it->is_number())
    throw InputError(source + ": " + where + ": \"" + key + "\" must be a number");
  return it->get<double>();
}

long long json_integer(const nlohmann::json& value, long long min, long long max,
                       const std::string& source, const std::string& what) {
  auto out_of_range = [&]() -> long long {
    throw InputError(source + ": " + what + " is out of range (" + std::to_string(min) + ".." +
                     std::to_string(max) + ")");
  };
  if (value.is_number_unsigned()) {
    const auto u = value.get<std::uint64_t>();
    // nlohmann reads every non-negative literal as unsigned: the lower end applies too.
    if (max < 0 || u > static_cast<std::uint64_t>(max) ||
        (min > 0 && u < static_cast<std::uint64_t>(min)))
      return out_of_range();
    return static_cast<long long>(u);
  }
  long long result = 0;
  if (value.is_number_integer()) {
    result = value.get<std::int64_t>();
  } else if (value.is_number_float()) {
    const double x = value.get<double>();
    if (!std::isfinite(x) || x != std::floor(x)) {
      if (std::isinf(x)) return out_of_range();
      throw InputError(source + ": " + what + " must be an integer");
    }
    // Converting a double outside the range of long long is undefined: check first.
    if (!(x >= -0x1p63 && x < 0x1p63)) return out_of_range();
    result = static_cast<long long>(x);
  } else {
    throw InputError(source + ": " + what + " must be an integer");
  }
  if (result < min || result > max) return out_of_range();
  return result;
}

std::uint64_t json_unsigned(const nlohmann::json& value, const std::string& source,
                            const std::string& what) {
  if (value.is_number_unsigned()) return value.get<std::uint64_t>();
  if (value.is_number_float()) {
    const double x = value.get<double>();
    if (std::isfinite(x) && x == std::floor(x) && !(x >= 0 && x < 0x1p64))
      throw InputError(source + ": " + what + " is out of range (0..18446744073709551615)");
    if (std::isfinite(x) && x == std::floor(x)) return static_cast<std::uint64_t>(x);
  }
  if (value.is_number_integer() || (value.is_number_float() && std::isinf(value.get<double>())))
    throw InputError(source + ": " + what + " is out of range (0..18446744073709551615)");
  throw InputError(source + ": " + what + " must be an integer");
}

std::optional<std::string> json_integer_label(const nlohmann::json& value,
                                              const std::string& source, const std::string& what) {
  if (value.is_number_integer()) return json_integer_text(value);  // exact: 2^64-1 is not -1
  if (!value.is_number_float()) return std::nullopt;
  const double x = value.get<double>();
  if (std::isfinite(x) && x != std::floor(x))
    throw InputError(source + ": " + what + " must be an integer");
  if (!(x >= -0x1p63 && x < 0x1p64))
    throw InputError(source + ": " + what +
                     " is out of range (-9223372036854775808..18446744073709551615)");
  // Beyond 2^53 a float no longer holds every integer: the digits written may not be the
  // number read, and a label must never change.
  if (std::fabs(x) >= 0x1p53)
    throw InputError(source + ": " + what +
                     " is written as a float too large to be read exactly; write it as an integer");
  return std::to_string(static_cast<long long>(x));
}

std::string json_integer_text(const nlohmann::json& value) {
  if (value.is_number_unsigned()) return std::to_string(value.get<std::uint64_t>());
  return std::to_string(value.get<std::int64_t>());
}

}  // namespace pipecut
