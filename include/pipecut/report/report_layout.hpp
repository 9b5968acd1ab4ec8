#pragma once
// Layout data of the HTML partition report (docs/report.md): where each operator goes in the
// graph drawing, which runs of operators are drawn as one box, and the steady-state timeline of
// microbatches. Pure data, computed from a graph and a valid partition; the HTML writer
// (html_report.hpp) only turns it into SVG, so everything that can be wrong is tested here.
#include <cstddef>
#include <optional>
#include <vector>

#include "pipecut/model/cost.hpp"
#include "pipecut/model/graph.hpp"

namespace pipecut {

// Topological level of every node: 0 for a source, 1 + the largest level of its predecessors
// otherwise; then every source that has consumers is moved right, to one level before its
// earliest consumer, so that a weight sits next to the operator that reads it rather than in a
// column of all sources. Invariant: level[u] < level[v] for every edge (u, v). O(n + m).
std::vector<int> topological_levels(const Graph& g);

// Maximal runs of operators that can be drawn as one box without hiding any structure: a chain
// u1 -> u2 -> ... -> ur in which every link is u's only consumer and v's only producer, all in
// one stage. Only the last operator's tensor can leave a run, and only the first operator can
// receive tensors from outside, so every cut tensor stays visible. Each node is in exactly one
// run; runs are listed by their first node's position in topological_order(g), nodes in chain
// order. O(n + m).
std::vector<std::vector<NodeId>> chain_runs(const Graph& g, const Partition& p);

struct GraphViewOptions {
  // Graphs with at most this many operators draw every operator; larger ones draw chain runs.
  int detail_limit = 300;
  // The level axis wraps into rows of this many levels, like lines of text, because operator
  // graphs are long and narrow (a 2 000-operator model has over a thousand levels, rarely more
  // than a handful of operators per level).
  int levels_per_row = 40;
};

// One box of the graph drawing: a single operator, or a chain run of several.
struct GraphViewItem {
  std::vector<NodeId> nodes;  // in chain order; never empty
  int stage = 0;
  int level = 0;   // topological level in the drawn graph (levels of the quotient by runs)
  int lane = 0;    // position among the items of its level, 0 = top
  int row = 0;     // level / levels_per_row
  int column = 0;  // level % levels_per_row
};

// An edge of the drawn graph: some operator of `from` feeds some operator of `to`. Within
// runs, that is always the last operator of `from` (its tensor is `tensor`) and the first of
// `to`.
struct GraphViewEdge {
  int from = 0;
  int to = 0;
  NodeId tensor = 0;  // producer of the tensor carried
  bool cut = false;   // the two items are in different stages
};

struct GraphView {
  bool aggregated = false;  // items are chain runs (n > detail_limit)
  int levels_per_row = 1;
  int num_levels = 0;  // levels of the drawn graph
  std::vector<GraphViewItem> items;
  std::vector<int> item_of;          // node -> index into items
  std::vector<GraphViewEdge> edges;  // distinct (from, to) pairs, sorted
  std::vector<int> row_lanes;        // for each row, the largest number of items in one level
};

// Throws InputError if the partition is invalid. O((n + m) log n).
GraphView layout_graph_view(const Graph& g, const Partition& p,
                            const GraphViewOptions& options = {});

// Resident memory in bytes of each stage listed in `e` (same order as e.stages): the sum of node
// `memory` (weights and folded constants). Activations are not modelled. Works for both forms of
// Evaluation: every stage (evaluate_partition) or the non-empty ones (evaluate, solve/api.hpp).
std::vector<double> resident_memory(const Graph& g, const Evaluation& e);

// Colocation (colour classes): how many classes the graph has and how many the partition
// splits across stages.
struct ColocationCheck {
  int classes = 0;
  int split = 0;
};
ColocationCheck check_colocation(const Graph& g, const Partition& p);

// Steady state of a synchronous pipeline: every stage starts a new microbatch each period
// T = bottleneck, and microbatch i reaches the p-th non-empty stage at slot i + p. Within its
// slot a stage receives (comm_in), computes (work), sends (comm_out), then idles T - cost.
struct TimelineBox {
  int stage = 0;     // stage index
  int position = 0;  // row: rank of the stage among the non-empty stages
  int microbatch = 0;
  double start = 0;     // (microbatch + position) * period
  double received = 0;  // start + comm_in
  double computed = 0;  // received + work
  double end = 0;       // computed + comm_out = start + cost <= start + period
};

struct PipelineTimeline {
  double period = 0;               // bottleneck stage cost; throughput is 1 / period
  int slots = 0;                   // time axis: [0, slots * period)
  std::vector<int> stages;         // non-empty stages in pipeline order (the rows)
  std::vector<TimelineBox> boxes;  // every (stage, microbatch) that starts before the horizon
};

// `extra_slots` steady-state slots after the pipeline has filled (slots = rows + extra_slots).
// Accepts either form of Evaluation (all stages, or the non-empty ones). An all-zero evaluation
// (period 0) has no boxes.
PipelineTimeline steady_state_timeline(const Evaluation& e, int extra_slots = 4);

}  // namespace pipecut
