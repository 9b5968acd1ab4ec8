// pipecut: split a DNN operator graph into k pipeline stages and certify how close to optimal
// the split is. See README.md.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "pipecut/model/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "pipecut: pipeline partitioning of DNN graphs with certified lower bounds.\n"
      "Run 'pipecut COMMAND --help' for the options of a command."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "pipecut 0.1.0");
  int exit_code = 0;
  pipecut::cli::add_partition_command(app, exit_code);
  pipecut::cli::add_evaluate_command(app, exit_code);
  pipecut::cli::add_convert_command(app, exit_code);
  pipecut::cli::add_generate_command(app, exit_code);
  pipecut::cli::add_bound_command(app, exit_code);
  pipecut::cli::add_solve_command(app, exit_code);
  pipecut::cli::add_experiment_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : pipecut::cli::kExitInputError;
  } catch (const pipecut::InputError& e) {
    std::cerr << "pipecut: error: " << e.what() << "\n";
    return pipecut::cli::kExitInputError;
  } catch (const std::exception& e) {
    std::cerr << "pipecut: internal error: " << e.what() << "\n";
    return 3;
  }
  return exit_code;
}
