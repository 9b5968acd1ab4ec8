#pragma once
// A small Dinic max-flow on double capacities, for the single-stage min-cut bound.
// Memory is linear in nodes + arcs, and no step recurses: augmenting paths are walked with an
// explicit path stack, so a graph with a path through millions of nodes needs no deep call stack.
#include <functional>
#include <vector>

namespace pipecut::detail {

class MaxFlow {
 public:
  explicit MaxFlow(int num_nodes);
  void add_edge(int from, int to, double capacity);
  // Max-flow value from s to t. Residual capacities below `epsilon` count as saturated.
  // `stop`, when given, is polled every few thousand steps; once it returns true the flow found
  // so far is returned (a feasible flow: its value is at most the max flow, so still a valid
  // lower bound on the min cut) and stopped() is true.
  double run(int s, int t, double epsilon, const std::function<bool()>& stop = {});
  [[nodiscard]] bool stopped() const { return stopped_; }
  // After run(): nodes reachable from s in the residual graph (the source side of a min cut).
  [[nodiscard]] std::vector<char> source_side(int s, double epsilon) const;

 private:
  struct Arc {
    int to;
    double residual;
  };
  bool build_levels(int s, int t, double epsilon);
  // Pushes a blocking flow along the current level graph; returns the amount pushed.
  double blocking_flow(int s, int t, double epsilon, const std::function<bool()>& stop);
  [[nodiscard]] int tail(int arc) const { return arcs_[arc ^ 1].to; }
  std::vector<Arc> arcs_;              // arc i and i^1 are a pair
  std::vector<std::vector<int>> out_;  // arc indices per node
  std::vector<int> level_;
  std::vector<std::size_t> next_arc_;
  std::vector<int> path_;  // arcs of the current s -> v path
  bool stopped_ = false;
};

}  // namespace pipecut::detail
