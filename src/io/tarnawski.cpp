// Reader of the Tarnawski et al. (NeurIPS 2020, msr-fiddle/dnn-partitioning) JSON inputs.
#include <climits>
#include <map>
#include <nlohmann/json.hpp>

#include "io/json_formats.hpp"
#include "io/json_util.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/io/foreign_formats.hpp"
#include "pipecut/model/error.hpp"

namespace pipecut {

using nlohmann::json;

namespace {

// The decimal id of a node or edge end, as its exact text. Integers only: the format numbers its
// nodes (a float with no fractional part is accepted when it converts exactly).
// `field` names the value in messages.
std::string integer_id(const json& value, const std::string& source, const std::string& where,
                       const std::string& field = "id") {
  if (auto text = json_integer_label(value, source, where + ": " + field)) return *text;
  throw InputError(source + ": " + where + ": " + field + " must be an integer");
}

}  // namespace

Graph parse_tarnawski_graph(const std::string& text, const std::string& source,
                            const LogCallback& warn) {
  return tarnawski_graph_from_json(parse_json_document(text, source), source, warn);
}

Graph tarnawski_graph_from_json(const json& doc, const std::string& source,
                                const LogCallback& warn) {
  if (!doc.is_object()) throw InputError(source + ": expected a JSON object at the top level");
  if (!doc.contains("nodes") || !doc["nodes"].is_array())
    throw InputError(source + ": missing \"nodes\" array");
  if (!doc.contains("edges") || !doc["edges"].is_array())
    throw InputError(source + ": missing \"edges\" array");

  GraphBuilder builder(source, file_stem(source));
  const json& nodes = doc["nodes"];
  std::vector<NodeSpec> specs;
  std::map<std::string, std::size_t> spec_of_id;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const json& n = nodes[i];
    const std::string where = "node " + std::to_string(i);
    if (!n.is_object()) throw InputError(source + ": " + where + " is not an object");
    if (!n.contains("id")) throw InputError(source + ": " + where + " has no \"id\"");
    const std::string id = integer_id(n["id"], source, where);
    const std::string node_where = "node " + id;
    NodeSpec s;
    s.id = id;
    s.work = json_number(n, "fpgaLatency", source, node_where, true);
    s.memory = json_number(n, "size", source, node_where, false);
    if (n.contains("colorClass") && !n["colorClass"].is_null()) {
      s.colour_class =
          ColourLabel{integer_id(n["colorClass"], source, node_where, "colorClass"), true};
    }
    // Training graphs mark backward nodes (docs/training.md); the format writes true/false or
    // 1/0, and inference graphs 0 or nothing.
    if (n.contains("isBackwardNode") && !n["isBackwardNode"].is_null()) {
      const json& flag = n["isBackwardNode"];
      if (flag.is_boolean()) {
        s.backward = flag.get<bool>();
      } else if (flag.is_number_integer() && (flag == 0 || flag == 1)) {
        s.backward = flag == 1;
      } else {
        throw InputError(source + ": " + node_where + ": \"isBackwardNode\" must be a boolean or 0/1");
      }
    }
    if (!spec_of_id.emplace(id, specs.size()).second)
      throw InputError(source + ": duplicate node id '" + s.id + "'");
    specs.push_back(std::move(s));
  }

  // comm of a node = the cost of its out-edges (one tensor, sent once). The format repeats it
  // on every out-edge; if they disagree we keep the largest (never under-estimate) and warn.
  const json& edges = doc["edges"];
  std::vector<std::pair<std::size_t, std::size_t>> edge_list;
  std::vector<bool> has_cost(specs.size(), false);
  bool warned = false;
  for (std::size_t i = 0; i < edges.size(); ++i) {
    const json& e = edges[i];
    const std::string where = "edge " + std::to_string(i);
    if (!e.is_object()) throw InputError(source + ": " + where + " is not an object");
    if (!e.contains("sourceId") || !e.contains("destId"))
      throw InputError(source + ": " + where + ": needs \"sourceId\" and \"destId\"");
    const std::string from = integer_id(e["sourceId"], source, where);
    const std::string to = integer_id(e["destId"], source, where);
    auto u = spec_of_id.find(from);
    auto v = spec_of_id.find(to);
    if (u == spec_of_id.end())
      throw InputError(source + ": " + where + ": unknown node id '" + from + "'");
    if (v == spec_of_id.end())
      throw InputError(source + ": " + where + ": unknown node id '" + to + "'");
    const double cost = json_number(e, "cost", source, where, true);
    NodeSpec& producer = specs[u->second];
    if (has_cost[u->second] && cost != producer.comm && !warned) {
      log_to(warn,
             source + ": node " + producer.id +
                 ": out-edges disagree on cost; using the largest (further cases not reported)");
      warned = true;
    }
    if (!has_cost[u->second] || cost > producer.comm) producer.comm = cost;
    has_cost[u->second] = true;
    edge_list.emplace_back(u->second, v->second);
  }
  for (auto& s : specs) builder.add_node(std::move(s));
  for (auto [u, v] : edge_list) builder.add_edge(static_cast<NodeId>(u), static_cast<NodeId>(v));
  if (doc.contains("maxSizePerFPGA"))
    builder.set_memory_per_stage(json_number(doc, "maxSizePerFPGA", source, "top level", true));
  if (doc.contains("maxFPGAs")) {
    builder.set_default_k(
        static_cast<int>(json_integer(doc["maxFPGAs"], 1, 1'000'000, source, "\"maxFPGAs\"")));
  }
  return std::move(builder).build();
}

}  // namespace pipecut
