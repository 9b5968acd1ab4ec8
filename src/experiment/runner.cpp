#include "pipecut/experiment/runner.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <tuple>

#include "pipecut/io/cluster_json.hpp"
#include "pipecut/io/file_util.hpp"
#include "pipecut/model/cluster_cost.hpp"
#include "pipecut/model/constraints.hpp"
#include "pipecut/solve/api.hpp"
#include "pipecut/solve/cluster_solve.hpp"
#include "pipecut/util/stopwatch.hpp"

namespace pipecut {

namespace {

// path, k, kind, method, cluster digest ("" without a cluster)
using Key = std::tuple<std::string, int, std::string, std::string, std::string>;

nlohmann::json row_to_json(const ExperimentRow& r) {
  nlohmann::json j = {{"testbed", r.testbed}, {"path", r.path},      {"graph", r.graph},
                      {"nodes", r.nodes},     {"edges", r.edges},    {"k", r.k},
                      {"kind", r.kind},       {"method", r.method},  {"value", r.value},
                      {"status", r.status},   {"seconds", r.seconds}};
  if (r.partition_value >= 0) j["partition_value"] = r.partition_value;
  if (!std::isfinite(r.value)) j["value"] = nullptr;  // no partition to show
  if (r.capacity || r.colour_classes > 0) {
    j["capacity"] = r.capacity ? nlohmann::json(*r.capacity) : nlohmann::json(nullptr);
    j["colour_classes"] = r.colour_classes;
  }
  if (!r.detail.empty()) j["detail"] = r.detail;
  if (!r.cluster_digest.empty()) {
    j["cluster"] = {{"name", r.cluster}, {"digest", r.cluster_digest}};
    if (r.kind == "partition") j["devices"] = r.devices;
  }
  return j;
}

// The instance a constrained sweep runs on: the graph with its capacity set from the factor.
Graph with_capacity(const Graph& g, int k, double factor) {
  Graph c = g;
  if (factor <= 0) return c;
  const Constraints constraints = derive_constraints(g);
  double total = 0;
  for (double m : g.memory) total += m;
  double heaviest = 0;
  for (double m : constraints.block_memory) heaviest = std::max(heaviest, m);
  const double capacity = std::max(factor * total / std::min(k, g.num_nodes()), heaviest);
  if (capacity > 0) c.memory_per_stage = capacity;
  return c;
}

// Keys of the rows already in the results file. A file that holds anything but result rows is
// refused (it is not ours to append to); only a last line cut short by an interrupted run is
// tolerated, and redone.
std::set<Key> existing_rows(const std::string& path) {
  std::set<Key> keys;
  // Only a regular file holds rows to resume from: reading a pipe or a device (--results
  // /dev/stdout) would take what others write or wait forever.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return keys;
  std::ifstream in(path);
  if (!in) return keys;  // a new results file
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty()) continue;
    // A zero byte would end nlohmann's input early (io/json_util.cpp): such a line is no row.
    nlohmann::json j = line.find('\0') == std::string::npos
                           ? nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false)
                           : nlohmann::json(nlohmann::json::value_t::discarded);
    if (j.is_discarded()) {
      if (in.peek() == EOF) break;  // cut short by an interrupted run
      throw InputError(path + ": line " + std::to_string(line_number) +
                       " is not a result row; refusing to append to this file");
    }
    try {
      const std::string graph = j.at("graph").get<std::string>();
      const bool on_cluster = j.contains("cluster") && j.at("cluster").is_object();
      keys.emplace(j.contains("path") ? j.at("path").get<std::string>() : graph,
                   j.at("k").get<int>(), j.at("kind").get<std::string>(),
                   j.at("method").get<std::string>(),
                   on_cluster ? j.at("cluster").at("digest").get<std::string>() : std::string());
    } catch (const nlohmann::json::exception&) {
      throw InputError(path + ": line " + std::to_string(line_number) +
                       " is not a result row; refusing to append to this file");
    }
  }
  return keys;
}

}  // namespace

void parse_shard(const std::string& text, int& index, int& count) {
  int i = 0, n = 0;
  char slash = 0;
  std::istringstream in(text);
  if (!(in >> i >> slash >> n) || slash != '/' || n < 1 || i < 1 || i > n || !in.eof())
    throw InputError("--shard must be I/N with 1 <= I <= N (got '" + text + "')");
  index = i - 1;
  count = n;
}

