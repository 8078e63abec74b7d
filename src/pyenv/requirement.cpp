#include "pyenv/requirement.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace wasipy::pyenv {

namespace {

std::string lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = char(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'; }

}  // namespace

std::string normalize_name(std::string_view name) {
  std::string r;
  bool sep = false;
  for (char c : trim(name)) {
    if (c == '-' || c == '_' || c == '.') {
      sep = true;
      continue;
    }
    if (sep && !r.empty()) r += '-';
    sep = false;
    r += char(std::tolower(static_cast<unsigned char>(c)));
  }
  return r;
}

// ---- versions ---------------------------------------------------------------

std::optional<Version> Version::parse(std::string_view text) {
  Version v;
  v.text = std::string(trim(text));
  std::string s = lower(v.text);
  size_t i = 0;
  if (!s.empty() && s[0] == 'v') i = 1;
  auto number = [&](long& out) {
    if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    long n = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) n = n * 10 + (s[i++] - '0');
    out = n;
    return true;
  };
  long n = 0;
  if (!number(n)) return std::nullopt;
  if (i < s.size() && s[i] == '!') {
    v.epoch = int(n);
    ++i;
    if (!number(n)) return std::nullopt;
  }
  v.release.push_back(n);
  while (i + 1 < s.size() && s[i] == '.' && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
    ++i;
    number(n);
    v.release.push_back(n);
  }
  auto skip_sep = [&] {
    if (i < s.size() && (s[i] == '.' || s[i] == '-' || s[i] == '_')) ++i;
  };
  auto word = [&](std::initializer_list<std::pair<const char*, int>> words, int& phase) {
    size_t save = i;
    skip_sep();
    for (auto [w, p] : words) {
      size_t len = std::char_traits<char>::length(w);
      if (s.compare(i, len, w) == 0) {
        i += len;
        phase = p;
        return true;
      }
    }
    i = save;
    return false;
  };
  int phase = 0;
  if (word({{"alpha", 0}, {"beta", 1}, {"preview", 2}, {"pre", 2}, {"rc", 2}, {"a", 0}, {"b", 1}, {"c", 2}}, phase)) {
    v.pre_phase = phase;
    skip_sep();
    if (!number(v.pre)) v.pre = 0;
  }
  if (word({{"post", 0}, {"rev", 0}, {"r", 0}}, phase)) {
    skip_sep();
    if (!number(v.post)) v.post = 0;
  } else if (i < s.size() && s[i] == '-' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
    ++i;
    number(v.post);
  }
  if (word({{"dev", 0}}, phase)) {
    skip_sep();
    if (!number(v.dev)) v.dev = 0;
  }
  if (i < s.size() && s[i] == '+') i = s.size();  // local label
  if (i != s.size()) return std::nullopt;
  return v;
}

int Version::compare(const Version& o) const {
  if (epoch != o.epoch) return epoch < o.epoch ? -1 : 1;
  size_t n = std::max(release.size(), o.release.size());
  for (size_t k = 0; k < n; ++k) {
    long a = k < release.size() ? release[k] : 0, b = k < o.release.size() ? o.release[k] : 0;
    if (a != b) return a < b ? -1 : 1;
  }
  // A dev release with no pre/post sorts before the pre-releases of the same release.
  auto pre_key = [](const Version& v) -> std::pair<int, long> {
    if (v.pre_phase == 3 && v.post < 0 && v.dev >= 0) return {-1, 0};
    return {v.pre_phase, v.pre};
  };
  auto pa = pre_key(*this), pb = pre_key(o);
  if (pa != pb) return pa < pb ? -1 : 1;
  if (post != o.post) return post < o.post ? -1 : 1;
  long da = dev < 0 ? LONG_MAX : dev, db = o.dev < 0 ? LONG_MAX : o.dev;
  if (da != db) return da < db ? -1 : 1;
  return 0;
}

// ---- specifiers -------------------------------------------------------------

std::expected<Specifier, std::string> Specifier::parse(std::string_view text) {
  Specifier spec;
  std::string_view rest = trim(text);
  if (!rest.empty() && rest.front() == '(' && rest.back() == ')') rest = trim(rest.substr(1, rest.size() - 2));
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view part = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (part.empty()) continue;
    size_t k = 0;
    while (k < part.size() && std::string_view("<>=!~").find(part[k]) != std::string_view::npos) ++k;
    std::string op(part.substr(0, k));
    std::string ver(trim(part.substr(k)));
    static const std::set<std::string> ops{"==", "!=", "<", "<=", ">", ">=", "~=", "==="};
    if (!ops.contains(op) || ver.empty()) return std::unexpected(fmt::format("bad version specifier '{}'", part));
    std::string base = ver.ends_with(".*") ? ver.substr(0, ver.size() - 2) : ver;
    if (op != "===" && !Version::parse(base)) return std::unexpected(fmt::format("bad version '{}'", ver));
    spec.clauses.push_back({op, ver});
  }
  return spec;
}

