#include "pipecut/io/file_util.hpp"

#include <zlib.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "pipecut/model/error.hpp"

namespace pipecut {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string file_stem(const std::string& path) {
  std::string name = std::filesystem::path(path).filename().string();
  for (const char* ext : {".gz", ".json", ".txt", ".pbtxt", ".onnx", ".pb"})
    if (ends_with(name, ext) && name.size() > std::string(ext).size())
      name.resize(name.size() - std::string(ext).size());
  return name;
}

static std::string gzip(const std::string& data) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buffer[1 << 16];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buffer);
    zs.avail_out = sizeof buffer;
    rc = deflate(&zs, Z_FINISH);
    out.append(buffer, sizeof buffer - zs.avail_out);
  }
  deflateEnd(&zs);
  return out;
}

namespace {

constexpr std::size_t kReadChunk = std::size_t{1} << 20;

[[noreturn]] void over_cap(const std::string& path, std::uint64_t cap) {
  std::string size = std::to_string(cap) + " bytes";
  if (cap % (std::uint64_t{1} << 30) == 0)
    size += " (" + std::to_string(cap >> 30) + " GiB)";
  else if (cap % (std::uint64_t{1} << 20) == 0)
    size += " (" + std::to_string(cap >> 20) + " MiB)";
  throw InputError(path + ": input is larger than the cap of " + size +
                   " (after decompression); raise it with --max-input-size");
}

// Refuses content that starts with a zero byte: no input format does, and an endless source of
// zeros (/dev/zero, a gzip bomb of zeros) would otherwise be read up to the cap.
void check_first_byte(const std::string& path, const std::string& content) {
  if (!content.empty() && content[0] == '\0')
    throw InputError(path + ": starts with a zero byte; not a file format pipecut reads");
}

// Reads a stream in chunks, never more than needed.
class ChunkReader {
 public:
  ChunkReader(std::istream& in, const std::string& path) : path_(path), in_(in) {}
  // Appends up to one chunk to `buffer`; returns the number of bytes appended (0 at the end).
  std::size_t append_to(std::string& buffer) {
    const std::size_t old_size = buffer.size();
    buffer.resize(old_size + kReadChunk);
    in_.read(buffer.data() + old_size, static_cast<std::streamsize>(kReadChunk));
    const auto got = static_cast<std::size_t>(in_.gcount());
    buffer.resize(old_size + got);
    if (in_.bad()) throw InputError(path_ + ": read error");
    return got;
  }

 private:
  const std::string& path_;
  std::istream& in_;
};

bool at_gzip_magic(const std::string& data, std::size_t pos) {
  return data.size() >= pos + 2 && static_cast<unsigned char>(data[pos]) == 0x1f &&
         static_cast<unsigned char>(data[pos + 1]) == 0x8b;
}

// Inflates gzip members from `reader` (whose first bytes are already in `pending`), one after
// another, applying the cap to the output as it grows.
std::string gunzip_stream(const std::string& path, ChunkReader& reader, std::string pending,
                          std::uint64_t cap) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) throw InputError(path + ": cannot initialise zlib");
  struct Cleanup {
    z_stream* zs;
    ~Cleanup() { inflateEnd(zs); }
  } cleanup{&zs};
  std::string out;
  std::size_t pos = 0;  // first byte of `pending` not yet given to zlib
  // Makes at least `want` unread bytes available in `pending` if the file has them.
  auto ensure = [&](std::size_t want) {
    while (pending.size() - pos < want) {
      if (pos > 0) {
        pending.erase(0, pos);
        pos = 0;
      }
      if (reader.append_to(pending) == 0) return false;
    }
    return true;
  };
  char buffer[1 << 16];
  for (;;) {  // one gzip member per iteration
    int rc = Z_OK;
    bool output_full = false;
    while (rc != Z_STREAM_END) {
      // With a full output buffer zlib may hold more output: call it again before reading on.
      if (!output_full && pos == pending.size() && !ensure(1))
        throw InputError(path + ": truncated gzip data");
      zs.next_in = reinterpret_cast<Bytef*>(pending.data() + pos);
      zs.avail_in = static_cast<uInt>(std::min<std::size_t>(pending.size() - pos, kReadChunk));
      zs.next_out = reinterpret_cast<Bytef*>(buffer);
      zs.avail_out = sizeof buffer;
      const uInt given = zs.avail_in;
      rc = inflate(&zs, Z_NO_FLUSH);
      pos += given - zs.avail_in;
      const std::size_t produced = sizeof buffer - zs.avail_out;
      output_full = zs.avail_out == 0;
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
        throw InputError(path + ": corrupt gzip data");
      if (cap > 0 && out.size() + produced > cap) over_cap(path, cap);
      const bool first_output = out.empty();
      out.append(buffer, produced);
      if (first_output) check_first_byte(path, out);
    }
    // End of a member: the file ends here, or another member follows.
    if (!ensure(1)) return out;
    if (!ensure(2) || !at_gzip_magic(pending, pos))
      throw InputError(path + ": unexpected data after the end of the gzip stream");
    if (inflateReset(&zs) != Z_OK) throw InputError(path + ": cannot initialise zlib");
  }
}

}  // namespace

