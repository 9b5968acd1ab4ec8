#pragma once
// Memory sizes as users write them: "17185374208", "512MiB", "16 GiB", "80GB", "1.5e9".
#include <string>

namespace pipecut {

// Parses a positive byte count with an optional unit: B; kB, MB, GB, TB (powers of 1000);
// KiB, MiB, GiB, TiB (powers of 1024). Units are case-insensitive and may follow a space.
// Zero, negative, NaN, infinite, empty or unit-less garbage ("16XB") is an InputError whose
// one-line message starts with `what` (e.g. "--memory-per-stage").
double parse_memory_size(const std::string& text, const std::string& what);

}  // namespace pipecut
