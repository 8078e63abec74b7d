#include "pyenv/environment.h"
#include "pyenv/text.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zip.h>

#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "pyenv/project.h"

extern char** environ;

namespace fs = std::filesystem;

namespace wasipy::pyenv {

namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

bool is_extension(const std::string& path) { return path.ends_with(".so") || path.ends_with(".pyd") || path.find(".so.") != std::string::npos; }

/// RECORD's first column (paths may be quoted CSV).
std::vector<std::string> record_paths(const std::string& text) {
  std::vector<std::string> out;
  for (const std::string& line : split_lines(text)) {
    std::string path;
    if (line[0] == '"') {
      size_t i = 1;
      for (; i < line.size(); ++i) {
        if (line[i] == '"' && i + 1 < line.size() && line[i + 1] == '"') path += '"', ++i;
        else if (line[i] == '"') break;
        else path += line[i];
      }
    } else {
      path = line.substr(0, line.find(','));
    }
    out.push_back(path);
  }
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned i = 0; i < len; ++i) hex += fmt::format("{:02x}", md[i]);
  return hex;
}

/// The files of an installed distribution, relative to its site-packages; and
/// whether the list is exact (RECORD / installed-files.txt) or walked from top_level.txt.
std::vector<std::string> installed_files(const fs::path& info, const fs::path& site) {
  std::error_code ec;
  std::vector<std::string> files;
  bool dir = fs::is_directory(info, ec);
  if (dir && fs::is_regular_file(info / "RECORD", ec)) {
    for (std::string& p : record_paths(read_text(info / "RECORD")))
      if (!p.starts_with("../") && !p.starts_with("/") && fs::exists(site / p, ec)) files.push_back(p);
    // Debian can ship files that RECORD does not list: add whatever lies in the listed top-level packages.
  } else if (dir && fs::is_regular_file(info / "installed-files.txt", ec)) {
    for (const std::string& l : split_lines(read_text(info / "installed-files.txt"))) {
      fs::path abs = (info / l).lexically_normal();
      auto rel = abs.lexically_relative(site).string();
      if (!rel.starts_with("..") && fs::is_regular_file(abs, ec)) files.push_back(rel);
    }
  }
  std::vector<std::string> tops;
  if (dir && fs::is_regular_file(info / "top_level.txt", ec)) tops = split_lines(read_text(info / "top_level.txt"));
  if (files.empty() && tops.empty()) {
    std::string stem = info.filename().string();
    tops.push_back(stem.substr(0, stem.find('-')));
  }
  std::set<std::string> have(files.begin(), files.end());
  for (const std::string& t : tops) {
    fs::path top = site / t;
    if (fs::is_directory(top, ec)) {
      for (auto it = fs::recursive_directory_iterator(top, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) break;
        if (it->path().filename() == "__pycache__") {
          it.disable_recursion_pending();
          continue;
        }
        if (it->is_regular_file(ec)) {
          std::string rel = fs::relative(it->path(), site, ec).string();
          if (have.insert(rel).second) files.push_back(rel);
        }
      }
    } else {
      for (const auto& e : fs::directory_iterator(site, ec)) {
        std::string n = e.path().filename().string();
        if ((n == t + ".py" || (n.starts_with(t + ".") && is_extension(n))) && have.insert(n).second) files.push_back(n);
      }
    }
  }
  // The metadata itself.
  if (dir) {
    for (const auto& e : fs::directory_iterator(info, ec)) {
      std::string rel = fs::relative(e.path(), site, ec).string();
      if (e.is_regular_file(ec) && have.insert(rel).second) files.push_back(rel);
    }
  } else if (have.insert(info.filename().string()).second) {
    files.push_back(info.filename().string());
  }
  return files;
}

struct ZipCloser {
  void operator()(zip_t* z) const { zip_close(z); }
};
using Zip = std::unique_ptr<zip_t, ZipCloser>;

std::expected<std::string, std::string> zip_read(zip_t* z, zip_uint64_t index) {
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(z, index, 0, &st) != 0) return std::unexpected(std::string(zip_strerror(z)));
  zip_file_t* f = zip_fopen_index(z, index, 0);
  if (!f) return std::unexpected(std::string(zip_strerror(z)));
  std::string data(st.size, '\0');
  zip_int64_t n = st.size ? zip_fread(f, data.data(), st.size) : 0;
  zip_fclose(f);
  if (n < 0 || zip_uint64_t(n) != st.size) return std::unexpected(std::string("short read"));
  return data;
}

