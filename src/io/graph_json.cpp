#include "pipecut/io/graph_json.hpp"

#include <climits>
#include <cmath>
#include <nlohmann/json.hpp>

#include "io/json_formats.hpp"
#include "io/json_util.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/model/error.hpp"

namespace pipecut {

using nlohmann::json;

namespace {

std::string id_string(const json& id, const std::string& source, const std::string& where) {
  if (id.is_string()) return id.get<std::string>();
  if (auto text = json_integer_label(id, source, where + ": id")) return *text;
  throw InputError(source + ": " + where + ": id must be a string or an integer");
}

// A colour class label: a string, or an integer kept as its exact decimal text (an integral
// float is that integer, json_integer_label). nlohmann keeps integers within 64 bits exactly; a
// longer one arrives as a double, which would change it, so it is refused.
ColourLabel colour_label(const json& value, const std::string& source, const std::string& where) {
  if (value.is_string() && !value.get<std::string>().empty())
    return {value.get<std::string>(), false};
  if (auto text = json_integer_label(value, source, where + ": \"colour_class\""))
    return {*text, true};
  throw InputError(source + ": " + where +
                   ": \"colour_class\" must be a non-empty string or an integer within 64 bits "
                   "(write other labels as strings)");
}

}  // namespace

Graph parse_pipecut_graph(const std::string& text, const std::string& source) {
  return pipecut_graph_from_json(parse_json_document(text, source), source);
}

Graph pipecut_graph_from_json(const json& doc, const std::string& source) {
  if (!doc.is_object()) throw InputError(source + ": expected a JSON object at the top level");
  if (doc.value("format", json()) != "pipecut.graph")
    throw InputError(source + ": \"format\" must be \"pipecut.graph\"");
  if (!doc.contains("version") || !doc.at("version").is_number() || doc.at("version") != 1)
    throw InputError(source + ": unsupported \"version\" (this reader knows version 1)");
  std::string name = doc.contains("name") && doc.at("name").is_string()
                         ? doc.at("name").get<std::string>()
                         : file_stem(source);
  GraphBuilder b(source, name);
  if (!doc.contains("nodes") || !doc.at("nodes").is_array())
    throw InputError(source + ": missing \"nodes\" array");
  const json& nodes = doc.at("nodes");
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const json& n = nodes[i];
    std::string where = "node " + std::to_string(i);
    if (!n.is_object()) throw InputError(source + ": " + where + " is not an object");
    if (!n.contains("id")) throw InputError(source + ": " + where + " has no \"id\"");
    NodeSpec s;
    s.id = id_string(n["id"], source, where);
    const std::string node_where = "node '" + s.id + "'";
    if (n.contains("work") && n["work"].is_object()) {
      // Work per device class (docs/clusters.md): class name -> ms.
      if (n["work"].empty())
        throw InputError(source + ": " + node_where + ": \"work\" names no class");
      for (const auto& [class_name, time] : n["work"].items()) {
        if (!time.is_number())
          throw InputError(source + ": " + node_where + ": \"work\" of class '" + class_name +
                           "' must be a number");
        s.class_work.emplace_back(class_name, time.get<double>());
      }
    } else {
      s.work = json_number(n, "work", source, node_where, true);
    }
    if (n.contains("bytes") && !n["bytes"].is_null())
      s.bytes = json_number(n, "bytes", source, node_where, true);
    s.comm = json_number(n, "comm", source, node_where, true);
    s.memory = json_number(n, "memory", source, node_where, false);
    if (n.contains("op") && n["op"].is_string()) s.op = n["op"].get<std::string>();
    if (n.contains("colour_class") && !n["colour_class"].is_null())
      s.colour_class = colour_label(n["colour_class"], source, node_where);
    // A backward node of a training graph (docs/training.md); absent or null = forward.
    if (n.contains("backward") && !n["backward"].is_null()) {
      if (!n["backward"].is_boolean())
        throw InputError(source + ": " + node_where + ": \"backward\" must be true or false");
      s.backward = n["backward"].get<bool>();
    }
    b.add_node(std::move(s));
  }
  if (doc.contains("edges")) {
    const json& edges = doc.at("edges");
    if (!edges.is_array()) throw InputError(source + ": \"edges\" must be an array");
    for (std::size_t i = 0; i < edges.size(); ++i) {
      const json& e = edges[i];
      std::string where = "edge " + std::to_string(i);
      if (!e.is_array() || e.size() != 2)
        throw InputError(source + ": " + where + " must be a pair [from, to]");
      b.add_edge(id_string(e[0], source, where), id_string(e[1], source, where));
    }
  }
  if (doc.contains("memory_per_stage") && !doc.at("memory_per_stage").is_null())
    b.set_memory_per_stage(json_number(doc, "memory_per_stage", source, "top level", true));
  if (doc.contains("default_k") && !doc.at("default_k").is_null())
    b.set_default_k(
        static_cast<int>(json_integer(doc.at("default_k"), 1, INT_MAX, source, "\"default_k\"")));
  return std::move(b).build();
}

Graph read_pipecut_graph(const std::string& path) {
  return parse_pipecut_graph(read_file_maybe_gzip(path), path);
}

std::string pipecut_graph_to_json(const Graph& g, int indent) {
  json doc;
  doc["format"] = "pipecut.graph";
  doc["version"] = 1;
  doc["name"] = g.name;
  json nodes = json::array();
  for (NodeId v = 0; v < g.num_nodes(); ++v) {
    json n = {{"id", g.ids[v]}, {"work", g.work[v]}, {"comm", g.comm[v]}};
    if (!g.work_classes.empty()) {
      const std::size_t classes = g.work_classes.size();
      json by_class = json::object();
      for (std::size_t c = 0; c < classes; ++c) {
        const double time = g.class_work[static_cast<std::size_t>(v) * classes + c];
        if (!std::isnan(time)) by_class[g.work_classes[c]] = time;
      }
      if (!by_class.empty()) n["work"] = std::move(by_class);
    }
    if (!g.bytes.empty() && g.bytes[v] >= 0) n["bytes"] = g.bytes[v];
    if (g.memory[v] != 0) n["memory"] = g.memory[v];
    if (!g.op[v].empty()) n["op"] = g.op[v];
    if (!g.colour_class.empty() && g.colour_class[v] >= 0) {
      const ColourLabel& label = g.colour_labels[g.colour_class[v]];
      // An integer label is written back as the same JSON integer, digit for digit.
      n["colour_class"] = label.integer ? json::parse(label.text) : json(label.text);
    }
    if (g.is_backward(v)) n["backward"] = true;
    nodes.push_back(std::move(n));
  }
  doc["nodes"] = std::move(nodes);
  json edges = json::array();
  for (NodeId u = 0; u < g.num_nodes(); ++u)
    for (NodeId v : g.successors(u)) edges.push_back({g.ids[u], g.ids[v]});
  doc["edges"] = std::move(edges);
  if (g.memory_per_stage) doc["memory_per_stage"] = *g.memory_per_stage;
  if (g.default_k) doc["default_k"] = *g.default_k;
  return doc.dump(indent);
}

void write_pipecut_graph(const Graph& g, const std::string& path) {
  write_file_atomic(path, pipecut_graph_to_json(g) + "\n", ends_with(path, ".gz"));
}

}  // namespace pipecut
