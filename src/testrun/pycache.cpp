#include "testrun/pycache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include <fmt/format.h>

namespace fs = std::filesystem;

namespace wasipy::testrun {

namespace {

/// Opens the lock file of `dir` and takes `op` (LOCK_SH / LOCK_EX, maybe
/// LOCK_NB). Returns the fd only if, once locked, it is still the file at
/// that path: a pruner may have moved the folder away meanwhile.
enum class LockResult { Locked, Busy, Gone };
LockResult lock_dir(const fs::path& dir, int op, int& fd_out) {
  fs::path lock = dir / kPycacheLock;
  int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return LockResult::Gone;
  int rc;
  do rc = ::flock(fd, op);
  while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    int e = errno;
    ::close(fd);
    return e == EWOULDBLOCK ? LockResult::Busy : LockResult::Gone;
  }
  struct stat a{}, b{};
  if (::fstat(fd, &a) != 0 || ::stat(lock.c_str(), &b) != 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
    ::close(fd);
    return LockResult::Gone;
  }
  fd_out = fd;
  return LockResult::Locked;
}

struct Stamp {
  fs::path project, env;
};

std::optional<Stamp> read_stamp(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  Stamp s;
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("project ")) s.project = line.substr(8);
    else if (line.starts_with("env ")) s.env = line.substr(4);
  }
  if (s.project.empty() || s.env.empty()) return std::nullopt;
  return s;
}

/// Why `dir` should go, or empty when it stays.
std::string prune_reason(const fs::path& dir, std::chrono::hours max_age, fs::file_time_type now) {
  std::error_code ec;
  fs::path stamp = dir / kPycacheStamp;
  fs::file_time_type used;
  if (auto s = read_stamp(stamp)) {
    if (!fs::is_directory(s->project, ec)) return "project gone";
    if (!fs::is_directory(s->env, ec)) return "environment gone";
    used = fs::last_write_time(stamp, ec);
  } else {
    used = fs::last_write_time(dir, ec);  // an older wasipy's cache, or one being created right now
  }
  if (ec) return "";
  auto age = std::chrono::duration_cast<std::chrono::hours>(now - used);
  if (age > max_age) return fmt::format("unused for {} days", age.count() / 24);
  return "";
}

}  // namespace

PycacheLease& PycacheLease::operator=(PycacheLease&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    dir_ = std::move(o.dir_);
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

PycacheLease::~PycacheLease() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

std::expected<PycacheLease, std::string> use_pycache(const fs::path& pycache_root, const std::string& key,
                                                     const fs::path& project, const fs::path& env_root) {
  fs::path dir = pycache_root / key;
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return std::unexpected(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
    int fd = -1;
    if (lock_dir(dir, LOCK_SH, fd) != LockResult::Locked) continue;  // pruned under us: make it again
    // Rewritten each time: its mtime is the last use.
    fs::path stamp = dir / kPycacheStamp;
    fs::path part = dir / fmt::format("{}.{}", kPycacheStamp, ::getpid());
    {
      std::ofstream out(part, std::ios::trunc);
      out << "project " << fs::absolute(project).lexically_normal().string() << "\nenv "
          << fs::absolute(env_root).lexically_normal().string() << "\n";
    }
    fs::rename(part, stamp, ec);
    if (ec) {
      fs::remove(part, ec);
      ::close(fd);
      return std::unexpected(fmt::format("cannot write {}", stamp.string()));
    }
    return PycacheLease(dir, fd);
  }
  return std::unexpected(fmt::format("cannot lock {}: it keeps being removed", dir.string()));
}

std::vector<Pruned> prune_pycaches(const fs::path& pycache_root, std::chrono::hours max_age, fs::file_time_type now) {
  std::vector<Pruned> out;
  std::error_code ec;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(pycache_root, ec))
    if (e.is_directory(ec)) dirs.push_back(e.path());
  for (const fs::path& dir : dirs) {
    std::string name = dir.filename().string();
    if (name.find(".pruning-") != std::string::npos) {
      // A pruner was killed before it finished; no run can reach a renamed folder.
      fs::remove_all(dir, ec);
      continue;
    }
    std::string reason = prune_reason(dir, max_age, now);
    if (reason.empty()) continue;
    int fd = -1;
    if (lock_dir(dir, LOCK_EX | LOCK_NB, fd) != LockResult::Locked) continue;  // in use (or just went)
    // Again under the lock: a run may have used it between the look and the
    // lock, and then it has a fresh stamp. (Without a stamp the folder's own
    // mtime just changed with the lock file; the first look stands.)
    if (fs::exists(dir / kPycacheStamp, ec)) reason = prune_reason(dir, max_age, now);
    if (!reason.empty()) {
      // Out of the way first (atomic), so that a run arriving now makes a fresh one.
      fs::path doomed = dir;
      doomed += fmt::format(".pruning-{}", ::getpid());
      fs::rename(dir, doomed, ec);
      ::close(fd);
      fd = -1;
      if (!ec) {
        fs::remove_all(doomed, ec);
        out.push_back({dir, reason});
      }
    }
    if (fd >= 0) ::close(fd);
  }
  return out;
}

}  // namespace wasipy::testrun