std::expected<Zip, std::string> zip_open_file(const fs::path& p) {
  int err = 0;
  zip_t* z = zip_open(p.c_str(), ZIP_RDONLY, &err);
  if (!z) {
    zip_error_t e;
    zip_error_init_with_code(&e, err);
    std::string msg = zip_error_strerror(&e);
    zip_error_fini(&e);
    return std::unexpected(fmt::format("{} is not a readable wheel: {}", p.string(), msg));
  }
  return Zip(z);
}

bool safe_relative(const std::string& p) {
  if (p.empty() || p[0] == '/' || p.find('\\') != std::string::npos) return false;
  for (const auto& part : fs::path(p))
    if (part == "..") return false;
  return true;
}

/// The pip source's state within one resolve: once the index is found
/// unreachable, pip is not asked again (each try may wait for retries).
struct PipState {
  std::string unreachable;  ///< the reason, once known
};

std::string index_name(const PipSource& pip) {
  return pip.index_url.empty() ? "of pip's configuration" : pip.index_url;
}

/// The exact version of a pinned requirement (`==V` without a wildcard, or `===V`).
std::optional<std::string> pinned_version(const Requirement& req) {
  if (req.specifier.clauses.size() != 1) return std::nullopt;
  const auto& c = req.specifier.clauses[0];
  if ((c.op == "==" && !c.version.ends_with(".*")) || c.op == "===") return c.version;
  return std::nullopt;
}

/// Runs argv (no shell) with stdin from /dev/null and stdout+stderr into log;
/// returns the exit status, or an error when it cannot start.
std::expected<int, std::string> run_logged(const std::vector<std::string>& argv, const fs::path& log) {
  std::vector<char*> cargv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, cargv[0], &fa, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return std::unexpected(fmt::format("cannot run {}: {}", argv[0], std::strerror(rc)));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return std::unexpected(fmt::format("waitpid: {}", std::strerror(errno)));
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/// A wheel for `req` from the package index through the host's pip, or from
/// the download cache when `req` is pinned and its wheel is there. The error
/// is a reason for the one-line message.
std::expected<Candidate, std::string> pip_candidate(const PipSource& pip, const Requirement& req, PipState& state,
                                                    bool& from_cache) {
  std::error_code ec;
  from_cache = false;
  auto matches = [&](const Candidate& c) {
    auto v = Version::parse(c.version);
    return c.key == req.key && c.impure.empty() && v && req.specifier.contains(*v);
  };
  if (auto pinned = pinned_version(req); pinned && fs::is_directory(pip.cache, ec)) {
    for (Candidate& c : scan_wheels(pip.cache))
      if (matches(c)) {
        from_cache = true;
        return c;
      }
  }
  if (!state.unreachable.empty()) return std::unexpected(state.unreachable);
  if (pip.index_url.starts_with("file:")) {
    std::string path = pip.index_url.substr(5);
    if (path.starts_with("//")) path = path.substr(2);  // file:///abs -> /abs (no host part)
    if (!fs::is_directory(path, ec)) {
      state.unreachable = fmt::format("the package index {} could not be reached (no such folder)", pip.index_url);
      return std::unexpected(state.unreachable);
    }
  }
  fs::create_directories(pip.cache, ec);
  std::string templ = (pip.cache / ".download-XXXXXX").string();
  if (ec || !mkdtemp(templ.data()))
    return std::unexpected(fmt::format("cannot create a download folder in {}", pip.cache.string()));
  fs::path tmp = templ;
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code e;
      fs::remove_all(p, e);
    }
  } cleanup{tmp};
  std::vector<std::string> argv = pip.command;
  for (const char* a : {"download", "--no-deps", "--only-binary", ":all:", "--platform", "any", "--abi", "none",
                        "--implementation", "py"})
    argv.emplace_back(a);
  argv.insert(argv.end(), {"--python-version", pip.python_version, "-d", (tmp / "wheels").string()});
  if (!pip.index_url.empty()) argv.insert(argv.end(), {"--index-url", pip.index_url});
  argv.push_back(req.name + req.specifier.str());
  fs::path log = tmp / "pip.log";
  auto status = run_logged(argv, log);
  if (!status) return std::unexpected(fmt::format("the host's pip could not be started ({})", status.error()));
  if (*status != 0) {
    std::string text = read_text(log);
    for (const char* m : {"Name or service not known", "Temporary failure in name resolution", "Network is unreachable",
                          "Connection refused", "No route to host", "ProxyError", "ConnectTimeoutError",
                          "Failed to establish a new connection", "Could not fetch URL"}) {
      if (text.find(m) != std::string::npos) {
        state.unreachable = fmt::format("the package index {} could not be reached (pip: {})", index_name(pip), m);
        return std::unexpected(state.unreachable);
      }
    }
    if (text.find("No module named pip") != std::string::npos)
      return std::unexpected(fmt::format("the host's {} has no pip", pip.command.empty() ? "python3" : pip.command[0]));
    if (text.find("No matching distribution found") != std::string::npos)
      return std::unexpected(fmt::format("no pure-Python (py3-none-any) wheel of {} on the package index {}",
                                         req.name + req.specifier.str(), index_name(pip)));
    std::string last;
    for (const std::string& l : split_lines(text))
      if (l.starts_with("ERROR:")) last = l;
    return std::unexpected(fmt::format("pip download failed (exit {}){}", *status, last.empty() ? "" : ": " + last));
  }
  for (Candidate& c : scan_wheels(tmp / "wheels")) {
    if (c.key != req.key) continue;
    if (!c.impure.empty()) return std::unexpected(c.impure);
    auto v = Version::parse(c.version);
    if (!v || !req.specifier.contains(*v))
      return std::unexpected(fmt::format("pip downloaded {} {}, which does not match {}", c.name, c.version, req.specifier.str()));
    fs::path dest = pip.cache / c.path.filename();
    if (!fs::exists(dest, ec)) fs::rename(c.path, dest, ec);  // kept: a wheel already cached stays as it is
    if (ec) return std::unexpected(fmt::format("cannot keep {} in {}: {}", c.path.filename().string(), pip.cache.string(), ec.message()));
    c.path = dest;
    return c;
  }
  return std::unexpected(fmt::format("pip download gave no wheel of {}", req.name));
}

}  // namespace

