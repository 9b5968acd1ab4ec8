// Runs a MipSolver in a forked worker process per solve (see mip/solver.hpp and docs/bounds.md,
// "MIPs in a worker process").
//
// The child solves with the inner solver and streams frames to the parent over a pipe: every
// improvement of the proven bound, every new incumbent, and finally the result. The parent
// waits for them until the time limit (plus a short grace) or a stop request, then kills the
// child. A bound or incumbent streamed before a kill or a crash stays valid and is kept.
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string_view>

#include "pipecut/mip/solver.hpp"
#include "pipecut/util/stopwatch.hpp"
#include "util/subprocess.hpp"

namespace pipecut::mip {

namespace {

// After its time limit the worker gets this long to report before it is killed. CBC stops by
// itself at the limit unless a phase it cannot interrupt (the root LP, a cut pass) overruns.
constexpr double kKillGraceSeconds = 0.25;
// How often the parent looks at the clock and the stop flag while it waits.
constexpr int kPollMilliseconds = 20;

// A frame on the pipe: one kind byte, the payload length (8 bytes), the payload.
enum class FrameKind : char {
  bound = 'B',
  solution = 'S',
  result = 'R',
  failure = 'F',
  log = 'L',  // a solver log line, passed on to the caller's callback in the parent
};

template <class T>
void put(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}
void put_doubles(std::string& out, const std::vector<double>& values) {
  out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(double));
}

template <class T>
bool take(std::string_view& in, T& value) {
  if (in.size() < sizeof value) return false;
  std::memcpy(&value, in.data(), sizeof value);
  in.remove_prefix(sizeof value);
  return true;
}
bool take_doubles(std::string_view& in, std::vector<double>& values) {
  if (in.size() % sizeof(double) != 0) return false;
  values.resize(in.size() / sizeof(double));
  std::memcpy(values.data(), in.data(), in.size());
  in.remove_prefix(in.size());
  return true;
}

void send_frame(int fd, FrameKind kind, const std::string& payload) {
  std::string frame;
  put(frame, kind);
  put(frame, static_cast<std::uint64_t>(payload.size()));
  frame += payload;
  (void)detail::write_all(fd, frame);  // the parent may be gone: then nobody needs the frame
}

// The child's side: solve, stream, report, exit without running the parent's exit handlers.
[[noreturn]] void run_worker(int fd, MipSolver& inner, const MipModel& model, MipOptions options) {
  options.stop = nullptr;  // the parent watches the stop flag and kills this process
  options.log = [fd](const std::string& line) { send_frame(fd, FrameKind::log, line); };
  options.on_update = [fd](const SolveUpdate& update) {
    std::string payload;
    if (update.solution) {
      put(payload, update.objective);
      put_doubles(payload, *update.solution);
      send_frame(fd, FrameKind::solution, payload);
    } else {
      put(payload, update.best_bound);
      send_frame(fd, FrameKind::bound, payload);
    }
  };
  try {
    const SolveResult r = inner.solve(model, options);
    std::string payload;
    put(payload, static_cast<std::int32_t>(r.status));
    put(payload, static_cast<char>(r.has_solution));
    put(payload, r.objective);
    put(payload, r.best_bound);
    put(payload, r.seconds);
    put(payload, static_cast<std::int64_t>(r.nodes));
    put(payload, static_cast<std::uint64_t>(r.message.size()));
    payload += r.message;
    if (r.has_solution) put_doubles(payload, r.solution);
    send_frame(fd, FrameKind::result, payload);
  } catch (const std::exception& e) {
    send_frame(fd, FrameKind::failure, e.what());
  } catch (...) {
    send_frame(fd, FrameKind::failure, "unknown exception");
  }
  std::fflush(nullptr);  // a verbose solver log goes out before the exit
  ::_exit(0);
}

// What the parent has received so far.
struct Received {
  const MipOptions* options = nullptr;  // its log callback receives the log lines
  double best_bound = -kInfinity;
  bool has_solution = false;
  double objective = kInfinity;
  std::vector<double> solution;
  std::optional<SolveResult> result;
  std::optional<std::string> failure;
  bool malformed = false;

  // Consumes the complete frames at the front of `buffer`.
  void parse(std::string& buffer) {
    std::size_t used = 0;
    for (;;) {
      std::string_view rest(buffer.data() + used, buffer.size() - used);
      FrameKind kind{};
      std::uint64_t length = 0;
      if (!take(rest, kind) || !take(rest, length) || rest.size() < length) break;
      used += 1 + sizeof length + length;
      handle(kind, rest.substr(0, length));
    }
    buffer.erase(0, used);
  }

