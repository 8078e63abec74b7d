#include "wasi/abi.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <utility>

namespace wasipy::wasi {

namespace {

using runtime::RawValue;
using runtime::Trap;

struct Ctx {
  State& s;
  GuestMemory& m;
};

// ---------------------------------------------------------------- helpers

std::expected<FdEntry*, Errno> entry(Ctx& c, uint32_t fd, uint64_t needed = 0) {
  FdEntry* e = c.s.fds.get(fd);
  if (!e) return std::unexpected(Errno::Badf);
  if ((e->rights_base & needed) != needed) {
    // Reading a write-only fd (or the reverse) is EBADF on POSIX too.
    if (needed & (rights::FdRead | rights::FdWrite)) return std::unexpected(Errno::Badf);
    return std::unexpected(Errno::Notcapable);
  }
  return e;
}

std::expected<FdEntry*, Errno> dir_entry(Ctx& c, uint32_t fd, uint64_t needed) {
  FdEntry* e = c.s.fds.get(fd);
  if (e && !e->is_dir()) return std::unexpected(Errno::Notdir);
  return entry(c, fd, needed);
}

/// The guest's iovec array as host iovecs; every buffer is bounds-checked.
std::expected<std::vector<iovec>, Errno> iovecs(GuestMemory& m, uint32_t ptr, uint32_t count) {
  if (!m.ok(ptr, uint64_t(count) * layout::kIovecSize)) return std::unexpected(Errno::Fault);
  std::vector<iovec> v;
  count = std::min<uint32_t>(count, IOV_MAX);  // the rest would be a short transfer anyway
  v.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t buf = *m.load<uint32_t>(ptr + i * 8);
    uint32_t len = *m.load<uint32_t>(ptr + i * 8 + 4);
    if (!m.ok(buf, len)) return std::unexpected(Errno::Fault);
    v.push_back(iovec{m.at(buf), len});
  }
  return v;
}

// Like Linux, one transfer moves at most this much, so the count fits a u32
// even when a guest lists the same buffer many times.
constexpr size_t kMaxTransfer = 0x7ffff000;

size_t total_len(const std::vector<iovec>& v) {
  size_t n = 0;
  for (auto& i : v) n += std::min(i.iov_len, kMaxTransfer - n);
  return n;
}

std::expected<size_t, Errno> device_read(Device d, const std::vector<iovec>& v) {
  if (d == Device::Null) return 0;
  size_t n = 0;
  for (auto& i : v) {
    auto* p = static_cast<uint8_t*>(i.iov_base);
    size_t len = std::min(i.iov_len, kMaxTransfer - n);
    if (d == Device::Zero) {
      std::memset(p, 0, len);
    } else if (Errno e = host::random_fill(p, len); e != Errno::Success) {
      return std::unexpected(e);
    }
    n += len;
  }
  return n;
}

bool path_has_nul(std::string_view p) { return p.find('\0') != std::string_view::npos; }

/// Looks up a path inside the virtual /dev: nullopt is the directory itself.
std::expected<std::optional<Device>, Errno> dev_lookup(std::string_view path) {
  if (path.empty()) return std::unexpected(Errno::Noent);
  if (path[0] == '/') return std::unexpected(Errno::Notcapable);
  // /dev is one level deep: anything after a device's name ("null/x",
  // "null/..") is ENOTDIR, as on Linux; ".." from /dev itself leaves the mount.
  std::optional<Device> d;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = std::min(path.find('/', i), path.size());
    std::string_view c = path.substr(i, j - i);
    i = j + 1;
    if (c.empty()) continue;
    if (d) return std::unexpected(Errno::Notdir);
    if (c == ".") continue;
    if (c == "..") return std::unexpected(Errno::Notcapable);
    if (c == "null") d = Device::Null;
    else if (c == "zero") d = Device::Zero;
    else if (c == "urandom") d = Device::Urandom;
    else return std::unexpected(Errno::Noent);
  }
  if (d && path.back() == '/') return std::unexpected(Errno::Notdir);
  return d;
}

host::FileStat device_stat(const FdEntry& e) {
  host::FileStat st;
  st.dev = 0;
  st.nlink = 1;
  if (e.kind == FdEntry::Kind::DevDir) {
    st.ino = 1;
    st.type = Filetype::Directory;
    st.nlink = 2;
  } else {
    st.ino = 2 + uint64_t(e.device);
    st.type = Filetype::CharacterDevice;
  }
  return st;
}

bool store_filestat(GuestMemory& m, uint32_t p, const host::FileStat& st) {
  if (!m.ok(p, layout::kFilestatSize)) return false;
  std::memset(m.at(p), 0, layout::kFilestatSize);
  m.store<uint64_t>(p + 0, st.dev);
  m.store<uint64_t>(p + 8, st.ino);
  m.store<uint8_t>(p + 16, uint8_t(st.type));
  m.store<uint64_t>(p + 24, st.nlink);
  m.store<uint64_t>(p + 32, st.size);
  m.store<uint64_t>(p + 40, st.atim);
  m.store<uint64_t>(p + 48, st.mtim);
  m.store<uint64_t>(p + 56, st.ctim);
  return true;
}

/// The two timespecs of futimens/utimensat from WASI's (atim, mtim, fstflags).
std::expected<std::array<timespec, 2>, Errno> times_of(uint64_t atim, uint64_t mtim, uint32_t flags) {
  if (flags & ~0xFu) return std::unexpected(Errno::Inval);
  if ((flags & fstflags::Atim) && (flags & fstflags::AtimNow)) return std::unexpected(Errno::Inval);
  if ((flags & fstflags::Mtim) && (flags & fstflags::MtimNow)) return std::unexpected(Errno::Inval);
  auto one = [](bool set, bool now, uint64_t ns) {
    timespec t{};
    if (now) t.tv_nsec = UTIME_NOW;
    else if (set) t = timespec{time_t(ns / 1'000'000'000), long(ns % 1'000'000'000)};
    else t.tv_nsec = UTIME_OMIT;
    return t;
  };
  return std::array<timespec, 2>{one(flags & fstflags::Atim, flags & fstflags::AtimNow, atim),
                                 one(flags & fstflags::Mtim, flags & fstflags::MtimNow, mtim)};
}

