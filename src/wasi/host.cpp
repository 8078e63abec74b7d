#include "wasi/host.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>

namespace wasipy::wasi::host {

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

Errno last_error() { return from_host_errno(errno); }

namespace {

constexpr int kMaxSymlinks = 40;  // Linux's own limit (MAXSYMLINKS)

std::atomic<ResolveMode> g_mode{ResolveMode::Auto};

int sys_openat2(int dirfd, const char* path, uint64_t flags, uint64_t resolve) {
  struct open_how how {};
  how.flags = flags;
  how.resolve = resolve;
  return int(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

bool probe_openat2() {
  int fd = sys_openat2(AT_FDCWD, ".", O_PATH | O_CLOEXEC, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
  if (fd < 0) return false;  // ENOSYS on old kernels, EPERM under some seccomp filters
  ::close(fd);
  return true;
}

std::vector<std::string> split(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

/// readlinkat into a string; errno set on failure.
std::expected<std::string, int> read_link(int dirfd, const char* name) {
  std::string buf(256, '\0');
  for (;;) {
    ssize_t n = ::readlinkat(dirfd, name, buf.data(), buf.size());
    if (n < 0) return std::unexpected(errno);
    if (size_t(n) < buf.size()) {
      buf.resize(size_t(n));
      return buf;
    }
    if (buf.size() > (1u << 20)) return std::unexpected(ENAMETOOLONG);
    buf.resize(buf.size() * 2);
  }
}

// The portable walk: open one component at a time with O_NOFOLLOW, holding an
// fd for every directory on the way, so a concurrent swap of a directory for
// a symlink is seen (and re-checked) rather than followed blindly.
std::expected<Resolved, Errno> resolve_walk(int base, std::string_view path, bool follow_last,
                                            bool trailing_slash) {
  std::deque<std::string> todo;
  for (auto& c : split(path)) todo.push_back(std::move(c));
  std::vector<UniqueFd> stack;  // directories beneath base; empty means base
  auto cur = [&] { return stack.empty() ? base : stack.back().get(); };
  auto result = [&](std::string name) {
    Resolved r;
    if (!stack.empty()) {
      r.owned = std::move(stack.back());
      r.dir = r.owned.get();
    } else {
      r.dir = base;
    }
    r.name = std::move(name);
    r.trailing_slash = trailing_slash;
    return r;
  };
  int links = 0;
  while (!todo.empty()) {
    std::string c = std::move(todo.front());
    todo.pop_front();
    if (c == ".") continue;
    if (c == "..") {
      if (stack.empty()) return std::unexpected(Errno::Notcapable);
      stack.pop_back();
      continue;
    }
    // "name/." and "name/.." make name a directory to walk into, not a leaf.
    bool last = todo.empty();
    if (last && !follow_last) return result(std::move(c));
    int fd = ::openat(cur(), c.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      if (last && errno == ENOENT) return result(std::move(c));  // about to be created
      return std::unexpected(last_error());
    }
    UniqueFd owned(fd);
    struct stat st;
    if (::fstat(fd, &st) != 0) return std::unexpected(last_error());
    if (S_ISLNK(st.st_mode)) {
      if (++links > kMaxSymlinks) return std::unexpected(Errno::Loop);
      auto target = read_link(fd, "");  // the link we hold, not whatever the name is now
      if (!target) return std::unexpected(from_host_errno(target.error()));
      if (target->empty()) return std::unexpected(Errno::Noent);
      if ((*target)[0] == '/') return std::unexpected(Errno::Notcapable);
      auto parts = split(*target);
      if (parts.empty()) parts.push_back(".");
      todo.insert(todo.begin(), parts.begin(), parts.end());
      continue;
    }
    if (last) return result(std::move(c));
    if (!S_ISDIR(st.st_mode)) return std::unexpected(Errno::Notdir);
    stack.push_back(std::move(owned));
  }
  return result(".");
}

// openat2 does the walk in the kernel (RESOLVE_BENEATH refuses "..", absolute
// and escaping symlinks at every step, race-free); only the last component's
// symlink, when it must be followed, is expanded here and resolved again.
std::expected<Resolved, Errno> resolve_openat2(int base, std::string_view path_in,
                                               bool follow_last, bool trailing_slash) {
  std::string path(path_in);
  int links = 0;
  for (;;) {
    auto parts = split(path);
    std::string name = parts.empty() ? "." : parts.back();
    std::string parent;
    bool whole_is_dir = name == "." || name == "..";
    size_t n = whole_is_dir ? parts.size() : parts.size() - 1;
    for (size_t i = 0; i < n; ++i) {
      if (!parent.empty()) parent += '/';
      parent += parts[i];
    }
    if (whole_is_dir) name = ".";
    Resolved r;
    r.trailing_slash = trailing_slash;
    r.name = name;
    if (parent.empty()) {
      r.dir = base;
    } else {
      int fd = -1;
      for (int attempt = 0; attempt < 16; ++attempt) {
        fd = sys_openat2(base, parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC,
                         RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
        if (fd >= 0 || errno != EAGAIN) break;  // EAGAIN: a concurrent rename; retry
      }
      if (fd < 0) {
        if (errno == EXDEV) return std::unexpected(Errno::Notcapable);
        return std::unexpected(last_error());
      }
      r.owned = UniqueFd(fd);
      r.dir = fd;
    }
    if (!follow_last || name == ".") return r;
    auto target = read_link(r.dir, name.c_str());
    if (!target) return r;  // not a symlink (EINVAL) or absent (ENOENT): the leaf itself
    if (++links > kMaxSymlinks) return std::unexpected(Errno::Loop);
    if (target->empty()) return std::unexpected(Errno::Noent);
    if ((*target)[0] == '/') return std::unexpected(Errno::Notcapable);
    path = parent.empty() ? *target : parent + "/" + *target;
  }
}

}  // namespace

bool openat2_available() {
  static const bool available = probe_openat2();
  return available;
}

void set_resolve_mode(ResolveMode mode) { g_mode = mode; }

namespace {
// WASIPY_WASI_RESOLVE=walk|openat2 forces a resolver for a whole run, so the
// golden programs can exercise both on a kernel that has openat2.
ResolveMode mode_from_env() {
  const char* v = std::getenv("WASIPY_WASI_RESOLVE");
  if (v && std::strcmp(v, "walk") == 0) return ResolveMode::Walk;
  if (v && std::strcmp(v, "openat2") == 0) return ResolveMode::Openat2;
  return ResolveMode::Auto;
}
}  // namespace

ResolveMode resolve_mode() {
  static const ResolveMode from_env = mode_from_env();
  ResolveMode m = g_mode;
  if (m == ResolveMode::Auto) m = from_env;
  if (m == ResolveMode::Auto) return openat2_available() ? ResolveMode::Openat2 : ResolveMode::Walk;
  if (m == ResolveMode::Openat2 && !openat2_available()) return ResolveMode::Walk;
  return m;
}

std::expected<Resolved, Errno> resolve(int base, std::string_view path, bool follow_last) {
  if (path.empty()) return std::unexpected(Errno::Noent);
  if (path.find('\0') != std::string_view::npos) return std::unexpected(Errno::Inval);
  if (path[0] == '/') return std::unexpected(Errno::Notcapable);
  bool trailing_slash = path.back() == '/';
  if (trailing_slash) follow_last = true;  // POSIX: "link/" names the link's target
  if (resolve_mode() == ResolveMode::Openat2)
    return resolve_openat2(base, path, follow_last, trailing_slash);
  return resolve_walk(base, path, follow_last, trailing_slash);
}

Filetype filetype_of(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return Filetype::RegularFile;
    case S_IFDIR: return Filetype::Directory;
    case S_IFLNK: return Filetype::SymbolicLink;
    case S_IFCHR: return Filetype::CharacterDevice;
    case S_IFBLK: return Filetype::BlockDevice;
    case S_IFSOCK: return Filetype::SocketStream;
    default: return Filetype::Unknown;  // FIFOs have no WASI filetype
  }
}

uint64_t to_ns(const struct timespec& ts) {
  return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

FileStat convert(const struct stat& st) {
  FileStat f;
  f.dev = st.st_dev;
  f.ino = st.st_ino;
  f.type = filetype_of(st.st_mode);
  f.nlink = st.st_nlink;
  f.size = uint64_t(st.st_size);
  f.atim = to_ns(st.st_atim);
  f.mtim = to_ns(st.st_mtim);
  f.ctim = to_ns(st.st_ctim);
  return f;
}

std::expected<std::vector<DirEntry>, Errno> list_directory(int fd) {
  if (::lseek(fd, 0, SEEK_SET) < 0) return std::unexpected(last_error());
  std::vector<DirEntry> out;
  alignas(8) char buf[16384];
  for (;;) {
    long n = ::syscall(SYS_getdents64, fd, buf, sizeof buf);
    if (n < 0) return std::unexpected(last_error());
    if (n == 0) break;
    for (long off = 0; off < n;) {
      struct linux_dirent64 {
        uint64_t d_ino;
        int64_t d_off;
        unsigned short d_reclen;
        unsigned char d_type;
        char d_name[];
      };
      auto* d = reinterpret_cast<linux_dirent64*>(buf + off);
      DirEntry e;
      e.ino = d->d_ino;
      e.name = d->d_name;
      switch (d->d_type) {
        case DT_REG: e.type = Filetype::RegularFile; break;
        case DT_DIR: e.type = Filetype::Directory; break;
        case DT_LNK: e.type = Filetype::SymbolicLink; break;
        case DT_CHR: e.type = Filetype::CharacterDevice; break;
        case DT_BLK: e.type = Filetype::BlockDevice; break;
        case DT_SOCK: e.type = Filetype::SocketStream; break;
        case DT_UNKNOWN: {
          struct stat st;
          if (::fstatat(fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
            e.type = filetype_of(st.st_mode);
          break;
        }
        default: e.type = Filetype::Unknown;
      }
      out.push_back(std::move(e));
      off += d->d_reclen;
    }
  }
  return out;
}

Errno random_fill(uint8_t* buf, size_t len) {
  while (len > 0) {
    ssize_t n = ::getrandom(buf, len, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return last_error();
    }
    buf += n;
    len -= size_t(n);
  }
  return Errno::Success;
}

}  // namespace wasipy::wasi::host