  void handle(FrameKind kind, std::string_view payload) {
    switch (kind) {
      case FrameKind::bound: {
        double bound = -kInfinity;
        if (take(payload, bound))
          best_bound = std::max(best_bound, bound);
        else
          malformed = true;
        return;
      }
      case FrameKind::solution: {
        double value = kInfinity;
        std::vector<double> values;
        if (!take(payload, value) || !take_doubles(payload, values)) {
          malformed = true;
        } else if (value < objective) {
          objective = value;
          solution = std::move(values);
          has_solution = true;
        }
        return;
      }
      case FrameKind::result: {
        SolveResult r;
        std::int32_t status = 0;
        char has = 0;
        std::int64_t nodes = 0;
        std::uint64_t message_size = 0;
        if (!take(payload, status) || !take(payload, has) || !take(payload, r.objective) ||
            !take(payload, r.best_bound) || !take(payload, r.seconds) || !take(payload, nodes) ||
            !take(payload, message_size) || payload.size() < message_size) {
          malformed = true;
          return;
        }
        r.status = static_cast<SolveStatus>(status);
        r.nodes = nodes;
        r.message.assign(payload.substr(0, message_size));
        payload.remove_prefix(message_size);
        r.has_solution = has != 0;
        if (r.has_solution && !take_doubles(payload, r.solution)) {
          malformed = true;
          return;
        }
        result = std::move(r);
        return;
      }
      case FrameKind::log:
        emit_solver_log(*options, std::string(payload));
        return;
      case FrameKind::failure:
        failure = std::string(payload);
        std::replace(failure->begin(), failure->end(), '\n', ' ');  // messages are one line
        return;
    }
    malformed = true;
  }
};

class WorkerProcessSolver : public MipSolver {
 public:
  explicit WorkerProcessSolver(std::unique_ptr<MipSolver> inner) : inner_(std::move(inner)) {}

  [[nodiscard]] std::string name() const override { return inner_->name(); }

  SolveResult solve(const MipModel& model, const MipOptions& options) override {
    // Forking copies only this thread: with others running, solve here instead.
    if (detail::other_threads_running()) return in_process(model, options);
    const Stopwatch timer;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return in_process(model, options);
    std::fflush(nullptr);  // or the child would write the parent's buffered output once more
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
      ::close(fds[0]);
      ::close(fds[1]);
      return in_process(model, options);
    }
    if (pid == 0) {
      ::close(fds[0]);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the parent
      if (::getppid() != parent) ::_exit(1);
      run_worker(fds[1], *inner_, model, options);
    }
    ::close(fds[1]);

    const double deadline =
        options.time_limit_seconds > 0 ? options.time_limit_seconds + kKillGraceSeconds : kInfinity;
    Received received;
    received.options = &options;
    std::string buffer;
    std::string kill_reason;
    char chunk[1 << 16];
    for (;;) {
      if (stop_requested(options.stop))
        kill_reason = "stop requested";
      else if (timer.seconds() >= deadline)
        kill_reason = "killed at the time limit";
      if (!kill_reason.empty()) {
        ::kill(pid, SIGKILL);
        break;
      }
      int wait_ms = kPollMilliseconds;
      if (deadline < kInfinity)
        wait_ms = std::clamp(static_cast<int>(std::ceil((deadline - timer.seconds()) * 1000)), 0,
                             kPollMilliseconds);
      pollfd readable{fds[0], POLLIN, 0};
      const int ready = ::poll(&readable, 1, wait_ms);
      if (ready < 0 && errno != EINTR) break;
      if (ready <= 0) continue;
      const ssize_t got = ::read(fds[0], chunk, sizeof chunk);
      if (got < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        break;
      }
      if (got == 0) break;  // the child closed the pipe: it has exited
      buffer.append(chunk, static_cast<std::size_t>(got));
      received.parse(buffer);
    }
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}

    if (received.result && !received.malformed) {
      SolveResult r = std::move(*received.result);
      r.seconds = timer.seconds();
      return r;
    }
    // Killed or failed: what was streamed is still proven (the bound) and feasible (incumbent).
    SolveResult r;
    r.best_bound = received.best_bound;
    if (received.has_solution) {
      r.has_solution = true;
      r.objective = received.objective;
      r.solution = std::move(received.solution);
      r.best_bound = std::min(r.best_bound, r.objective);
    }
    if (!kill_reason.empty()) {
      r.status = SolveStatus::stopped;
      r.message = kill_reason;
    } else {
      r.status = SolveStatus::error;
      r.message = received.failure     ? "the MIP solver failed: " + *received.failure
                  : received.malformed ? std::string("the MIP worker sent a malformed report")
                                       : detail::describe_exit(status, "the MIP worker");
    }
    r.seconds = timer.seconds();
    return r;
  }

 private:
  SolveResult in_process(const MipModel& model, const MipOptions& options) {
    return inner_->solve(model, options);
  }

  std::unique_ptr<MipSolver> inner_;
};

}  // namespace

std::unique_ptr<MipSolver> make_worker_process_solver(std::unique_ptr<MipSolver> inner) {
  return std::make_unique<WorkerProcessSolver>(std::move(inner));
}

}  // namespace pipecut::mip
