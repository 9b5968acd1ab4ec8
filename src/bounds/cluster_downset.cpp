#include "pipecut/bounds/cluster_downset.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "pipecut/model/constraints.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/model/numeric.hpp"
#include "pipecut/util/stopwatch.hpp"
#include "util/bitset_index.hpp"

namespace pipecut {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
using Word = BitWord;

// The block DAG of the placement constraints: the units every partition keeps whole.
struct Blocks {
  int count = 0;
  std::vector<std::vector<int>> preds, succs;  // distinct blocks
};

Blocks block_dag(const Graph& g, const Constraints& c) {
  Blocks b;
  b.count = c.num_blocks();
  b.preds.resize(b.count);
  b.succs.resize(b.count);
  for (NodeId u = 0; u < g.num_nodes(); ++u)
    for (NodeId v : g.successors(u)) {
      const int x = c.block_of[u], y = c.block_of[v];
      if (x != y) {
        b.succs[x].push_back(y);
        b.preds[y].push_back(x);
      }
    }
  for (auto* lists : {&b.preds, &b.succs})
    for (std::vector<int>& l : *lists) {
      std::sort(l.begin(), l.end());
      l.erase(std::unique(l.begin(), l.end()), l.end());
    }
  return b;
}

// Multisets of device types in mixed radix, with what a stage of each type pays per tensor
// after each multiset (docs/clusters.md, "The downset DP on a cluster").
struct TypeMultisets {
  int types = 0, count = 0;
  std::vector<int> weight, limit, device_class, available;
  std::vector<int> total;         // per multiset: stages it holds
  std::vector<int> digit;         // per multiset x type
  std::vector<int> receive_link;  // per multiset x type: link index, -1 = none
  std::vector<int> send_link;     // per multiset x type: link index, -1 = no device left
  std::vector<char> can_add;      // per multiset x type: one more stage of it is allowed
  std::vector<double> link_gbps;  // distinct bandwidths
  int hosts = 0;                  // hosts that have devices, numbered densely
  std::vector<int> host;          // per type: its host
  std::vector<int> host_link;     // hosts x hosts: link index between two devices
};

TypeMultisets type_multisets(const Cluster& c, int k, long long limit) {
  TypeMultisets m;
  const std::vector<DeviceType> types = c.types();
  m.types = static_cast<int>(types.size());
  double states = 1;
  for (const DeviceType& t : types) {
    m.available.push_back(static_cast<int>(t.devices.size()));
    m.limit.push_back(std::min(static_cast<int>(t.devices.size()), k));
    m.device_class.push_back(t.device_class);
    states *= m.limit.back() + 1;
  }
  if (states > static_cast<double>(limit)) return m;  // count 0: too many
  int w = 1;
  for (int t = 0; t < m.types; ++t) {
    m.weight.push_back(w);
    w *= m.limit[t] + 1;
  }
  m.count = w;
  // Bandwidth between a device of type a and another of type b (one host's, or between hosts).
  auto gbps = [&](int a, int b) { return c.host_bandwidth(types[a].host, types[b].host); };
  for (int a = 0; a < m.types; ++a)
    for (int b = 0; b < m.types; ++b)
      if (std::find(m.link_gbps.begin(), m.link_gbps.end(), gbps(a, b)) == m.link_gbps.end())
        m.link_gbps.push_back(gbps(a, b));
  auto link_index = [&](double value) {
    return static_cast<int>(std::find(m.link_gbps.begin(), m.link_gbps.end(), value) -
                            m.link_gbps.begin());
  };
  std::vector<int> dense(c.hosts.size(), -1);
  for (const DeviceType& t : types) {
    if (dense[t.host] < 0) dense[t.host] = m.hosts++;
    m.host.push_back(dense[t.host]);
  }
  m.host_link.assign(std::size_t(m.hosts) * m.hosts, 0);
  for (int a = 0; a < m.types; ++a)
    for (int b = 0; b < m.types; ++b)
      m.host_link[std::size_t(m.host[a]) * m.hosts + m.host[b]] = link_index(gbps(a, b));
  m.total.assign(m.count, 0);
  m.digit.assign(std::size_t(m.count) * m.types, 0);
  m.receive_link.assign(std::size_t(m.count) * m.types, -1);
  m.send_link.assign(std::size_t(m.count) * m.types, -1);
  m.can_add.assign(std::size_t(m.count) * m.types, 0);
  for (int s = 0; s < m.count; ++s) {
    for (int t = 0; t < m.types; ++t) {
      m.digit[std::size_t(s) * m.types + t] = (s / m.weight[t]) % (m.limit[t] + 1);
      m.total[s] += m.digit[std::size_t(s) * m.types + t];
    }
    for (int t = 0; t < m.types; ++t)
      m.can_add[std::size_t(s) * m.types + t] =
          m.digit[std::size_t(s) * m.types + t] < m.limit[t] && m.total[s] < k;
    for (int t = 0; t < m.types; ++t) {
      // Received tensors come from devices used before; sent ones go to devices still free.
      double in = 0, out = 0;
      for (int u = 0; u < m.types; ++u) {
        const int used = m.digit[std::size_t(s) * m.types + u];
        if (used > 0) in = std::max(in, gbps(u, t));
        if (m.available[u] - used - (u == t ? 1 : 0) > 0) out = std::max(out, gbps(t, u));
      }
      if (in > 0) m.receive_link[std::size_t(s) * m.types + t] = link_index(in);
      if (out > 0) m.send_link[std::size_t(s) * m.types + t] = link_index(out);
    }
  }
  return m;
}

// Costs on a grid: every work and tensor time rounded down to a multiple of a power of two q
// small enough that every sum the DP forms is exact (as ExactCosts does, model/numeric.hpp), so
// that a stage's priced cost never exceeds its true one, whatever the order of the sums.
struct GridCosts {
  std::vector<double> work;      // node x class
  std::vector<double> transfer;  // node x link
};

GridCosts grid_costs(const ClusterCosts& costs, const TypeMultisets& m) {
  const Graph& g = costs.graph();
  const int n = g.num_nodes();
  const auto classes = costs.cluster().classes.size();
  const std::size_t links = m.link_gbps.size();
  GridCosts out;
  out.work.resize(std::size_t(n) * classes);
  out.transfer.resize(std::size_t(n) * links);
  double total = 0;
  for (NodeId v = 0; v < n; ++v) {
    double most = 0, dearest = 0;
    for (std::size_t x = 0; x < classes; ++x) {
      out.work[v * classes + x] = costs.work(v, static_cast<int>(x));
      most = std::max(most, out.work[v * classes + x]);
    }
    for (std::size_t l = 0; l < links; ++l) {
      out.transfer[v * links + l] = costs.transfer(v, m.link_gbps[l]);
      dearest = std::max(dearest, out.transfer[v * links + l]);
    }
    total += most + dearest * static_cast<double>(1 + g.successors(v).size());
  }
  const double q = total > 0 ? std::ldexp(1.0, std::ilogb(total) + 1 - 50) : 1.0;
  for (std::vector<double>* values : {&out.work, &out.transfer})
    for (double& x : *values) x = std::floor(x / q) * q;
  return out;
}

// A tensor whose time is the same over every link (no bytes, or one bandwidth) needs no host.
bool host_dependent(const GridCosts& grid, NodeId v, int links) {
  for (int l = 1; l < links; ++l)
    if (grid.transfer[std::size_t(v) * links + l] != grid.transfer[std::size_t(v) * links])
      return true;
  return false;
}

class ClusterDownsetDp {
 public:
  ClusterDownsetDp(const ClusterCosts& costs, int k, const ClusterDownsetOptions& options)
      : costs_(costs),
        g_(costs.graph()),
        c_(costs.cluster()),
        k_(k),
        options_(options),
        constraints_(derive_constraints(g_)),
        blocks_(block_dag(g_, constraints_)),
        index_(blocks_.count) {}

