#pragma once
// A guest environment: the distributions a project's tests need, resolved
// for the guest (markers for wasm32-wasi, pure Python only) from a folder of
// wheels and/or an installed host environment, unpacked into a site-packages
// folder in wasipy's cache and reused while the inputs stay the same.
#include <expected>
#include <filesystem>
#include <string>
#include <vector>

#include "pyenv/requirement.h"

namespace wasipy::pyenv {

/// One installable distribution found in a source.
struct Candidate {
  std::string name;
  std::string key;
  std::string version;
  std::filesystem::path path;  ///< a .whl, or a *.dist-info / *.egg-info folder
  bool wheel = false;
  std::string impure;          ///< why it cannot run on WASI, or empty
  std::vector<std::string> requires_dist;
};

/// The distributions of a source folder: wheels (*.whl) or an installed
/// environment (*.dist-info, *.egg-info); purity checked file by file.
std::vector<Candidate> scan_wheels(const std::filesystem::path& dir);
std::vector<Candidate> scan_host_env(const std::filesystem::path& dir);

/// A wheel file name's parts; nullopt when it is not one.
struct WheelName {
  std::string name, version, python, abi, platform;
  bool pure() const;  ///< py3 / py2.py3 / py3X, none, any
};
std::optional<WheelName> parse_wheel_name(const std::string& filename);

/// The third source, tried after the folders for a requirement they cannot
/// satisfy: the host's pip downloads a pure-Python wheel from a package index
/// (`pip download --no-deps --only-binary :all: --platform any --abi none
/// --implementation py --python-version X.Y`); the wheel is then taken like a
/// --find-links one. Downloads are kept in `cache`, and a pinned requirement
/// (`==V`) whose wheel is there does not call pip again.
struct PipSource {
  bool enabled = false;
  std::vector<std::string> command{"python3", "-m", "pip"};  ///< argv prefix, spawned without a shell
  std::string index_url;                                     ///< empty: pip's own configuration
  std::string python_version;                                ///< the guest's X.Y
  std::filesystem::path cache;                               ///< e.g. ~/.cache/wasipy/wheels
};

struct ResolveInput {
  std::vector<std::string> requirements;  ///< PEP 508 lines
  std::string project_key;                ///< never installed: the project under test wins
  std::vector<std::filesystem::path> find_links;
  std::vector<std::filesystem::path> host_envs;
  PipSource pip;
  MarkerEnv env;
};

struct Skipped {
  std::string requirement;
  std::string reason;
};

struct Resolution {
  std::vector<Candidate> chosen;
  std::vector<Skipped> skipped;       ///< optional for testing, not installable: left out
  std::vector<std::string> notes;     ///< e.g. "pytest wanted toolz; the project under test is used"
};

/// Requirements that may be left out when they cannot run (coverage tools).
bool optional_for_testing(const std::string& key);

/// Picks a distribution for every requirement, transitively. Fails with one
/// line naming the requirement and why nothing fits.
std::expected<Resolution, std::string> resolve(const ResolveInput& input);

struct Environment {
  std::filesystem::path root;           ///< cache/envs/<key>
  std::filesystem::path site_packages;  ///< root/site-packages
  std::string key;
  bool reused = false;
};

/// Installs `r` into cache_root/envs/<key>, where key hashes the chosen
/// distributions (names, versions, files); an existing complete one is reused.
std::expected<Environment, std::string> install(const Resolution& r, const std::filesystem::path& cache_root,
                                                const std::string& python_key);

/// The first 16 hex digits of sha256(text): cache folder names.
std::string short_hash(std::string_view text);

/// sha256 of a file as URL-safe base64 without padding (wheel RECORD form).
std::string record_hash(std::string_view bytes);

}  // namespace wasipy::pyenv
