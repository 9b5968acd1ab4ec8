#pragma once
// JSON helpers shared by the JSON readers, so that every malformed document gets the same
// one-line InputError naming the source.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace pipecut {

// Parses `text`; any parse failure (syntax, or a number out of range) is an InputError
// "<source>: malformed JSON (...)".
nlohmann::json parse_json_document(const std::string& text, const std::string& source);

// object[key] as a number. Missing or null: 0, or an InputError if `required`. Not a number:
// an InputError. `where` names the object in messages, e.g. "node 'x'".
double json_number(const nlohmann::json& object, const char* key, const std::string& source,
                   const std::string& where, bool required);

// `value` as an integer in [min, max]: a JSON integer, or a number with no fractional part.
// Never wraps or truncates: anything else is an InputError "<source>: <what> must be an
// integer" or "<source>: <what> is out of range (min..max)".
long long json_integer(const nlohmann::json& value, long long min, long long max,
                       const std::string& source, const std::string& what);

// `value` as an integer in 0 .. 2^64-1 (e.g. a seed), with the same rules as json_integer.
std::uint64_t json_unsigned(const nlohmann::json& value, const std::string& source,
                            const std::string& what);

// An integer used as a label (a node id, a colour class), as its exact decimal text: a JSON
// integer (-2^63 .. 2^64-1), or a number written as a float that is integral and in that range
// (3.0 is "3"). nullopt when `value` is not a number; an InputError "<source>: <what> must be
// an integer" for a fraction, "... is out of range" beyond 64 bits.
std::optional<std::string> json_integer_label(const nlohmann::json& value,
                                              const std::string& source, const std::string& what);

// The exact decimal text of a JSON integer (any value JSON integers take here: -2^63..2^64-1),
// for integers used as labels, e.g. node ids. Precondition: value.is_number_integer().
std::string json_integer_text(const nlohmann::json& value);

}  // namespace pipecut
