#pragma once
// Small file helpers shared by readers and writers.
#include <cstdint>
#include <istream>
#include <string>
#include <vector>

namespace pipecut {

// Default cap on what one input file may hold, counted after gzip decompression: 2 GiB.
// Readers load a whole file into memory, so the cap bounds their memory (a parsed graph takes a
// few times its text).
inline constexpr std::uint64_t kDefaultMaxInputBytes = std::uint64_t{2} << 30;

// Whole file as bytes, transparently gunzipped if it starts with the gzip magic. A gzip file may
// hold several members one after another (as `cat a.gz b.gz` makes); their contents are joined.
// Anything after the last member is an error, as are truncated or corrupt data.
// At most `max_bytes` bytes are accepted (0 = no cap), counted after decompression and enforced
// while reading and inflating, so an endless device or a gzip bomb stops at the cap. A file
// that starts with a zero byte (no input format does; e.g. /dev/zero) is refused at once.
// Throws InputError naming the path: "<path>: cannot open file", the cap, or the gzip problem.
std::string read_file_maybe_gzip(const std::string& path,
                                 std::uint64_t max_bytes = kDefaultMaxInputBytes);
// The same from an open stream (binary mode); `source` names it in messages.
std::string read_stream_maybe_gzip(std::istream& in, const std::string& source,
                                   std::uint64_t max_bytes = kDefaultMaxInputBytes);

// Writes `bytes` (gzip-compressed if requested) to `path` without ever leaving it half-written:
// a regular file is written to a temporary file in the same folder, then renamed over it
// (keeping its permissions); a symbolic link is followed, so its target is replaced and the
// link stays; a device, FIFO or socket (/dev/stdout, a pipe) is written through, never
// replaced. Throws OutputError naming the path on failure; the old file is untouched then.
void write_file_atomic(const std::string& path, const std::string& bytes, bool gzip);

// True when both paths exist and name the same file (after following symbolic links).
bool same_file(const std::string& a, const std::string& b);

// The one guard of every command that writes: throws InputError if `output` ("-" = stdout,
// empty = none) is the same file as one of `inputs`. Results never replace what the user gave.
void refuse_to_overwrite_inputs(const std::string& output, const std::vector<std::string>& inputs);

bool ends_with(const std::string& s, const std::string& suffix);

// File name without folders and without the extensions .gz / .json / .txt / .pbtxt / .onnx.
std::string file_stem(const std::string& path);

}  // namespace pipecut