std::string short_hash(std::string_view text) { return sha256_hex(text).substr(0, 16); }

std::string record_hash(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned i = 0;
  for (; i + 2 < len; i += 3) {
    unsigned v = (md[i] << 16) | (md[i + 1] << 8) | md[i + 2];
    out += table[(v >> 18) & 63], out += table[(v >> 12) & 63], out += table[(v >> 6) & 63], out += table[v & 63];
  }
  if (len - i == 1) {
    unsigned v = md[i] << 16;
    out += table[(v >> 18) & 63], out += table[(v >> 12) & 63];
  } else if (len - i == 2) {
    unsigned v = (md[i] << 16) | (md[i + 1] << 8);
    out += table[(v >> 18) & 63], out += table[(v >> 12) & 63], out += table[(v >> 6) & 63];
  }
  return out;
}

bool WheelName::pure() const {
  if (abi != "none" || platform != "any") return false;
  std::istringstream tags(python);
  std::string t;
  while (std::getline(tags, t, '.'))
    if (t == "py3" || (t.starts_with("py3") && t.size() > 3)) return true;
  return false;
}

std::optional<WheelName> parse_wheel_name(const std::string& filename) {
  if (!filename.ends_with(".whl")) return std::nullopt;
  std::vector<std::string> parts;
  std::istringstream in(filename.substr(0, filename.size() - 4));
  std::string part;
  while (std::getline(in, part, '-')) parts.push_back(part);
  if (parts.size() != 5 && parts.size() != 6) return std::nullopt;
  size_t n = parts.size();
  return WheelName{parts[0], parts[1], parts[n - 3], parts[n - 2], parts[n - 1]};
}

