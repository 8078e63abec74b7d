#include "pyenv/project.h"
#include "pyenv/text.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "pyenv/requirement.h"

namespace fs = std::filesystem;

namespace wasipy::pyenv {

namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(line);
  }
  return out;
}

/// setup.cfg: section -> key -> value (continuation lines joined with '\n').
using Ini = std::map<std::string, std::map<std::string, std::string>>;
Ini parse_ini(const std::string& text) {
  Ini ini;
  std::string section, key;
  for (const std::string& raw : lines_of(text)) {
    std::string t = trim(raw);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (!raw.empty() && std::isspace(static_cast<unsigned char>(raw[0])) && !key.empty()) {
      ini[section][key] += "\n" + t;
      continue;
    }
    if (t.front() == '[' && t.back() == ']') {
      section = trim(std::string_view(t).substr(1, t.size() - 2));
      key.clear();
      continue;
    }
    size_t eq = t.find_first_of("=:");
    if (eq == std::string::npos) continue;
    key = trim(std::string_view(t).substr(0, eq));
    ini[section][key] = trim(std::string_view(t).substr(eq + 1));
  }
  return ini;
}

std::vector<std::string> ini_list(const std::string& value) {
  std::vector<std::string> out;
  for (const std::string& l : lines_of(value)) {
    std::string t = trim(l);
    if (size_t hash = t.find(" #"); hash != std::string::npos) t = trim(t.substr(0, hash));
    if (!t.empty() && t[0] != '#') out.push_back(t);
  }
  return out;
}

bool is_test_group(const std::string& name) {
  std::string k = normalize_name(name);
  return k == "test" || k == "tests" || k == "testing";
}

std::vector<std::string> toml_strings(const toml::node* node) {
  std::vector<std::string> out;
  if (const toml::array* arr = node ? node->as_array() : nullptr)
    for (const toml::node& el : *arr)
      if (auto s = el.value<std::string>()) out.push_back(*s);
  return out;
}

/// PEP 735: a group's requirements, `{include-group = "..."}` followed.
void dependency_group(const toml::table& groups, const std::string& name, std::vector<std::string>& out,
                      std::set<std::string>& seen) {
  if (!seen.insert(normalize_name(name)).second) return;
  for (auto&& [k, v] : groups) {
    if (normalize_name(k.str()) != normalize_name(name)) continue;
    if (const toml::array* arr = v.as_array()) {
      for (const toml::node& el : *arr) {
        if (auto s = el.value<std::string>()) out.push_back(*s);
        else if (const toml::table* t = el.as_table())
          if (auto inc = (*t)["include-group"].value<std::string>()) dependency_group(groups, *inc, out, seen);
      }
    }
  }
}

bool is_package_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec) && fs::exists(p / "__init__.py", ec);
}

std::vector<std::string> top_level_code(const fs::path& dir, bool flat) {
  static const std::set<std::string> skip{"setup.py", "conftest.py", "noxfile.py", "tasks.py", "fabfile.py",
                                          "docs", "doc", "tests", "test", "build", "dist", "examples", "benchmarks"};
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string n = e.path().filename().string();
    if (n.starts_with(".") || (flat && skip.contains(n))) continue;
    if (is_package_dir(e.path())) out.push_back(n);
    else if (e.is_regular_file() && n.ends_with(".py") && !n.starts_with("test_")) out.push_back(n.substr(0, n.size() - 3));
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool has_test_files(const fs::path& root) {
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    if (it.depth() > 5) it.disable_recursion_pending();
    std::string n = it->path().filename().string();
    if (it->is_regular_file(ec) && n.ends_with(".py") && (n.starts_with("test_") || n.ends_with("_test.py"))) return true;
  }
  return false;
}

void add_requirements(Project& p, const std::vector<std::string>& reqs, const std::string& source) {
  if (reqs.empty()) return;
  for (const std::string& r : reqs) p.requirements.push_back(r);
  p.sources.push_back(fmt::format("{} ({})", source, reqs.size()));
}

}  // namespace

