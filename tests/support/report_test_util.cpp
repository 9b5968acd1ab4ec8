#include "support/report_test_util.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>

namespace pipecut::testing {

nlohmann::json report_data_of(const std::string& page) {
  const std::string open = "<script type=\"application/json\" id=\"pipecut-report-data\">";
  const std::size_t begin = page.find(open);
  if (begin == std::string::npos) {
    ADD_FAILURE() << "no pipecut-report-data block";
    return nullptr;
  }
  const std::size_t end = page.find("</script>", begin);
  if (end == std::string::npos) {
    ADD_FAILURE() << "data block not closed";
    return nullptr;
  }
  try {
    return nlohmann::json::parse(page.substr(begin + open.size(), end - begin - open.size()));
  } catch (const std::exception& e) {
    ADD_FAILURE() << "data block does not parse: " << e.what();
    return nullptr;
  }
}

std::string exact_number(double x) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.8g", x);
  return buffer;
}

CommandRun run_command(const std::string& command) {
  CommandRun r;
  FILE* pipe = ::popen(("(" + command + ") 2>&1 </dev/null").c_str(), "r");
  if (pipe == nullptr) return r;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) r.out.append(buffer, n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string support_path(const std::string& name) {
  return std::string(PIPECUT_DATA_DIR) + "/../tests/support/" + name;
}

CommandRun check_report_html(const std::string& page, const std::vector<std::string>& svg_ids) {
  std::string ids;
  for (const std::string& id : svg_ids) ids += " " + id;
  return run_command("/usr/bin/python3 " + support_path("check_report_html.py") + " '" + page +
                     "'" + ids);
}

}  // namespace pipecut::testing
