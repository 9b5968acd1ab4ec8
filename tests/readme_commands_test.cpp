// The README's set-up commands stay true: the quick start builds only the tool, the test
// command is exactly what .ci/run runs, and the scripts the README tells users to run are
// executable with Debian's interpreter. Also what README "Layout" says of the front ends.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::string kRoot = std::string(PIPECUT_DATA_DIR) + "/..";

// The one-line commands of the ```sh blocks of the README's "Quick start" section.
std::vector<std::string> quick_start_commands() {
  const std::string readme = read_text(kRoot + "/README.md");
  const std::size_t begin = readme.find("## Quick start");
  const std::size_t end = readme.find("\n## ", begin + 1);
  std::vector<std::string> commands;
  std::istringstream section(readme.substr(begin, end - begin));
  bool in_block = false;
  for (std::string line; std::getline(section, line);) {
    if (line.rfind("```", 0) == 0) {
      in_block = !in_block;
      continue;
    }
    if (in_block && !line.empty()) commands.push_back(line);
  }
  return commands;
}

TEST(ReadmeCommands, QuickStartBuildsTheToolAndCiRunsTheTestCommand) {
  const std::vector<std::string> commands = quick_start_commands();
  ASSERT_EQ(commands.size(), 2u);
  // The main job needs the tool only: tests and benchmarks are the second command's.
  EXPECT_EQ(commands[0].rfind("bash scripts/install-deps.sh && ", 0), 0u) << commands[0];
  EXPECT_NE(commands[0].find("cmake --build build --target pipecut &&"), std::string::npos)
      << commands[0];
  EXPECT_NE(commands[1].find("ctest --test-dir build"), std::string::npos) << commands[1];
  // .ci/run calls exactly the README's test command.
  const std::string ci = read_text(kRoot + "/.ci/run");
  EXPECT_NE(ci.find("\n" + commands[1] + "\n"), std::string::npos) << commands[1];
}

TEST(ReadmeCommands, ScriptsTheReadmeRunsAreExecutable) {
  for (const char* script : {"tools/make_split_test_models.py", "tools/export_torchvision.py",
                             "tools/export_transformers.py"}) {
    const std::string path = kRoot + "/" + script;
    EXPECT_EQ(read_text(path).rfind("#!/usr/bin/python3\n", 0), 0u) << script;
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0) << script;
    EXPECT_NE(st.st_mode & S_IXUSR, 0u) << script;
  }
}

// README "Layout": the front ends run every algorithm through solve/api.hpp, never by including
// a partition, bound or MIP header themselves.
TEST(ReadmeCommands, FrontEndsReachTheAlgorithmsOnlyThroughTheApi) {
  int files = 0;
  for (const char* dir :
       {"src/cli", "src/experiment", "include/pipecut/experiment", "python/src"}) {
    ASSERT_TRUE(std::filesystem::is_directory(kRoot + "/" + dir)) << dir;
    for (const auto& entry : std::filesystem::directory_iterator(kRoot + "/" + dir)) {
      ++files;
      std::istringstream source(read_text(entry.path().string()));
      for (std::string line; std::getline(source, line);)
        for (const char* layer : {"partition/", "bounds/", "mip/"})
          EXPECT_EQ(line.rfind(std::string("#include \"pipecut/") + layer, 0), std::string::npos)
              << entry.path().string() << ": " << line;
    }
  }
  EXPECT_GT(files, 10);
}

}  // namespace
