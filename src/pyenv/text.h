#pragma once
// Small text helpers shared inside pyenv.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace wasipy::pyenv {

/// The whole file as bytes; empty when it cannot be read (callers check
/// existence first where a missing file matters).
inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace wasipy::pyenv
