#include "native/toolchain.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

extern char** environ;

namespace wasipy::native {

namespace fs = std::filesystem;

namespace {

std::optional<std::string> on_path(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    return access(name.c_str(), X_OK) == 0 ? std::optional(fs::absolute(name).string()) : std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (end > start && access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

// Flags chosen by measurement (README, "The native tier"): signaling NaNs
// kept (else x*1.0 folds to x, leaving a NaN unquieted); no errno from math
// builtins (sqrt inlines); no contraction of a*b+c into fused operations,
// which would change float results; hidden symbols, so calls between units
// are direct. Backtraces unwind the machine stack (engine.cpp), so every
// wasm frame must stay a machine frame with unwind tables: no sibling calls
// (a tail call would drop its caller's frame) and no hot/cold splitting (a
// fault in a function's cold part would not map back to the function).
// The optimization level depends on the module's size (below).
const std::vector<std::string> kFlags = {
    "-fsignaling-nans",     "-fPIC",
    "-fvisibility=hidden",  "-fno-math-errno",
    "-ffp-contract=off",    "-fno-strict-aliasing",
    "-fno-plt",             "-fstack-clash-protection",
    "-fasynchronous-unwind-tables", "-fno-optimize-sibling-calls", "-w",
};

struct Child {
  pid_t pid;
  fs::path log;
};

// Runs argv with stdout and stderr into `log`, in folder `cwd` if given.
std::expected<pid_t, std::string> spawn(const std::vector<std::string>& argv, const fs::path& log,
                                        const fs::path& cwd = {}) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return std::unexpected(fmt::format("cannot run {}: {}", argv[0], std::strerror(rc)));
  return pid;
}

std::string first_lines(const fs::path& log, size_t max_lines) {
  std::ifstream in(log);
  std::string line, out;
  for (size_t n = 0; n < max_lines && std::getline(in, line); ++n) out += (n ? " | " : "") + line;
  return out.empty() ? "no output" : out;
}

std::expected<void, std::string> wait_ok(const Child& c, const std::string& what) {
  int status = 0;
  while (waitpid(c.pid, &status, 0) < 0) {
    if (errno != EINTR) return std::unexpected(fmt::format("waiting for the C compiler: {}", std::strerror(errno)));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  return std::unexpected(fmt::format("the C compiler failed on {}: {}", what, first_lines(c.log, 3)));
}

}  // namespace

std::optional<Toolchain> find_toolchain() {
  std::optional<std::string> cc;
  if (const char* env = std::getenv("WASIPY_CC"); env && *env) {
    cc = on_path(env);
  } else {
    for (const char* name : {"cc", "gcc", "clang"}) {
      if ((cc = on_path(name))) break;
    }
  }
  if (!cc) return std::nullopt;
  std::error_code ec;
  fs::path real = fs::canonical(*cc, ec);
  struct stat st {};
  if (ec || stat(real.c_str(), &st) != 0) return std::nullopt;
  Toolchain tc;
  tc.compiler = *cc;
  tc.flags = kFlags;
  // Debian's cc is gcc (/usr/bin/x86_64-linux-gnu-gcc-12); profile-guided
  // builds use gcc's flags and .gcda files.
  std::string name = real.filename().string();
  bool is_clang = name.find("clang") != std::string::npos;
  tc.profile_guided = name.find("gcc") != std::string::npos && !is_clang;
  if (tc.profile_guided) {
    // gcc splits hot and cold parts at -O2 (clang does not by default, and
    // rejects the flag).
    tc.flags.push_back("-fno-reorder-blocks-and-partition");
    // A wasm load or store that faults is a trap, so it may not be deleted
    // (even when its value is unused), moved into a branch, or reordered
    // with stores and calls. Declaring that memory accesses may throw says
    // most of that to gcc; its sinking pass still moves a load into the
    // only branch that uses its value, so that pass is off. The prelude
    // then drops its per-load asm barrier (prelude.h, WP_LOAD). Measured
    // with callgrind against the barrier: bench/python/cpu.py 2,336 M ->
    // 2,253 M instructions, bench/python/bigint.py 1,130 M -> 1,088 M;
    // compile CPU unchanged (0.983x on every tenth unit of python.wasm,
    // paired).
    tc.flags.insert(tc.flags.end(), {"-fexceptions", "-fnon-call-exceptions", "-fno-delete-dead-exceptions",
                                     "-fno-tree-sink", "-DWP_ACCESSES_MAY_TRAP"});
    tc.optimize_large.insert(tc.optimize_large.end(), {"-fira-region=one", "-free", "-fcaller-saves"});
  }
  // clang accepts -fsignaling-nans but still folds x*1.0, x/1.0 and -0.0-x,
  // returning a signaling NaN unquieted (24 spec assertions in
  // float_exprs.wast); keeping the operations that may raise FP exceptions
  // keeps them.
  if (is_clang) tc.flags.push_back("-ffp-exception-behavior=maytrap");
  struct utsname u {};
  uname(&u);
  tc.identity = fmt::format("{} {} {} {} |", real.string(), st.st_size, st.st_mtim.tv_sec, u.machine);
  for (const auto& f : tc.flags) tc.identity += " " + f;
  tc.identity += fmt::format(" | {} below {} bytes of code, else {}", fmt::join(tc.optimize_small, " "), tc.large_code_bytes,
                             fmt::join(tc.optimize_large, " "));
  return tc;
}

std::expected<void, std::string> build_shared_object(const Toolchain& tc, const std::vector<std::string>& units,
                                                     const fs::path& work_dir, const fs::path& output,
                                                     const BuildOptions& opts) {
  unsigned jobs = opts.jobs ? opts.jobs : unsigned(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  std::vector<fs::path> objects;
  for (size_t i = 0; i < units.size(); ++i) {
    fs::path c = work_dir / fmt::format("unit{}.c", i);
    std::ofstream out(c, std::ios::binary);
    out << units[i];
    if (!out.flush()) return std::unexpected(fmt::format("cannot write {}", c.string()));
    objects.push_back(work_dir / fmt::format("unit{}.o", i));
  }
  // Biggest units first, so the longest compile does not start last.
  std::vector<size_t> order(units.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return units[a].size() > units[b].size(); });

  std::map<pid_t, std::pair<Child, size_t>> running;
  size_t next = 0, done = 0;
  std::optional<std::string> failure;
  auto reap_one = [&]() {
    int status = 0;
    pid_t pid;
    while ((pid = wait(&status)) < 0 && errno == EINTR) {
    }
    if (pid < 0) {
      failure = fmt::format("waiting for the C compiler: {}", std::strerror(errno));
      running.clear();
      return;
    }
    auto it = running.find(pid);
    if (it == running.end()) return;
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) && !failure) {
      failure = fmt::format("the C compiler failed on unit {}: {}", it->second.second, first_lines(it->second.first.log, 3));
    }
    running.erase(it);
    ++done;
    if (opts.progress) opts.progress(done, units.size());
  };
  while ((next < order.size() && !failure) || !running.empty()) {
    while (next < order.size() && running.size() < jobs && !failure) {
      size_t i = order[next++];
      // Relative names, run inside work_dir: a unit's profile (see
      // BuildOptions::unit_flags) is matched by its file name, and the
      // training build's folder is not the final build's.
      std::vector<std::string> argv = {tc.compiler};
      argv.insert(argv.end(), tc.flags.begin(), tc.flags.end());
      argv.insert(argv.end(), opts.optimize.begin(), opts.optimize.end());
      argv.insert(argv.end(), opts.unit_flags.begin(), opts.unit_flags.end());
      argv.insert(argv.end(), {"-c", fmt::format("unit{}.c", i), "-o", fmt::format("unit{}.o", i)});
      fs::path log = work_dir / fmt::format("unit{}.log", i);
      auto pid = spawn(argv, log, work_dir);
      if (!pid) {
        failure = pid.error();
        break;
      }
      running.emplace(*pid, std::make_pair(Child{*pid, log}, i));
    }
    if (!running.empty()) reap_one();
  }
  if (failure) return std::unexpected(*failure);

  std::vector<std::string> argv = {tc.compiler, "-shared", "-o", output.string()};
  argv.insert(argv.end(), opts.link_flags.begin(), opts.link_flags.end());
  for (const auto& o : objects) argv.push_back(o.string());
  argv.push_back("-lm");
  fs::path log = work_dir / "link.log";
  auto pid = spawn(argv, log);
  if (!pid) return std::unexpected(pid.error());
  return wait_ok(Child{*pid, log}, "linking");
}

}  // namespace wasipy::native
