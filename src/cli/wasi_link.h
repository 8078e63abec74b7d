#pragma once
// The one seam between `run` and WASI: wasi_link.cpp when src/wasi is built,
// wasi_link_disabled.cpp until then.
#include <expected>
#include <memory>
#include <string>
#include <vector>

#include "cli/args.h"
#include "runtime/instantiate.h"

namespace wasipy::cli {

struct GuestConfig {
  std::vector<std::string> args;  ///< argv, including argv[0]
  std::vector<std::string> env;   ///< "KEY=VALUE"
  std::vector<DirMapping> dirs;
};

/// Keeps a guest's WASI state alive while it runs.
class WasiHandle {
 public:
  virtual ~WasiHandle() = default;
};

/// True when this build has WASI preview1.
bool wasi_available();

/// Defines `wasi_snapshot_preview1` in `linker` for a guest configured by
/// `config`; fails with a one-line reason (a missing --dir folder, ...).
std::expected<std::unique_ptr<WasiHandle>, std::string> link_wasi(const GuestConfig& config, runtime::Linker& linker,
                                                                  runtime::Store& store);

}  // namespace wasipy::cli