std::optional<clockid_t> host_clock(uint32_t id) {
  switch (ClockId(id)) {
    case ClockId::Realtime: return CLOCK_REALTIME;
    case ClockId::Monotonic: return CLOCK_MONOTONIC;
    case ClockId::ProcessCputime: return CLOCK_PROCESS_CPUTIME_ID;
    case ClockId::ThreadCputime: return CLOCK_THREAD_CPUTIME_ID;
  }
  return std::nullopt;
}

uint64_t now_ns(clockid_t clock) {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return host::to_ns(ts);
}

/// An early return that fits both `Errno` and `std::expected<T, Errno>` callers.
struct Fail {
  Errno e;
  operator Errno() const { return e; }
  template <class T>
  operator std::expected<T, Errno>() const {
    return std::unexpected(e);
  }
};

// Unwraps an expected, or returns its errno from the enclosing call.
#define TRY(expr)                  \
  ({                               \
    auto _r = (expr);              \
    if (!_r) return Fail{_r.error()}; \
    std::move(*_r);                \
  })

#define CHECK_PTR(addr, len) \
  if (!c.m.ok((addr), (len))) return Errno::Fault

// ---------------------------------------------------------------- args, environ

Errno strings_sizes(Ctx& c, const std::vector<std::string>& v, uint32_t count_ptr, uint32_t size_ptr) {
  CHECK_PTR(count_ptr, 4);
  CHECK_PTR(size_ptr, 4);
  uint64_t size = 0;
  for (auto& s : v) size += s.size() + 1;
  if (size > UINT32_MAX) return Errno::Overflow;
  c.m.store<uint32_t>(count_ptr, uint32_t(v.size()));
  c.m.store<uint32_t>(size_ptr, uint32_t(size));
  return Errno::Success;
}

Errno strings_get(Ctx& c, const std::vector<std::string>& v, uint32_t ptrs, uint32_t buf) {
  uint64_t size = 0;
  for (auto& s : v) size += s.size() + 1;
  CHECK_PTR(ptrs, uint64_t(v.size()) * 4);
  CHECK_PTR(buf, size);
  uint32_t at = buf;
  for (size_t i = 0; i < v.size(); ++i) {
    c.m.store<uint32_t>(ptrs + uint32_t(i) * 4, at);
    std::memcpy(c.m.at(at), v[i].data(), v[i].size());
    *c.m.at(at + uint32_t(v[i].size())) = 0;
    at += uint32_t(v[i].size()) + 1;
  }
  return Errno::Success;
}

Errno args_get(Ctx& c, uint32_t argv, uint32_t buf) { return strings_get(c, c.s.args, argv, buf); }
Errno args_sizes_get(Ctx& c, uint32_t argc, uint32_t size) {
  return strings_sizes(c, c.s.args, argc, size);
}
Errno environ_get(Ctx& c, uint32_t env, uint32_t buf) { return strings_get(c, c.s.env, env, buf); }
Errno environ_sizes_get(Ctx& c, uint32_t count, uint32_t size) {
  return strings_sizes(c, c.s.env, count, size);
}

// ---------------------------------------------------------------- clocks, random, sched

Errno clock_res_get(Ctx& c, uint32_t id, uint32_t out) {
  auto clock = host_clock(id);
  if (!clock) return Errno::Inval;
  CHECK_PTR(out, 8);
  timespec ts{};
  if (::clock_getres(*clock, &ts) != 0) return host::last_error();
  c.m.store<uint64_t>(out, host::to_ns(ts));
  return Errno::Success;
}

Errno clock_time_get(Ctx& c, uint32_t id, uint64_t /*precision*/, uint32_t out) {
  auto clock = host_clock(id);
  if (!clock) return Errno::Inval;
  CHECK_PTR(out, 8);
  timespec ts{};
  if (::clock_gettime(*clock, &ts) != 0) return host::last_error();
  c.m.store<uint64_t>(out, host::to_ns(ts));
  return Errno::Success;
}

Errno random_get(Ctx& c, uint32_t buf, uint32_t len) {
  CHECK_PTR(buf, len);
  return host::random_fill(c.m.at(buf), len);
}

Errno sched_yield_(Ctx&) {
  ::sched_yield();
  return Errno::Success;
}

Errno proc_raise(Ctx&, uint32_t) { return Errno::Nosys; }

// ---------------------------------------------------------------- fd calls

Errno fd_advise(Ctx& c, uint32_t fd, uint64_t offset, uint64_t len, uint32_t advice) {
  FdEntry* e = TRY(entry(c, fd, rights::FdAdvise));
  if (advice > uint32_t(Advice::Noreuse)) return Errno::Inval;
  if (e->kind != FdEntry::Kind::Host) return Errno::Success;
  if (e->is_dir()) return Errno::Badf;
  static constexpr int kAdvice[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                                    POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED,   POSIX_FADV_NOREUSE};
  if (offset > INT64_MAX || len > INT64_MAX) return Errno::Inval;
  int r = ::posix_fadvise(e->fd.get(), off_t(offset), off_t(len), kAdvice[advice]);
  return from_host_errno(r);
}

Errno fd_allocate(Ctx& c, uint32_t fd, uint64_t offset, uint64_t len) {
  FdEntry* e = TRY(entry(c, fd, rights::FdAllocate));
  if (e->read_only) return Errno::Rofs;
  if (e->kind != FdEntry::Kind::Host) return Errno::Success;
  if (e->is_dir()) return Errno::Badf;
  if (offset > INT64_MAX || len > INT64_MAX || len == 0) return Errno::Inval;
  return from_host_errno(::posix_fallocate(e->fd.get(), off_t(offset), off_t(len)));
}

Errno fd_close(Ctx& c, uint32_t fd) { return c.s.fds.close(fd); }

Errno fd_datasync(Ctx& c, uint32_t fd) {
  FdEntry* e = TRY(entry(c, fd, rights::FdDatasync));
  if (e->kind != FdEntry::Kind::Host) return Errno::Success;
  return ::fdatasync(e->fd.get()) == 0 ? Errno::Success : host::last_error();
}