  ClusterDownsetResult run() {
    ClusterDownsetResult result;
    m_ = type_multisets(c_, k_, options_.multiset_limit);
    if (m_.count == 0) {
      result.detail = "too many multisets of device types";
      return result;
    }
    grid_ = grid_costs(costs_, m_);
    classes_ = static_cast<int>(c_.classes.size());
    links_ = static_cast<int>(m_.link_gbps.size());
    class_has_devices_.assign(classes_, 0);
    for (int t = 0; t < m_.types; ++t) {
      class_has_devices_[m_.device_class[t]] = 1;
      largest_memory_ = std::max(largest_memory_, c_.classes[m_.device_class[t]].memory);
    }
    if (!enumerate_downsets(result)) return result;
    result.downsets = index_.size();
    if (!lay_out_states()) {
      result.detail = "DP states beyond the memory budget";
      return result;
    }
    prepare_stage_state();
    // Passes at limits between the floor and the incumbent (docs/clusters.md, "Computation"):
    // a pass that finds no path proves the optimum above its limit, and the first that finds one
    // has found the optimum, with far fewer stages and states than a pass at the incumbent.
    double proven_above = 0;
    const double floor = std::max(0.0, options_.floor);
    long long arg = -1;
    Pass outcome = Pass::none;
    if (options_.incumbent < kInf && floor > 0 && floor < options_.incumbent) {
      // Bisection between the floor and the incumbent while they are far apart: a pass costs
      // more the higher its limit, but its stages are most of its cost, and they shrink only
      // slowly with the limit, so near the incumbent one pass at it is cheaper.
      double low = floor;
      for (int round = 0; round < kBisections && outcome == Pass::none &&
                          options_.incumbent - low > kBisectGap * options_.incumbent;
           ++round) {
        const double limit = low + (options_.incumbent - low) / 2;
        outcome = pass(limit, std::max(floor, proven_above), arg);
        if (outcome == Pass::none) low = proven_above = limit;
      }
    }
    if (outcome == Pass::none)
      outcome = pass(options_.incumbent, std::max(floor, proven_above), arg);
    result.stages = visited_;
    const std::string counts =
        std::to_string(index_.size()) + " downsets, " + std::to_string(visited_) + " stages in " +
        std::to_string(passes_) + (passes_ == 1 ? " pass, " : " passes, ") +
        std::to_string(m_.count) + " type multisets" +
        (tracking_ ? ", hosts of " + std::to_string(most_tracked_) + " open tensors at most"
                   : ", links relaxed");
    if (outcome == Pass::stopped) {
      result.status = BoundStatus::time_limit;
      result.value = proven_above;
      result.detail = "stopped before the DP finished (" + counts + ")";
      return result;
    }
    if (outcome == Pass::none) {
      if (options_.incumbent < kInf) {
        result.detail = "no chain within the incumbent (" + counts + ")";
        return result;  // cannot happen with a valid incumbent; no bound claimed
      }
      result.status = BoundStatus::infeasible;
      result.detail = "no partition into at most " + std::to_string(k_) +
                      " stages fits the devices (" + counts + ")";
      return result;
    }
    result.status = BoundStatus::proven;
    // Exact sums of costs rounded down, then the usual margin against the real sums' rounding.
    result.value = certify(best_[arg]);
    result.partition = partition_of(arg);
    result.detail = counts;
    return result;
  }

