// pipecut: split a DNN operator graph into k pipeline stages and certify how close to optimal
// the split is. See README.md.
#include <algorithm>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"

int main(int argc, char** argv) {
  namespace cli = pipecut::cli;
  CLI::App app{
      "pipecut: pipeline partitioning of DNN graphs with certified lower bounds.\n"
      "Run 'pipecut COMMAND --help' for the options of a command. Exit codes: 0 success,\n"
      "1 evaluate found the partition invalid, 2 bad input or usage, 3 internal error,\n"
      "4 proven infeasible, 5 no feasible partition found, 6 cannot write an output,\n"
      "130 interrupted (Ctrl-C; the best result so far is still printed)."};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("pipecut ") + pipecut::kVersion);
  // --help shows every option's default, taken from the library's option structs.
  app.option_defaults()->always_capture_default();
  cli::install_signal_handlers();
  int exit_code = cli::kExitOk;
  cli::add_solve_command(app, exit_code);
  cli::add_partition_command(app, exit_code);
  cli::add_bound_command(app, exit_code);
  cli::add_evaluate_command(app, exit_code);
  cli::add_convert_command(app, exit_code);
  cli::add_generate_command(app, exit_code);
  cli::add_experiment_command(app, exit_code);
  cli::add_report_command(app, exit_code);
  cli::add_split_command(app, exit_code);
  cli::add_bench_command(app, exit_code);
  cli::add_llm_command(app, exit_code);
  cli::add_options_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    // One line, as for every other input error (CLI11's own text spans several).
    std::string message = e.what();
    std::replace(message.begin(), message.end(), '\n', ' ');
    std::string help = "pipecut --help";
    for (const CLI::App* sub : app.get_subcommands())
      help = "pipecut " + sub->get_name() + " --help";
    std::cerr << "pipecut: error: " << message << " (see " << help << ")\n";
    return cli::kExitInputError;
  } catch (const pipecut::InputError& e) {
    std::cerr << "pipecut: error: " << e.what() << "\n";
    return cli::kExitInputError;
  } catch (const pipecut::OutputError& e) {
    std::cerr << "pipecut: error: " << e.what() << "\n";
    return cli::kExitOutputError;
  } catch (const pipecut::InfeasibleError& e) {
    std::cerr << "pipecut: infeasible: " << e.what() << "\n";
    return cli::kExitInfeasible;
  } catch (const pipecut::NoFeasiblePartitionError& e) {
    std::cerr << "pipecut: no feasible partition found: " << e.what() << "\n";
    return cli::kExitNoFeasible;
  } catch (const std::exception& e) {
    std::cerr << "pipecut: internal error (please report it): " << e.what() << "\n";
    return cli::kExitInternal;
  }
  return exit_code;
}
