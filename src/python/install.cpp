// `wasipy python add` and `wasipy python default`: copying or unpacking a
// prebuilt distribution into the registry, all or nothing.
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <ctime>
#include <fstream>
#include <regex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include "python/install.h"

namespace wasipy::python {

namespace fs = std::filesystem;

namespace {

/// Deletes a staging folder unless released.
class TempDir {
 public:
  explicit TempDir(fs::path p) : path_(std::move(p)) {}
  ~TempDir() {
    if (path_.empty()) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  void release() { path_.clear(); }

 private:
  fs::path path_;
};

std::expected<std::string, std::string> sha256_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::unexpected(fmt::format("cannot read {}", p.string()));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), std::streamsize(buf.size()));
    if (in.gcount() > 0) EVP_DigestUpdate(ctx, buf.data(), size_t(in.gcount()));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  if (in.bad()) return std::unexpected(fmt::format("cannot read {}", p.string()));
  std::string hex;
  for (unsigned i = 0; i < len; ++i) hex += fmt::format("{:02x}", md[i]);
  return hex;
}

/// The folder that holds python.wasm: `dir` itself, or its only subfolder.
std::optional<fs::path> layout_root(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_regular_file(dir / "python.wasm", ec)) return dir;
  std::vector<fs::path> entries;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) entries.push_back(it->path());
  if (entries.size() == 1 && fs::is_directory(entries[0], ec) && fs::is_regular_file(entries[0] / "python.wasm", ec))
    return entries[0];
  return std::nullopt;
}

/// A zip entry's name is safe to unpack: relative, no "..", no NUL tricks.
bool safe_entry_name(const std::string& name) {
  if (name.empty() || name[0] == '/' || name.find('\\') != std::string::npos) return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    if (name.compare(start, end - start, "..") == 0 && end - start == 2) return false;
    start = end + 1;
  }
  return true;
}

std::string zip_reason(zip_t* za) { return zip_error_strerror(zip_get_error(za)); }

/// Unpacks the zip's distribution (at its top, or in its one top folder)
/// into `dest`.
std::expected<void, std::string> unpack_zip(const fs::path& zip_path, const fs::path& dest) {
  int err = 0;
  zip_t* za = zip_open(zip_path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &err);
  if (!za) {
    zip_error_t e;
    zip_error_init_with_code(&e, err);
    std::string reason = zip_error_strerror(&e);
    zip_error_fini(&e);
    return std::unexpected(fmt::format("{} is not a readable zip archive ({})", zip_path.string(), reason));
  }
  struct Closer {
    zip_t* za;
    ~Closer() { zip_discard(za); }
  } closer{za};

  const zip_int64_t n = zip_get_num_entries(za, 0);
  std::vector<std::string> names;
  for (zip_int64_t i = 0; i < n; ++i) {
    const char* name = zip_get_name(za, zip_uint64_t(i), 0);
    if (!name) return std::unexpected(fmt::format("{} is corrupt: entry {} has no name ({})", zip_path.string(), i, zip_reason(za)));
    if (!safe_entry_name(name))
      return std::unexpected(fmt::format("{}: refusing entry '{}', which would land outside the distribution", zip_path.string(), name));
    names.emplace_back(name);
  }
  // Where python.wasm is: at the top, or in the one folder everything is in.
  std::string prefix;
  if (std::find(names.begin(), names.end(), "python.wasm") == names.end()) {
    std::string top;
    bool one_top = !names.empty();
    for (const auto& name : names) {
      auto slash = name.find('/');
      std::string first = slash == std::string::npos ? std::string() : name.substr(0, slash + 1);
      if (first.empty() || (!top.empty() && first != top)) {
        one_top = false;
        break;
      }
      top = first;
    }
    if (!one_top || std::find(names.begin(), names.end(), top + "python.wasm") == names.end())
      return std::unexpected(fmt::format(
          "{} has no python.wasm, neither at its top nor in a single top folder; "
          "a distribution is python.wasm + lib/python3.X/",
          zip_path.string()));
    prefix = top;
  }

  std::vector<char> buf(1 << 16);
  for (zip_int64_t i = 0; i < n; ++i) {
    const std::string& name = names[size_t(i)];
    if (name.size() <= prefix.size()) continue;  // the top folder itself
    const fs::path out = dest / name.substr(prefix.size());
    zip_uint8_t opsys = 0;
    zip_uint32_t attr = 0;
    zip_file_get_external_attributes(za, zip_uint64_t(i), 0, &opsys, &attr);
    const mode_t mode = opsys == ZIP_OPSYS_UNIX ? mode_t(attr >> 16) : 0;
    std::error_code ec;
    if (name.back() == '/' || S_ISDIR(mode)) {
      fs::create_directories(out, ec);
      if (ec) return std::unexpected(fmt::format("cannot create {}: {}", out.string(), ec.message()));
      continue;
    }
    if (S_ISLNK(mode)) continue;  // a distribution needs no symlinks; never follow one out
    fs::create_directories(out.parent_path(), ec);
    if (ec) return std::unexpected(fmt::format("cannot create {}: {}", out.parent_path().string(), ec.message()));
    zip_file_t* zf = zip_fopen_index(za, zip_uint64_t(i), 0);
    if (!zf) return std::unexpected(fmt::format("{} is corrupt: cannot open '{}' ({})", zip_path.string(), name, zip_reason(za)));
    std::ofstream o(out, std::ios::binary | std::ios::trunc);
    zip_int64_t got = 0;
    while ((got = zip_fread(zf, buf.data(), buf.size())) > 0) o.write(buf.data(), std::streamsize(got));
    std::string reason = got < 0 ? zip_error_strerror(zip_file_get_error(zf)) : "";
    zip_fclose(zf);
    if (got < 0) return std::unexpected(fmt::format("{} is corrupt: cannot read '{}' ({})", zip_path.string(), name, reason));
    if (!o) return std::unexpected(fmt::format("cannot write {}", out.string()));
  }
  return {};
}