 private:
  enum class Pass { found, none, stopped };
  static constexpr int kBisections = 4;
  static constexpr double kBisectGap = 0.05;  // of the incumbent

  // One run of the DP with every stage, state and price above `limit` left out (+inf: none);
  // `arg` gets the best final state when it finds a path.
  Pass pass(double limit, double clamp, long long& arg) {
    ++passes_;
    clamp_ = clamp;
    limit_ = limit < kInf ? limit * (1 + 1e-9) : kInf;
    std::fill(best_.begin(), best_.end(), kInf);
    std::fill(from_.begin(), from_.end(), -1);
    best_[0] = 0;
    for (int j = 0; j < index_.size(); ++j)
      if (!extend_from(j)) return Pass::stopped;
    const int all = index_.size() - 1;  // breadth first: the full set comes last (no frontier)
    arg = -1;
    for (int s = 0; s < m_.count; ++s) {
      const long long state = state_begin_[all] + s;
      if (m_.total[s] >= 1 && m_.total[s] <= k_ && best_[state] < (arg < 0 ? kInf : best_[arg]))
        arg = state;
    }
    return arg < 0 ? Pass::none : Pass::found;
  }

  [[nodiscard]] bool out_of_time() const {
    return clock_.exceeded(options_.time_limit_seconds) || stop_requested(options_.stop);
  }

