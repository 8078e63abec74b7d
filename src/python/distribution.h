#pragma once
// CPython WASI distributions: python.wasm + lib/python3.X/ (+ wasipy-dist.json),
// kept in wasipy's cache, and how to start one so that getpath finds its stdlib.
#include <expected>
#include <filesystem>
#include <string>
#include <vector>

#include "launch/launch.h"

namespace wasipy::python {

struct Distribution {
  std::filesystem::path root;  ///< holds python.wasm and lib/
  std::string version;         ///< "3.11.2"
  std::string minor;           ///< "3.11"
  std::string key;             ///< its folder name in the cache
  /// How it was made: wasipy-dist.json's source.from ("apt-get source
  /// python3.11 (bookworm)", "--source", "wasipy python add"), or empty.
  std::string made_from;
  bool is_default = false;

  std::filesystem::path python_wasm() const { return root / "python.wasm"; }
  std::filesystem::path stdlib() const { return root / "lib" / ("python" + minor); }
};

/// $WASIPY_CACHE_DIR, else ${XDG_CACHE_HOME:-$HOME/.cache}/wasipy.
std::filesystem::path cache_root();

/// Every installed distribution, the default one marked.
std::expected<std::vector<Distribution>, std::string> list_distributions();

/// The default distribution, or a one-line error that says how to get one
/// (`wasipy python build` or `wasipy python add PATH`).
std::expected<Distribution, std::string> default_distribution();

/// The installed distribution whose version starts with `version` ("3.11").
std::expected<Distribution, std::string> find_distribution(const std::string& version);

/// A guest that runs `dist` with `args` (after argv[0]): the stdlib mounted
/// read-only where getpath looks for it, PYTHONHOME set to match, plus the
/// caller's mounts (one of which should be "/") and environment.
launch::Guest python_guest(const Distribution& dist, const std::vector<std::string>& args,
                           std::vector<wasi::Mount> mounts, std::vector<std::string> env);

}  // namespace wasipy::python
