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
  /// -O2 makes small modules faster (fib: 2x) at no cost worth counting; on
  /// python.wasm, -O1 runs as fast as -O2 (bench/python/cpu.py: 0.82 s CPU
  /// against 0.80 s) and compiles in 60% of the time (94 s of CPU, not 159 s).
  std::vector<std::string> optimize_small = {"-O2"};
  /// With gcc, large modules also get a cheaper register allocator (one
  /// region per function: -fira-region=one) and two of -O2's passes that
  /// cost no measurable compile time: redundant-extension elimination
  /// (-free: wasm's 32-bit addresses are zero-extended to 64 bits at every
  /// access, often twice) and keeping values in call-clobbered registers
  /// across calls (-fcaller-saves). Measured on python.wasm, bench/python/
  /// cpu.py under callgrind (instructions) and as CPU time over 10 runs of
  /// cpu.py 3 paired with the other variant, one per core:
  ///  - one region + priority colouring (the previous choice): 2.495 G;
  ///    priority colouring saved 3% of compile CPU but spills more: adding
  ///    -free -fcaller-saves to it gave 2.390 G, while without it they give
  ///    2.356 G and 0.917x / 0.949x the CPU time (two sets of 10 pairs);
  ///  - one region against the default regions: 0.926x the compile CPU (a
  ///    sample of units, paired), about the same code (2.356 G against
  ///    2.338 G instructions; 0.923x-0.949x CPU either way against the old).
  std::vector<std::string> optimize_large = {"-O1"};
  uint64_t large_code_bytes = 1 << 20;  ///< wasm code section bytes from which a module is large
  /// What identifies the compiler and how it is used, for cache keys: its
  /// path, size and modification time (cheap to get: no process runs), the
  /// flags and the host architecture.
  std::string identity;
  /// The compiler is gcc, whose profile-guided optimization the code cache
  /// uses (cache.h, "Training"). Other compilers build without profiles.
  bool profile_guided = false;
};

/// Finds the C compiler: $WASIPY_CC if set, else `cc`, `gcc` or `clang` on
/// PATH. nullopt when there is none (the caller falls back to the interpreter).
std::optional<Toolchain> find_toolchain();

struct BuildOptions {
  unsigned jobs = 0;  ///< parallel compiler processes; 0 = one per online core
  std::vector<std::string> optimize = {"-O2"};  ///< Toolchain::optimize_small or optimize_large
  /// Added to every unit's compile (profile instrumentation or use). Units
  /// compile as `unitN.c -o unitN.o` inside work_dir.
  std::vector<std::string> unit_flags;
  std::vector<std::string> link_flags;  ///< added to the link
  /// Called after each unit compiles (done, total); may print progress.
  std::function<void(size_t, size_t)> progress;
};

/// Writes the units into `work_dir` (which must exist), compiles them and
/// links `output`. Fails with the compiler's first error lines.
std::expected<void, std::string> build_shared_object(const Toolchain& tc, const std::vector<std::string>& units,
                                                     const std::filesystem::path& work_dir,
                                                     const std::filesystem::path& output, const BuildOptions& opts);

}  // namespace wasipy::native
