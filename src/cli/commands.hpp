#pragma once
// The command-line front end: one file per sub-command, each registering itself on the app.
// Data flows one way: read input -> run library algorithms -> print/write results.
#include <CLI/CLI.hpp>
#include <string>

namespace pipecut::cli {

// Each sets `exit_code` when its command runs (0 unless stated otherwise in its --help).
void add_partition_command(CLI::App& app, int& exit_code);
void add_evaluate_command(CLI::App& app, int& exit_code);
void add_convert_command(CLI::App& app, int& exit_code);
void add_generate_command(CLI::App& app, int& exit_code);
void add_bound_command(CLI::App& app, int& exit_code);
void add_solve_command(CLI::App& app, int& exit_code);
void add_experiment_command(CLI::App& app, int& exit_code);
void add_report_command(CLI::App& app, int& exit_code);
void add_split_command(CLI::App& app, int& exit_code);
void add_bench_command(CLI::App& app, int& exit_code);
void add_options_command(CLI::App& app, int& exit_code);
void add_llm_command(CLI::App& app, int& exit_code);

}  // namespace pipecut::cli

namespace pipecut {
struct Graph;
struct Solution;
}  // namespace pipecut

namespace pipecut::cli {
// The HTML report of `report` and `solve --report` (report/html_report.hpp), written atomically to
// `path`; the input files' names are shown in the page header (empty: not shown).
// `measured_file`: a pipecut.bench document drawn next to the predictions (empty: none).
void write_report_html(const Graph& g, const Solution& solution, const std::string& path,
                       const std::string& graph_file, const std::string& partition_file,
                       const std::string& measured_file = {});
}  // namespace pipecut::cli