bool Specifier::contains(const Version& v) const {
  for (const Clause& c : clauses) {
    if (c.op == "===") {
      if (lower(v.text) != lower(c.version)) return false;
      continue;
    }
    if (c.version.ends_with(".*")) {
      Version prefix = *Version::parse(c.version.substr(0, c.version.size() - 2));
      bool match = prefix.epoch == v.epoch && v.release.size() >= 1;
      for (size_t k = 0; match && k < prefix.release.size(); ++k)
        match = (k < v.release.size() ? v.release[k] : 0) == prefix.release[k];
      if ((c.op == "==") != match) return false;
      continue;
    }
    Version w = *Version::parse(c.version);
    int cmp = v.compare(w);
    auto same_release = [&] {
      size_t n = std::max(v.release.size(), w.release.size());
      for (size_t k = 0; k < n; ++k)
        if ((k < v.release.size() ? v.release[k] : 0) != (k < w.release.size() ? w.release[k] : 0)) return false;
      return true;
    };
    bool ok = true;
    if (c.op == "==") ok = cmp == 0;
    else if (c.op == "!=") ok = cmp != 0;
    else if (c.op == "<") ok = cmp < 0 && !(v.is_prerelease() && !w.is_prerelease() && same_release());
    else if (c.op == "<=") ok = cmp <= 0;
    else if (c.op == ">") ok = cmp > 0 && !(v.post >= 0 && w.post < 0 && same_release());
    else if (c.op == ">=") ok = cmp >= 0;
    else if (c.op == "~=") {
      ok = cmp >= 0;
      for (size_t k = 0; ok && k + 1 < w.release.size(); ++k) ok = (k < v.release.size() ? v.release[k] : 0) == w.release[k];
    }
    if (!ok) return false;
  }
  return true;
}

std::string Specifier::str() const {
  std::string r;
  for (const Clause& c : clauses) r += (r.empty() ? "" : ",") + c.op + c.version;
  return r;
}

// ---- markers ----------------------------------------------------------------

MarkerEnv MarkerEnv::wasi_guest(const std::string& minor, const std::string& full) {
  MarkerEnv env;
  env.vars = {
      {"os_name", "posix"},
      {"sys_platform", "wasi"},
      {"platform_system", ""},   // platform.system() is empty on CPython's WASI build
      {"platform_machine", "wasm32"},
      {"platform_release", ""},
      {"platform_version", ""},
      {"platform_python_implementation", "CPython"},
      {"implementation_name", "cpython"},
      {"implementation_version", full},
      {"python_version", minor},
      {"python_full_version", full},
  };
  return env;
}

namespace {

class MarkerParser {
 public:
  MarkerParser(std::string_view text, const MarkerEnv& env) : s_(text), env_(env) {}

  std::expected<bool, std::string> parse() {
    auto r = parse_or();
    if (!r) return r;
    skip_ws();
    if (pos_ != s_.size()) return fail("unexpected text");
    return r;
  }

