// `pipecut bound GRAPH -k K [--method M|all]`: certified lower bounds on the optimal bottleneck.
#include <iomanip>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/options_cli.hpp"
#include "pipecut/io/partition_json.hpp"
#include "pipecut/solve/cluster_solve.hpp"

namespace pipecut::cli {

namespace {
struct BoundCommand {
  GraphInput input;
  std::optional<int> k;
  std::string method = "all";
  BoundOptions bounds;
  bool json = false;
};
}  // namespace

void add_bound_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<BoundCommand>();
  CLI::App* cmd = app.add_subcommand(
      "bound",
      "Certified lower bounds on the best possible bottleneck of any K-stage pipeline of GRAPH.\n"
      "Each method prints its bound, whether it ran to completion (proven), stopped at the time\n"
      "limit (still a valid bound) or gave up, and its time. See docs/bounds.md.\n"
      "With --cluster on a heterogeneous cluster, the bounds of docs/clusters.md run and the\n"
      "methods below, proven for identical devices only, are reported not_applicable.");
  add_graph_input(*cmd, o->input);
  add_stages_option(*cmd, o->k);
  std::vector<std::string> methods = bound_method_names();
  methods.push_back("all");
  std::string listing;
  for (const BoundMethod& m : bound_methods()) listing += "\n  " + m.name + ": " + m.description;
  cmd->add_option("--method", o->method, "Bound method, or all (in this order):" + listing)
      ->check(CLI::IsMember(methods));
  add_catalogue_options(*cmd, o->bounds, bound_option_catalogue());
  cmd->add_flag("--json", o->json, "Print the pipecut.bounds JSON alone on stdout");
  cmd->callback([o, &exit_code] {
    GraphOnCluster input = load_graph_on_cluster(o->input);
    const Graph& g = input.graph;
    const std::optional<Cluster>& cluster = input.cluster;
    // On a cluster, k defaults to its device count.
    const int k = cluster ? o->k.value_or(cluster->num_devices()) : stages_to_use(g, o->k);
    const InterruptGuard interrupt;
    std::ostream& human = o->json ? std::cerr : std::cout;
    if (!o->json)
      human << "graph " << g.name << ": " << g.num_nodes() << " nodes, k = " << k << "\n"
            << "  method              bound  status         seconds  detail\n";
    RunControl control;
    control.stop = interrupt.stop();
    control.log = [](const std::string& line) { std::cerr << line << "\n" << std::flush; };
    control.bound_finished = [&](const BoundResult& r) {
      if (o->json) return;
      human << "  " << std::left << std::setw(14) << r.method << std::right << std::setw(11)
            << std::setprecision(8) << r.value << "  " << std::left << std::setw(12)
            << to_string(r.status) << std::right << std::fixed << std::setprecision(3)
            << std::setw(9) << r.seconds << std::defaultfloat << "  " << r.detail << "\n"
            << std::flush;
    };
    const std::vector<std::string> run =
        o->method == "all" ? std::vector<std::string>{} : std::vector<std::string>{o->method};
    const BoundsReport report =
        cluster ? compute_bounds_on_cluster(g, *cluster, k, run, o->bounds, control)
                : compute_bounds(g, k, run, o->bounds, control);
    if (!o->json && !report.bounds.empty() && !report.infeasible)
      human << "best lower bound " << std::setprecision(8) << report.best.value << " ("
            << report.best.method << ")\n";
    if (o->json) write_text_output(bounds_to_json(g, k, report.bounds, report.infeasible), "-");
    if (report.infeasible) throw InfeasibleError(*report.infeasible);
    exit_code = interrupt.interrupted() ? kExitInterrupted : kExitOk;
  });
}

}  // namespace pipecut::cli