long long run_experiment(const ExperimentConfig& config,
                         const std::function<void(const ExperimentProgress&)>& progress) {
  if (config.results_path.empty()) throw InputError("experiment: no results file given");
  for (int k : config.ks)
    if (k < 1) throw InputError("experiment: every k must be >= 1 (got " + std::to_string(k) + ")");
  for (const std::string& a : config.algorithms)
    if (a != "solve") partition_options_for_spec(a);  // unknown names fail before any work
  for (const std::string& b : config.bounds) bound_method(b);
  refuse_to_overwrite_inputs(config.results_path, config.graphs);
  // Option errors fail the whole run here, not every graph as a read error.
  check_read_options(config.results_path, config.read);
  if (config.read.memory_per_stage && config.capacity_factor > 0)
    throw InputError("--memory-per-stage and --capacity-factor contradict each other");
  std::optional<Cluster> cluster;
  if (!config.read.cluster.empty()) {
    cluster = read_cluster(config.read.cluster, config.read.max_input_bytes);
    if (config.capacity_factor > 0)
      throw InputError(
          "--cluster and --capacity-factor contradict each other: the cluster's device classes "
          "give each device's memory");
    for (int k : config.ks)
      if (k > cluster->num_devices())
        throw InputError("--stages: k = " + std::to_string(k) + " stages, but cluster " +
                         cluster->name + " has only " + std::to_string(cluster->num_devices()) +
                         " devices");
  }
  const std::string digest = cluster ? cluster->digest : std::string();

  const std::set<Key> done = existing_rows(config.results_path);
  std::ofstream out(config.results_path, std::ios::app);
  if (!out) throw OutputError(config.results_path + ": cannot open for appending");

  // The sweep's (graph, k) pairs in a fixed order; this shard's share.
  std::vector<std::pair<std::size_t, int>> pairs;
  long long index = 0;
  for (std::size_t gi = 0; gi < config.graphs.size(); ++gi)
    for (int k : config.ks)
      if (index++ % config.shard_count == config.shard_index) pairs.emplace_back(gi, k);

  ExperimentProgress status;
  status.total = static_cast<long long>(pairs.size());
  const Stopwatch sweep_timer;
  long long written = 0;
  auto emit = [&](const ExperimentRow& r) {
    out << row_to_json(r).dump() << "\n" << std::flush;  // one row at a time: resumable
    if (!out) throw OutputError(config.results_path + ": write failed");
    ++written;
  };

  std::size_t loaded_index = std::numeric_limits<std::size_t>::max();
  Graph file_graph;
  std::string load_error;
  auto pair_finished = [&] {
    ++status.done;
    status.elapsed_seconds = sweep_timer.seconds();
    if (progress) progress(status);
  };
  for (const auto& pair : pairs) {
    const std::size_t gi = pair.first;
    const int k = pair.second;
    const std::string& path = config.graphs[gi];
    const std::string name = file_stem(path);
    status.current = name + " k=" + std::to_string(k);
    auto is_done = [&](const std::string& kind, const std::string& method) {
      return done.count(Key{path, k, kind, method, digest}) > 0;
    };
    bool all_done = true;
    for (const auto& a : config.algorithms) all_done = all_done && is_done("partition", a);
    for (const auto& b : config.bounds) all_done = all_done && is_done("bound", b);
    if (all_done) {
      ++status.skipped;
      pair_finished();
      continue;
    }
    if (loaded_index != gi) {
      loaded_index = gi;
      load_error.clear();
      try {
        file_graph = read_graph(path, config.read);
      } catch (const InputError& e) {
        load_error = e.what();
      }
    }
    ExperimentRow base;
    base.testbed = config.testbed;
    base.path = path;
    base.graph = name;
    base.k = k;
    if (!load_error.empty()) {
      if (!is_done("error", "read")) {
        ExperimentRow r = base;
        r.kind = "error";
        r.method = "read";
        r.status = load_error;
        emit(r);
      }
      pair_finished();
      continue;
    }
    const Graph g = with_capacity(file_graph, k, config.capacity_factor);
    base.nodes = g.num_nodes();
    base.edges = g.num_edges();
    base.capacity = g.memory_per_stage;
    base.colour_classes = static_cast<int>(g.colour_labels.size());
    std::optional<ClusterCosts> costs;
    if (cluster) {
      base.cluster = cluster->name;
      base.cluster_digest = cluster->digest;
      costs.emplace(g, *cluster, path);
    }
    // The devices of a partition's non-empty stages, in pipeline order (on a cluster).
    auto devices_of = [&](const Solution& s) {
      std::vector<std::string> names;
      if (cluster)
        for (const StageCost& st : s.evaluation.stages)
          if (!st.nodes.empty() && st.device >= 0)
            names.push_back(cluster->devices[st.device].name);
      return names;
    };
    // Partition rows of an instance with no valid partition: proven infeasible, or none found.
    auto no_partition = [](ExperimentRow& r, const std::string& outcome, const std::string& why) {
      r.value = std::numeric_limits<double>::quiet_NaN();
      r.status = outcome;
      r.detail = why;
    };

    // Partition methods; the best partition found seeds the bound methods.
    std::optional<Partition> incumbent;
    double incumbent_value = std::numeric_limits<double>::infinity();
    // Re-evaluates every partition with the reference evaluator and keeps the best.
    auto offer = [&](const Partition& p) -> double {
      const double v =
          costs ? evaluate_on_cluster(*costs, p).bottleneck : evaluate(g, p).bottleneck;
      if (v < incumbent_value) {
        incumbent_value = v;
        incumbent = p;
      }
      return v;
    };
    for (const std::string& a : config.algorithms) {
      if (is_done("partition", a)) continue;
      ExperimentRow r = base;
      r.kind = "partition";
      r.method = a;
      const Stopwatch run_timer;
      if (a == "solve") {
        SolveOptions options;
        options.partition.seed = config.seed;
        options.partition.threads = config.threads;
        options.time_limit_seconds = config.solve_time_limit_seconds;
        options.target_ratio = config.solve_target_ratio;
        ExperimentRow b = base;
        b.kind = "bound";
        b.method = "solve";
        try {
          const Solution s =
              cluster ? solve_on_cluster(g, *cluster, k, options) : solve(g, k, options);
          r.seconds = s.seconds;
          r.value = offer(s.partition);
          r.devices = devices_of(s);
          r.status = s.optimal.value_or(false) ? "optimal"
                     : s.hit_time_limit        ? "time_limit"
                                               : "done";
          b.value = s.lower_bound;
          b.partition_value = r.value;
        } catch (const InfeasibleError& e) {
          no_partition(r, "infeasible", e.what());
          b.detail = e.what();
        } catch (const NoFeasiblePartitionError& e) {
          no_partition(r, "no_feasible", e.what());
        }
        if (r.seconds == 0) r.seconds = run_timer.seconds();
        b.status = r.status;
        b.seconds = r.seconds;
        emit(r);
        emit(b);
        continue;
      }
      PartitionOptions options = partition_options_for_spec(a);
      options.seed = config.seed;
      options.threads = config.threads;
      options.time_limit_seconds = config.time_limit_seconds;
      try {
        const Solution s = cluster ? partition_on_cluster(g, *cluster, k, options)
                                   : partition_graph(g, k, options);
        r.seconds = s.seconds;
        r.value = offer(s.partition);
        r.devices = devices_of(s);
        r.status = s.hit_time_limit ? "time_limit" : "done";
      } catch (const InfeasibleError& e) {
        no_partition(r, "infeasible", e.what());
        r.seconds = run_timer.seconds();
      } catch (const NoFeasiblePartitionError& e) {
        no_partition(r, "no_feasible", e.what());
        r.seconds = run_timer.seconds();
      }
      emit(r);
    }
    const bool bounds_pending =
        std::any_of(config.bounds.begin(), config.bounds.end(),
                    [&](const std::string& b) { return !is_done("bound", b); });
    if (bounds_pending && !incumbent) {
      // Resumed after the partition rows: a quick partition to warm-start the exact methods.
      PartitionOptions options = partition_options_for_spec("brkga-100");
      options.seed = config.seed;
      options.threads = config.threads;
      try {
        offer(cluster ? partition_on_cluster(g, *cluster, k, options).partition
                      : partition_graph(g, k, options).partition);
      } catch (const InfeasibleError&) {
      } catch (const NoFeasiblePartitionError&) {
        // No warm start then; the bound methods run without one.
      }
    }
    for (const std::string& b : config.bounds) {
      if (is_done("bound", b)) continue;
      BoundOptions options;
      options.time_limit_seconds = config.time_limit_seconds;
      options.incumbent = incumbent_value;
      options.warm_start = incumbent;
      if (options.warm_start) {
        options.warm_start->k = std::min(k, g.num_nodes());
        // The methods warm-start from the stage assignment alone (on a homogeneous cluster
        // they run on today's graph; on a heterogeneous one they do not run).
        options.warm_start->device_of_stage.clear();
      }
      // On a cluster the method's own row: compute_bounds_on_cluster also reports the
      // cluster's bounds, which the "solve" rows carry.
      const BoundResult res = [&] {
        if (!cluster) return compute_bounds(g, k, {b}, options).bounds.front();
        const BoundsReport report = compute_bounds_on_cluster(g, *cluster, k, {b}, options);
        for (const BoundResult& one : report.bounds)
          if (one.method == b) return one;
        BoundResult proof;  // no method ran: the cluster bounds proved infeasibility
        proof.method = b;
        proof.status = BoundStatus::infeasible;
        proof.detail = report.infeasible.value_or("");
        return proof;
      }();
      ExperimentRow r = base;
      r.kind = "bound";
      r.method = b;
      r.value = res.value;
      r.status = to_string(res.status);
      r.seconds = res.seconds;
      if (res.status == BoundStatus::infeasible) r.detail = res.detail;
      if (res.partition && !cluster) {
        Partition p = *res.partition;
        p.k = k;
        r.partition_value = offer(p);
      }
      emit(r);
    }
    pair_finished();
  }
  return written;
}

}  // namespace pipecut