 private:
  std::unexpected<std::string> fail(std::string_view what) {
    return std::unexpected(fmt::format("bad marker '{}': {} at column {}", s_, what, pos_ + 1));
  }
  void skip_ws() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool keyword(std::string_view k) {
    skip_ws();
    if (s_.compare(pos_, k.size(), k) != 0) return false;
    size_t end = pos_ + k.size();
    if (end < s_.size() && is_name_char(s_[end])) return false;
    pos_ = end;
    return true;
  }
  std::expected<bool, std::string> parse_or() {
    auto left = parse_and();
    if (!left) return left;
    bool v = *left;
    while (keyword("or")) {
      auto right = parse_and();
      if (!right) return right;
      v = v || *right;
    }
    return v;
  }
  std::expected<bool, std::string> parse_and() {
    auto left = parse_atom();
    if (!left) return left;
    bool v = *left;
    while (keyword("and")) {
      auto right = parse_atom();
      if (!right) return right;
      v = v && *right;
    }
    return v;
  }
  struct Operand {
    std::string value;
    std::string var;  ///< the variable's name when it is one
  };
  std::expected<Operand, std::string> operand() {
    skip_ws();
    if (pos_ >= s_.size()) return fail("missing operand");
    char q = s_[pos_];
    if (q == '"' || q == '\'') {
      size_t end = s_.find(q, pos_ + 1);
      if (end == std::string_view::npos) return fail("unterminated string");
      Operand o{std::string(s_.substr(pos_ + 1, end - pos_ - 1)), ""};
      pos_ = end + 1;
      return o;
    }
    size_t start = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_' || s_[pos_] == '.')) ++pos_;
    std::string name(s_.substr(start, pos_ - start));
    if (name == "extra") return Operand{"", "extra"};
    // Legacy dotted names (os.name, sys.platform, ...).
    std::string key = name;
    std::replace(key.begin(), key.end(), '.', '_');
    if (key == "python_implementation") key = "platform_python_implementation";
    auto it = env_.vars.find(key);
    if (it == env_.vars.end()) {
      pos_ = start;
      return fail(name.empty() ? "expected a variable or a string" : fmt::format("unknown variable '{}'", name));
    }
    return Operand{it->second, key};
  }
  std::expected<std::string, std::string> op() {
    skip_ws();
    for (std::string_view o : {"===", "==", "!=", "<=", ">=", "~=", "<", ">"}) {
      if (s_.compare(pos_, o.size(), o) == 0) {
        pos_ += o.size();
        return std::string(o);
      }
    }
    if (keyword("in")) return std::string("in");
    size_t save = pos_;
    if (keyword("not") && keyword("in")) return std::string("not in");
    pos_ = save;
    return fail("expected a comparison");
  }
  bool compare(const Operand& l, const std::string& o, const Operand& r) {
    if (l.var == "extra" || r.var == "extra") {
      const Operand& value = l.var == "extra" ? r : l;
      bool has = env_.extras.contains(normalize_name(value.value));
      if (o == "==" || o == "===") return has;
      if (o == "!=") return !has;
      return false;
    }
    if (o == "in") return r.value.find(l.value) != std::string::npos;
    if (o == "not in") return r.value.find(l.value) == std::string::npos;
    auto lv = Version::parse(l.value);
    auto spec = Specifier::parse(o + r.value);
    if (lv && spec && o != "===") return spec->contains(*lv);
    int c = l.value.compare(r.value);
    if (o == "==" || o == "===") return c == 0;
    if (o == "!=") return c != 0;
    if (o == "<") return c < 0;
    if (o == "<=") return c <= 0;
    if (o == ">") return c > 0;
    if (o == ">=") return c >= 0;
    return false;
  }
  std::expected<bool, std::string> parse_atom() {
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == '(') {
      ++pos_;
      auto v = parse_or();
      if (!v) return v;
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != ')') return fail("missing ')'");
      ++pos_;
      return v;
    }
    auto l = operand();
    if (!l) return std::unexpected(l.error());
    auto o = op();
    if (!o) return std::unexpected(o.error());
    auto r = operand();
    if (!r) return std::unexpected(r.error());
    return compare(*l, *o, *r);
  }

  std::string_view s_;
  const MarkerEnv& env_;
  size_t pos_ = 0;
};

}  // namespace

std::expected<bool, std::string> evaluate_marker(std::string_view marker, const MarkerEnv& env) {
  return MarkerParser(marker, env).parse();
}

// ---- requirements -------------------------------------------------------------

std::expected<Requirement, std::string> Requirement::parse(std::string_view text) {
  Requirement r;
  r.text = std::string(trim(text));
  std::string_view s = r.text;
  if (size_t hash = s.find(" #"); hash != std::string_view::npos) s = trim(s.substr(0, hash));
  size_t semi = s.find(';');
  std::string_view head = trim(s.substr(0, semi));
  if (semi != std::string_view::npos) r.marker = std::string(trim(s.substr(semi + 1)));
  size_t i = 0;
  while (i < head.size() && is_name_char(head[i])) ++i;
  r.name = std::string(head.substr(0, i));
  if (r.name.empty() || !std::isalnum(static_cast<unsigned char>(r.name.front())))
    return std::unexpected(fmt::format("bad requirement '{}': no project name", r.text));
  r.key = normalize_name(r.name);
  std::string_view rest = trim(head.substr(i));
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return std::unexpected(fmt::format("bad requirement '{}': missing ']'", r.text));
    std::string_view list = rest.substr(1, close - 1);
    while (!list.empty()) {
      size_t comma = list.find(',');
      auto e = trim(list.substr(0, comma));
      if (!e.empty()) r.extras.insert(normalize_name(e));
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
    rest = trim(rest.substr(close + 1));
  }
  if (!rest.empty() && rest.front() == '@') {
    r.url = std::string(trim(rest.substr(1)));
    return r;
  }
  auto spec = Specifier::parse(rest);
  if (!spec) return std::unexpected(fmt::format("bad requirement '{}': {}", r.text, spec.error()));
  r.specifier = std::move(*spec);
  if (!r.marker.empty()) {
    MarkerEnv probe = MarkerEnv::wasi_guest("3.11", "3.11.0");
    if (auto ok = evaluate_marker(r.marker, probe); !ok) return std::unexpected(ok.error());
  }
  return r;
}

std::expected<bool, std::string> Requirement::applies(const MarkerEnv& env) const {
  if (marker.empty()) return true;
  return evaluate_marker(marker, env);
}

}  // namespace wasipy::pyenv
