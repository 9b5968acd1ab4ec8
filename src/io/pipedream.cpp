// Reader of PipeDream profiler graph.txt files (msr-fiddle/pipedream, profiler output).
//   nodeN -- <layer description> -- forward_compute_time=F, backward_compute_time=B,
//            activation_size=A, parameter_size=P [-- stage_id=S]
//   \tnodeA -- nodeB
// PipeDream prints the activation size of a layer with several outputs as a list "[a; b]".
#include <charconv>
#include <map>
#include <sstream>

#include "pipecut/io/file_util.hpp"
#include "pipecut/io/foreign_formats.hpp"
#include "pipecut/model/error.hpp"

namespace pipecut {

namespace {

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r");
  return std::string(s.substr(first, last - first + 1));
}

std::vector<std::string> split_on(const std::string& line, const std::string& separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto at = line.find(separator, start);
    if (at == std::string::npos) {
      parts.push_back(trim(std::string_view(line).substr(start)));
      return parts;
    }
    parts.push_back(trim(std::string_view(line).substr(start, at - start)));
    start = at + separator.size();
  }
}

double parse_number(const std::string& text, const std::string& where) {
  double value = 0.0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty())
    throw InputError(where + ": bad number '" + text + "'");
  return value;
}

// A size, or a list "[a; b; ...]" / "(a; b)" of sizes (a layer with several outputs), summed.
double parse_size(std::string text, const std::string& where) {
  if (!text.empty() && (text.front() == '[' || text.front() == '(')) {
    const char close = text.front() == '[' ? ']' : ')';
    if (text.back() != close) throw InputError(where + ": unterminated list '" + text + "'");
    text = text.substr(1, text.size() - 2);
    double total = 0;
    std::istringstream items(text);
    std::string item;
    while (std::getline(items, item, ';'))
      if (!trim(item).empty()) total += parse_number(trim(item), where);
    return total;
  }
  return parse_number(text, where);
}

}  // namespace

Graph parse_pipedream_graph(const std::string& text, const std::string& source,
                            double link_bandwidth_gbps) {
  if (!(link_bandwidth_gbps > 0)) throw InputError(source + ": link bandwidth must be > 0");
  GraphBuilder builder(source, file_stem(source));
  struct PendingEdge {
    std::string from, to;
    int line;
  };
  std::vector<PendingEdge> edges;
  std::istringstream in(text);
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (trim(line).empty()) continue;
    const std::string where = source + ":" + std::to_string(line_number);
    std::vector<std::string> parts = split_on(line, " -- ");
    if (parts.size() == 2) {  // edge line
      edges.push_back({parts[0], parts[1], line_number});
      continue;
    }
    if (parts.size() < 3)
      throw InputError(where + ": expected 'nodeN -- layer -- key=value, ...' or 'nodeA -- nodeB'");
    // A partitioned profile appends " -- stage_id=S" (ignored: we compute our own stages).
    if (parts.size() > 3 && parts.back().rfind("stage_id=", 0) == 0) parts.pop_back();
    // The description may itself contain " -- "; the attributes are always the last part.
    std::map<std::string, double> attributes;
    std::istringstream fields(parts.back());
    std::string field;
    while (std::getline(fields, field, ',')) {
      field = trim(field);
      const auto eq = field.find('=');
      if (eq == std::string::npos)
        throw InputError(where + ": expected key=value, got '" + field + "'");
      const std::string key = trim(field.substr(0, eq));
      const std::string value = trim(field.substr(eq + 1));
      attributes[key] =
          key == "activation_size" ? parse_size(value, where) : parse_number(value, where);
    }
    auto attribute = [&](const char* key) {
      auto it = attributes.find(key);
      if (it == attributes.end()) throw InputError(where + ": missing " + key);
      return it->second;
    };
    NodeSpec s;
    s.id = parts[0];
    if (s.id.empty() || s.id.find_first_of(" \t") != std::string::npos)
      throw InputError(where + ": bad node label '" + s.id + "'");
    s.work = attribute("forward_compute_time");
    s.comm = transfer_ms(attribute("activation_size"), link_bandwidth_gbps);
    s.memory = attributes.count("parameter_size") ? attributes["parameter_size"] : 0.0;
    std::string description = parts[1];
    for (std::size_t i = 2; i + 1 < parts.size(); ++i) description += " -- " + parts[i];
    s.op = trim(description.substr(0, description.find('(')));
    if (builder.find(s.id)) throw InputError(where + ": duplicate node '" + s.id + "'");
    builder.add_node(std::move(s));
  }
  // Edges may come before the nodes they name, so they are resolved after the whole file.
  for (const auto& e : edges) {
    const std::string where = source + ":" + std::to_string(e.line);
    for (const std::string* id : {&e.from, &e.to})
      if (!builder.find(*id)) throw InputError(where + ": edge names unknown node '" + *id + "'");
    if (e.from == e.to) throw InputError(where + ": self-loop on node '" + e.from + "'");
    builder.add_edge(e.from, e.to);
  }
  return std::move(builder).build();
}

}  // namespace pipecut
