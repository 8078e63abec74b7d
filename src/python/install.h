#pragma once
// Changing the registry of distributions.h: register a prebuilt distribution
// (`wasipy python add`), build one from source (`wasipy python build`), and
// choose the default (`wasipy python default`).
#include <expected>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "python/distribution.h"

namespace wasipy::python {

/// `$CACHE/python`: one folder per distribution, plus the file `default`.
std::filesystem::path registry_dir();

/// Reads the distribution in `dir` (wasipy-dist.json, python.wasm,
/// lib/python3.X/); a one-line reason when it is not one.
std::expected<Distribution, std::string> read_distribution(const std::filesystem::path& dir);

/// True when `$CACHE/python/default` names an installed distribution.
bool has_recorded_default();

/// Records `key` as the default.
std::expected<void, std::string> set_default_key(const std::string& key);

/// Makes the distribution named by `which` the default: its key, a unique
/// prefix of a key, or a version prefix ("3.11", "3.11.2") that only one
/// installed distribution matches.
std::expected<Distribution, std::string> set_default(const std::string& which);

/// The CPython version a layout holds: "3.X" from lib/python3.X/, the patch
/// level from the version string inside python.wasm when it has one.
struct LayoutVersion {
  std::string version;  ///< "3.11.2", or "3.11" when the patch level is unknown
  std::string minor;    ///< "3.11"
};
std::expected<LayoutVersion, std::string> detect_version(const std::filesystem::path& root);

/// Registers a prebuilt distribution from a folder or a .zip laid out as
/// python.wasm + lib/python3.X/ (or with one top folder holding them). It is
/// copied or unpacked into `$CACHE/python/<key>/` (key: the first 16 hex
/// digits of python.wasm's sha256) through a temporary folder, so a failure
/// leaves nothing behind. Adding the same python.wasm again returns the
/// installed one. Becomes the default when there is none.
struct AddResult {
  Distribution dist;
  bool already_installed = false;
  bool made_default = false;
};
std::expected<AddResult, std::string> add_distribution(const std::filesystem::path& path);

/// The build script (build-cpython.sh): share/wasipy/python/ beside the
/// running executable, else the source tree wasipy was configured from.
std::expected<std::filesystem::path, std::string> locate_build_script();
/// A file wasipy ships beside build-cpython.sh (share/wasipy/python/ next to
/// the binary, else this source tree's src/python/): e.g. train.py.
std::expected<std::filesystem::path, std::string> locate_share_file(const std::string& name);

struct BuildOptions {
  std::filesystem::path script;          ///< build-cpython.sh
  std::optional<std::string> source;     ///< --source TARBALL
  std::vector<std::string> extra_args;   ///< more arguments for the script
};
struct BuildResult {
  Distribution dist;
  bool made_default = false;
  /// The default it took over from: an older build of Debian's python3.11
  /// (the result is one too), empty otherwise.
  std::string replaced_default;
};
/// Runs the build script, passing each line it prints on stderr to
/// `progress` as it comes; the distribution is the last line of its stdout.
/// A failure is one line: the script's own reason ("FAILED at step ...") and
/// its log's path when it gave them.
std::expected<BuildResult, std::string> build_distribution(const BuildOptions& options,
                                                           const std::function<void(const std::string&)>& progress);

}  // namespace wasipy::python
