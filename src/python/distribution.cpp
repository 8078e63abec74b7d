#include "python/distribution.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "python/install.h"

namespace wasipy::python {

namespace fs = std::filesystem;

namespace {

constexpr const char* kHowToGet =
    "run 'wasipy python build' (builds CPython from Debian's source, a few minutes) "
    "or 'wasipy python add PATH' (a prebuilt python.wasm + lib/python3.X/)";

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

/// "3.11.2" -> {3, 11, 2}; anything after the digits of a part is ignored.
std::vector<int> version_parts(const std::string& v) {
  std::vector<int> parts;
  std::istringstream in(v);
  std::string part;
  while (std::getline(in, part, '.')) parts.push_back(std::atoi(part.c_str()));
  return parts;
}

/// "3.1" matches "3.1" and "3.1.4" but not "3.11".
bool version_matches(const std::string& version, const std::string& prefix) {
  if (prefix.empty() || version.compare(0, prefix.size(), prefix) != 0) return false;
  return version.size() == prefix.size() || version[prefix.size()] == '.' ||
         !std::isdigit(static_cast<unsigned char>(version[prefix.size()]));
}

fs::file_time_type installed_time(const Distribution& d) {
  std::error_code ec;
  auto t = fs::last_write_time(d.root / "wasipy-dist.json", ec);
  return ec ? fs::file_time_type::min() : t;
}

/// The key recorded in $CACHE/python/default, if any.
std::string recorded_default() {
  std::ifstream in(registry_dir() / "default");
  std::string key;
  std::getline(in, key);
  return trim(key);
}

/// Installed distributions, unmarked, sorted by version then key.
std::vector<Distribution> scan() {
  std::vector<Distribution> out;
  std::error_code ec;
  fs::directory_iterator it(registry_dir(), ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // Staging folders (".add-*", "*.partial-PID", "*.old-PID") are never distributions.
    if (name.empty() || name[0] == '.' || name.find('.') != std::string::npos) continue;
    if (!it->is_directory()) continue;
    if (auto d = read_distribution(it->path())) out.push_back(std::move(*d));
  }
  std::sort(out.begin(), out.end(), [](const Distribution& a, const Distribution& b) {
    auto va = version_parts(a.version), vb = version_parts(b.version);
    if (va != vb) return va < vb;
    return a.key < b.key;
  });
  return out;
}

/// Marks the default: the recorded key when it is installed, else the newest.
void mark_default(std::vector<Distribution>& dists) {
  if (dists.empty()) return;
  const std::string key = recorded_default();
  for (auto& d : dists) {
    if (d.key == key) {
      d.is_default = true;
      return;
    }
  }
  auto newest = std::max_element(dists.begin(), dists.end(), [](const Distribution& a, const Distribution& b) {
    return installed_time(a) < installed_time(b);
  });
  newest->is_default = true;
}

}  // namespace

fs::path cache_root() {
  if (const char* dir = std::getenv("WASIPY_CACHE_DIR"); dir && *dir) return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return fs::path(xdg) / "wasipy";
  const char* home = std::getenv("HOME");
  return fs::path(home && *home ? home : "/tmp") / ".cache" / "wasipy";
}

fs::path registry_dir() { return cache_root() / "python"; }

std::expected<Distribution, std::string> read_distribution(const fs::path& dir) {
  std::error_code ec;
  const fs::path meta = dir / "wasipy-dist.json";
  std::ifstream in(meta);
  if (!in) return std::unexpected(fmt::format("{}: no wasipy-dist.json", dir.string()));
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::unexpected(fmt::format("{}: wasipy-dist.json is not valid JSON", dir.string()));
  Distribution d;
  d.root = dir;
  d.key = dir.filename().string();
  if (j.contains("version") && j["version"].is_string()) d.version = j["version"].get<std::string>();
  if (j.contains("python") && j["python"].is_string()) d.minor = j["python"].get<std::string>();
  if (j.contains("source") && j["source"].is_object() && j["source"].contains("from") && j["source"]["from"].is_string())
    d.made_from = j["source"]["from"].get<std::string>();
  if (d.version.empty() || d.minor.empty())
    return std::unexpected(fmt::format("{}: wasipy-dist.json has no \"version\" or \"python\"", dir.string()));
  if (!fs::is_regular_file(d.python_wasm(), ec)) return std::unexpected(fmt::format("{}: no python.wasm", dir.string()));
  if (!fs::is_directory(d.stdlib(), ec))
    return std::unexpected(fmt::format("{}: no lib/python{}/", dir.string(), d.minor));
  return d;
}

std::expected<std::vector<Distribution>, std::string> list_distributions() {
  auto dists = scan();
  mark_default(dists);
  return dists;
}

std::expected<Distribution, std::string> default_distribution() {
  auto dists = scan();
  mark_default(dists);
  for (auto& d : dists)
    if (d.is_default) return d;
  return std::unexpected(fmt::format("no CPython WASI distribution in {}: {}", registry_dir().string(), kHowToGet));
}

std::expected<Distribution, std::string> find_distribution(const std::string& version) {
  auto dists = scan();
  mark_default(dists);
  const Distribution* best = nullptr;
  for (const auto& d : dists) {
    if (!version_matches(d.version, version) && d.key != version) continue;
    // The default wins; otherwise the highest version (dists is sorted).
    if (!best || !best->is_default) best = &d;
    if (d.key == version) return d;
  }
  if (best) return *best;
  if (dists.empty())
    return std::unexpected(fmt::format("no CPython WASI distribution in {}: {}", registry_dir().string(), kHowToGet));
  std::string have;
  for (const auto& d : dists) have += (have.empty() ? "" : ", ") + d.version;
  return std::unexpected(fmt::format("no installed CPython WASI distribution has version {} (installed: {}); {}", version,
                                     have, kHowToGet));
}

bool has_recorded_default() {
  const std::string key = recorded_default();
  return !key.empty() && key.find('/') == std::string::npos && key[0] != '.' &&
         read_distribution(registry_dir() / key).has_value();
}

std::expected<void, std::string> set_default_key(const std::string& key) {
  const fs::path dir = registry_dir();
  std::error_code ec;
  fs::create_directories(dir, ec);
  const fs::path tmp = dir / fmt::format(".default.{}", ::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << key << '\n';
    if (!out) return std::unexpected(fmt::format("cannot write {}", tmp.string()));
  }
  fs::rename(tmp, dir / "default", ec);
  if (ec) {
    fs::remove(tmp, ec);
    return std::unexpected(fmt::format("cannot write {}: {}", (dir / "default").string(), ec.message()));
  }
  return {};
}

std::expected<Distribution, std::string> set_default(const std::string& which) {
  auto dists = scan();
  if (dists.empty())
    return std::unexpected(fmt::format("no CPython WASI distribution in {}: {}", registry_dir().string(), kHowToGet));
  std::vector<const Distribution*> hits;
  for (const auto& d : dists)
    if (d.key == which) hits = {&d};
  if (hits.empty())
    for (const auto& d : dists)
      if (which.size() >= 4 && d.key.starts_with(which)) hits.push_back(&d);
  if (hits.empty())
    for (const auto& d : dists)
      if (version_matches(d.version, which)) hits.push_back(&d);
  if (hits.empty()) {
    std::string have;
    for (const auto& d : dists) have += (have.empty() ? "" : ", ") + fmt::format("{} ({})", d.key, d.version);
    return std::unexpected(fmt::format("'{}' is neither the key nor the version of an installed distribution; installed: {}",
                                       which, have));
  }
  if (hits.size() > 1) {
    std::string keys;
    for (const auto* d : hits) keys += (keys.empty() ? "" : ", ") + d->key;
    return std::unexpected(fmt::format("'{}' matches {} distributions ({}); give a key", which, hits.size(), keys));
  }
  if (auto r = set_default_key(hits[0]->key); !r) return std::unexpected(r.error());
  Distribution d = *hits[0];
  d.is_default = true;
  return d;
}

launch::Guest python_guest(const Distribution& dist, const std::vector<std::string>& args,
                           std::vector<wasi::Mount> mounts, std::vector<std::string> env) {
  launch::Guest g;
  g.module_path = dist.python_wasm().string();
  g.args.push_back("python" + dist.minor);
  g.args.insert(g.args.end(), args.begin(), args.end());
  // CPython's compiled-in prefix is /usr/local: getpath finds the stdlib at
  // /usr/local/lib/python3.X (landmark os.py) and lib-dynload beside it.
  g.mounts.push_back(wasi::Mount{(dist.root / "lib").string(), "/usr/local/lib", /*read_only=*/true});
  for (auto& m : mounts) g.mounts.push_back(std::move(m));
  // The caller's variables win over ours.
  auto key_of = [](const std::string& kv) { return kv.substr(0, kv.find('=')); };
  auto overridden = [&](const std::string& key) {
    return std::any_of(env.begin(), env.end(), [&](const std::string& kv) { return key_of(kv) == key; });
  };
  if (!overridden("PYTHONHOME")) g.env.push_back("PYTHONHOME=/usr/local");
  for (auto& kv : env) g.env.push_back(std::move(kv));
  return g;
}

}  // namespace wasipy::python