std::vector<Candidate> scan_wheels(const fs::path& dir) {
  std::vector<Candidate> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    auto wn = parse_wheel_name(e.path().filename().string());
    if (!wn) continue;
    Candidate c{wn->name, normalize_name(wn->name), wn->version, e.path(), true, "", {}};
    if (!wn->pure())
      c.impure = fmt::format("only a platform-specific wheel: {} (tags {}-{}-{}, not py3-none-any)", e.path().filename().string(),
                             wn->python, wn->abi, wn->platform);
    // Requires-Dist from the wheel's METADATA.
    if (auto z = zip_open_file(e.path())) {
      std::string meta_name = fmt::format("{}-{}.dist-info/METADATA", wn->name, wn->version);
      zip_int64_t idx = zip_name_locate(z->get(), meta_name.c_str(), 0);
      if (idx < 0) {
        for (zip_int64_t i = 0; i < zip_get_num_entries(z->get(), 0); ++i) {
          std::string n = zip_get_name(z->get(), zip_uint64_t(i), 0);
          if (n.ends_with(".dist-info/METADATA") && std::count(n.begin(), n.end(), '/') == 1) idx = i;
        }
      }
      if (idx >= 0)
        if (auto text = zip_read(z->get(), zip_uint64_t(idx))) {
          c.requires_dist = metadata_values(*text, "Requires-Dist");
          auto names = metadata_values(*text, "Name");
          if (!names.empty()) c.name = names[0];
        }
    }
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) { return a.path < b.path; });
  return out;
}

std::vector<Candidate> scan_host_env(const fs::path& dir) {
  std::vector<Candidate> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string n = e.path().filename().string();
    bool egg = n.ends_with(".egg-info"), dist = n.ends_with(".dist-info");
    if (!egg && !dist) continue;
    fs::path meta = e.is_directory(ec) ? e.path() / (egg ? "PKG-INFO" : "METADATA") : e.path();
    if (!fs::is_regular_file(meta, ec)) continue;
    std::string text = read_text(meta);
    Candidate c;
    auto names = metadata_values(text, "Name");
    auto versions = metadata_values(text, "Version");
    if (names.empty()) continue;
    c.name = names[0];
    c.key = normalize_name(c.name);
    c.version = versions.empty() ? "0" : versions[0];
    c.path = e.path();
    c.requires_dist = metadata_values(text, "Requires-Dist");
    if (egg && fs::is_regular_file(e.path() / "requires.txt", ec)) c.requires_dist = egg_requires(read_text(e.path() / "requires.txt"));
    for (const std::string& f : installed_files(e.path(), dir)) {
      if (is_extension(f)) {
        c.impure = fmt::format("the host's copy has a compiled extension: {}", f);
        break;
      }
    }
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) { return a.path < b.path; });
  return out;
}

bool optional_for_testing(const std::string& key) {
  static const std::set<std::string> optional{"coverage", "pytest-cov", "codecov", "coveralls", "pytest-codecov",
                                              "diff-cover", "covdefaults", "coverage-enable-subprocess"};
  return optional.contains(key);
}

