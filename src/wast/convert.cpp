#include "wast/convert.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>

extern char** environ;

namespace wasipy::wast {

namespace fs = std::filesystem;

std::expected<TempDir, std::string> TempDir::create(std::string_view prefix) {
  std::error_code ec;
  fs::path base = fs::temp_directory_path(ec);
  if (ec) base = "/tmp";
  std::string pattern = (base / fmt::format("{}-XXXXXX", prefix)).string();
  if (!mkdtemp(pattern.data()))
    return std::unexpected(fmt::format("cannot create a temporary folder in {}: {}", base.string(), strerror(errno)));
  return TempDir(fs::path(pattern));
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string first_line(const std::string& text) {
  auto end = text.find('\n');
  return text.substr(0, end);
}

}  // namespace

std::expected<ConvertedScript, std::string> convert(const fs::path& wast, const std::string& wast2json) {
  std::error_code ec;
  if (!fs::is_regular_file(wast, ec)) return std::unexpected(fmt::format("{}: no such file", wast.string()));
  auto dir = TempDir::create("wasipy-wast");
  if (!dir) return std::unexpected(dir.error());

  fs::path json = dir->path() / (wast.stem().string() + ".json");
  fs::path log = dir->path() / "wast2json.log";
  std::string input = fs::absolute(wast, ec).string();
  std::string output = json.string();
  std::vector<char*> argv = {const_cast<char*>(wast2json.c_str()), input.data(), const_cast<char*>("-o"),
                             output.data(), nullptr};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = 0;
  int err = posix_spawnp(&pid, wast2json.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) {
    if (err == ENOENT) return std::unexpected(fmt::format("{} not found: install wabt (apt-get install wabt)", wast2json));
    return std::unexpected(fmt::format("cannot run {}: {}", wast2json, strerror(err)));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return std::unexpected(fmt::format("waiting for {}: {}", wast2json, strerror(errno)));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string why = first_line(read_file(log));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
      return std::unexpected(fmt::format("{} not found: install wabt (apt-get install wabt)", wast2json));
    return std::unexpected(fmt::format("{} failed on {}: {}", wast2json, wast.string(), why.empty() ? "no message" : why));
  }
  auto script = parse_script(read_file(json), dir->path());
  if (!script) return std::unexpected(fmt::format("{}: {}", wast.string(), script.error()));
  script->source = wast;
  return ConvertedScript{std::move(*dir), std::move(*script)};
}

}  // namespace wasipy::wast
