#pragma once
// Small file helpers shared by readers and writers.
#include <cstdint>
#include <filesystem>
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

// Checks, before any work, that `path` can be written as an output file (README "Commands":
// outputs never create folders): "-" (stdout) and an existing device or FIFO always can; else
// `path` must not be a folder, and the folder it goes into (after following a symbolic link)
// must exist and be writable. Throws OutputError naming the path. Empty: nothing to check.
void check_output_file(const std::string& path);

// An output folder (split -o DIR, generate --out-dir DIR) resolved as the kernel resolves it:
// the realpath of its parent (symbolic links followed, ".." taken after them, never folded
// lexically) joined with its last name; a name that is itself a symbolic link, ".", ".." or "/"
// is resolved whole. The parent must exist (OutputError naming `dir` otherwise); the folder
// itself may not exist yet. InputError for an empty name or "/".
std::filesystem::path resolve_output_folder(const std::string& dir);

// Whether `path` (resolved, symbolic links followed) is `folder` or lies inside it at any depth.
// Paths that do not exist are compared by their resolved parent.
bool path_is_inside(const std::string& path, const std::filesystem::path& folder);

// Temporary files and folders a write is filling: while a TempPathGuard lives, the CLI's
// SIGINT/SIGTERM handlers remove its path (a file, or a folder with the files in it) before the
// process dies, so a killed write leaves nothing behind. At most 8 at a time.
class TempPathGuard {
 public:
  explicit TempPathGuard(const std::string& path);
  ~TempPathGuard();
  TempPathGuard(const TempPathGuard&) = delete;
  TempPathGuard& operator=(const TempPathGuard&) = delete;

 private:
  int slot_ = -1;
};
// Removes every path registered by a live TempPathGuard of this process. Async-signal-safe
// (only unlink, open, getdents64, unlinkat, rmdir): for signal handlers.
void remove_registered_temp_paths() noexcept;
// Whether a TempPathGuard of this process is alive.
bool temp_paths_registered() noexcept;

// True when both paths exist and name the same file (after following symbolic links).
bool same_file(const std::string& a, const std::string& b);

// The one guard of every command that writes: throws InputError if `output` ("-" = stdout,
// empty = none) is the same file as one of `inputs`. Results never replace what the user gave.
void refuse_to_overwrite_inputs(const std::string& output, const std::vector<std::string>& inputs);

bool ends_with(const std::string& s, const std::string& suffix);

// File name without folders and without the extensions .gz / .json / .txt / .pbtxt / .onnx.
std::string file_stem(const std::string& path);

}  // namespace pipecut