  // Breadth first from the empty set, so that ids grow with size.
  bool enumerate_downsets(ClusterDownsetResult& result) {
    const int words = index_.words();
    const double bytes_per_downset = 8.0 * words + 40.0 + 16.0 * m_.count;
    const auto limit = std::min<long long>(
        options_.downset_limit,
        static_cast<long long>(options_.memory_limit_bytes / bytes_per_downset));
    std::vector<Word> scratch(words, 0);
    index_.insert(scratch.data(), 0);
    for (int id = 0; id < index_.size(); ++id) {
      if (index_.size() > limit) {
        result.detail = "more than " + std::to_string(limit) + " downsets";
        return false;
      }
      if ((id & 255) == 0 && out_of_time()) {
        result.status = BoundStatus::time_limit;
        result.detail = "time limit while enumerating downsets";
        return false;
      }
      std::memcpy(scratch.data(), index_.bits(id), sizeof(Word) * words);
      const std::uint64_t h = index_.hash(id);
      for (int x = 0; x < blocks_.count; ++x) {
        if (test_bit(scratch.data(), x)) continue;
        bool ready = true;
        for (int p : blocks_.preds[x]) ready = ready && test_bit(scratch.data(), p);
        if (!ready) continue;
        flip_bit(scratch.data(), x);
        index_.insert(scratch.data(), h ^ index_.key(x));
        flip_bit(scratch.data(), x);
      }
    }
    return true;
  }

  // The states of each downset J: a multiset of types and, when the links differ by host, the
  // host of each of J's open tensors (produced in J, read outside it) whose time depends on the
  // link. With them every tensor a stage receives is priced at its true link. When they would
  // not fit the budget, no host is kept and received tensors take the relaxed price.
  bool lay_out_states() {
    const int n = g_.num_nodes();
    depends_.assign(n, 0);
    for (NodeId v = 0; v < n; ++v) depends_[v] = m_.hosts > 1 && host_dependent(grid_, v, links_);
    const double budget = options_.memory_limit_bytes / 16.0;  // a value and a back link
    for (tracking_ = m_.hosts > 1;; tracking_ = false) {
      open_begin_.assign(1, 0);
      open_.clear();
      state_begin_.assign(1, 0);
      most_tracked_ = 0;
      bool fits = true;
      for (int id = 0; id < index_.size() && fits; ++id) {
        double states = m_.count;
        if (tracking_) {
          const Word* bits = index_.bits(id);
          for (int x = 0; x < blocks_.count && states <= budget; ++x) {
            if (!test_bit(bits, x)) continue;
            for (NodeId v : constraints_.members(x)) {
              if (!depends_[v]) continue;
              for (NodeId w : g_.successors(v))
                if (!test_bit(bits, constraints_.block_of[w])) {
                  open_.push_back(v);
                  states *= m_.hosts;
                  break;
                }
            }
          }
          most_tracked_ =
              std::max(most_tracked_, static_cast<int>(open_.size()) - open_begin_.back());
        }
        open_begin_.push_back(static_cast<int>(open_.size()));
        fits = static_cast<double>(state_begin_.back()) + states <= budget;
        if (fits) state_begin_.push_back(state_begin_.back() + static_cast<long long>(states));
      }
      if (fits) break;
      if (!tracking_) return false;
    }
    best_.assign(static_cast<std::size_t>(state_begin_.back()), kInf);
    from_.assign(static_cast<std::size_t>(state_begin_.back()), -1);
    return true;
  }

  void prepare_stage_state() {
    const int n = g_.num_nodes();
    in_stage_.assign(n, 0);
    readers_in_stage_.assign(n, 0);
    consumers_in_stage_.assign(n, 0);
    open_position_.assign(n, -1);
    tracked_.assign(n, 0);
    work_.assign(classes_, 0.0);
    receive_.assign(links_, 0.0);
    send_.assign(links_, 0.0);
    scratch_.assign(index_.words(), 0);
    block_preds_left_.assign(blocks_.count, 0);
    for (NodeId v = 0; v < n; ++v) tracked_[v] = tracking_ && depends_[v];
  }

