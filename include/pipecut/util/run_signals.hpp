#pragma once
// What a long computation watches besides its options: a cooperative stop and where its log
// lines go. Option structs (util/options.hpp) hold only what a user sets; these come from the
// front end's RunControl (solve/solve.hpp), which carries them down to every method.
#include "pipecut/util/log.hpp"
#include "pipecut/util/stop.hpp"

namespace pipecut {

struct RunSignals {
  const StopFlag* stop = nullptr;  // set it to stop early with the best result so far
  LogCallback log;                 // warnings and solver log lines (none: stderr, never stdout)
};

}  // namespace pipecut
