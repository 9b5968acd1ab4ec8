#include "pipecut/model/constraints.hpp"

#include <optional>
#include <algorithm>
#include <cmath>
#include <cstdio>

namespace pipecut {

namespace {

// Strongly connected components (Tarjan, iterative) of a graph given as CSR. Returns the
// component of each vertex, numbered in a topological order of the condensation.
std::vector<int> strong_components(int vertices, const std::vector<int>& begin,
                                   const std::vector<int>& target) {
  std::vector<int> index(vertices, -1), low(vertices, 0), component(vertices, -1);
  std::vector<int> stack, call_vertex, call_edge;
  std::vector<char> on_stack(vertices, 0);
  int next_index = 0, components = 0;
  for (int root = 0; root < vertices; ++root) {
    if (index[root] >= 0) continue;
    call_vertex.push_back(root);
    call_edge.push_back(begin[root]);
    index[root] = low[root] = next_index++;
    stack.push_back(root);
    on_stack[root] = 1;
    while (!call_vertex.empty()) {
      const int v = call_vertex.back();
      int& e = call_edge.back();
      if (e < begin[v + 1]) {
        const int w = target[e++];
        if (index[w] < 0) {
          index[w] = low[w] = next_index++;
          stack.push_back(w);
          on_stack[w] = 1;
          call_vertex.push_back(w);
          call_edge.push_back(begin[w]);
        } else if (on_stack[w]) {
          low[v] = std::min(low[v], index[w]);
        }
        continue;
      }
      call_vertex.pop_back();
      call_edge.pop_back();
      if (!call_vertex.empty()) low[call_vertex.back()] = std::min(low[call_vertex.back()], low[v]);
      if (low[v] == index[v]) {
        for (;;) {
          const int w = stack.back();
          stack.pop_back();
          on_stack[w] = 0;
          component[w] = components;
          if (w == v) break;
        }
        ++components;
      }
    }
  }
  // Tarjan completes a component only after every component it reaches: reverse the numbering.
  for (int& c : component) c = components - 1 - c;
  return component;
}

std::string quoted_labels(const Graph& g, const std::vector<int>& classes) {
  std::string text = classes.size() == 1 ? "colour class " : "colour classes ";
  for (std::size_t i = 0; i < classes.size() && i < 3; ++i)
    text += (i ? ", '" : "'") + g.colour_labels[classes[i]].text + "'";
  if (classes.size() > 3) text += " and " + std::to_string(classes.size() - 3) + " more";
  return text;
}

}  // namespace

bool fits_capacity(double memory, double capacity) { return memory <= capacity; }

std::string constraints_phrase(const Graph& g) {
  const bool memory = g.memory_per_stage.has_value();
  const bool classes = !g.colour_labels.empty();
  if (memory && classes) return "fits the memory capacity and keeps every colour class together";
  if (classes) return "keeps every colour class together";
  return "fits the memory capacity";
}

bool fits_one_stage(const Graph& g) {
  if (!g.memory_per_stage) return true;
  double total = 0;
  for (double m : g.memory) total += m;
  return fits_capacity(total, *g.memory_per_stage);
}

std::string describe_bytes(double bytes) {
  char exact[64];
  if (bytes == std::floor(bytes) && std::fabs(bytes) < 1e18)
    std::snprintf(exact, sizeof exact, "%.0f bytes", bytes);
  else
    std::snprintf(exact, sizeof exact, "%.6g bytes", bytes);
  static const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  if (!(std::fabs(bytes) >= 1024)) return exact;
  double scaled = bytes / 1024;
  int unit = 0;
  while (std::fabs(scaled) >= 1024 && unit < 4) {
    scaled /= 1024;
    ++unit;
  }
  char human[32];
  std::snprintf(human, sizeof human, "%.3g %s", scaled, units[unit]);
  return std::string(exact) + " (" + human + ")";
}

Constraints derive_constraints(const Graph& g) {
  const int n = g.num_nodes();
  Constraints c;
  c.capacity = g.memory_per_stage;
  c.colour_classes = static_cast<int>(g.colour_labels.size());
  // Quotient vertices: one per colour class, then one per node without a class.
  const int classes = c.colour_classes;
  std::vector<int> vertex_of(n);
  for (NodeId v = 0; v < n; ++v)
    vertex_of[v] =
        !g.colour_class.empty() && g.colour_class[v] >= 0 ? g.colour_class[v] : classes + v;
  const int vertices = classes + n;
  std::vector<int> begin(vertices + 1, 0), target;
  // Only order-constraining edges (all of them on an inference graph; on a training graph the
  // forward ones, and gradient edges at an orphan reversed: docs/training.md) make quotient
  // edges; any other backward edge would close a cycle through the classes and glue the whole
  // graph into one stage.
  auto quotient_edge = [&](NodeId u, NodeId w) -> std::optional<std::pair<int, int>> {
    const auto constraint = g.order_constraint(u, w);
    if (!constraint) return std::nullopt;
    const int a = vertex_of[constraint->first], b = vertex_of[constraint->second];
    if (a == b) return std::nullopt;
    return std::pair{a, b};
  };
  for (NodeId u = 0; u < n; ++u)
    for (NodeId w : g.successors(u))
      if (const auto e = quotient_edge(u, w)) ++begin[e->first + 1];
  for (int x = 0; x < vertices; ++x) begin[x + 1] += begin[x];
  target.resize(begin[vertices]);
  {
    std::vector<int> fill(begin.begin(), begin.end() - 1);
    for (NodeId u = 0; u < n; ++u)
      for (NodeId w : g.successors(u))
        if (const auto e = quotient_edge(u, w)) target[fill[e->first]++] = e->second;
  }
  const std::vector<int> component = strong_components(vertices, begin, target);
  // Keep only the components that hold nodes (a class vertex always does; unused ids none),
  // renumbered densely in the same (topological) order.
  std::vector<int> used(vertices, -1);
  for (NodeId v = 0; v < n; ++v) used[component[vertex_of[v]]] = 1;
  int blocks = 0;
  for (int x = 0; x < vertices; ++x)
    if (used[x] > 0) used[x] = blocks++;
  c.block_of.resize(n);
  c.block_begin.assign(blocks + 1, 0);
  c.block_memory.assign(blocks, 0.0);
  for (NodeId v = 0; v < n; ++v) {
    c.block_of[v] = used[component[vertex_of[v]]];
    ++c.block_begin[c.block_of[v] + 1];
    c.block_memory[c.block_of[v]] += g.memory[v];
  }
  for (int b = 0; b < blocks; ++b) {
    c.block_begin[b + 1] += c.block_begin[b];
    if (c.block_begin[b + 1] - c.block_begin[b] > 1) ++c.hulls;
  }
  c.block_nodes.resize(n);
  std::vector<int> fill(c.block_begin.begin(), c.block_begin.end() - 1);
  for (NodeId v : topological_order(g)) c.block_nodes[fill[c.block_of[v]]++] = v;
  return c;
}

std::optional<std::string> infeasibility_proof(const Graph& g, const Constraints& c, int k) {
  if (!c.capacity) return std::nullopt;
  const double capacity = *c.capacity;
  const std::string limit = "the capacity of " + describe_bytes(capacity) + " per stage";
  for (NodeId v = 0; v < g.num_nodes(); ++v)
    if (!fits_capacity(g.memory[v], capacity))
      return "node '" + g.ids[v] + "' needs " + describe_bytes(g.memory[v]) + ", more than " +
             limit;
  for (int b = 0; b < c.num_blocks(); ++b) {
    if (fits_capacity(c.block_memory[b], capacity)) continue;
    std::vector<int> classes;
    for (NodeId v : c.members(b))
      if (!g.colour_class.empty() && g.colour_class[v] >= 0) classes.push_back(g.colour_class[v]);
    std::sort(classes.begin(), classes.end());
    classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
    return "the " + std::to_string(c.members(b).size()) + " nodes that " +
           quoted_labels(g, classes) +
           " force into one stage (members and every node on a path between them) need " +
           describe_bytes(c.block_memory[b]) + ", more than " + limit;
  }
  double total = 0;
  for (double m : g.memory) total += m;
  if (!fits_capacity(total, static_cast<double>(k) * capacity))
    return "the graph's total memory " + describe_bytes(total) +
           " exceeds k = " + std::to_string(k) + " stages times " + limit;
  return std::nullopt;
}

std::vector<double> stage_memory(const Graph& g, const Partition& p) {
  std::vector<double> memory(stored_stages(g, p), 0.0);
  for (NodeId v = 0; v < g.num_nodes(); ++v) memory[p.stage_of[v]] += g.memory[v];
  return memory;
}

std::optional<std::string> colour_class_violation(const Graph& g, const Partition& p) {
  if (!g.colour_class.empty()) {
    std::vector<NodeId> first(g.colour_labels.size(), -1);
    for (NodeId v = 0; v < g.num_nodes(); ++v) {
      const int cls = g.colour_class[v];
      if (cls < 0) continue;
      if (first[cls] < 0) {
        first[cls] = v;
      } else if (p.stage_of[first[cls]] != p.stage_of[v]) {
        return "colour class '" + g.colour_labels[cls].text + "' is split: node '" +
               g.ids[first[cls]] + "' is in stage " + std::to_string(p.stage_of[first[cls]]) +
               " and node '" + g.ids[v] + "' in stage " + std::to_string(p.stage_of[v]);
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> constraint_violation(const Graph& g, const Partition& p) {
  if (auto split = colour_class_violation(g, p)) return split;
  if (g.memory_per_stage) {
    const std::vector<double> memory = stage_memory(g, p);
    for (int b = 0; b < static_cast<int>(memory.size()); ++b)
      if (!fits_capacity(memory[b], *g.memory_per_stage))
        return "stage " + std::to_string(b) + " holds " + describe_bytes(memory[b]) +
               " of node memory, more than the capacity of " + describe_bytes(*g.memory_per_stage) +
               " per stage";
  }
  return std::nullopt;
}

}  // namespace pipecut
