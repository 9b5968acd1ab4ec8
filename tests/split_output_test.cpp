// Where `split` and `solve --export-onnx` write, and what they may replace: outputs checked
// before any work, the folder resolved as the kernel resolves it, --force replacing only an
// earlier split output that holds no input, and nothing left behind by a killed run.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/io_test_util.hpp"
#include "support/oracle.hpp"

namespace pipecut {
namespace {

namespace fs = std::filesystem;
using testing::run_cli;
using testing::TempDir;

// x[1, n] -> MatMul with the weight w[n, n] ("mm") -> Relu ("relu") -> y. The weight is inline,
// or external in `dir`/w.bin (a sparse file of zeros, so a large one costs no disk to make).
std::string write_matmul_model(const std::string& dir, const std::string& name, int n,
                               bool external, const std::string& location = "w.bin") {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("pipecut-test");
  m.add_opset_import()->set_version(13);
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name("mm");
  auto declare = [n](onnx::ValueInfoProto* v, const std::string& tensor) {
    v->set_name(tensor);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    t->mutable_shape()->add_dim()->set_dim_value(1);
    t->mutable_shape()->add_dim()->set_dim_value(n);
  };
  declare(g->add_input(), "x");
  declare(g->add_output(), "y");
  onnx::TensorProto* w = g->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(n);
  w->add_dims(n);
  const std::uint64_t bytes = 4ull * static_cast<std::uint64_t>(n) * static_cast<std::uint64_t>(n);
  if (external) {
    w->set_data_location(onnx::TensorProto::EXTERNAL);
    for (const auto& [key, value] : {std::pair<std::string, std::string>{"location", location},
                                     {"offset", "0"},
                                     {"length", std::to_string(bytes)}}) {
      auto* entry = w->add_external_data();
      entry->set_key(key);
      entry->set_value(value);
    }
    if (location == "w.bin") {
      { std::ofstream(dir + "/w.bin"); }
      fs::resize_file(dir + "/w.bin", bytes);
    }
  } else {
    w->set_raw_data(std::string(bytes, '\0'));
  }
  onnx::NodeProto* mm = g->add_node();
  mm->set_name("mm");
  mm->set_op_type("MatMul");
  mm->add_input("x");
  mm->add_input("w");
  mm->add_output("h");
  onnx::NodeProto* relu = g->add_node();
  relu->set_name("relu");
  relu->set_op_type("Relu");
  relu->add_input("h");
  relu->add_output("y");
  const std::string path = dir + "/" + name;
  std::ofstream out(path, std::ios::binary);
  EXPECT_TRUE(m.SerializeToOstream(&out));
  return path;
}

const std::string kPartition =
    R"({"format":"pipecut.partition","version":1,"k":2,"assignment":{"mm":0,"relu":1}})";

// The CLI run with `dir` as its current folder.
testing::CliRun run_in(const std::string& dir, const std::string& args) {
  const std::string out = dir + "/../run.out", err = dir + "/../run.err";
  const std::string cmd = "cd '" + dir + "' && " + PIPECUT_CLI_PATH + " " + args + " >'" + out +
                          "' 2>'" + err + "' </dev/null";
  const int status = std::system(cmd.c_str());
  testing::CliRun r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = testing::read_text(out);
  r.err = testing::read_text(err);
  fs::remove(out);
  fs::remove(err);
  return r;
}

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

class SplitOutput : public ::testing::Test {
 protected:
  void SetUp() override {
    in_ = tmp_.path("in");
    fs::create_directories(in_);
    model_ = write_matmul_model(in_, "model.onnx", 8, false);
    partition_ = tmp_.write("in/p.json", kPartition);
  }
  std::string split(const std::string& out, const std::string& extra = "") const {
    return "split '" + model_ + "' '" + partition_ + "' -o '" + out + "' " + extra;
  }
  TempDir tmp_;
  std::string in_, model_, partition_;
};

TEST_F(SplitOutput, ForceReplacesAnEarlierSplitOutputAndNothingElse) {
  const std::string out = tmp_.path("out");
  auto r = run_cli(split(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(entries(out),
            (std::vector<std::string>{"pipeline.json", "stage_0.onnx", "stage_1.onnx"}));
  r = run_cli(split(out, "--force"));  // an earlier split output: replaced
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(entries(out),
            (std::vector<std::string>{"pipeline.json", "stage_0.onnx", "stage_1.onnx"}));

  // Anything a split does not write makes --force refuse, naming it; the folder is untouched.
  tmp_.write("out/notes.txt", "mine");
  r = run_cli(split(out, "--force"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("holds 'notes.txt', which a split does not write"), std::string::npos)
      << r.err;
  EXPECT_EQ(testing::read_text(out + "/notes.txt"), "mine");
  fs::remove(out + "/notes.txt");
  fs::create_directory(out + "/stage_7.onnx");  // a folder, even under a split's name
  r = run_cli(split(out, "--force"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("'stage_7.onnx'"), std::string::npos) << r.err;
  fs::remove(out + "/stage_7.onnx");
  fs::create_symlink(model_, out + "/stage_5.onnx");  // a link would be replaced, not followed
  r = run_cli(split(out, "--force"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  fs::remove(out + "/stage_5.onnx");

  // Stage files without the manifest, or a manifest of another format: refused.
  const std::string stages_only = tmp_.path("stages_only");
  fs::create_directory(stages_only);
  tmp_.write("stages_only/stage_0.onnx", "x");
  r = run_cli(split(stages_only, "--force"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("holds no pipeline.json"), std::string::npos) << r.err;
  tmp_.write("stages_only/pipeline.json", R"({"format":"pipecut.partition"})");
  r = run_cli(split(stages_only, "--force"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("not of format pipecut.pipeline"), std::string::npos) << r.err;
  EXPECT_EQ(entries(stages_only), (std::vector<std::string>{"pipeline.json", "stage_0.onnx"}));
}

TEST_F(SplitOutput, ForceNeverErasesTheCurrentOrHomeFolder) {
  // "-o . --force" and "-o ~ --force" used to remove the folder whole.
  const std::string work = tmp_.path("work");
  fs::create_directory(work);
  tmp_.write("work/thesis.tex", "years of work");
  auto r = run_in(work, split(".", "--force"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(testing::read_text(work + "/thesis.tex"), "years of work");
  r = run_cli("split '" + model_ + "' '" + partition_ + "' -o ~ --force");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  // Even an earlier split output is not replaced while it is the current folder.
  const std::string out = tmp_.path("out");
  ASSERT_EQ(run_cli(split(out)).exit_code, 0);
  r = run_in(out, split(".", "--force"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("current folder"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(out + "/pipeline.json"));
}

TEST_F(SplitOutput, TheFolderIsResolvedAsTheKernelResolvesIt) {
  // work/link -> real/sub: "link/.." is real (the kernel follows the link first), where lexical
  // folding gave "." and deleted the current folder.
  const std::string work = tmp_.path("work"), real = tmp_.path("real");
  fs::create_directories(real + "/sub");
  fs::create_directory(work);
  tmp_.write("work/keep.txt", "keep");
  fs::create_symlink(real + "/sub", work + "/link");
  auto r = run_in(work, split("link/..", "--force"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("holds 'sub'"), std::string::npos) << r.err;  // real's content, not work's
  EXPECT_EQ(testing::read_text(work + "/keep.txt"), "keep");
  EXPECT_TRUE(fs::is_directory(real + "/sub"));
  r = run_in(work, split("link/../stages"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(real + "/stages/pipeline.json"));
  EXPECT_FALSE(fs::exists(work + "/stages"));
  // A link to a folder is followed: the stages go into its target, the link stays.
  fs::create_symlink(real + "/stages", work + "/latest");
  r = run_in(work, split("latest", "--force"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::is_symlink(work + "/latest"));
  EXPECT_TRUE(fs::exists(real + "/stages/stage_1.onnx"));
}

TEST_F(SplitOutput, ForceNeverRemovesAFolderHoldingAnInput) {
  // An earlier split output that holds, under a split's own file names, an input of this run.
  const std::string out = tmp_.path("out");
  ASSERT_EQ(run_cli(split(out)).exit_code, 0);
  const std::string stale = testing::read_text(out + "/pipeline.json");
  auto refused = [&](const std::string& args, const std::string& input) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_NE(r.err.find("holds " + input + ", an input"), std::string::npos) << r.err;
    EXPECT_EQ(testing::read_text(out + "/pipeline.json"), stale);
  };
  // The partition file.
  fs::copy_file(partition_, out + "/stage_8.onnx.data");
  refused("split '" + model_ + "' '" + out + "/stage_8.onnx.data' -o '" + out + "' --force",
          out + "/stage_8.onnx.data");
  fs::remove(out + "/stage_8.onnx.data");
  // The model (and through it its external data).
  fs::copy_file(model_, out + "/stage_9.onnx");
  refused("split '" + out + "/stage_9.onnx' '" + partition_ + "' -o '" + out + "' --force",
          out + "/stage_9.onnx");
  fs::remove(out + "/stage_9.onnx");
  // A device profile file and an ONNX Runtime profile.
  tmp_.write(
      "out/stage_10.onnx.data",
      R"({"peak_tflops":{"fp32":1},"memory_bandwidth_gbps":1,"link_bandwidth_gbps":1,"link_latency_us":0,"launch_overhead_us":0})");
  refused(split(out, "--force --device '" + out + "/stage_10.onnx.data'"),
          out + "/stage_10.onnx.data");
  fs::remove(out + "/stage_10.onnx.data");
  tmp_.write(
      "out/stage_11.onnx.data",
      R"([{"cat":"Session","name":"model_run","ts":0,"dur":10},{"cat":"Session","name":"model_run","ts":20,"dur":10}])");
  refused(split(out, "--force --profile '" + out + "/stage_11.onnx.data'"),
          out + "/stage_11.onnx.data");
  // The same through solve --export-onnx, also for its -o and --report files.
  fs::remove(out + "/stage_11.onnx.data");
  tmp_.write("out/stage_12.onnx", "{}");
  const auto r = run_cli("solve '" + model_ + "' -k 2 --time-limit 5 --quiet --export-onnx '" +
                         out + "' --force --report '" + out + "/stage_12.onnx'");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(", an input"), std::string::npos) << r.err;
}

// The rule of README "Commands": outputs never create folders. Every destination is checked
// before any work (exit 6); a solve no longer runs for a minute and then loses its result.
TEST_F(SplitOutput, EveryDestinationIsCheckedBeforeAnyWork) {
  const std::string bert = testing::data_path("samples/pipecut/bert_l-3_inference.json");
  const std::string missing = tmp_.path("no/such/folder");
  const std::string part = tmp_.path("bert-p.json");
  ASSERT_EQ(run_cli("partition " + bert + " -k 2 --algorithm topo -o " + part).exit_code, 0);
  for (const std::string& args :
       {"solve " + bert + " -k 8 --time-limit 60 --target-ratio 1 -o " + missing + "/p.json",
        "solve " + bert + " -k 8 --time-limit 60 --target-ratio 1 --report " + missing + "/r.html",
        "solve '" + model_ + "' -k 2 --time-limit 60 --target-ratio 1 --export-onnx " + missing,
        "partition " + bert + " -k 2 --preset brkga-10000 -o " + missing + "/p.json",
        "report " + bert + " " + part + " -o " + missing + "/r.html",
        "convert " + bert + " " + missing + "/g.json", "generate -o " + missing + "/g.json",
        "generate --count 2 --out-dir " + missing,
        "experiment " + bert + " --quick --quiet --results " + missing + "/r.jsonl", split(missing),
        "solve " + bert + " -k 2 --time-limit 60 -o " + tmp_.path("in")}) {
    const auto start = std::chrono::steady_clock::now();
    const auto r = run_cli(args);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(r.exit_code, 6) << args << "\n" << r.err;
    EXPECT_EQ(r.err.rfind("pipecut: error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_LT(seconds, 10) << args;  // the solves would have taken their 60 s
  }
  EXPECT_FALSE(fs::exists(tmp_.path("no")));
  // The output folder itself is made when its parent exists.
  auto r = run_cli("generate --count 2 --nodes 20 --out-dir " + tmp_.path("set"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(entries(tmp_.path("set")).size(), 2u);
}

// A temporary folder left by an earlier killed run is never reused nor touched.
TEST_F(SplitOutput, TheTemporaryFolderIsFreshEveryTime) {
  const std::string stale = tmp_.path("out.tmp-123456");
  fs::create_directory(stale);
  tmp_.write("out.tmp-123456/stage_0.onnx", "stale");
  const auto r = run_cli(split(tmp_.path("out")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(testing::read_text(stale + "/stage_0.onnx"), "stale");
  EXPECT_EQ(entries(tmp_.path("")), (std::vector<std::string>{"in", "out", "out.tmp-123456"}));
  // The folder gets the usual permissions (mkdtemp makes 0700).
  const mode_t mask = ::umask(0);
  ::umask(mask);
  EXPECT_EQ(static_cast<unsigned>(fs::status(tmp_.path("out")).permissions() & fs::perms::all),
            0777u & ~static_cast<unsigned>(mask));
}

// External data is read only from inside the model's folder, symbolic links followed and ".."
// resolved after them: a link out of the folder used to have its target's bytes copied into the
// stage's data file (an information leak, like ONNX's CVE-2024-27318).
TEST(SplitExternalData, DataResolvingOutsideTheModelsFolderIsRefused) {
  TempDir tmp;
  const std::string dir = tmp.path("model");
  fs::create_directories(dir + "/sub");
  const std::string secret = tmp.write("secret.bin", std::string(4 * 8 * 8, 'S'));
  const std::string partition = tmp.write("p.json", kPartition);
  auto split = [&](const std::string& model, const std::string& out) {
    return run_cli("split '" + model + "' '" + partition + "' -o '" + tmp.path(out) + "'");
  };
  // w.bin is a link to a file outside the folder.
  std::string model = write_matmul_model(dir, "linked.onnx", 8, true, "link.bin");
  fs::create_symlink(secret, dir + "/link.bin");
  auto r = split(model, "out1");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("external data location 'link.bin' resolves to " +
                       fs::canonical(secret).string() + ", outside the model's folder"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(tmp.path("out1")));
  // A folder link, and ".." after a link (the kernel's order, not the lexical one).
  fs::create_directory_symlink(tmp.path(""), dir + "/up");
  model = write_matmul_model(dir, "up.onnx", 8, true, "up/secret.bin");
  EXPECT_EQ(split(model, "out2").exit_code, 2);
  fs::create_directory_symlink(tmp.path("model/sub"), dir + "/down");
  model = write_matmul_model(dir, "dotdot.onnx", 8, true, "down/../../secret.bin");
  EXPECT_EQ(split(model, "out3").exit_code, 2);
  model = write_matmul_model(dir, "abs.onnx", 8, true, secret);
  EXPECT_EQ(split(model, "out4").exit_code, 2);
  for (const char* out : {"out2", "out3", "out4"}) EXPECT_FALSE(fs::exists(tmp.path(out)));
  // Inside the folder, through a link or "..", the data is read.
  const std::string inside = tmp.write("model/sub/real.bin", std::string(4 * 8 * 8, '\0'));
  fs::create_symlink(inside, dir + "/inside.bin");
  model = write_matmul_model(dir, "inside.onnx", 8, true, "inside.bin");
  r = split(model, "out5");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  model = write_matmul_model(dir, "subdir.onnx", 8, true, "sub/../sub/real.bin");
  r = split(model, "out6");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(fs::file_size(tmp.path("out6/stage_0.onnx.data")), 4u * 8 * 8);
}

// Starts the CLI with `args` in the background; returns its pid.
pid_t spawn_cli(const std::vector<std::string>& args, const std::string& log) {
  std::vector<std::string> argv_text = {PIPECUT_CLI_PATH};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  EXPECT_EQ(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

// Sends `signal_number` once the run is writing a stage's weights into its temporary folder,
// then checks that it died of the signal and left nothing: no temporary folder, no output.
void kill_mid_write(const std::vector<std::string>& args, const std::string& parent,
                    int signal_number) {
  const std::string log = parent + "/../kill.log";
  const pid_t pid = spawn_cli(args, log);
  ASSERT_GT(pid, 0);
  bool sent = false;
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!sent && std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) break;  // finished before it could be killed
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(parent, ec)) {
      if (e.path().filename().string().rfind("out.tmp-", 0) != 0) continue;
      const fs::path data = e.path() / "stage_0.onnx.data";
      if (fs::exists(data, ec) && fs::file_size(data, ec) > 0) {
        ::kill(pid, signal_number);
        sent = true;
      }
    }
    if (!sent) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ASSERT_TRUE(sent) << "the run ended before it could be interrupted:\n" << testing::read_text(log);
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == signal_number)
      << "status " << status << "\n"
      << testing::read_text(log);
  EXPECT_EQ(entries(parent), (std::vector<std::string>{"model.onnx", "p.json", "w.bin"}))
      << testing::read_text(log);
  fs::remove(log);
}

TEST(SplitKilled, SigtermOrSigintMidWriteLeavesNothingBehind) {
  TempDir tmp;
  const std::string dir = tmp.path("m");
  fs::create_directory(dir);
  // 8192 x 8192 floats: 256 MiB of weights to copy, long enough to be caught mid-write.
  const std::string model = write_matmul_model(dir, "model.onnx", 8192, true);
  const std::string partition = tmp.write("m/p.json", kPartition);
  const std::string out = dir + "/out";
  kill_mid_write({"split", model, partition, "-o", out}, dir, SIGTERM);
  kill_mid_write({"split", model, partition, "-o", out}, dir, SIGINT);
  kill_mid_write({"solve", model, "-k", "2", "--time-limit", "10", "--quiet", "--export-onnx", out},
                 dir, SIGINT);
  kill_mid_write({"solve", model, "-k", "2", "--time-limit", "10", "--quiet", "--export-onnx", out},
                 dir, SIGTERM);
}

}  // namespace
}  // namespace pipecut