bool Project::declares_wasi() const {
  return std::find(classifiers.begin(), classifiers.end(), "Environment :: WebAssembly :: WASI") != classifiers.end();
}

std::vector<std::string> metadata_values(const std::string& text, std::string_view field) {
  std::vector<std::string> out;
  std::string prefix = std::string(field) + ":";
  for (const std::string& line : lines_of(text)) {
    if (line.empty()) break;  // the body (description) starts here
    if (line.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), line.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        }))
      out.push_back(trim(std::string_view(line).substr(prefix.size())));
  }
  return out;
}

std::vector<std::string> egg_requires(const std::string& text) {
  std::vector<std::string> out;
  std::string marker;
  for (const std::string& raw : lines_of(text)) {
    std::string t = trim(raw);
    if (t.empty() || t[0] == '#') continue;
    if (t.front() == '[' && t.back() == ']') {
      std::string sec = trim(std::string_view(t).substr(1, t.size() - 2));
      size_t colon = sec.find(':');
      std::string extra = trim(sec.substr(0, colon));
      std::string m = colon == std::string::npos ? "" : trim(sec.substr(colon + 1));
      marker.clear();
      if (!extra.empty()) marker = fmt::format("extra == \"{}\"", extra);
      if (!m.empty()) marker = marker.empty() ? m : fmt::format("({}) and {}", m, marker);
      continue;
    }
    out.push_back(marker.empty() ? t : fmt::format("{}; {}", t, marker));
  }
  return out;
}

std::expected<std::vector<std::string>, std::string> read_requirements_file(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return std::unexpected(fmt::format("requirements file {} does not exist", file.string()));
  std::vector<std::string> out;
  for (const std::string& raw : lines_of(read_text(file))) {
    std::string t = trim(raw);
    if (size_t hash = t.find('#'); hash != std::string::npos && (hash == 0 || std::isspace(static_cast<unsigned char>(t[hash - 1]))))
      t = trim(t.substr(0, hash));
    if (t.empty()) continue;
    if (t.starts_with("-r ") || t.starts_with("--requirement ") || t.starts_with("-c ")) {
      if (t.starts_with("-c ")) continue;  // constraints install nothing
      fs::path inc = file.parent_path() / trim(t.substr(t.find(' ') + 1));
      auto more = read_requirements_file(inc);
      if (!more) return more;
      out.insert(out.end(), more->begin(), more->end());
      continue;
    }
    if (t[0] == '-' || t[0] == '.' || t[0] == '/') continue;  // options, -e, local paths
    out.push_back(t);
  }
  return out;
}