std::expected<Resolution, std::string> resolve(const ResolveInput& input) {
  std::vector<std::pair<fs::path, std::vector<Candidate>>> sources;
  for (const fs::path& d : input.find_links) sources.emplace_back(d, scan_wheels(d));
  for (const fs::path& d : input.host_envs) sources.emplace_back(d, scan_host_env(d));

  struct Item {
    Requirement req;
    std::set<std::string> env_extras;
    bool optional;      ///< under a requirement that is optional for testing
    std::string wanted_by;
  };
  std::deque<Item> queue;
  for (const std::string& line : input.requirements) {
    auto r = Requirement::parse(line);
    if (!r) return std::unexpected(r.error());
    queue.push_back({*r, input.env.extras, optional_for_testing(r->key), "the project"});
  }
  Resolution res;
  std::map<std::string, size_t> chosen;               // key -> index in res.chosen
  std::map<std::string, std::set<std::string>> extras_done;
  std::set<std::string> skipped_keys;
  PipState pip_state;
  while (!queue.empty()) {
    Item item = std::move(queue.front());
    queue.pop_front();
    MarkerEnv env = input.env;
    env.extras = item.env_extras;
    auto applies = item.req.applies(env);
    if (!applies) return std::unexpected(fmt::format("{} (required by {}): {}", item.req.text, item.wanted_by, applies.error()));
    if (!*applies) continue;
    const std::string& key = item.req.key;
    if (key == input.project_key) {
      if (item.wanted_by != "the project")
        res.notes.push_back(fmt::format("{} requires {}; the project under test is used instead of a released copy", item.wanted_by, item.req.text));
      continue;
    }
    if (skipped_keys.contains(key)) continue;
    const Candidate* pick = nullptr;
    if (auto it = chosen.find(key); it != chosen.end()) {
      pick = &res.chosen[it->second];
      auto v = Version::parse(pick->version);
      if (v && !item.req.specifier.contains(*v))
        res.notes.push_back(fmt::format("{} requires {}, but {} {} is installed", item.wanted_by, item.req.text, pick->name, pick->version));
    } else {
      std::vector<std::string> reasons;
      for (const auto& [dir, cands] : sources) {
        const Candidate* best = nullptr;
        std::optional<Version> best_v;
        for (const Candidate& c : cands) {
          if (c.key != key) continue;
          auto v = Version::parse(c.version);
          if (!v || !item.req.specifier.contains(*v)) {
            reasons.push_back(fmt::format("{} {} in {} does not match {}", c.name, c.version, dir.string(), item.req.specifier.str()));
            continue;
          }
          if (!c.impure.empty()) {
            reasons.push_back(c.impure);
            continue;
          }
          if (!best || *best_v < *v) best = &c, best_v = v;
        }
        if (best) {
          pick = best;
          break;
        }
      }
      Candidate fetched;
      std::string pip_why;
      if (!pick && input.pip.enabled && item.req.url.empty()) {
        bool cached = false;
        if (auto got = pip_candidate(input.pip, item.req, pip_state, cached)) {
          fetched = std::move(*got);
          pick = &fetched;
          res.notes.push_back(fmt::format("{} {} from the package index{}", fetched.name, fetched.version,
                                          cached ? " (cached download)" : ""));
        } else {
          pip_why = got.error();
        }
      }
      if (!pick) {
        std::string why = reasons.empty() ? fmt::format("no distribution named {} in any source", item.req.name)
                                          : reasons.front();
        if (!pip_why.empty()) why = reasons.empty() ? pip_why : why + "; " + pip_why;
        if (item.optional) {
          res.skipped.push_back({item.req.text, why});
          skipped_keys.insert(key);
          continue;
        }
        std::string where;
        for (const auto& [dir, c] : sources) where += (where.empty() ? "" : ", ") + dir.string();
        return std::unexpected(fmt::format(
            "cannot install {} (required by {}): {}; put a pure-Python (py3-none-any) wheel of it in a --find-links "
            "folder{}",
            item.req.text, item.wanted_by, why,
            where.empty() && !input.pip.enabled ? " (no --find-links or --host-env was given)" : ""));
      }
      chosen[key] = res.chosen.size();
      res.chosen.push_back(*pick);
      pick = &res.chosen.back();
    }
    // Its own requirements, for the extras asked of it (once each).
    std::set<std::string>& done = extras_done[key];
    bool first = done.empty() && !done.contains("");
    std::set<std::string> new_extras;
    for (const std::string& x : item.req.extras)
      if (!done.contains(x)) new_extras.insert(x);
    if (!first && new_extras.empty()) continue;
    done.insert("");
    done.insert(new_extras.begin(), new_extras.end());
    std::string by = fmt::format("{} {}", pick->name, pick->version);
    for (const std::string& line : pick->requires_dist) {
      auto r = Requirement::parse(line);
      if (!r) continue;
      queue.push_back({*r, done, item.optional, by});
    }
  }
  return res;
}

