#pragma once
// Linux calls behind WASI: sandboxed path resolution beneath a directory fd,
// stat and directory listing in WASI terms. Knows nothing of guest memory.
#include <sys/stat.h>

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wasi/abi_types.h"

namespace wasipy::wasi::host {

/// An owned host file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

/// The WASI errno for the current host `errno`.
Errno last_error();

/// How paths are resolved beneath a directory. Auto picks openat2 when the
/// kernel has it (probed once), unless WASIPY_WASI_RESOLVE=walk|openat2 says
/// otherwise; Walk is the portable component-by-component walk. Both refuse
/// the same escapes; tests force each in turn.
enum class ResolveMode { Auto, Openat2, Walk };
void set_resolve_mode(ResolveMode mode);
/// The mode in effect (never Auto).
ResolveMode resolve_mode();
bool openat2_available();

/// A path resolved to (directory, final name): operate on it with the *at
/// calls and AT_SYMLINK_NOFOLLOW / O_NOFOLLOW. `name` is never ".." and never
/// empty ("." when the path names the directory itself).
struct Resolved {
  UniqueFd owned;       ///< set when `dir` is not the base fd
  int dir = -1;
  std::string name;
  bool trailing_slash = false;  ///< the guest wrote "name/": it must be a directory
};

/// Resolves `path` beneath the directory `base` without ever leaving it:
/// absolute paths, ".." past `base`, and symlinks that are absolute or lead
/// outside fail with ENOTCAPABLE. Intermediate symlinks are always followed
/// (within the sandbox); the last one only when `follow_last`.
std::expected<Resolved, Errno> resolve(int base, std::string_view path, bool follow_last);

Filetype filetype_of(mode_t mode);
uint64_t to_ns(const struct timespec& ts);

struct FileStat {
  uint64_t dev = 0, ino = 0;
  Filetype type = Filetype::Unknown;
  uint64_t nlink = 0, size = 0, atim = 0, mtim = 0, ctim = 0;
};
FileStat convert(const struct stat& st);

struct DirEntry {
  uint64_t ino = 0;
  Filetype type = Filetype::Unknown;
  std::string name;
};
/// Every entry of the directory open at `fd` (including "." and ".."), in the
/// order the file system returns them.
std::expected<std::vector<DirEntry>, Errno> list_directory(int fd);

/// Fills `buf` with random bytes from the kernel.
Errno random_fill(uint8_t* buf, size_t len);

}  // namespace wasipy::wasi::host