Errno fd_sync(Ctx& c, uint32_t fd) {
  FdEntry* e = TRY(entry(c, fd, rights::FdSync));
  if (e->kind != FdEntry::Kind::Host) return Errno::Success;
  return ::fsync(e->fd.get()) == 0 ? Errno::Success : host::last_error();
}

uint16_t fdflags_of_host(int fl) {
  uint16_t f = 0;
  if (fl & O_APPEND) f |= fdflags::Append;
  if (fl & O_NONBLOCK) f |= fdflags::Nonblock;
  if ((fl & O_SYNC) == O_SYNC) f |= fdflags::Sync;  // O_RSYNC is O_SYNC on Linux: not told apart
  else if (fl & O_DSYNC) f |= fdflags::Dsync;
  return f;
}

Errno fd_fdstat_get(Ctx& c, uint32_t fd, uint32_t out) {
  FdEntry* e = TRY(entry(c, fd));
  CHECK_PTR(out, layout::kFdstatSize);
  uint16_t flags = e->device_flags;
  if (e->kind == FdEntry::Kind::Host) {
    int fl = ::fcntl(e->fd.get(), F_GETFL);
    if (fl < 0) return host::last_error();
    flags = fdflags_of_host(fl);
  }
  std::memset(c.m.at(out), 0, layout::kFdstatSize);
  c.m.store<uint8_t>(out, uint8_t(e->type));
  c.m.store<uint16_t>(out + 2, flags);
  c.m.store<uint64_t>(out + 8, e->rights_base);
  c.m.store<uint64_t>(out + 16, e->rights_inheriting);
  return Errno::Success;
}

Errno fd_fdstat_set_flags(Ctx& c, uint32_t fd, uint32_t flags) {
  FdEntry* e = TRY(entry(c, fd, rights::FdFdstatSetFlags));
  if (flags & ~0x1Fu) return Errno::Inval;
  if (e->kind != FdEntry::Kind::Host) {
    e->device_flags = uint16_t(flags);
    return Errno::Success;
  }
  int fl = ::fcntl(e->fd.get(), F_GETFL);
  if (fl < 0) return host::last_error();
  // Linux cannot change the sync flags of an open file; only keeping them is allowed.
  auto sync_level = [](uint32_t f) -> uint32_t {
    return (f & (fdflags::Sync | fdflags::Rsync)) ? fdflags::Sync : (f & fdflags::Dsync);
  };
  if (sync_level(flags) != sync_level(fdflags_of_host(fl))) return Errno::Notsup;
  if (e->read_only && (flags & fdflags::Append)) return Errno::Rofs;
  fl &= ~(O_APPEND | O_NONBLOCK);
  if (flags & fdflags::Append) fl |= O_APPEND;
  if (flags & fdflags::Nonblock) fl |= O_NONBLOCK;
  return ::fcntl(e->fd.get(), F_SETFL, fl) == 0 ? Errno::Success : host::last_error();
}

Errno fd_fdstat_set_rights(Ctx& c, uint32_t fd, uint64_t base, uint64_t inheriting) {
  FdEntry* e = TRY(entry(c, fd));
  // Rights can only be dropped, never gained.
  if ((base & ~e->rights_base) || (inheriting & ~e->rights_inheriting)) return Errno::Notcapable;
  e->rights_base = base;
  e->rights_inheriting = inheriting;
  return Errno::Success;
}

Errno fd_filestat_get(Ctx& c, uint32_t fd, uint32_t out) {
  FdEntry* e = TRY(entry(c, fd, rights::FdFilestatGet));
  CHECK_PTR(out, layout::kFilestatSize);
  host::FileStat st;
  if (e->kind == FdEntry::Kind::Host) {
    struct stat s;
    if (::fstat(e->fd.get(), &s) != 0) return host::last_error();
    st = host::convert(s);
  } else {
    st = device_stat(*e);
  }
  store_filestat(c.m, out, st);
  return Errno::Success;
}

Errno fd_filestat_set_size(Ctx& c, uint32_t fd, uint64_t size) {
  FdEntry* e = TRY(entry(c, fd, rights::FdFilestatSetSize));
  if (e->read_only) return Errno::Rofs;
  if (e->kind != FdEntry::Kind::Host) return Errno::Inval;
  if (size > INT64_MAX) return Errno::Fbig;
  return ::ftruncate(e->fd.get(), off_t(size)) == 0 ? Errno::Success : host::last_error();
}

Errno fd_filestat_set_times(Ctx& c, uint32_t fd, uint64_t atim, uint64_t mtim, uint32_t flags) {
  FdEntry* e = TRY(entry(c, fd, rights::FdFilestatSetTimes));
  auto ts = TRY(times_of(atim, mtim, flags));
  if (e->read_only) return Errno::Rofs;
  if (e->kind != FdEntry::Kind::Host) return Errno::Success;
  return ::futimens(e->fd.get(), ts.data()) == 0 ? Errno::Success : host::last_error();
}

// fd_read, fd_write, fd_pread and fd_pwrite differ only in the rights they
// need, whether they take an offset, and the host call: everything else —
// the result pointer, the iovecs, virtual devices, EINTR — is here once.
enum class Transfer { Read, Write };

template <class HostCall>
Errno transfer(Ctx& c, uint32_t fd, uint64_t needed, Transfer dir, uint32_t iovs, uint32_t iovs_len,
               std::optional<uint64_t> offset, uint32_t count_out, HostCall host_call) {
  FdEntry* e = TRY(entry(c, fd, needed));
  CHECK_PTR(count_out, 4);
  auto v = TRY(iovecs(c.m, iovs, iovs_len));
  if (offset && *offset > INT64_MAX) return Errno::Inval;
  size_t n;
  if (e->kind == FdEntry::Kind::Device) {
    // Devices swallow writes whole; reads come from the device.
    n = dir == Transfer::Write ? total_len(v) : TRY(device_read(e->device, v));
  } else if (e->kind == FdEntry::Kind::DevDir) {
    return Errno::Isdir;
  } else {
    ssize_t r;
    do r = host_call(e->fd.get(), v.data(), int(v.size()), off_t(offset.value_or(0)));
    while (r < 0 && errno == EINTR);
    if (r < 0) return host::last_error();
    n = size_t(r);
  }
  c.m.store<uint32_t>(count_out, uint32_t(n));
  return Errno::Success;
}

