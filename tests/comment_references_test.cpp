// Comments and documentation point readers to docs/, which they have, never to a task brief or
// an issue number, which they do not (working rules in README "Layout" and docs/).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {

const fs::path kRoot = fs::path(PIPECUT_DATA_DIR).parent_path();

// The trees scanned: all of the repository's own text.
const char* const kTrees[] = {"src",   "include", "tests",   "docs",   "tools",
                              "bench", "fuzz",    "scripts", "python", "cmake"};
const char* const kTopFiles[] = {"README.md", "CMakeLists.txt"};

bool is_text_source(const fs::path& p) {
  static const std::set<std::string> kExtensions = {".hpp",   ".cpp",   ".h",   ".in", ".py",
                                                    ".pyi",   ".sh",    ".mjs", ".md", ".txt",
                                                    ".cmake", ".slurm", ".json"};
  return kExtensions.count(p.extension().string()) > 0;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::regex kReference(std::string("BRI") + "EF|\\b[Ii]ssue #?[0-9]+|\\bthe issue's\\b");

std::vector<std::string> references_in(const fs::path& file) {
  std::vector<std::string> found;
  std::istringstream text(read_text(file));
  int number = 0;
  for (std::string line; std::getline(text, line);) {
    ++number;
    if (std::regex_search(line, kReference))
      found.push_back(fs::relative(file, kRoot).string() + ":" + std::to_string(number) + ": " +
                      line);
  }
  return found;
}

TEST(CommentReferences, TheRegexFindsBriefAndIssueReferences) {
  for (const char* line :
       {"// see BRIEF section 3", "# issue 5", "(issue #12)", "the issue's segmentation model"})
    EXPECT_TRUE(std::regex_search(std::string(line), kReference)) << line;
  for (const char* line : {"// see docs/bounds.md", "a known issue with CBC", "brief comments"})
    EXPECT_FALSE(std::regex_search(std::string(line), kReference)) << line;
}

TEST(CommentReferences, NoCommentOrDocumentPointsToABriefOrAnIssueNumber) {
  std::vector<std::string> found;
  int files = 0;
  for (const char* tree : kTrees) {
    ASSERT_TRUE(fs::is_directory(kRoot / tree)) << tree;
    for (auto it = fs::recursive_directory_iterator(kRoot / tree);
         it != fs::recursive_directory_iterator(); ++it) {
      const std::string name = it->path().filename().string();
      // Third-party packages, fuzzer seed inputs (data, not text) and results data.
      if (it->is_directory() && (name == "node_modules" || name == "seeds" || name == "results")) {
        it.disable_recursion_pending();
        continue;
      }
      // This file holds the patterns it looks for.
      if (!it->is_regular_file() || !is_text_source(it->path()) ||
          name == "comment_references_test.cpp")
        continue;
      ++files;
      for (std::string& r : references_in(it->path())) found.push_back(std::move(r));
    }
  }
  for (const char* file : kTopFiles) {
    ++files;
    for (std::string& r : references_in(kRoot / file)) found.push_back(std::move(r));
  }
  EXPECT_GT(files, 100);
  for (const std::string& r : found) ADD_FAILURE() << r;
}

}  // namespace
