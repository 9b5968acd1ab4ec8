#pragma once
// The MTPP instance: a DAG of operators with per-node work and per-tensor communication cost.
//
// Units: `work` and `comm` are times in one unit chosen by the input (ms for profiled inputs);
// `memory` is bytes. Invariants established by GraphBuilder::build():
//   - at least one node; ids unique and non-empty;
//   - work, comm, memory finite and >= 0; work and comm 0 or within the supported range of
//     model/numeric.hpp; memory a whole number of bits (a multiple of 1/8 byte), and the total
//     memory at most kMaxTotalMemory, so that every sum of node memories is exact in double;
//   - edges deduplicated, no self-loops, acyclic;
//   - nodes are dense indices 0..n-1 in the order they were added; adjacency is CSR with each
//     node's successor and predecessor lists sorted ascending;
//   - on a training graph (docs/training.md), every backward node either has a colour class that
//     holds a forward node (its twin), or is an orphan joined by gradient edges (edges between
//     two backward nodes) to a backward node that has one.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace pipecut {

using NodeId = std::int32_t;

// Largest total memory of a graph, in bytes (2^50, 1 PiB): sums of whole bits up to it are exact
// in double (2^53 eighths of a byte).
inline constexpr double kMaxTotalMemory = 0x1p50;

// A must-colocate label as written in the input: its text, and whether it was written as a JSON
// integer (kept as decimal text whatever its size, so that writers give it back unchanged).
// Labels are compared by text: the integer 3 and the string "3" name the same class.
struct ColourLabel {
  std::string text;
  bool integer = false;
};

struct Graph {
  std::string name;              // model name (from the file, or the file stem)
  std::vector<std::string> ids;  // original id of each node, for output
  std::vector<double> work;      // compute time of the node on one device
  std::vector<double> comm;      // time to move the node's output tensor between devices
  std::vector<double> memory;    // bytes held by the node (weights); 0 when unknown
  std::vector<std::string> op;   // operator type, may be empty

  // Placement constraints carried from the input (model/constraints.hpp derives what the
  // algorithms use from them). Nodes of one colour class must share a stage.
  std::vector<int> colour_class;           // empty (no classes), or per node: an index into
                                           // colour_labels, -1 = unconstrained
  std::vector<ColourLabel> colour_labels;  // one per class, in order of first appearance
  std::optional<double> memory_per_stage;  // capacity C in bytes per stage (device), > 0
  std::optional<int> default_k;            // number of devices suggested by the input

  // Training graphs (docs/training.md): per node, 0 for a forward node, kBackwardTwin for a
  // backward node whose colour class holds a forward node (it shares that node's stage),
  // kBackwardOrphan for one whose class holds none (or that has no class); empty when the graph
  // has no backward node (an inference graph, whose every edge constrains the stage order).
  static constexpr char kBackwardTwin = 1;
  static constexpr char kBackwardOrphan = 2;
  std::vector<char> backward;

  // For clusters (docs/clusters.md); all empty when the input gives none, and then every cost
  // is today's. A node's work may be given per device class: `work_classes` are the class names
  // the input's work maps name (in order of first appearance), and class_work[v * C + c] is
  // node v's time on class c (C = work_classes.size()), NaN when v gives none for c (a node
  // whose work is a number gives none: its time on a class is work / speed). Such a node's
  // `work` is the least of its class times. `bytes[v]` is the size of v's output tensor, -1
  // when not given (the tensor then costs `comm` on every link).
  std::vector<std::string> work_classes;
  std::vector<double> class_work;
  std::vector<double> bytes;

  // CSR adjacency.
  std::vector<std::int32_t> succ_begin;  // size n+1
  std::vector<NodeId> succ_list;
  std::vector<std::int32_t> pred_begin;  // size n+1
  std::vector<NodeId> pred_list;

