#pragma once
// The command-line front end: one file per sub-command, each registering itself on the app.
// Data flows one way: read input -> run library algorithms -> print/write results.
#include <CLI/CLI.hpp>

namespace pipecut::cli {

// Each sets `exit_code` when its command runs (0 unless stated otherwise in its --help).
void add_partition_command(CLI::App& app, int& exit_code);
void add_evaluate_command(CLI::App& app, int& exit_code);
void add_convert_command(CLI::App& app, int& exit_code);
void add_generate_command(CLI::App& app, int& exit_code);
void add_bound_command(CLI::App& app, int& exit_code);
void add_solve_command(CLI::App& app, int& exit_code);
void add_experiment_command(CLI::App& app, int& exit_code);

}  // namespace pipecut::cli