std::string read_stream_maybe_gzip(std::istream& in, const std::string& source,
                                   std::uint64_t max_bytes) {
  ChunkReader reader(in, source);
  std::string data;
  reader.append_to(data);
  if (at_gzip_magic(data, 0)) return gunzip_stream(source, reader, std::move(data), max_bytes);
  check_first_byte(source, data);
  for (;;) {
    if (max_bytes > 0 && data.size() > max_bytes) over_cap(source, max_bytes);
    if (reader.append_to(data) == 0) break;
  }
  return data;
}

std::string read_file_maybe_gzip(const std::string& path, std::uint64_t max_bytes) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError(path + ": is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open file");
  // A regular file's size is known up front: one whose content is over the cap whether or not it
  // is gzipped (gzip's stored blocks add under 0.01 % plus headers) is refused unread.
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && max_bytes > 0 && size > max_bytes + max_bytes / 1000 + 4096) over_cap(path, max_bytes);
  return read_stream_maybe_gzip(in, path, max_bytes);
}

namespace {

// Writes all of `data` to an open descriptor; false on any error.
bool write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& bytes, bool compress) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const std::string payload = compress ? gzip(bytes) : std::string();
  const std::string& data = compress ? payload : bytes;
  // What the path names once the kernel has followed every link: /dev/stdout on a pipe is a
  // link to /proc/self/fd/1, whose "target" pipe:[N] is no path at all, so the device is opened
  // through the path as given and never resolved by name.
  const fs::file_status status = fs::status(path, ec);
  if (fs::is_directory(status)) throw OutputError(path + ": is a directory");
  if (fs::exists(status) && !fs::is_regular_file(status)) {
    // A device, FIFO or socket (e.g. /dev/stdout): write through it, never replace it.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw OutputError(path + ": cannot open for writing: " + std::strerror(errno));
    const bool ok = write_all(fd, data);
    ::close(fd);
    if (!ok) throw OutputError(path + ": write failed");
    return;
  }
  // A symlink to a file (or to a file still to be made) is followed: its target is replaced,
  // the link stays a link.
  fs::path target(path);
  if (fs::is_symlink(fs::symlink_status(path, ec))) {
    target = fs::weakly_canonical(path, ec);
    if (ec) throw OutputError(path + ": cannot resolve symbolic link: " + ec.message());
  }
  ec.clear();
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  if (!fs::is_directory(dir, ec))
    throw OutputError(path + ": folder " + dir.string() + " does not exist (create it first)");
  // A fresh temporary file in the same folder (so that rename is atomic), then rename.
  std::string tmp_name = target.filename().string();
  tmp_name.insert(0, 1, '.');
  tmp_name.append(".tmp-XXXXXX");
  std::string tmp = (dir / tmp_name).string();
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0)
    throw OutputError(path + ": cannot create a temporary file in " + dir.string() + ": " +
                      std::strerror(errno));
  const TempPathGuard killed_while_writing(tmp);
  // Keep an existing file's permissions; a new file gets the usual 0666 & ~umask.
  if (fs::exists(status)) {
    ::fchmod(fd, static_cast<mode_t>(status.permissions()));
  } else {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(fd, 0666 & ~mask);
  }
  const bool ok = write_all(fd, data) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    fs::remove(tmp, ec);
    throw OutputError(path + ": write failed");
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw OutputError(path + ": cannot replace file: " + ec.message());
  }
}

void check_output_file(const std::string& path) {
  namespace fs = std::filesystem;
  if (path.empty() || path == "-") return;
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);  // follows links
  if (fs::is_directory(status)) throw OutputError(path + ": is a directory");
  if (fs::exists(status) && !fs::is_regular_file(status)) return;  // a device or FIFO
  fs::path target(path);
  if (fs::is_symlink(fs::symlink_status(path, ec))) {
    target = fs::weakly_canonical(path, ec);
    if (ec) throw OutputError(path + ": cannot resolve symbolic link: " + ec.message());
  }
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  if (!fs::is_directory(dir, ec))
    throw OutputError(path + ": folder " + dir.string() + " does not exist (create it first)");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw OutputError(path + ": cannot write into folder " + dir.string() + ": " +
                      std::strerror(errno));
}