  [[nodiscard]] int num_nodes() const { return static_cast<int>(ids.size()); }
  [[nodiscard]] int num_edges() const { return static_cast<int>(succ_list.size()); }
  [[nodiscard]] std::span<const NodeId> successors(NodeId v) const {
    return {succ_list.data() + succ_begin[v], succ_list.data() + succ_begin[v + 1]};
  }
  [[nodiscard]] std::span<const NodeId> predecessors(NodeId v) const {
    return {pred_list.data() + pred_begin[v], pred_list.data() + pred_begin[v + 1]};
  }
  [[nodiscard]] double total_work() const;
  // Whether the graph has backward nodes (docs/training.md).
  [[nodiscard]] bool is_training() const { return !backward.empty(); }
  [[nodiscard]] bool is_backward(NodeId v) const { return !backward.empty() && backward[v]; }
  // Whether the edge u -> v requires stage(u) <= stage(v): always on an inference graph, and
  // between two forward nodes on a training graph.
  [[nodiscard]] bool orders(NodeId u, NodeId v) const {
    return backward.empty() || (!backward[u] && !backward[v]);
  }
  // Whether the edge u -> v requires stage(v) <= stage(u): on a training graph, a gradient edge
  // (between two backward nodes) with an orphan end; gradients run to earlier stages, and this
  // is what places an orphan (docs/training.md, "Orphan backward nodes").
  [[nodiscard]] bool orders_reversed(NodeId u, NodeId v) const {
    return !backward.empty() && backward[u] && backward[v] &&
           (backward[u] == kBackwardOrphan || backward[v] == kBackwardOrphan);
  }
  // The edge u -> v as the order constraint stage(first) <= stage(second) it makes, or nullopt.
  [[nodiscard]] std::optional<std::pair<NodeId, NodeId>> order_constraint(NodeId u,
                                                                          NodeId v) const {
    if (orders(u, v)) return std::pair{u, v};
    if (orders_reversed(u, v)) return std::pair{v, u};
    return std::nullopt;
  }
  // Index of the node with this original id, or nullopt.
  [[nodiscard]] std::optional<NodeId> find(std::string_view id) const;
};

// One node as read from an input file, before validation.
struct NodeSpec {
  std::string id;
  double work = 0.0;
  double comm = 0.0;
  double memory = 0.0;
  std::string op;
  std::optional<ColourLabel> colour_class;  // none = unconstrained
  // Work per device class (class name, time), instead of `work`; empty = `work` (see Graph).
  // (Initialised, so that NodeSpec{...} without them stays warning-free.)
  std::vector<std::pair<std::string, double>> class_work = {};
  std::optional<double> bytes = {};  // output tensor size in bytes
  bool backward = false;             // a backward node of a training graph (docs/training.md)
};

// Collects nodes and edges, then validates them into a Graph. Every error is an InputError whose
// message starts with `source` (usually the file name), e.g. "model.json: node 'x': negative work".
class GraphBuilder {
 public:
  explicit GraphBuilder(std::string source, std::string graph_name = {});

  NodeId add_node(NodeSpec spec);  // rejects duplicate ids and bad numbers
  void add_edge(std::string_view from, std::string_view to);  // ids must already be added
  void add_edge(NodeId from, NodeId to);
  [[nodiscard]] std::optional<NodeId> find(std::string_view id) const;
  [[nodiscard]] int num_nodes() const { return static_cast<int>(nodes_.size()); }
  void set_memory_per_stage(double bytes);  // finite and > 0
  void set_default_k(int k);
  void set_name(std::string name) { name_ = std::move(name); }
  const std::string& source() const { return source_; }

  // Validates (non-empty, no self-loops, acyclic: a cycle error names a node on it; every
  // orphan backward node reached by gradient edges from one with a forward twin), merges
  // duplicate edges, and builds the CSR graph.
  [[nodiscard]] Graph build() &&;

 private:
  [[noreturn]] void fail(const std::string& problem) const;
  void check_orphans_are_placed(const Graph& g) const;
  std::string source_;
  std::string name_;
  std::vector<NodeSpec> nodes_;
  std::unordered_map<std::string, NodeId> index_;
  std::vector<std::pair<NodeId, NodeId>> edges_;
  std::optional<double> memory_per_stage_;
  std::optional<int> default_k_;
};

// A topological order (Kahn's algorithm, smallest ready index first): deterministic.
std::vector<NodeId> topological_order(const Graph& g);

// The subgraph induced by `nodes` (distinct indices of g): those nodes in the given order with
// their costs, memory and colour labels, the edges between them, and g's name, capacity and
// default k. A tensor loses the consumers left out, and one whose producer is left out is gone.
// Every partition of g, restricted to `nodes`, is one of the subgraph whose stages cost no more
// (docs/bounds.md, "split"). O(n + m).
// Node v of g as the builder takes it: every field (costs, class label, per-class work, bytes,
// backward) as g holds it.
NodeSpec node_spec(const Graph& g, NodeId v);

Graph induced_subgraph(const Graph& g, std::span<const NodeId> nodes);

// True iff `order` is a permutation of 0..n-1 with every edge going forward (every edge, also
// on a training graph: the full graph is acyclic).
bool is_topological_order(const Graph& g, std::span<const NodeId> order);

}  // namespace pipecut
