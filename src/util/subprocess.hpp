#pragma once
// Running work in a forked child process, so that a crash or an overrun inside code we do not
// control (CBC, ONNX shape inference) costs that piece of work, not the caller. Linux only
// (fork, pipes, /proc). Internal to the library.
#include <functional>
#include <string>
#include <string_view>

namespace pipecut::detail {

// True when the process has threads other than the caller. Forking is then unsafe: the child
// gets only the calling thread, and a lock another thread held would stay locked in the child.
bool other_threads_running();

// One line on how a child ended, from its waitpid() status: "<what> died of signal 8 (Floating
// point exception)" or "<what> exited with code 3 without a result".
std::string describe_exit(int wait_status, const std::string& what);

// Writes all of `data` to `fd` (retrying on EINTR); false on any error.
bool write_all(int fd, std::string_view data);

struct ChildResult {
  bool completed = false;  // work() returned in the child and its bytes arrived
  std::string output;      // what work() returned
  std::string failure;     // otherwise: why (an exception's message, a signal, ...)
};

// Runs `work` in a fork of this process and returns the bytes it returned. `what` names the work
// in failure messages. Call only when !other_threads_running(). The child exits with _exit, so
// it runs no exit handlers of the parent; the parent flushes its stdio buffers before forking.
ChildResult run_in_child(const std::function<std::string()>& work, const std::string& what);

}  // namespace pipecut::detail