std::filesystem::path resolve_output_folder(const std::string& dir) {
  namespace fs = std::filesystem;
  std::string text = dir;
  while (text.size() > 1 && text.back() == '/') text.pop_back();
  if (text.empty()) throw InputError("output folder: empty name");
  if (text == "/") throw InputError(dir + ": the root folder cannot be an output folder");
  const fs::path given(text);
  const fs::path name = given.filename();
  const fs::path parent = given.parent_path().empty() ? fs::path(".") : given.parent_path();
  std::error_code ec;
  // The parent as the kernel sees it: realpath, never lexically_normal ("link/.." is the parent
  // of link's target, not ".").
  const fs::path real_parent = fs::canonical(parent, ec);
  if (ec || !fs::is_directory(real_parent, ec))
    throw OutputError(dir + ": folder " + parent.string() + " does not exist (create it first)");
  fs::path target = real_parent / name;
  if (name == "." || name == ".." || fs::is_symlink(fs::symlink_status(target, ec))) {
    target = fs::canonical(given, ec);
    if (ec) throw OutputError(dir + ": cannot resolve: " + ec.message());
    if (!target.has_relative_path())
      throw InputError(dir + ": the root folder cannot be an output folder");
  }
  return target;
}

bool path_is_inside(const std::string& path, const std::filesystem::path& folder) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path resolved = fs::weakly_canonical(fs::absolute(path, ec), ec);
  if (ec) return false;
  const fs::path base = fs::weakly_canonical(folder, ec);
  auto [b, p] = std::mismatch(base.begin(), base.end(), resolved.begin(), resolved.end());
  // A trailing empty element ("dir/") matches anything.
  return b == base.end() || (std::next(b) == base.end() && b->empty());
}

namespace {

// The registry behind TempPathGuard: fixed slots, so that a signal handler reads it without
// allocating or locking. A slot's path is written before `state` says it is ready.
constexpr int kTempSlots = 8;
struct TempSlot {
  std::atomic<int> state{0};  // 0 free, 1 being written, 2 ready
  pid_t owner = 0;            // forked children (MIP workers) inherit the handler, not the paths
  char path[4096] = {};
};
TempSlot g_temp_slots[kTempSlots];

// Removes the files of folder `path` and then the folder, or the file `path`.
void remove_temp_path(const char* path) noexcept {
  if (::unlink(path) == 0 || errno == ENOENT) return;
  const int fd = ::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd >= 0) {
    alignas(8) char buffer[4096];
    for (;;) {
      const long n = ::syscall(SYS_getdents64, fd, buffer, sizeof buffer);
      if (n <= 0) break;
      for (long at = 0; at < n;) {
        struct Entry {
          std::uint64_t ino;
          std::int64_t off;
          unsigned short reclen;
          unsigned char type;
          char name[1];
        };
        const auto* entry = reinterpret_cast<const Entry*>(buffer + at);
        const char* name = entry->name;
        if (!(name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))))
          ::unlinkat(fd, name, 0);
        at += entry->reclen;
      }
    }
    ::close(fd);
  }
  ::rmdir(path);
}

}  // namespace

TempPathGuard::TempPathGuard(const std::string& path) {
  if (path.size() >= sizeof(TempSlot::path)) return;
  for (int i = 0; i < kTempSlots; ++i) {
    int expected = 0;
    if (!g_temp_slots[i].state.compare_exchange_strong(expected, 1)) continue;
    g_temp_slots[i].owner = ::getpid();
    std::memcpy(g_temp_slots[i].path, path.c_str(), path.size() + 1);
    g_temp_slots[i].state.store(2);
    slot_ = i;
    return;
  }
}

TempPathGuard::~TempPathGuard() {
  if (slot_ >= 0) g_temp_slots[slot_].state.store(0);
}

void remove_registered_temp_paths() noexcept {
  const pid_t self = ::getpid();
  for (TempSlot& slot : g_temp_slots)
    if (slot.state.load() == 2 && slot.owner == self) remove_temp_path(slot.path);
}

bool temp_paths_registered() noexcept {
  const pid_t self = ::getpid();
  for (const TempSlot& slot : g_temp_slots)
    if (slot.state.load() == 2 && slot.owner == self) return true;
  return false;
}

bool same_file(const std::string& a, const std::string& b) {
  namespace fs = std::filesystem;
  std::error_code ec;
  return fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec);
}

void refuse_to_overwrite_inputs(const std::string& output, const std::vector<std::string>& inputs) {
  if (output.empty() || output == "-") return;
  for (const std::string& input : inputs)
    if (same_file(output, input))
      throw InputError(output + ": refusing to overwrite the input file " + input +
                       " with results");
}

}  // namespace pipecut
