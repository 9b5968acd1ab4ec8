#pragma once
// Helpers for the HTML report tests: the page's embedded data, shell commands, and the Python
// checkers in tests/support/ (run with Debian's /usr/bin/python3).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/io_test_util.hpp"  // read_text, TempDir

namespace pipecut::testing {

// The JSON of the page's <script type="application/json" id="pipecut-report-data"> block.
// Fails the calling test (and returns null) if it is missing or does not parse.
nlohmann::json report_data_of(const std::string& page);

// The number as the page's headline figures print it: 8 significant digits, like the CLI.
std::string exact_number(double x);

struct CommandRun {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};
// Runs `command` with /bin/sh; stdin is /dev/null.
CommandRun run_command(const std::string& command);

// A file of tests/support/.
std::string support_path(const std::string& name);

// tests/support/check_report_html.py on `page`, requiring an <svg> with each id.
CommandRun check_report_html(const std::string& page, const std::vector<std::string>& svg_ids);

}  // namespace pipecut::testing