std::expected<Project, std::string> discover(const fs::path& given, const DiscoverOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(given, ec))
    return std::unexpected(fmt::format("no project at {}: not a folder; give the folder that holds pyproject.toml, setup.cfg or the tests", given.string()));
  Project p;
  p.root = fs::canonical(given, ec);
  const fs::path& root = p.root;
  bool found = false;
  std::vector<std::string> extras_available;
  std::map<std::string, std::vector<std::string>> extras;  // normalized extra -> requirements
  std::vector<std::string> deps;
  std::vector<std::string> group_reqs;
  std::string group_names;

  if (fs::is_regular_file(root / "pyproject.toml", ec)) {
    found = true;
    toml::table tbl;
    try {
      tbl = toml::parse_file((root / "pyproject.toml").string());
    } catch (const toml::parse_error& e) {
      return std::unexpected(fmt::format("{}: {} (line {}); fix the file", (root / "pyproject.toml").string(),
                                         e.description(), e.source().begin.line));
    }
    auto proj = tbl["project"];
    if (auto n = proj["name"].value<std::string>()) p.name = *n;
    if (auto v = proj["version"].value<std::string>()) p.version = *v;
    p.classifiers = toml_strings(proj["classifiers"].node());
    deps = toml_strings(proj["dependencies"].node());
    if (const toml::table* od = proj["optional-dependencies"].as_table())
      for (auto&& [k, v] : *od) extras[normalize_name(k.str())] = toml_strings(&v);
    if (const toml::table* groups = tbl["dependency-groups"].as_table()) {
      for (auto&& [k, v] : *groups) {
        if (!is_test_group(std::string(k.str()))) continue;
        std::set<std::string> seen;
        dependency_group(*groups, std::string(k.str()), group_reqs, seen);
        group_names += (group_names.empty() ? "" : ", ") + std::string(k.str());
      }
    }
    std::string backend = tbl["build-system"]["build-backend"].value_or(std::string());
    for (std::string_view b : {"maturin", "mesonpy", "scikit_build_core", "pybind11"})
      if (backend.find(b) != std::string::npos) p.compiled = fmt::format("pyproject.toml builds with {}", backend);
    if (tbl["tool"]["setuptools"]["ext-modules"]) p.compiled = "pyproject.toml declares [tool.setuptools] ext-modules";
  }
  if (fs::is_regular_file(root / "setup.cfg", ec)) {
    Ini ini = parse_ini(read_text(root / "setup.cfg"));
    if (ini.contains("metadata") || ini.contains("options")) found = true;
    if (p.name.empty() && ini["metadata"].contains("name")) p.name = ini["metadata"]["name"];
    if (p.version.empty() && ini["metadata"].contains("version")) p.version = ini["metadata"]["version"];
    if (p.classifiers.empty() && ini["metadata"].contains("classifiers")) p.classifiers = ini_list(ini["metadata"]["classifiers"]);
    if (deps.empty() && ini["options"].contains("install_requires")) deps = ini_list(ini["options"]["install_requires"]);
    if (ini.contains("options.extras_require"))
      for (auto& [k, v] : ini["options.extras_require"])
        if (!extras.contains(normalize_name(k))) extras[normalize_name(k)] = ini_list(v);
  }
  if (fs::is_regular_file(root / "setup.py", ec)) {
    found = true;
    std::string text = read_text(root / "setup.py");
    std::smatch m;
    if (p.name.empty() && std::regex_search(text, m, std::regex(R"(\bname\s*=\s*['"]([A-Za-z0-9._-]+)['"])"))) p.name = m[1];
    if (p.compiled.empty() && std::regex_search(text, m, std::regex(R"(\b(ext_modules|Extension\(|cythonize\())")))
      p.compiled = fmt::format("setup.py uses {}", m[1].str());
  }
  // An installed layout (a Debian package unpacked with dpkg -x): *.egg-info / *.dist-info.
  for (const auto& e : fs::directory_iterator(root, ec)) {
    std::string n = e.path().filename().string();
    bool egg = n.ends_with(".egg-info"), dist = n.ends_with(".dist-info");
    if (!egg && !dist) continue;
    fs::path meta = e.is_directory() ? e.path() / (egg ? "PKG-INFO" : "METADATA") : e.path();
    if (!fs::is_regular_file(meta, ec)) continue;
    found = true;
    std::string text = read_text(meta);
    auto names = metadata_values(text, "Name");
    if (p.name.empty() && !names.empty()) p.name = names[0];
    auto versions = metadata_values(text, "Version");
    if (p.version.empty() && !versions.empty()) p.version = versions[0];
    if (p.classifiers.empty()) p.classifiers = metadata_values(text, "Classifier");
    std::vector<std::string> reqs = metadata_values(text, "Requires-Dist");
    if (egg && fs::is_regular_file(e.path() / "requires.txt", ec)) reqs = egg_requires(read_text(e.path() / "requires.txt"));
    for (const std::string& r : reqs) {
      auto parsed = Requirement::parse(r);
      if (!parsed) continue;
      // "; extra == 'x'" requirements become that extra's.
      std::smatch m;
      static const std::regex extra_re(R"(extra\s*==\s*['"]([^'"]+)['"])");
      if (std::regex_search(parsed->marker, m, extra_re)) extras[normalize_name(m[1].str())].push_back(r);
      else deps.push_back(r);
    }
    break;
  }

  // Layout: src/ when it holds a package or module, else the root (flat).
  if (auto src = top_level_code(root / "src", false); fs::is_directory(root / "src", ec) && !src.empty()) {
    p.import_root = "src";
    p.packages = src;
  } else {
    p.packages = top_level_code(root, true);
  }
  if (!found && !has_test_files(root))
    return std::unexpected(fmt::format("no Python project at {}: no pyproject.toml, setup.cfg, setup.py or test_*.py; give the project's folder", root.string()));
  if (p.name.empty()) {
    p.name = p.packages.size() == 1 ? p.packages[0] : root.filename().string();
    p.warnings.push_back(fmt::format("no metadata names the project; calling it '{}'", p.name));
  }
  p.key = normalize_name(p.name);

  // Compiled extensions: C/Cython/Rust sources in the project's own packages.
  fs::path code_root = p.import_root.empty() ? root : root / p.import_root;
  for (const std::string& pkg : p.packages) {
    fs::path dir = code_root / pkg;
    if (!fs::is_directory(dir, ec)) continue;
    for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      std::string ext = it->path().extension().string();
      std::string rel = fs::relative(it->path(), root, ec).string();
      if (p.compiled.empty() && (ext == ".pyx" || ext == ".c" || ext == ".cpp" || ext == ".rs"))
        p.compiled = fmt::format("{} is extension source", rel);
      if (ext == ".so" || ext == ".pyd")
        p.warnings.push_back(fmt::format("{} is a host extension module the guest cannot load; the tests run on the pure-Python fallback, if any", rel));
    }
  }

  // Test requirements: runtime dependencies + test extras + test groups + requirement files.
  add_requirements(p, deps, "dependencies");
  if (!options.extras.empty()) {
    for (const std::string& x : options.extras) {
      auto it = extras.find(normalize_name(x));
      if (it == extras.end()) {
        std::string known;
        for (auto& [k, v] : extras) known += (known.empty() ? "" : ", ") + k;
        return std::unexpected(fmt::format("--extra {}: the project has no such extra (it has: {})", x, known.empty() ? "none" : known));
      }
      add_requirements(p, it->second, "extra '" + x + "'");
    }
  } else {
    for (auto& [k, v] : extras)
      if (is_test_group(k)) add_requirements(p, v, "extra '" + k + "'");
  }
  add_requirements(p, group_reqs, "dependency group '" + group_names + "'");
  std::vector<fs::path> files = options.requirement_files;
  bool guessed = files.empty();
  if (guessed) {
    std::vector<fs::path> candidates{root / "tests" / "requirements.txt", root / "test" / "requirements.txt",
                                     root / "test-requirements.txt", root / "test_requirements.txt"};
    for (const fs::path& dir : {root, root / "requirements"}) {
      if (!fs::is_directory(dir, ec)) continue;
      for (const auto& e : fs::directory_iterator(dir, ec)) {
        std::string n = e.path().filename().string();
        if (!n.ends_with(".txt")) continue;
        if ((dir == root && n.starts_with("requirements-test")) || (dir != root && n.starts_with("test")))
          candidates.push_back(e.path());
      }
    }
    for (const fs::path& c : candidates)
      if (fs::is_regular_file(c, ec)) files.push_back(c);
  }
  for (const fs::path& f : files) {
    auto reqs = read_requirements_file(f.is_absolute() || !guessed ? f : root / f);
    if (!reqs) return std::unexpected(reqs.error());
    add_requirements(p, *reqs, fs::relative(f, root, ec).string());
  }
  bool has_pytest = std::any_of(p.requirements.begin(), p.requirements.end(), [](const std::string& r) {
    auto q = Requirement::parse(r);
    return q && q->key == "pytest";
  });
  if (!has_pytest) add_requirements(p, {"pytest"}, "the runner");
  return p;
}

}  // namespace wasipy::pyenv