std::expected<Environment, std::string> install(const Resolution& r, const fs::path& cache_root, const std::string& python_key) {
  std::error_code ec;
  std::string inputs = "wasipy-env 1\npython " + python_key + "\n";
  std::vector<const Candidate*> sorted;
  for (const Candidate& c : r.chosen) sorted.push_back(&c);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->key < b->key; });
  for (const Candidate* c : sorted) {
    auto t = fs::last_write_time(c->path, ec);
    inputs += fmt::format("{} {} {} {}\n", c->key, c->version, c->path.string(), t.time_since_epoch().count());
  }
  Environment env;
  env.key = sha256_hex(inputs).substr(0, 16);
  env.root = cache_root / "envs" / env.key;
  env.site_packages = env.root / "site-packages";
  if (fs::is_regular_file(env.root / "wasipy-env.txt", ec)) {
    env.reused = true;
    return env;
  }
  fs::path staging = cache_root / "envs" / fmt::format("{}.partial-{}", env.key, ::getpid());
  fs::remove_all(staging, ec);
  fs::path site = staging / "site-packages";
  fs::create_directories(site, ec);
  if (ec) return std::unexpected(fmt::format("cannot create {}: {}", site.string(), ec.message()));
  auto fail = [&](std::string msg) {
    fs::remove_all(staging, ec);
    return std::unexpected(std::move(msg));
  };
  for (const Candidate* c : sorted) {
    if (c->wheel) {
      auto z = zip_open_file(c->path);
      if (!z) return fail(z.error());
      std::map<std::string, std::string> record;  // path -> "sha256=..."
      std::string record_name;
      zip_int64_t n = zip_get_num_entries(z->get(), 0);
      for (zip_int64_t i = 0; i < n; ++i) {
        std::string name = zip_get_name(z->get(), zip_uint64_t(i), 0);
        if (name.ends_with(".dist-info/RECORD") && std::count(name.begin(), name.end(), '/') == 1) record_name = name;
      }
      if (record_name.empty()) return fail(fmt::format("wheel {} has no RECORD; rebuild it", c->path.string()));
      auto rec = zip_read(z->get(), zip_uint64_t(zip_name_locate(z->get(), record_name.c_str(), 0)));
      if (!rec) return fail(fmt::format("wheel {}: cannot read RECORD: {}", c->path.string(), rec.error()));
      for (const std::string& line : split_lines(*rec)) {
        auto paths = record_paths(line);
        size_t comma = line.rfind(',');
        size_t comma2 = comma == std::string::npos || comma == 0 ? std::string::npos : line.rfind(',', comma - 1);
        if (paths.empty() || comma2 == std::string::npos) continue;
        record[paths[0]] = line.substr(comma2 + 1, comma - comma2 - 1);
      }
      for (zip_int64_t i = 0; i < n; ++i) {
        std::string name = zip_get_name(z->get(), zip_uint64_t(i), 0);
        if (name.ends_with("/")) continue;
        if (!safe_relative(name)) return fail(fmt::format("wheel {} has an unsafe path {}", c->path.string(), name));
        auto data = zip_read(z->get(), zip_uint64_t(i));
        if (!data) return fail(fmt::format("wheel {}: cannot read {}: {}", c->path.string(), name, data.error()));
        if (name != record_name && !name.ends_with(".jws") && !name.ends_with(".p7s")) {
          auto it = record.find(name);
          if (it == record.end()) return fail(fmt::format("wheel {}: {} is not in its RECORD; the wheel was altered", c->path.string(), name));
          if (it->second != "sha256=" + record_hash(*data))
            return fail(fmt::format("wheel {}: {} does not match its RECORD hash; the wheel is corrupt or altered", c->path.string(), name));
        }
        std::string dest = name;
        size_t data_dir = name.find(".data/");
        if (data_dir != std::string::npos && name.find('/') == data_dir + 5) {
          std::string rest = name.substr(data_dir + 6);
          if (rest.starts_with("purelib/")) dest = rest.substr(8);
          else if (rest.starts_with("platlib/")) dest = rest.substr(8);
          else continue;  // scripts, headers, data: not for the guest
        }
        fs::path out = site / dest;
        fs::create_directories(out.parent_path(), ec);
        std::ofstream f(out, std::ios::binary);
        f.write(data->data(), std::streamsize(data->size()));
        if (!f) return fail(fmt::format("cannot write {}", out.string()));
      }
    } else {
      fs::path host_site = c->path.parent_path();
      for (const std::string& rel : installed_files(c->path, host_site)) {
        fs::path out = site / rel;
        fs::create_directories(out.parent_path(), ec);
        fs::copy_file(host_site / rel, out, fs::copy_options::overwrite_existing, ec);
        if (ec) return fail(fmt::format("cannot copy {}: {}", (host_site / rel).string(), ec.message()));
      }
    }
  }
  std::ofstream stamp(staging / "wasipy-env.txt");
  stamp << inputs;
  stamp.close();
  fs::rename(staging, env.root, ec);
  if (ec) {
    // Another run finished the same environment first: use it.
    fs::remove_all(staging, ec);
    if (!fs::is_regular_file(env.root / "wasipy-env.txt", ec))
      return std::unexpected(fmt::format("cannot create {}", env.root.string()));
  }
  return env;
}

}  // namespace wasipy::pyenv
