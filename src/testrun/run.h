#pragma once
// `wasipy test`: find the project, build its guest environment, run pytest
// on WASI CPython with what WASI needs, and report a verdict.
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "launch/launch.h"

namespace wasipy::testrun {

struct Options {
  std::filesystem::path project = ".";
  std::string python;                               ///< "3.11"; empty: the default distribution
  std::vector<std::filesystem::path> find_links;    ///< folders of wheels, searched first
  std::vector<std::filesystem::path> host_envs;     ///< installed environments (site-packages)
  std::string index_url;                            ///< for the host's pip; empty: pip's own configuration
  bool no_index = false;                            ///< no package index: the folders only
  std::vector<std::filesystem::path> requirement_files;
  std::vector<std::string> extras;
  std::optional<std::filesystem::path> junit_xml;
  std::optional<std::filesystem::path> report_json;
  std::vector<std::string> pytest_args;             ///< after '--'
  launch::Execution execution;                      ///< --tier, --no-cache
};

/// Guest paths.
inline constexpr const char* kGuestProject = "/project";
inline constexpr const char* kGuestSitePackages = "/wasipy/site-packages";
inline constexpr const char* kGuestPycache = "/wasipy/pycache";  ///< writable, kept between runs

/// Runs the tests; pytest's output goes to fds 1 and 2 as it comes, wasipy's
/// own lines and the summary to `out`/`err`. Returns pytest's exit status, or
/// 2 for bad input (with one line on `err`).
int test_main(const Options& options, std::ostream& out, std::ostream& err);

}  // namespace wasipy::testrun