Errno fd_pread(Ctx& c, uint32_t fd, uint32_t iovs, uint32_t iovs_len, uint64_t offset, uint32_t nread) {
  return transfer(c, fd, rights::FdRead | rights::FdSeek, Transfer::Read, iovs, iovs_len, offset, nread, ::preadv);
}

Errno fd_pwrite(Ctx& c, uint32_t fd, uint32_t iovs, uint32_t iovs_len, uint64_t offset, uint32_t nwritten) {
  return transfer(c, fd, rights::FdWrite | rights::FdSeek, Transfer::Write, iovs, iovs_len, offset, nwritten,
                  ::pwritev);
}

Errno fd_read(Ctx& c, uint32_t fd, uint32_t iovs, uint32_t iovs_len, uint32_t nread) {
  return transfer(c, fd, rights::FdRead, Transfer::Read, iovs, iovs_len, std::nullopt, nread,
                  [](int f, const iovec* v, int n, off_t) { return ::readv(f, v, n); });
}

Errno fd_write(Ctx& c, uint32_t fd, uint32_t iovs, uint32_t iovs_len, uint32_t nwritten) {
  return transfer(c, fd, rights::FdWrite, Transfer::Write, iovs, iovs_len, std::nullopt, nwritten,
                  [](int f, const iovec* v, int n, off_t) { return ::writev(f, v, n); });
}

Errno fd_prestat_get(Ctx& c, uint32_t fd, uint32_t out) {
  FdEntry* e = TRY(entry(c, fd));
  if (!e->preopen) return Errno::Badf;
  CHECK_PTR(out, layout::kPrestatSize);
  std::memset(c.m.at(out), 0, layout::kPrestatSize);
  c.m.store<uint8_t>(out, 0);  // preopentype::dir
  c.m.store<uint32_t>(out + 4, uint32_t(e->preopen->size()));
  return Errno::Success;
}

Errno fd_prestat_dir_name(Ctx& c, uint32_t fd, uint32_t path, uint32_t path_len) {
  FdEntry* e = TRY(entry(c, fd));
  if (!e->preopen) return Errno::Badf;
  if (path_len < e->preopen->size()) return Errno::Nametoolong;
  CHECK_PTR(path, e->preopen->size());
  std::memcpy(c.m.at(path), e->preopen->data(), e->preopen->size());
  return Errno::Success;
}

Errno fd_readdir(Ctx& c, uint32_t fd, uint32_t buf, uint32_t buf_len, uint64_t cookie, uint32_t bufused) {
  FdEntry* e = TRY(dir_entry(c, fd, rights::FdReaddir));
  CHECK_PTR(buf, buf_len);
  CHECK_PTR(bufused, 4);
  if (cookie == 0 || !e->listing_valid) {
    if (e->kind == FdEntry::Kind::DevDir) {
      e->listing = {{1, Filetype::Directory, "."},
                    {1, Filetype::Directory, ".."},
                    {2, Filetype::CharacterDevice, "null"},
                    {3, Filetype::CharacterDevice, "zero"},
                    {4, Filetype::CharacterDevice, "urandom"}};
    } else {
      e->listing = TRY(host::list_directory(e->fd.get()));
      if (e->preopen) {
        // A mount's ".." lies outside the sandbox: show it as the root itself.
        uint64_t self = 0;
        for (auto& d : e->listing)
          if (d.name == ".") self = d.ino;
        for (auto& d : e->listing)
          if (d.name == "..") d.ino = self;
      }
    }
    e->listing_valid = true;
  }
  uint32_t used = 0;
  for (uint64_t i = cookie; i < e->listing.size() && used < buf_len; ++i) {
    const auto& d = e->listing[i];
    uint8_t head[layout::kDirentSize] = {};
    uint64_t next = i + 1;
    uint32_t namlen = uint32_t(d.name.size());
    std::memcpy(head + 0, &next, 8);
    std::memcpy(head + 8, &d.ino, 8);
    std::memcpy(head + 16, &namlen, 4);
    head[20] = uint8_t(d.type);
    // Entries that do not fit are cut off; the guest sees a full buffer and
    // asks again with a bigger one, from this entry's cookie.
    uint32_t n = std::min(uint32_t(sizeof head), buf_len - used);
    std::memcpy(c.m.at(buf + used), head, n);
    used += n;
    n = std::min(namlen, buf_len - used);
    std::memcpy(c.m.at(buf + used), d.name.data(), n);
    used += n;
  }
  c.m.store<uint32_t>(bufused, used);
  return Errno::Success;
}

Errno fd_renumber(Ctx& c, uint32_t from, uint32_t to) { return c.s.fds.renumber(from, to); }

Errno seek(Ctx& c, uint32_t fd, int64_t offset, uint32_t whence, uint32_t out, uint64_t right) {
  FdEntry* e = TRY(entry(c, fd, right));
  CHECK_PTR(out, 8);
  static constexpr int kWhence[] = {SEEK_SET, SEEK_CUR, SEEK_END};
  if (whence > 2) return Errno::Inval;
  uint64_t pos = 0;
  if (e->kind == FdEntry::Kind::Host) {
    off_t r = ::lseek(e->fd.get(), off_t(offset), kWhence[whence]);
    if (r < 0) return host::last_error();
    pos = uint64_t(r);
  }
  c.m.store<uint64_t>(out, pos);
  return Errno::Success;
}

Errno fd_seek(Ctx& c, uint32_t fd, uint64_t offset, uint32_t whence, uint32_t out) {
  // Asking where we are needs only fd_tell.
  uint64_t right = (whence == uint32_t(Whence::Cur) && offset == 0) ? rights::FdTell : rights::FdSeek;
  return seek(c, fd, std::bit_cast<int64_t>(offset), whence, out, right);
}

Errno fd_tell(Ctx& c, uint32_t fd, uint32_t out) {
  return seek(c, fd, 0, uint32_t(Whence::Cur), out, rights::FdTell);
}

// ---------------------------------------------------------------- path calls

