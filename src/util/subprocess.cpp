#include "util/subprocess.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <thread>

namespace pipecut::detail {

bool other_threads_running() {
  // A thread that was just joined may linger in /proc for a moment: a positive answer is
  // checked again.
  for (int attempt = 0; attempt < 3; ++attempt) {
    DIR* dir = ::opendir("/proc/self/task");
    if (dir == nullptr) return false;  // no /proc: assume the common single-threaded case
    int threads = 0;
    while (const dirent* entry = ::readdir(dir))
      if (entry->d_name[0] != '.') ++threads;
    ::closedir(dir);
    if (threads <= 1) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

std::string describe_exit(int wait_status, const std::string& what) {
  if (WIFSIGNALED(wait_status)) {
    const int signal = WTERMSIG(wait_status);
    const char* name = ::strsignal(signal);
    return what + " died of signal " + std::to_string(signal) +
           (name ? std::string(" (") + name + ")" : std::string());
  }
  if (WIFEXITED(wait_status))
    return what + " exited with code " + std::to_string(WEXITSTATUS(wait_status)) +
           " without a result";
  return what + " ended without a result";
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(written));
  }
  return true;
}

ChildResult run_in_child(const std::function<std::string()>& work, const std::string& what) {
  ChildResult result;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    result.failure = what + ": cannot create a pipe: " + std::strerror(errno);
    return result;
  }
  std::fflush(nullptr);  // or the child would write the parent's buffered output once more
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    result.failure = what + ": cannot fork: " + std::strerror(errno);
    ::close(fds[0]);
    ::close(fds[1]);
    return result;
  }
  if (pid == 0) {
    ::close(fds[0]);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the parent
    if (::getppid() != parent) ::_exit(1);
    // A crash ends the child quietly and the parent reports it: no crash handler inherited from
    // the parent (a sanitizer's, a fuzzer's) should treat it as the parent's own crash.
    for (int signal : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) std::signal(signal, SIG_DFL);
    // First byte: 'R' and the result, or 'E' and an exception's message.
    std::string message;
    try {
      message = work();
      message.insert(message.begin(), 'R');
    } catch (const std::exception& e) {
      message = std::string("E") + e.what();
    } catch (...) {
      message = "Eunknown exception";
    }
    (void)write_all(fds[1], message);
    std::fflush(nullptr);
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string received;
  char chunk[1 << 16];
  for (;;) {
    const ssize_t got = ::read(fds[0], chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    received.append(chunk, static_cast<std::size_t>(got));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  const bool exited_cleanly = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (exited_cleanly && !received.empty() && received[0] == 'R') {
    result.completed = true;
    result.output = received.substr(1);
  } else if (exited_cleanly && !received.empty() && received[0] == 'E') {
    result.failure = received.substr(1);
  } else {
    result.failure = describe_exit(status, what);
  }
  return result;
}

}  // namespace pipecut::detail
