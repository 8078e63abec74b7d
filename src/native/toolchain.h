#pragma once
// The system C compiler, driven to build generated units into a shared
// object: units compile in parallel, one process per core.
#include <expected>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace wasipy::native {

struct Toolchain {
  std::string compiler;             ///< absolute path
  std::vector<std::string> flags;   ///< for every unit
  /// What identifies the compiler and how it is used, for cache keys: its
  /// path, size and modification time (cheap to get: no process runs), the
  /// flags and the host architecture.
  std::string identity;
};

/// Finds the C compiler: $WASIPY_CC if set, else `cc`, `gcc` or `clang` on
/// PATH. nullopt when there is none (the caller falls back to the interpreter).
std::optional<Toolchain> find_toolchain();

struct BuildOptions {
  unsigned jobs = 0;  ///< parallel compiler processes; 0 = one per online core
  /// Called after each unit compiles (done, total); may print progress.
  std::function<void(size_t, size_t)> progress;
};

/// Writes the units into `work_dir` (which must exist), compiles them and
/// links `output`. Fails with the compiler's first error lines.
std::expected<void, std::string> build_shared_object(const Toolchain& tc, const std::vector<std::string>& units,
                                                     const std::filesystem::path& work_dir,
                                                     const std::filesystem::path& output, const BuildOptions& opts);

}  // namespace wasipy::native