  // Every stage S with J + S a downset, each once: blocks are added while ready, a block tried in
  // one branch is left out of its later siblings' branches.
  bool extend_from(int j) {
    j_ = j;
    // The states worth extending, with their host digits unpacked once.
    finite_.clear();
    finite_multiset_.clear();
    finite_digits_.clear();
    group_begin_.assign(1, 0);
    const int open = open_begin_[j + 1] - open_begin_[j];
    // A state is dominated by one with the same hosts, a sub-multiset of its types and a value
    // at most its own: that one can continue as it can, at no higher price, since more devices
    // are free for its sends (docs/clusters.md). Not with relaxed receives, which get cheaper as
    // more types are used.
    const bool dominance = tracking_ || m_.hosts == 1;
    least_below_.resize(m_.count);
    for (long long state = state_begin_[j]; state < state_begin_[j + 1]; ++state) {
      const long long local = state - state_begin_[j];
      const int s = static_cast<int>(local % m_.count);
      // least_below_[s]: the least value over the sub-multisets of s (s itself included).
      double below = kInf;
      for (int t = 0; t < m_.types && dominance; ++t)
        if (m_.digit[std::size_t(s) * m_.types + t] > 0)
          below = std::min(below, least_below_[s - m_.weight[t]]);
      least_below_[s] = std::min(below, best_[state]);
      if (best_[state] > limit_ || best_[state] == kInf || below <= best_[state]) continue;
      // Grouped by hosts (the states are scanned host code first).
      const long long code = local / m_.count;
      if (finite_.empty() || finite_.back() / m_.count != code) {
        if (!finite_.empty()) group_begin_.push_back(static_cast<int>(finite_.size()));
        long long rest = code;
        for (int p = 0; p < open; ++p, rest /= m_.hosts)
          finite_digits_.push_back(static_cast<int>(rest % m_.hosts));
      }
      finite_.push_back(local);
      finite_multiset_.push_back(s);
    }
    if (finite_.empty()) return true;
    group_begin_.push_back(static_cast<int>(finite_.size()));
    std::memcpy(scratch_.data(), index_.bits(j), sizeof(Word) * index_.words());
    hash_ = index_.hash(j);
    for (int i = open_begin_[j]; i < open_begin_[j + 1]; ++i)
      open_position_[open_[i]] = i - open_begin_[j];
    std::vector<int> ready;
    for (int x = 0; x < blocks_.count; ++x) {
      if (test_bit(scratch_.data(), x)) continue;
      int left = 0;
      for (int p : blocks_.preds[x]) left += !test_bit(scratch_.data(), p);
      block_preds_left_[x] = left;
      if (left == 0) ready.push_back(x);
    }
    arena_ = std::move(ready);
    const bool completed = branch(0, static_cast<int>(arena_.size()));
    for (int i = open_begin_[j]; i < open_begin_[j + 1]; ++i) open_position_[open_[i]] = -1;
    return completed;
  }

  bool branch(int begin, int end) {
    for (int i = begin; i < end; ++i) {
      const int x = arena_[i];
      if ((++steps_ & 4095) == 0 && out_of_time()) return false;
      if (!add_block(x)) {
        remove_block(x);
        continue;  // its work or memory is already too much; more blocks only add to them
      }
      relax();
      const int child = static_cast<int>(arena_.size());
      for (int y = i + 1; y < end; ++y) arena_.push_back(arena_[y]);
      for (int y : blocks_.succs[x])
        if (--block_preds_left_[y] == 0) arena_.push_back(y);
      const bool completed = branch(child, static_cast<int>(arena_.size()));
      for (int y : blocks_.succs[x]) ++block_preds_left_[y];
      arena_.resize(child);
      remove_block(x);
      if (!completed) return false;
    }
    return true;
  }

  // Adds block x to the stage; false when the stage is beyond the incumbent on every class or
  // beyond every device's memory. Received tensors whose host is kept are summed in relax().
  bool add_block(int x) {
    flip_bit(scratch_.data(), x);
    hash_ ^= index_.key(x);
    for (NodeId v : constraints_.members(x)) {
      in_stage_[v] = 1;
      memory_ += g_.memory[v];
      for (int cls = 0; cls < classes_; ++cls) work_[cls] += grid_.work[v * classes_ + cls];
      for (NodeId p : g_.predecessors(v)) {
        if (in_stage_[p]) {
          if (++consumers_in_stage_[p] == static_cast<int>(g_.successors(p).size())) {
            add_links(send_, p, -1);
            --senders_;
          }
        } else if (readers_in_stage_[p]++ == 0 && !tracked_[p]) {
          add_links(receive_, p, +1);
        }
      }
      // A member's own consumers inside the stage are counted as they join (they come later).
      if (!g_.successors(v).empty()) {
        add_links(send_, v, +1);
        ++senders_;
      }
    }
    double least = kInf;
    for (int cls = 0; cls < classes_; ++cls)
      if (class_has_devices_[cls]) least = std::min(least, work_[cls]);
    return least <= limit_ && memory_ <= largest_memory_;
  }

