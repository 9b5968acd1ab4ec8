#pragma once
// The JSON graph readers on an already parsed document, so that read_graph parses a file once
// for both format detection and loading. Internal to the io layer (nlohmann stays out of the
// public headers' interfaces).
#include <nlohmann/json.hpp>
#include <string>

#include "pipecut/model/graph.hpp"
#include "pipecut/util/log.hpp"

namespace pipecut {

Graph pipecut_graph_from_json(const nlohmann::json& doc, const std::string& source);
Graph tarnawski_graph_from_json(const nlohmann::json& doc, const std::string& source,
                                const LogCallback& warn);

// Which JSON graph format a parsed document is in: "pipecut" or "tarnawski".
std::string json_graph_format(const nlohmann::json& doc);

}  // namespace pipecut
