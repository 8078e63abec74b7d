#include "wasi/state.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace wasipy::wasi {

FdEntry* FdTable::get(uint32_t fd) {
  auto it = fds_.find(fd);
  return it == fds_.end() ? nullptr : &it->second;
}

std::expected<uint32_t, Errno> FdTable::insert(FdEntry e) {
  uint32_t n = 0;
  for (auto& [k, _] : fds_) {
    if (k != n) break;
    ++n;
  }
  if (n >= kMaxFds) return std::unexpected(Errno::Mfile);
  fds_.emplace(n, std::move(e));
  return n;
}

Errno FdTable::close(uint32_t fd) {
  return fds_.erase(fd) ? Errno::Success : Errno::Badf;
}

Errno FdTable::renumber(uint32_t from, uint32_t to) {
  auto f = fds_.find(from);
  auto t = fds_.find(to);
  if (f == fds_.end() || t == fds_.end()) return Errno::Badf;
  if (from == to) return Errno::Success;
  t->second = std::move(f->second);  // closes what `to` held
  fds_.erase(f);
  return Errno::Success;
}

namespace {

std::optional<FdEntry> stdio_entry(int host_fd) {
  int fd = ::fcntl(host_fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;  // the host runs us with this fd closed
  FdEntry e;
  e.kind = FdEntry::Kind::Host;
  e.fd = host::UniqueFd(fd);
  struct stat st;
  e.type = ::fstat(fd, &st) == 0 ? host::filetype_of(st.st_mode) : Filetype::Unknown;
  e.rights_base = rights::All & ~rights::DirectoryOnly;
  // wasi-libc's isatty() wants a character device without seek/tell rights:
  // without this, a guest on a terminal sees no tty (CPython's REPL, line buffering).
  if (::isatty(fd)) e.rights_base &= ~(rights::FdSeek | rights::FdTell);
  e.rights_inheriting = 0;
  return e;
}

}  // namespace

std::expected<std::unique_ptr<State>, std::string> State::create(const Config& config) {
  auto s = std::make_unique<State>();
  s->args = config.args;
  s->env = config.env;
  for (const auto& a : s->args)
    if (a.find('\0') != std::string::npos) return std::unexpected("an argument contains a NUL byte");
  for (const auto& e : s->env)
    if (e.find('\0') != std::string::npos || e.find('=') == std::string::npos)
      return std::unexpected("environment entry '" + e + "' is not KEY=VALUE");

  int stdio[3] = {config.stdin_fd, config.stdout_fd, config.stderr_fd};
  for (uint32_t i = 0; i < 3; ++i) {
    auto e = stdio_entry(stdio[i]);
    if (!e) {
      // Keep 0-2 taken so that preopens start at 3, as guests expect.
      FdEntry null;
      null.kind = FdEntry::Kind::Device;
      null.device = Device::Null;
      null.type = Filetype::CharacterDevice;
      null.rights_base = rights::All & ~rights::DirectoryOnly;
      e = std::move(null);
    }
    (void)s->fds.insert(std::move(*e));
  }

  bool has_dev = false;
  for (const auto& m : config.mounts) {
    int fd = ::open(m.host.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
      return std::unexpected("cannot mount '" + m.host + "': " + std::strerror(errno));
    FdEntry e;
    e.kind = FdEntry::Kind::Host;
    e.fd = host::UniqueFd(fd);
    e.type = Filetype::Directory;
    e.rights_base = rights::All;
    e.rights_inheriting = rights::All;
    e.read_only = m.read_only;
    e.preopen = m.guest.empty() ? m.host : m.guest;
    std::string g = *e.preopen;
    while (g.size() > 1 && g.back() == '/') g.pop_back();
    if (g == "/dev") has_dev = true;
    if (auto r = s->fds.insert(std::move(e)); !r)
      return std::unexpected("too many mounts");
  }
  if (!has_dev) {
    FdEntry dev;
    dev.kind = FdEntry::Kind::DevDir;
    dev.type = Filetype::Directory;
    dev.rights_base = rights::All;
    dev.rights_inheriting = rights::All;
    dev.read_only = true;
    dev.preopen = "/dev";
    (void)s->fds.insert(std::move(dev));
  }
  return s;
}

}  // namespace wasipy::wasi
