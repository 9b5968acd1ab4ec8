#pragma once
// The option groups of the front ends: which catalogue (util/options.hpp) each command and
// Python function takes. The CLI's `pipecut options` prints them (docs/options.md is its
// --markdown output), and Python builds its keyword arguments from them.
#include <vector>

#include "pipecut/util/options.hpp"

namespace pipecut {

std::vector<OptionGroupDoc> option_groups();

}  // namespace pipecut
