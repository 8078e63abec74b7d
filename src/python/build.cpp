// `wasipy python build`: runs build-cpython.sh, streaming its progress.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include <fmt/format.h>

#include "python/install.h"

extern char** environ;

namespace wasipy::python {

namespace fs = std::filesystem;

std::expected<fs::path, std::string> locate_share_file(const std::string& name) {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  std::vector<fs::path> candidates;
  if (!ec) {
    candidates.push_back(exe.parent_path() / "share/wasipy/python" / name);
    candidates.push_back(exe.parent_path() / "../share/wasipy/python" / name);  // an installed bin/
  }
  candidates.push_back(fs::path(WASIPY_PYTHON_SOURCE_DIR) / name);
  for (const auto& c : candidates)
    if (fs::is_regular_file(c, ec)) return fs::weakly_canonical(c, ec);
  return std::unexpected(fmt::format("cannot find {} (looked in {} and {}); rebuild wasipy with CMake", name,
                                     candidates.front().parent_path().string(), WASIPY_PYTHON_SOURCE_DIR));
}

std::expected<fs::path, std::string> locate_build_script() { return locate_share_file("build-cpython.sh"); }

namespace {

std::string strip_prefix(std::string line) {
  for (const char* p : {"build-cpython: "}) {
    if (line.starts_with(p)) line.erase(0, std::strlen(p));
  }
  return line;
}

}  // namespace

std::expected<BuildResult, std::string> build_distribution(const BuildOptions& o,
                                                           const std::function<void(const std::string&)>& progress) {
  std::vector<std::string> argv = {"/bin/bash", o.script.string()};
  if (o.source) {
    argv.push_back("--source");
    argv.push_back(*o.source);
  }
  argv.insert(argv.end(), o.extra_args.begin(), o.extra_args.end());
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return std::unexpected(fmt::format("pipe: {}", std::strerror(errno)));
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return std::unexpected(fmt::format("pipe: {}", std::strerror(errno)));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, "/bin/bash", &fa, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return std::unexpected(fmt::format("cannot start {}: {}", o.script.string(), std::strerror(rc)));
  }

  // The script's own words: a reason line, then "FAILED at step ..." and "log: PATH".
  std::string out_text, err_partial, failed_line, log_line, last_line, reason;
  auto on_err_line = [&](std::string line) {
    progress(line);
    std::string s = strip_prefix(line);
    if (s.starts_with("FAILED at step")) {
      failed_line = s;
      reason = last_line;
    } else if (s.starts_with("log: ") && !failed_line.empty() && log_line.empty()) {
      log_line = s.substr(5);
    }
    if (!s.empty() && !s.starts_with(" ") && !s.starts_with("[") && !s.starts_with("last lines of the log") &&
        failed_line.empty())
      last_line = s;
  };
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[4096];
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (auto& f : fds) {
      if (f.fd < 0 || !(f.revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(f.fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(f.fd);
        f.fd = -1;
        --open_fds;
        continue;
      }
      if (f.fd == out_pipe[0]) {
        out_text.append(buf, size_t(n));
      } else {
        err_partial.append(buf, size_t(n));
        size_t nl;
        while ((nl = err_partial.find('\n')) != std::string::npos) {
          on_err_line(err_partial.substr(0, nl));
          err_partial.erase(0, nl + 1);
        }
      }
    }
  }
  if (!err_partial.empty()) on_err_line(err_partial);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (code != 0) {
    std::string what = !failed_line.empty() ? failed_line
                       : !last_line.empty() ? last_line
                                            : fmt::format("{} exited with status {}", o.script.filename().string(), code);
    if (!failed_line.empty() && !reason.empty()) what += ": " + reason;
    if (!log_line.empty()) what += "; log: " + log_line;
    return std::unexpected(what);
  }

  // The distribution's path is the last line on stdout.
  while (!out_text.empty() && (out_text.back() == '\n' || out_text.back() == '\r')) out_text.pop_back();
  const std::string dist_path = out_text.substr(out_text.rfind('\n') == std::string::npos ? 0 : out_text.rfind('\n') + 1);
  if (dist_path.empty()) return std::unexpected(fmt::format("{} succeeded but printed no distribution path", o.script.string()));
  auto dist = read_distribution(dist_path);
  if (!dist) return std::unexpected(fmt::format("the build finished but its result is not a distribution: {}", dist.error()));
  BuildResult result;
  result.dist = *dist;
  if (!has_recorded_default()) {
    if (auto r = set_default_key(dist->key); !r) return std::unexpected(r.error());
    result.made_default = true;
  } else if (!o.source) {
    // A build of Debian's python3.11 whose key differs from the default's,
    // when that one was built the same way, is the same CPython built by a
    // newer recipe (the script or its compat files changed): it takes over.
    auto current = default_distribution();
    if (current && current->key != dist->key && current->made_from.starts_with("apt-get source python3.11")) {
      if (auto r = set_default_key(dist->key); !r) return std::unexpected(r.error());
      result.made_default = true;
      result.replaced_default = current->key;
    }
  }
  if (auto dists = list_distributions())
    for (const auto& d : *dists)
      if (d.key == result.dist.key) result.dist.is_default = d.is_default;
  return result;
}

}  // namespace wasipy::python
