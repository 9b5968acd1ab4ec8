#pragma once
// Small file helpers shared by readers and writers.
#include <string>

namespace pipecut {

// Whole file as bytes, transparently gunzipped if it starts with the gzip magic.
// Throws InputError "<path>: cannot open file" (or a decompression error) naming the path.
std::string read_file_maybe_gzip(const std::string& path);

// Writes atomically: to "<path>.tmp-XXXX" in the same folder, then rename(). gzip if requested.
// Throws InputError naming the path on failure; the old file is untouched then.
void write_file_atomic(const std::string& path, const std::string& bytes, bool gzip);

bool ends_with(const std::string& s, const std::string& suffix);

// File name without folders and without the extensions .gz / .json / .txt / .pbtxt / .onnx.
std::string file_stem(const std::string& path);

}  // namespace pipecut
