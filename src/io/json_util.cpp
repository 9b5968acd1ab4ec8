#include "io/json_util.hpp"

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

}  // namespace pipecut
