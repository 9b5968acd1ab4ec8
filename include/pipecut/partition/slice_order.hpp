#pragma once
// Algorithm 1 of Archer et al.: optimal slicing of one topological order into at most k
// contiguous segments (stages), minimising the bottleneck stage cost.
//
// Exactness: the result is the optimum over all ways to cut `order` into <= k segments, with
// segment costs as defined in model/cost.hpp on the costs rounded down to the exact-cost grid
// (model/numeric.hpp: at most 2^-50 of the sum of all costs each), where the incremental sums
// are exact; the reported bottleneck is the reference evaluator's on the graph as given.
//
// Speed: segment costs are updated incrementally as a segment grows to the left, and only
// segments whose work is <= an upper bound U on this order's optimum are examined (a segment's
// cost is at least its work). U comes from a cheap greedy slicing. Memory is O(n + m + k*window),
// where window is the largest number of consecutive nodes with work <= U.
//
// Placement constraints (model/constraints.hpp) carried by the graph are honoured: a segment
// whose memory exceeds the capacity is not a stage, and no cut falls inside the span of a colour
// class in the order (a segment holding a whole class also holds every node between its
// members, hence its convex hull). The result is then the optimum over the cuts that satisfy
// them, and an order with no such cut is reported infeasible. Memory is a second window bound
// beside work, and a greedy cut that takes the farthest allowed end decides feasibility
// exactly, so the unconstrained code path is unchanged.
#include <functional>
#include <span>
#include <vector>

#include "pipecut/model/cost.hpp"
#include "pipecut/model/graph.hpp"

namespace pipecut {

// Any k >= 1 is accepted: more segments than nodes cannot help, so the slicers work with
// min(k, n) segments (a huge k costs no memory or time).
// An optional early stop for one slicing, polled every few hundred positions of the O(n *
// window) passes (a long chain with few stages takes seconds). When it returns true, the slicer
// returns the greedy slicing it computed first: valid, within its bound, not necessarily optimal.
using SliceStop = std::function<bool()>;

struct SliceResult {
  bool feasible = true;     // false: no cut of the order satisfies the placement constraints
  bool optimal = true;      // false: stopped early, the cuts are the greedy slicing's
  double bottleneck = 0.0;  // optimal max stage cost over all cuts of the order (+inf if none)
  // min(k, n) + 1 positions, cuts[0] = 0, cuts.back() = n, non-decreasing; empty when infeasible
  std::vector<int> cuts;
  int stages_used = 0;  // number of non-empty segments
};

// Reusable scratch space so that repeated calls (one per GA chromosome) do not allocate.
// One workspace per thread. Its contents are internal to the slicer and unspecified between calls.
struct SliceWorkspace {
  // The order re-indexed by position, so the hot loops walk contiguous arrays.
  std::vector<int> position;          // position of each node in the order
  std::vector<double> work_at;        // work of the node at each position
  std::vector<double> comm_at;        // comm of the node at each position
  std::vector<int> last_consumer_at;  // largest position of a consumer, -1 if none
  std::vector<int> pred_begin_at;     // CSR: positions of the producers of each position
  std::vector<int> pred_at;
  std::vector<int> release_begin;  // CSR: positions whose last consumer sits at each position
  std::vector<int> release_at;
  std::vector<double> prefix_work;   // prefix sums of work along the order
  std::vector<int> stamp;            // per position: right end for which its tensor is counted
  std::vector<double> column;        // ring: f(i, j) for the current right end j
  std::vector<double> column_delta;  // difference array used to advance the column
  std::vector<int> last_seen;        // per position: latest consumer position appended so far
  std::vector<double> layers;        // ring buffer: best bottleneck for prefix i with b segments
  std::vector<int> layer_first;      // per layer: first and last prefix length in its band
  std::vector<int> layer_last;
  std::vector<double> prefix_cost;  // k = 2: f(0, i)
  std::vector<int> count;           // reconstruction: fewest segments for prefix, and parent
  std::vector<int> parent;
  // Placement constraints only (left empty for unconstrained graphs).
  std::vector<double> prefix_memory;  // prefix sums of node memory along the order
  std::vector<char> cut_allowed;      // per cut position 0..n: no colour class spans it
  std::vector<int> class_span;        // per colour class: first and last position
};

class OrderSlicer {
 public:
  // Cost contract for both functions: O(n + m) preparation and greedy passes, then
  // O(sum over right ends j of the in-degrees in j's window) for segment costs, and
  // O(band * n * window) for the layered DP. k = 1 and k = 2 are O(n + m).
  // Bottleneck value only (the GA's fitness). `cutoff`: if the order's optimum is >= cutoff
  // the function may stop early and return a value >= cutoff that is an achievable bottleneck
  // of this order (not necessarily its optimum). Pass +infinity for the exact optimum.
  // +infinity when no cut of the order satisfies the graph's placement constraints.
  // With `stop`, the greedy value when it fires (`*stopped` set, when given).
  static double optimal_bottleneck(const Graph& g, std::span<const NodeId> order, int k,
                                   SliceWorkspace& ws, double cutoff, const SliceStop& stop = {},
                                   bool* stopped = nullptr);
  // Optimal bottleneck and the cuts that attain it (the greedy ones when `stop` fires).
  static SliceResult slice(const Graph& g, std::span<const NodeId> order, int k, SliceWorkspace& ws,
                           const SliceStop& stop = {});
};

// Convenience wrapper with its own workspace.
SliceResult slice_order(const Graph& g, std::span<const NodeId> order, int k,
                        const SliceStop& stop = {});

// Straightforward O(k * n^2) slicing DP, kept as the benchmark baseline and as a test oracle.
// It ignores placement constraints (the baseline of the unconstrained problem).
SliceResult slice_order_quadratic(const Graph& g, std::span<const NodeId> order, int k);

}  // namespace pipecut
