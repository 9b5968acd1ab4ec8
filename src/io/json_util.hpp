#pragma once
// JSON helpers shared by the JSON readers, so that every malformed document gets the same
// one-line InputError naming the source.
#include <nlohmann/json.hpp>
#include <string>

namespace pipecut {

// Parses `text`; any parse failure (syntax, or a number out of range) is an InputError
// "<source>: malformed JSON (...)".
nlohmann::json parse_json_document(const std::string& text, const std::string& source);

// object[key] as a number. Missing or null: 0, or an InputError if `required`. Not a number:
// an InputError. `where` names the object in messages, e.g. "node 'x'".
double json_number(const nlohmann::json& object, const char* key, const std::string& source,
                   const std::string& where, bool required);

}  // namespace pipecut
