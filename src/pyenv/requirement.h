#pragma once
// PEP 440 versions (the parts wasipy compares), PEP 508 requirements and
// environment markers, evaluated for the guest rather than the host.
#include <expected>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace wasipy::pyenv {

/// PEP 503 normalized name: lower case, runs of -_. become one '-'.
std::string normalize_name(std::string_view name);

/// A PEP 440 version, comparable. Local labels are kept but ignored in order.
struct Version {
  int epoch = 0;
  std::vector<long> release;
  int pre_phase = 3;  ///< 0 a, 1 b, 2 rc, 3 none (a final release)
  long pre = 0;
  long post = -1;     ///< -1: none
  long dev = -1;      ///< -1: none
  std::string text;

  static std::optional<Version> parse(std::string_view text);
  int compare(const Version& other) const;
  bool operator<(const Version& o) const { return compare(o) < 0; }
  bool operator==(const Version& o) const { return compare(o) == 0; }
  bool is_prerelease() const { return pre_phase < 3 || dev >= 0; }
};

/// ">=1.0,<2" : every clause must hold. An empty set allows everything.
struct Specifier {
  struct Clause {
    std::string op;       ///< == != < <= > >= ~= ===
    std::string version;  ///< may end in ".*" for == and !=
  };
  std::vector<Clause> clauses;

  static std::expected<Specifier, std::string> parse(std::string_view text);
  bool contains(const Version& v) const;
  std::string str() const;
};

/// The guest's marker variables (sys_platform "wasi", ...), plus extras.
struct MarkerEnv {
  std::map<std::string, std::string> vars;
  std::set<std::string> extras;  ///< normalized

  /// CPython `minor` ("3.11", full version `full`) built for wasm32-wasi.
  static MarkerEnv wasi_guest(const std::string& minor, const std::string& full);
};

/// Evaluates a PEP 508 marker expression; an error for malformed text.
std::expected<bool, std::string> evaluate_marker(std::string_view marker, const MarkerEnv& env);

struct Requirement {
  std::string name;        ///< as written
  std::string key;         ///< normalized
  std::set<std::string> extras;  ///< normalized
  Specifier specifier;
  std::string url;         ///< after '@', if any
  std::string marker;      ///< empty: always
  std::string text;        ///< the original line

  static std::expected<Requirement, std::string> parse(std::string_view text);
  /// Whether the marker holds for `env` (true when there is none).
  std::expected<bool, std::string> applies(const MarkerEnv& env) const;
};

}  // namespace wasipy::pyenv
