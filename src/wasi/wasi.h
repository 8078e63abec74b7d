#pragma once
// WASI preview1 for one guest: its arguments, environment, mounts and fd table,
// exposed to modules as the host module `wasi_snapshot_preview1`.
#include <expected>
#include <memory>
#include <string>
#include <vector>

#include "runtime/instantiate.h"

namespace wasipy::wasi {

/// A host directory made visible to the guest (`--dir HOST[::GUEST]`).
struct Mount {
  std::string host;
  std::string guest;
  bool read_only = false;
};

struct Config {
  std::vector<std::string> args;  ///< argv, including argv[0]
  std::vector<std::string> env;   ///< "KEY=VALUE"
  std::vector<Mount> mounts;
  int stdin_fd = 0;  ///< host fds behind the guest's 0, 1, 2
  int stdout_fd = 1;
  int stderr_fd = 2;
};

class Wasi {
 public:
  /// Opens the mounts; fails with a one-line reason (missing directory, ...).
  static std::expected<std::unique_ptr<Wasi>, std::string> create(Config config);
  virtual ~Wasi() = default;
  /// Defines every `wasi_snapshot_preview1` function in `linker`, as host
  /// functions created in `store`. proc_exit surfaces as Trap::exit(code).
  virtual void add_to(runtime::Linker& linker, runtime::Store& store) = 0;
};

}  // namespace wasipy::wasi
