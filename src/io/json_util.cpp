#include "io/json_util.hpp"

#include <cmath>
#include <cstdint>

#include "pipecut/model/error.hpp"

namespace pipecut {

nlohmann::json parse_json_document(const std::string& text, const std::string& source) {
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
    if (max < 0 || u > static_cast<std::uint64_t>(max)) return out_of_range();
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

std::string json_integer_text(const nlohmann::json& value) {
  if (value.is_number_unsigned()) return std::to_string(value.get<std::uint64_t>());
  return std::to_string(value.get<std::int64_t>());
}

}  // namespace pipecut