/// A guest path under the directory fd `fd`, resolved in the sandbox.
struct PathArg {
  FdEntry* dir;
  std::string_view path;
};

std::expected<PathArg, Errno> path_arg(Ctx& c, uint32_t fd, uint64_t right, uint32_t ptr, uint32_t len) {
  FdEntry* dir = TRY(dir_entry(c, fd, right));
  std::string_view path = TRY(c.m.string(ptr, len));
  if (path_has_nul(path)) return std::unexpected(Errno::Inval);
  return PathArg{dir, path};
}

std::expected<host::Resolved, Errno> resolve(const PathArg& p, bool follow) {
  return host::resolve(p.dir->fd.get(), p.path, follow);
}

Errno path_create_directory(Ctx& c, uint32_t fd, uint32_t path, uint32_t path_len) {
  PathArg p = TRY(path_arg(c, fd, rights::PathCreateDirectory, path, path_len));
  if (p.dir->read_only) return Errno::Rofs;
  auto r = TRY(resolve(p, false));
  return ::mkdirat(r.dir, r.name.c_str(), 0777) == 0 ? Errno::Success : host::last_error();
}

Errno path_filestat_get(Ctx& c, uint32_t fd, uint32_t flags, uint32_t path, uint32_t path_len, uint32_t out) {
  PathArg p = TRY(path_arg(c, fd, rights::PathFilestatGet, path, path_len));
  CHECK_PTR(out, layout::kFilestatSize);
  if (p.dir->kind == FdEntry::Kind::DevDir) {
    auto d = TRY(dev_lookup(p.path));
    FdEntry tmp;
    tmp.kind = d ? FdEntry::Kind::Device : FdEntry::Kind::DevDir;
    tmp.device = d.value_or(Device::Null);
    store_filestat(c.m, out, device_stat(tmp));
    return Errno::Success;
  }
  auto r = TRY(resolve(p, flags & kLookupSymlinkFollow));
  struct stat st;
  if (::fstatat(r.dir, r.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return host::last_error();
  if (r.trailing_slash && !S_ISDIR(st.st_mode)) return Errno::Notdir;
  store_filestat(c.m, out, host::convert(st));
  return Errno::Success;
}

Errno path_filestat_set_times(Ctx& c, uint32_t fd, uint32_t flags, uint32_t path, uint32_t path_len,
                              uint64_t atim, uint64_t mtim, uint32_t fst) {
  PathArg p = TRY(path_arg(c, fd, rights::PathFilestatSetTimes, path, path_len));
  auto ts = TRY(times_of(atim, mtim, fst));
  if (p.dir->read_only) return Errno::Rofs;
  auto r = TRY(resolve(p, flags & kLookupSymlinkFollow));
  return ::utimensat(r.dir, r.name.c_str(), ts.data(), AT_SYMLINK_NOFOLLOW) == 0 ? Errno::Success
                                                                                 : host::last_error();
}

Errno path_link(Ctx& c, uint32_t old_fd, uint32_t old_flags, uint32_t old_path, uint32_t old_len,
                uint32_t new_fd, uint32_t new_path, uint32_t new_len) {
  PathArg o = TRY(path_arg(c, old_fd, rights::PathLinkSource, old_path, old_len));
  PathArg n = TRY(path_arg(c, new_fd, rights::PathLinkTarget, new_path, new_len));
  if (o.dir->read_only || n.dir->read_only) return Errno::Rofs;
  auto ro = TRY(resolve(o, old_flags & kLookupSymlinkFollow));
  auto rn = TRY(resolve(n, false));
  if (::linkat(ro.dir, ro.name.c_str(), rn.dir, rn.name.c_str(), 0) != 0) return host::last_error();
  return Errno::Success;
}

Errno open_device(Ctx& c, FdEntry& dir, std::string_view path, uint32_t oflags, uint64_t base,
                  uint64_t inheriting, uint32_t fdflags_, uint32_t out) {
  auto found = dev_lookup(path);
  // Nothing can be created in the virtual /dev: it is read-only.
  if (!found && found.error() == Errno::Noent && (oflags & oflags::Creat)) return Errno::Rofs;
  auto d = TRY(found);
  if ((oflags & oflags::Creat) && (oflags & oflags::Excl)) return Errno::Exist;
  FdEntry e;
  if (d) {
    if (oflags & oflags::Directory) return Errno::Notdir;
    e.kind = FdEntry::Kind::Device;
    e.device = *d;
    e.type = Filetype::CharacterDevice;
    e.rights_base = base & dir.rights_inheriting & ~rights::DirectoryOnly;
    e.rights_inheriting = 0;
  } else {
    if (base & rights::FdWrite) return Errno::Isdir;
    e.kind = FdEntry::Kind::DevDir;
    e.type = Filetype::Directory;
    e.rights_base = base & dir.rights_inheriting;
    e.rights_inheriting = inheriting & dir.rights_inheriting;
    e.read_only = true;
  }
  e.device_flags = uint16_t(fdflags_);
  uint32_t n = TRY(c.s.fds.insert(std::move(e)));
  c.m.store<uint32_t>(out, n);
  return Errno::Success;
}

Errno path_open(Ctx& c, uint32_t fd, uint32_t dirflags, uint32_t path, uint32_t path_len, uint32_t of,
                uint64_t base, uint64_t inheriting, uint32_t ff, uint32_t out) {
  FdEntry* dir = TRY(dir_entry(c, fd, rights::PathOpen));
  if (of & ~0xFu) return Errno::Inval;
  if (ff & ~0x1Fu) return Errno::Inval;
  if ((of & oflags::Creat) && !(dir->rights_base & rights::PathCreateFile)) return Errno::Notcapable;
  if ((of & oflags::Trunc) && !(dir->rights_base & rights::PathFilestatSetSize))
    return Errno::Notcapable;
  CHECK_PTR(out, 4);
  std::string_view p = TRY(c.m.string(path, path_len));
  if (path_has_nul(p)) return Errno::Inval;
  if (dir->kind == FdEntry::Kind::DevDir)
    return open_device(c, *dir, p, of, base, inheriting, ff, out);

  bool read = base & (rights::FdRead | rights::FdReaddir);
  bool write = (base & rights::Writing) && !(of & oflags::Directory);
  if (dir->read_only && (write || (of & oflags::Trunc))) return Errno::Rofs;

  auto r = TRY(host::resolve(dir->fd.get(), p, dirflags & kLookupSymlinkFollow));
  if (r.trailing_slash && (of & oflags::Creat)) {
    // "name/" cannot be created as a file: Linux says EISDIR (ENOTDIR for a
    // file), which Python's shutil turns into FileNotFoundError.
    struct stat st;
    if (::fstatat(r.dir, r.name.c_str(), &st, 0) == 0 && !S_ISDIR(st.st_mode)) return Errno::Notdir;
    return Errno::Isdir;
  }
  // On a read-only mount O_CREAT may still open a file that exists (POSIX:
  // EROFS only "if the file does not exist"); it never creates one.
  bool ro_create = dir->read_only && (of & oflags::Creat);
  if (ro_create && (of & oflags::Excl)) {
    struct stat st;
    return ::fstatat(r.dir, r.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 ? Errno::Exist : Errno::Rofs;
  }
  int flags = O_CLOEXEC | O_NOFOLLOW | O_NOCTTY;
  flags |= write ? (read ? O_RDWR : O_WRONLY) : O_RDONLY;
  if ((of & oflags::Directory) || r.trailing_slash) flags |= O_DIRECTORY;
  if ((of & oflags::Creat) && !ro_create) flags |= O_CREAT;
  if (of & oflags::Excl) flags |= O_EXCL;
  if (of & oflags::Trunc) flags |= O_TRUNC;
  if (ff & fdflags::Append) flags |= O_APPEND;
  if (ff & fdflags::Nonblock) flags |= O_NONBLOCK;
  if (ff & fdflags::Dsync) flags |= O_DSYNC;
  if (ff & (fdflags::Sync | fdflags::Rsync)) flags |= O_SYNC;
  int h = ::openat(r.dir, r.name.c_str(), flags, 0666);
  if (h < 0) {
    if (ro_create && errno == ENOENT) return Errno::Rofs;
    // O_NOFOLLOW on a symlink: ELOOP, except with O_DIRECTORY where Linux says ENOTDIR.
    return host::last_error();
  }
  host::UniqueFd owned(h);
  struct stat st;
  if (::fstat(h, &st) != 0) return host::last_error();
  FdEntry e;
  e.kind = FdEntry::Kind::Host;
  e.fd = std::move(owned);
  e.type = host::filetype_of(st.st_mode);
  e.rights_base = base & dir->rights_inheriting;
  if (!e.is_dir()) e.rights_base &= ~rights::DirectoryOnly;
  if (::isatty(h)) e.rights_base &= ~(rights::FdSeek | rights::FdTell);  // see stdio_entry
  e.rights_inheriting = inheriting & dir->rights_inheriting;
  e.read_only = dir->read_only;
  uint32_t n = TRY(c.s.fds.insert(std::move(e)));
  c.m.store<uint32_t>(out, n);
  return Errno::Success;
}

Errno path_readlink(Ctx& c, uint32_t fd, uint32_t path, uint32_t path_len, uint32_t buf, uint32_t buf_len,
                    uint32_t bufused) {
  PathArg p = TRY(path_arg(c, fd, rights::PathReadlink, path, path_len));
  CHECK_PTR(buf, buf_len);
  CHECK_PTR(bufused, 4);
  if (p.dir->kind == FdEntry::Kind::DevDir) {
    (void)TRY(dev_lookup(p.path));
    return Errno::Inval;  // nothing in /dev is a link
  }
  auto r = TRY(resolve(p, false));
  std::string target(4096, '\0');
  ssize_t n = ::readlinkat(r.dir, r.name.c_str(), target.data(), target.size());
  if (n < 0) return host::last_error();
  // A short buffer gets the start of the target, as readlink(2) does.
  uint32_t len = std::min(uint32_t(n), buf_len);
  std::memcpy(c.m.at(buf), target.data(), len);
  c.m.store<uint32_t>(bufused, len);
  return Errno::Success;
}

Errno path_remove_directory(Ctx& c, uint32_t fd, uint32_t path, uint32_t path_len) {
  PathArg p = TRY(path_arg(c, fd, rights::PathRemoveDirectory, path, path_len));
  if (p.dir->read_only) return Errno::Rofs;
  auto r = TRY(resolve(p, false));
  return ::unlinkat(r.dir, r.name.c_str(), AT_REMOVEDIR) == 0 ? Errno::Success : host::last_error();
}

Errno path_rename(Ctx& c, uint32_t fd, uint32_t old_path, uint32_t old_len, uint32_t new_fd,
                  uint32_t new_path, uint32_t new_len) {
  PathArg o = TRY(path_arg(c, fd, rights::PathRenameSource, old_path, old_len));
  PathArg n = TRY(path_arg(c, new_fd, rights::PathRenameTarget, new_path, new_len));
  if (o.dir->read_only || n.dir->read_only) return Errno::Rofs;
  auto ro = TRY(resolve(o, false));
  auto rn = TRY(resolve(n, false));
  return ::renameat(ro.dir, ro.name.c_str(), rn.dir, rn.name.c_str()) == 0 ? Errno::Success
                                                                           : host::last_error();
}

Errno path_symlink(Ctx& c, uint32_t old_path, uint32_t old_len, uint32_t fd, uint32_t new_path,
                   uint32_t new_len) {
  std::string_view target = TRY(c.m.string(old_path, old_len));
  PathArg n = TRY(path_arg(c, fd, rights::PathSymlink, new_path, new_len));
  if (path_has_nul(target)) return Errno::Inval;
  if (n.dir->read_only) return Errno::Rofs;
  // path-resolution.md: creating a symlink to an absolute path is "not permitted".
  if (!target.empty() && target[0] == '/') return Errno::Perm;
  auto r = TRY(resolve(n, false));
  std::string t(target);
  return ::symlinkat(t.c_str(), r.dir, r.name.c_str()) == 0 ? Errno::Success : host::last_error();
}

Errno path_unlink_file(Ctx& c, uint32_t fd, uint32_t path, uint32_t path_len) {
  PathArg p = TRY(path_arg(c, fd, rights::PathUnlinkFile, path, path_len));
  if (p.dir->read_only) return Errno::Rofs;
  auto r = TRY(resolve(p, false));
  if (r.trailing_slash) {
    struct stat st;
    if (::fstatat(r.dir, r.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
      return Errno::Notdir;
  }
  return ::unlinkat(r.dir, r.name.c_str(), 0) == 0 ? Errno::Success : host::last_error();
}

// ---------------------------------------------------------------- poll

Errno poll_oneoff(Ctx& c, uint32_t in, uint32_t out, uint32_t nsubs, uint32_t nevents) {
  if (nsubs == 0) return Errno::Inval;
  CHECK_PTR(in, uint64_t(nsubs) * layout::kSubscriptionSize);
  CHECK_PTR(out, uint64_t(nsubs) * layout::kEventSize);
  CHECK_PTR(nevents, 4);

  struct Event {
    uint64_t userdata;
    Errno error;
    EventType type;
    uint64_t nbytes = 0;
    uint16_t flags = 0;
  };
  struct Clock {
    uint64_t userdata;
    uint64_t deadline;  // CLOCK_MONOTONIC ns
  };
  struct Waiting {
    uint64_t userdata;
    EventType type;
    int fd;
  };
  std::vector<Event> ready;
  std::vector<Clock> clocks;
  std::vector<Waiting> waiting;
  std::vector<pollfd> pfds;

  uint64_t now = now_ns(CLOCK_MONOTONIC);
  for (uint32_t i = 0; i < nsubs; ++i) {
    uint32_t s = in + i * layout::kSubscriptionSize;
    uint64_t userdata = *c.m.load<uint64_t>(s);
    uint8_t tag = *c.m.load<uint8_t>(s + 8);
    if (tag == uint8_t(EventType::Clock)) {
      uint32_t id = *c.m.load<uint32_t>(s + 16);
      uint64_t timeout = *c.m.load<uint64_t>(s + 24);
      uint16_t flags = *c.m.load<uint16_t>(s + 40);
      uint64_t deadline;
      auto after = [now](uint64_t d) { return d > UINT64_MAX - now ? UINT64_MAX : now + d; };
      if (ClockId(id) == ClockId::Monotonic) {
        deadline = (flags & kSubclockAbstime) ? timeout : after(timeout);
      } else if (ClockId(id) == ClockId::Realtime) {
        if (flags & kSubclockAbstime) {
          uint64_t real = now_ns(CLOCK_REALTIME);
          deadline = timeout > real ? after(timeout - real) : now;
        } else {
          deadline = after(timeout);
        }
      } else {
        // CPU-time clocks cannot be waited on here.
        ready.push_back({userdata, host_clock(id) ? Errno::Notsup : Errno::Inval, EventType::Clock});
        continue;
      }
      clocks.push_back({userdata, deadline});
    } else if (tag == uint8_t(EventType::FdRead) || tag == uint8_t(EventType::FdWrite)) {
      auto type = EventType(tag);
      uint32_t fd = *c.m.load<uint32_t>(s + 16);
      auto e = entry(c, fd, rights::PollFdReadwrite);
      if (!e) {
        ready.push_back({userdata, e.error(), type});
        continue;
      }
      FdEntry* f = *e;
      if (f->kind != FdEntry::Kind::Host || f->type == Filetype::RegularFile || f->is_dir()) {
        // Files and the runtime's devices never block.
        uint64_t nbytes = 0;
        if (type == EventType::FdRead && f->kind == FdEntry::Kind::Host && !f->is_dir()) {
          struct stat st;
          off_t pos = ::lseek(f->fd.get(), 0, SEEK_CUR);
          if (::fstat(f->fd.get(), &st) == 0 && pos >= 0 && st.st_size > pos)
            nbytes = uint64_t(st.st_size - pos);
        }
        ready.push_back({userdata, Errno::Success, type, nbytes});
        continue;
      }
      waiting.push_back({userdata, type, f->fd.get()});
      pfds.push_back({f->fd.get(), short(type == EventType::FdRead ? POLLIN : POLLOUT), 0});
    } else {
      return Errno::Inval;
    }
  }

  uint64_t deadline = UINT64_MAX;
  for (auto& k : clocks) deadline = std::min(deadline, k.deadline);
  if (!ready.empty()) deadline = now;  // report what is ready without waiting

  for (;;) {
    uint64_t t = now_ns(CLOCK_MONOTONIC);
    if (pfds.empty()) {
      if (deadline == UINT64_MAX) break;  // nothing to wait for (cannot happen with nsubs > 0)
      if (t >= deadline) break;
      timespec ts{time_t(deadline / 1'000'000'000), long(deadline % 1'000'000'000)};
      int r = ::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
      if (r == 0) break;
      if (r != EINTR) return from_host_errno(r);
      continue;
    }
    timespec ts{};
    timespec* tsp = nullptr;
    if (deadline != UINT64_MAX) {
      uint64_t left = deadline > t ? deadline - t : 0;
      ts = {time_t(left / 1'000'000'000), long(left % 1'000'000'000)};
      tsp = &ts;
    }
    int r = ::ppoll(pfds.data(), pfds.size(), tsp, nullptr);
    if (r >= 0) break;
    if (errno != EINTR) return host::last_error();
  }

  for (size_t i = 0; i < pfds.size(); ++i) {
    short re = pfds[i].revents;
    if (!re) continue;
    Event ev{waiting[i].userdata, Errno::Success, waiting[i].type};
    if (re & POLLNVAL) {
      ev.error = Errno::Badf;
    } else if ((re & POLLERR) && !(re & (POLLIN | POLLOUT))) {
      ev.error = Errno::Io;
    } else {
      if (re & POLLHUP) ev.flags = kEventFdReadwriteHangup;
      if (ev.type == EventType::FdRead) {
        int avail = 0;
        if (::ioctl(pfds[i].fd, FIONREAD, &avail) == 0 && avail > 0) ev.nbytes = uint64_t(avail);
      }
    }
    ready.push_back(ev);
  }
  uint64_t t = now_ns(CLOCK_MONOTONIC);
  for (auto& k : clocks)
    if (k.deadline <= t) ready.push_back({k.userdata, Errno::Success, EventType::Clock});

  for (size_t i = 0; i < ready.size(); ++i) {
    uint32_t o = out + uint32_t(i) * layout::kEventSize;
    std::memset(c.m.at(o), 0, layout::kEventSize);
    c.m.store<uint64_t>(o, ready[i].userdata);
    c.m.store<uint16_t>(o + 8, uint16_t(ready[i].error));
    c.m.store<uint8_t>(o + 10, uint8_t(ready[i].type));
    if (ready[i].type != EventType::Clock) {
      c.m.store<uint64_t>(o + 16, ready[i].nbytes);
      c.m.store<uint16_t>(o + 24, ready[i].flags);
    }
  }
  c.m.store<uint32_t>(nevents, uint32_t(ready.size()));
  return Errno::Success;
}

// ---------------------------------------------------------------- sockets
// No socket ever reaches a guest (there is no way to preopen one), so these
// answer as wasmtime does for a non-socket fd.

Errno not_a_socket(Ctx& c, uint32_t fd) {
  TRY(entry(c, fd));
  return Errno::Notsock;
}
Errno sock_accept(Ctx& c, uint32_t fd, uint32_t, uint32_t) { return not_a_socket(c, fd); }
Errno sock_recv(Ctx& c, uint32_t fd, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t) {
  return not_a_socket(c, fd);
}
Errno sock_send(Ctx& c, uint32_t fd, uint32_t, uint32_t, uint32_t, uint32_t) {
  return not_a_socket(c, fd);
}
Errno sock_shutdown(Ctx& c, uint32_t fd, uint32_t) { return not_a_socket(c, fd); }

// ---------------------------------------------------------------- binding

template <class T>
constexpr wasm::ValType val_type() {
  static_assert(std::is_same_v<T, uint32_t> || std::is_same_v<T, uint64_t>);
  return sizeof(T) == 8 ? wasm::ValType::I64 : wasm::ValType::I32;
}

template <class... A, size_t... I>
Errno apply(Errno (*f)(Ctx&, A...), Ctx& c, std::span<RawValue> io, std::index_sequence<I...>) {
  (void)io;  // unused by sched_yield
  return f(c, static_cast<A>(io[I])...);  // an i32 is the low half of its slot
}

template <class... A>
Binding make_binding(const std::shared_ptr<State>& state, const char* name, Errno (*f)(Ctx&, A...)) {
  Binding b;
  b.name = name;
  b.type.params = {val_type<A>()...};
  b.type.results = {wasm::ValType::I32};
  b.call = [state, f](GuestMemory& m, std::span<RawValue> io) -> std::optional<Trap> {
    Ctx c{*state, m};
    Errno e = apply(f, c, io, std::index_sequence_for<A...>{});
    io[0] = RawValue(uint16_t(e));
    return std::nullopt;
  };
  return b;
}

}  // namespace

std::vector<Binding> bindings(std::shared_ptr<State> s) {
  std::vector<Binding> v = {
      make_binding(s, "args_get", args_get),
      make_binding(s, "args_sizes_get", args_sizes_get),
      make_binding(s, "environ_get", environ_get),
      make_binding(s, "environ_sizes_get", environ_sizes_get),
      make_binding(s, "clock_res_get", clock_res_get),
      make_binding(s, "clock_time_get", clock_time_get),
      make_binding(s, "fd_advise", fd_advise),
      make_binding(s, "fd_allocate", fd_allocate),
      make_binding(s, "fd_close", fd_close),
      make_binding(s, "fd_datasync", fd_datasync),
      make_binding(s, "fd_fdstat_get", fd_fdstat_get),
      make_binding(s, "fd_fdstat_set_flags", fd_fdstat_set_flags),
      make_binding(s, "fd_fdstat_set_rights", fd_fdstat_set_rights),
      make_binding(s, "fd_filestat_get", fd_filestat_get),
      make_binding(s, "fd_filestat_set_size", fd_filestat_set_size),
      make_binding(s, "fd_filestat_set_times", fd_filestat_set_times),
      make_binding(s, "fd_pread", fd_pread),
      make_binding(s, "fd_prestat_get", fd_prestat_get),
      make_binding(s, "fd_prestat_dir_name", fd_prestat_dir_name),
      make_binding(s, "fd_pwrite", fd_pwrite),
      make_binding(s, "fd_read", fd_read),
      make_binding(s, "fd_readdir", fd_readdir),
      make_binding(s, "fd_renumber", fd_renumber),
      make_binding(s, "fd_seek", fd_seek),
      make_binding(s, "fd_sync", fd_sync),
      make_binding(s, "fd_tell", fd_tell),
      make_binding(s, "fd_write", fd_write),
      make_binding(s, "path_create_directory", path_create_directory),
      make_binding(s, "path_filestat_get", path_filestat_get),
      make_binding(s, "path_filestat_set_times", path_filestat_set_times),
      make_binding(s, "path_link", path_link),
      make_binding(s, "path_open", path_open),
      make_binding(s, "path_readlink", path_readlink),
      make_binding(s, "path_remove_directory", path_remove_directory),
      make_binding(s, "path_rename", path_rename),
      make_binding(s, "path_symlink", path_symlink),
      make_binding(s, "path_unlink_file", path_unlink_file),
      make_binding(s, "poll_oneoff", poll_oneoff),
      make_binding(s, "proc_raise", proc_raise),
      make_binding(s, "sched_yield", sched_yield_),
      make_binding(s, "random_get", random_get),
      make_binding(s, "sock_accept", sock_accept),
      make_binding(s, "sock_recv", sock_recv),
      make_binding(s, "sock_send", sock_send),
      make_binding(s, "sock_shutdown", sock_shutdown),
  };
  // proc_exit returns nothing: it ends the guest.
  Binding exit;
  exit.name = "proc_exit";
  exit.type.params = {wasm::ValType::I32};
  exit.call = [](GuestMemory&, std::span<RawValue> io) -> std::optional<Trap> {
    return Trap::exit(int(uint32_t(io[0])));
  };
  v.push_back(std::move(exit));
  return v;
}

}  // namespace wasipy::wasi
