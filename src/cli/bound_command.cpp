// `pipecut bound GRAPH -k K [--method M|all]`: certified lower bounds on the optimal bottleneck.
#include <iomanip>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "pipecut/bounds/bounds.hpp"
#include "pipecut/model/error.hpp"
#include "pipecut/partition/slicegraph.hpp"

namespace pipecut::cli {

namespace {
struct BoundCommandOptions {
  GraphInput input;
  int k = 0;
  std::string method = "all";
  double time_limit = 10;
  int threads = 1;
  bool json = false;
  bool verbose = false;
};
}  // namespace

void add_bound_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<BoundCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "bound",
      "Certified lower bounds on the best possible bottleneck of any K-stage pipeline of GRAPH.\n"
      "Each method prints its bound, whether it ran to completion (proven), stopped at the time\n"
      "limit (still a valid bound) or gave up, and its time. See docs/bounds.md.");
  add_graph_input(*cmd, o->input);
  cmd->add_option("-k,--stages", o->k, "Number of pipeline stages (devices), >= 1")->required();
  std::vector<std::string> methods = bound_method_names();
  methods.push_back("all");
  cmd->add_option("--method", o->method,
                  "simple | single-mincut | single | downset | grouped | exact | all")
      ->check(CLI::IsMember(methods))
      ->default_val("all");
  cmd->add_option("--time-limit", o->time_limit, "Seconds per method (0 = no limit)")
      ->check(CLI::NonNegativeNumber)
      ->default_val(10);
  cmd->add_option("--threads", o->threads,
                  "MIP solver threads (0 = all cores); more than 1 may change the bound reached "
                  "within the time limit from run to run")
      ->check(CLI::NonNegativeNumber)
      ->default_val(1);
  cmd->add_flag("--json", o->json, "Print the pipecut.bounds JSON alone on stdout");
  cmd->add_flag("--verbose", o->verbose, "Show the MIP solver's log on stderr");
  cmd->callback([o, &exit_code] {
    if (o->k < 1) throw InputError("-k must be at least 1 (got " + std::to_string(o->k) + ")");
    Graph g = load_graph(o->input);
    BoundOptions options;
    options.time_limit_seconds = o->time_limit;
    options.threads = o->threads;
    options.verbose = o->verbose;
    // A cheap partition gives the methods an upper bound to prune with (never changes validity).
    SliceGraphResult sliced = slice_default_order(g, o->k);
    options.incumbent = sliced.bottleneck;
    options.warm_start = sliced.partition;
    std::vector<std::string> run =
        o->method == "all" ? bound_method_names() : std::vector<std::string>{o->method};
    std::ostream& human = o->json ? std::cerr : std::cout;
    if (!o->json)
      human << "graph " << g.name << ": " << g.num_nodes() << " nodes, k = " << o->k << "\n"
            << "  method              bound  status         seconds  detail\n";
    nlohmann::json bounds = nlohmann::json::array();
    std::optional<BoundResult> best;
    for (const std::string& method : run) {
      BoundResult r = compute_bound(g, o->k, method, options);
      if (!o->json)
        human << "  " << std::left << std::setw(14) << r.method << std::right << std::setw(11)
              << std::setprecision(8) << r.value << "  " << std::left << std::setw(12)
              << to_string(r.status) << std::right << std::fixed << std::setprecision(3)
              << std::setw(9) << r.seconds << std::defaultfloat << "  " << r.detail << "\n"
              << std::flush;
      bounds.push_back({{"method", r.method},
                        {"value", r.value},
                        {"status", to_string(r.status)},
                        {"seconds", r.seconds}});
      if (!best || r.value > best->value) best = r;
    }
    if (!o->json)
      human << "best lower bound " << std::setprecision(8) << best->value << " (" << best->method
            << ")\n";
    if (o->json) {
      nlohmann::json doc = {{"format", "pipecut.bounds"},
                            {"version", 1},
                            {"graph", g.name},
                            {"k", o->k},
                            {"bounds", bounds},
                            {"best", {{"method", best->method}, {"value", best->value}}}};
      write_json_output(doc, "-");
    }
    exit_code = 0;
  });
}

}  // namespace pipecut::cli
