#pragma once
// A Python project as `wasipy test` sees it: metadata from pyproject.toml,
// setup.cfg, setup.py or an installed *.egg-info / *.dist-info, the test
// requirements, and which folder goes on sys.path (src/ or flat layout).
#include <expected>
#include <filesystem>
#include <string>
#include <vector>

namespace wasipy::pyenv {

struct Project {
  std::filesystem::path root;
  std::string name;     ///< as written; empty when nothing names it
  std::string key;      ///< normalized name
  std::string version;
  std::vector<std::string> classifiers;
  std::string import_root;              ///< "src" or "" (the root itself)
  std::vector<std::string> packages;    ///< top-level packages/modules of the project's own code
  std::vector<std::string> requirements;///< what the tests need (PEP 508 lines), pytest included
  std::vector<std::string> sources;     ///< where each group of requirements came from, for the report
  std::string compiled;                 ///< why the project builds compiled extensions, or empty
  std::vector<std::string> warnings;

  bool declares_wasi() const;
};

struct DiscoverOptions {
  std::vector<std::filesystem::path> requirement_files;  ///< -r: replaces the guessed files
  std::vector<std::string> extras;                       ///< --extra: replaces the guessed extras
};

/// Reads the project at `root`; a one-line error when it is not one.
std::expected<Project, std::string> discover(const std::filesystem::path& root, const DiscoverOptions& options);

/// Lines of a requirements file: comments, blank lines and options dropped,
/// `-r other.txt` followed, `-e`/local paths dropped.
std::expected<std::vector<std::string>, std::string> read_requirements_file(const std::filesystem::path& file);

/// RFC 822-style metadata (PKG-INFO, METADATA): every value of `field`.
std::vector<std::string> metadata_values(const std::string& text, std::string_view field);

/// An egg-info requires.txt as PEP 508 lines (sections become markers).
std::vector<std::string> egg_requires(const std::string& text);

}  // namespace wasipy::pyenv