  void remove_block(int x) {
    const auto members = constraints_.members(x);
    for (auto it = members.rbegin(); it != members.rend(); ++it) {
      const NodeId v = *it;
      if (!g_.successors(v).empty()) {
        add_links(send_, v, -1);
        --senders_;
      }
      const auto preds = g_.predecessors(v);
      for (auto p = preds.rbegin(); p != preds.rend(); ++p) {
        if (in_stage_[*p]) {
          if (consumers_in_stage_[*p]-- == static_cast<int>(g_.successors(*p).size())) {
            add_links(send_, *p, +1);
            ++senders_;
          }
        } else if (--readers_in_stage_[*p] == 0 && !tracked_[*p]) {
          add_links(receive_, *p, -1);
        }
      }
      for (int cls = 0; cls < classes_; ++cls) work_[cls] -= grid_.work[v * classes_ + cls];
      memory_ -= g_.memory[v];
      in_stage_[v] = 0;
    }
    hash_ ^= index_.key(x);
    flip_bit(scratch_.data(), x);
  }

  void add_links(std::vector<double>& sums, NodeId v, int sign) {
    for (int l = 0; l < links_; ++l) sums[l] += sign * grid_.transfer[v * links_ + l];
  }

  // The stage just formed, on each type after each state of J.
  void relax() {
    ++visited_;
    const int i = index_.find(scratch_.data(), hash_);
    if (i < 0) throw std::logic_error("cluster downset DP: a downset missing from the index");
    // J's kept tensors this stage receives, and where each of I's kept tensors comes from: a
    // position among J's (its host digit carries over), or -1 (made here, on the stage's host).
    received_.clear();
    for (int p = open_begin_[j_]; p < open_begin_[j_ + 1]; ++p)
      if (readers_in_stage_[open_[p]] > 0) received_.push_back(p - open_begin_[j_]);
    source_.clear();
    for (int p = open_begin_[i]; p < open_begin_[i + 1]; ++p)
      source_.push_back(in_stage_[open_[p]] ? -1 : open_position_[open_[p]]);
    const int hosts = m_.hosts;
    const int open = open_begin_[j_ + 1] - open_begin_[j_];
    const int groups = static_cast<int>(group_begin_.size()) - 1;
    for (int t = 0; t < m_.types; ++t) {
      const int cls = m_.device_class[t];
      if (work_[cls] > limit_ || !fits_capacity(memory_, c_.classes[cls].memory)) continue;
      const int here = m_.host[t];
      for (int group = 0; group < groups; ++group) {
        // What depends on the hosts: the kept tensors received, and the hosts after the stage.
        const int* digits = finite_digits_.data() + std::size_t(group) * open;
        double base = work_[cls];
        for (int p : received_) {
          const int link = m_.host_link[std::size_t(digits[p]) * hosts + here];
          base += grid_.transfer[std::size_t(open_[open_begin_[j_] + p]) * links_ + link];
        }
        if (base > limit_) continue;
        long long next_code = 0, place = 1;
        for (int source : source_) {
          next_code += place * (source < 0 ? here : digits[source]);
          place *= hosts;
        }
        const long long target_base = state_begin_[i] + next_code * m_.count + m_.weight[t];
        for (int f = group_begin_[group]; f < group_begin_[group + 1]; ++f) {
          const int s = finite_multiset_[f];
          const std::size_t st = std::size_t(s) * m_.types + t;
          if (!m_.can_add[st]) continue;
          const int out = m_.send_link[st];
          if (senders_ > 0 && out < 0) continue;  // nothing left to receive its tensors
          const int in = m_.receive_link[st];
          const double cost =
              base + (in >= 0 ? receive_[in] : 0.0) + (senders_ > 0 ? send_[out] : 0.0);
          if (cost > limit_) continue;
          const long long before = state_begin_[j_] + finite_[f];
          // Values at most the clamp are all as good (docs/clusters.md, "Computation").
          const double value = std::max({best_[before], cost, clamp_});
          const long long target = target_base + s;
          if (value < best_[target]) {
            best_[target] = value;
            from_[target] = before * m_.types + t;
          }
        }
      }
    }
  }