/// The patch-level version string compiled into python.wasm ("3.11.2"),
/// a NUL-terminated "3.X.N..." in its data.
std::optional<std::string> version_in_wasm(const fs::path& wasm, const std::string& minor) {
  std::ifstream in(wasm, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string needle = std::string(1, '\0') + minor + ".";
  for (size_t pos = bytes.find(needle); pos != std::string::npos; pos = bytes.find(needle, pos + 1)) {
    size_t end = bytes.find('\0', pos + 1);
    if (end == std::string::npos || end - pos > 24) continue;
    std::string candidate = bytes.substr(pos + 1, end - pos - 1);
    static const std::regex pattern(R"(3\.[0-9]+\.[0-9]+((a|b|rc)[0-9]+)?\+?)");
    if (std::regex_match(candidate, pattern)) return candidate;
  }
  return std::nullopt;
}

}  // namespace

std::expected<LayoutVersion, std::string> detect_version(const fs::path& root) {
  std::error_code ec;
  std::vector<std::string> minors;
  static const std::regex lib_name(R"(python(3\.[0-9]+))");
  for (fs::directory_iterator it(root / "lib", ec), end; !ec && it != end; it.increment(ec)) {
    std::smatch m;
    const std::string name = it->path().filename().string();
    if (it->is_directory() && std::regex_match(name, m, lib_name)) minors.push_back(m[1]);
  }
  if (minors.empty()) return std::unexpected("no lib/python3.X/ (the stdlib) beside python.wasm");
  if (minors.size() > 1) return std::unexpected(fmt::format("more than one stdlib under lib/ (python{} and python{})", minors[0], minors[1]));
  LayoutVersion v;
  v.minor = minors[0];
  const fs::path stdlib = root / "lib" / ("python" + v.minor);
  if (!fs::is_regular_file(stdlib / "os.py", ec))
    return std::unexpected(fmt::format("lib/python{}/ has no os.py: it is not a CPython stdlib", v.minor));
  // _sysconfigdata*.py, when there is one, must agree on the minor version.
  for (fs::directory_iterator it(stdlib, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with("_sysconfigdata") || !name.ends_with(".py")) continue;
    std::ifstream in(it->path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    static const std::regex version_var(R"('VERSION': '([0-9.]+)')");
    std::smatch m;
    if (std::regex_search(text, m, version_var) && m[1] != v.minor)
      return std::unexpected(fmt::format("lib/python{}/{} says VERSION {}: the layout is inconsistent", v.minor, name, m[1].str()));
  }
  v.version = version_in_wasm(root / "python.wasm", v.minor).value_or(v.minor);
  return v;
}

std::expected<AddResult, std::string> add_distribution(const fs::path& path_in) {
  std::error_code ec;
  const fs::path path = fs::absolute(path_in, ec);
  if (!fs::exists(path, ec)) return std::unexpected(fmt::format("{}: no such file or folder", path_in.string()));
  const fs::path reg = registry_dir();
  fs::create_directories(reg, ec);
  if (ec) return std::unexpected(fmt::format("cannot create {}: {}", reg.string(), ec.message()));
  static std::atomic<int> counter{0};
  TempDir stage(reg / fmt::format(".add-{}-{}", ::getpid(), counter++));
  fs::remove_all(stage.path(), ec);
  fs::create_directories(stage.path(), ec);
  if (ec) return std::unexpected(fmt::format("cannot create {}: {}", stage.path().string(), ec.message()));

  std::string source_kind;
  if (fs::is_directory(path, ec)) {
    auto root = layout_root(path);
    if (!root)
      return std::unexpected(fmt::format("{} has no python.wasm (nor a single subfolder with one); "
                                         "a distribution is python.wasm + lib/python3.X/",
                                         path_in.string()));
    if (!fs::is_directory(*root / "lib", ec))
      return std::unexpected(fmt::format("{}: no lib/python3.X/ (the stdlib) beside python.wasm", path_in.string()));
    fs::copy(*root / "python.wasm", stage.path() / "python.wasm", ec);
    if (!ec) fs::copy(*root / "lib", stage.path() / "lib", fs::copy_options::recursive, ec);
    if (ec) return std::unexpected(fmt::format("cannot copy {}: {}", root->string(), ec.message()));
    source_kind = "folder";
  } else {
    if (auto r = unpack_zip(path, stage.path()); !r) return std::unexpected(r.error());
    source_kind = "zip";
  }

  // The layout: a wasm module, and a stdlib of one minor version.
  {
    std::ifstream in(stage.path() / "python.wasm", std::ios::binary);
    std::array<char, 4> magic{};
    in.read(magic.data(), 4);
    if (!in || std::string(magic.data(), 4) != std::string("\0asm", 4))
      return std::unexpected(fmt::format("{}: python.wasm is not a WebAssembly module", path_in.string()));
  }
  auto version = detect_version(stage.path());
  if (!version) return std::unexpected(fmt::format("{}: {}", path_in.string(), version.error()));
  auto sha = sha256_file(stage.path() / "python.wasm");
  if (!sha) return std::unexpected(sha.error());
  const std::string key = sha->substr(0, 16);
  const fs::path final_dir = reg / key;

  AddResult result;
  if (auto existing = read_distribution(final_dir)) {
    result.dist = *existing;
    result.already_installed = true;
  } else {
    fs::create_directories(stage.path() / "lib" / ("python" + version->minor) / "site-packages", ec);
    fs::create_directories(stage.path() / "lib" / ("python" + version->minor) / "lib-dynload", ec);
    char now[32];
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    nlohmann::ordered_json j;
    j["format"] = 1;
    j["implementation"] = "cpython";
    j["version"] = version->version;
    j["python"] = version->minor;
    j["target"] = "wasm32-wasi";
    j["key"] = key;
    j["source"] = {{"from", "wasipy python add"}, {"path", path.string()}, {"kind", source_kind}};
    j["python_wasm"] = "python.wasm";
    j["python_wasm_sha256"] = *sha;
    j["python_wasm_bytes"] = fs::file_size(stage.path() / "python.wasm", ec);
    j["stdlib"] = "lib/python" + version->minor;
    j["run"] = {{"mounts", {{{"host", "lib"}, {"guest", "/usr/local/lib"}}}},
                {"env", {{"PYTHONHOME", "/usr/local"}}},
                {"argv0", "python" + version->minor}};
    j["added_date"] = now;
    {
      std::ofstream out(stage.path() / "wasipy-dist.json", std::ios::trunc);
      out << j.dump(2) << '\n';
      if (!out) return std::unexpected(fmt::format("cannot write {}", (stage.path() / "wasipy-dist.json").string()));
    }
    // A broken folder under the same key is replaced.
    if (fs::exists(final_dir, ec)) {
      TempDir old(reg / fmt::format(".old-{}-{}", ::getpid(), counter++));
      fs::rename(final_dir, old.path(), ec);
      if (ec) return std::unexpected(fmt::format("cannot replace {}: {}", final_dir.string(), ec.message()));
    }
    fs::rename(stage.path(), final_dir, ec);
    if (ec) return std::unexpected(fmt::format("cannot move {} into place: {}", final_dir.string(), ec.message()));
    stage.release();
    auto d = read_distribution(final_dir);
    if (!d) return std::unexpected(d.error());
    result.dist = *d;
  }
  if (!has_recorded_default()) {
    if (auto r = set_default_key(key); !r) return std::unexpected(r.error());
    result.made_default = true;
  }
  auto dists = list_distributions();
  if (dists)
    for (const auto& d : *dists)
      if (d.key == key) result.dist.is_default = d.is_default;
  return result;
}

}  // namespace wasipy::python
