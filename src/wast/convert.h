#pragma once
// Running wast2json (Debian's wabt) on a .wast into a private temporary folder.
#include <expected>
#include <filesystem>
#include <string>

#include "wast/script.h"

namespace wasipy::wast {

/// A folder under the system's temporary directory, removed with its contents.
class TempDir {
 public:
  static std::expected<TempDir, std::string> create(std::string_view prefix);
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  explicit TempDir(std::filesystem::path p) : path_(std::move(p)) {}
  std::filesystem::path path_;
};

/// A converted script; its modules live in `dir` and go away with it.
struct ConvertedScript {
  TempDir dir;
  Script script;
};

/// Converts `wast` with the `wast2json` program (found on PATH unless a path
/// is given). Fails with one line: the tool missing, its first error, ...
std::expected<ConvertedScript, std::string> convert(const std::filesystem::path& wast,
                                                    const std::string& wast2json = "wast2json");

}  // namespace wasipy::wast