  // The downset a state belongs to.
  [[nodiscard]] int downset_of(long long state) const {
    return static_cast<int>(std::upper_bound(state_begin_.begin(), state_begin_.end(), state) -
                            state_begin_.begin() - 1);
  }

  // The DP's stages, each on the next free device of its type, in pipeline order.
  Partition partition_of(long long state) const {
    const std::vector<DeviceType> types = c_.types();
    std::vector<std::pair<int, int>> stages;  // (downset after, type), last stage first
    while (state != 0) {
      const long long link = from_[state];
      stages.emplace_back(downset_of(state), static_cast<int>(link % m_.types));
      state = link / m_.types;
    }
    Partition p;
    p.k = k_;
    p.stage_of.assign(g_.num_nodes(), 0);
    p.device_of_stage.assign(k_, -1);
    std::vector<int> next_device(m_.types, 0);
    const int count = static_cast<int>(stages.size());
    for (int b = 0; b < count; ++b) {
      const auto [after, t] = stages[count - 1 - b];
      const int before = b == 0 ? 0 : stages[count - b].first;
      p.device_of_stage[b] = types[t].devices[next_device[t]++];
      for (int x = 0; x < blocks_.count; ++x)
        if (test_bit(index_.bits(after), x) && !test_bit(index_.bits(before), x))
          for (NodeId v : constraints_.members(x)) p.stage_of[v] = b;
    }
    return p;
  }

  const ClusterCosts& costs_;
  const Graph& g_;
  const Cluster& c_;
  int k_;
  ClusterDownsetOptions options_;
  Stopwatch clock_;
  Constraints constraints_;
  Blocks blocks_;
  BitsetIndex index_;
  TypeMultisets m_;
  GridCosts grid_;
  int classes_ = 0, links_ = 0;
  double limit_ = kInf, largest_memory_ = 0;
  std::vector<char> class_has_devices_;
  // States: downset id -> [state_begin_[id], state_begin_[id + 1]), laid out as
  // (host code * multisets + multiset); its kept open tensors are open_[open_begin_[id]..).
  bool tracking_ = false;
  int most_tracked_ = 0;
  std::vector<long long> state_begin_;
  std::vector<int> open_begin_;
  std::vector<NodeId> open_;
  std::vector<double> best_;
  std::vector<long long> from_;  // state before * types + type
  // The stage being formed from downset j_.
  int j_ = 0;
  std::vector<Word> scratch_;
  std::uint64_t hash_ = 0;
  std::vector<char> depends_;  // per node: its tensor's time depends on the link
  std::vector<char> in_stage_, tracked_;
  std::vector<int> readers_in_stage_, consumers_in_stage_, block_preds_left_, open_position_;
  std::vector<double> work_, receive_, send_;
  double memory_ = 0;
  int senders_ = 0;
  std::vector<long long> finite_;     // states of J worth extending (local indices)
  std::vector<int> finite_multiset_;  // their multisets
  std::vector<int> finite_digits_;    // their host digits, one row of J's open tensors each
  std::vector<double> least_below_;   // per multiset of the code being scanned
  std::vector<int> group_begin_;      // finite_ in runs of one host code each
  double clamp_ = 0;                  // values below it count as it (a proven lower bound)
  std::vector<int> arena_, received_, source_;
  long long steps_ = 0, visited_ = 0;
  int passes_ = 0;
};

}  // namespace

ClusterDownsetResult cluster_downset_bound(const ClusterCosts& costs, int k,
                                           const ClusterDownsetOptions& options) {
  if (k < 1) throw InputError("k must be at least 1 (got " + std::to_string(k) + ")");
  return ClusterDownsetDp(costs, k, options).run();
}

}  // namespace pipecut
