#pragma once
// WebAssembly -> C. The native tier's first stage: a validated module becomes
// C source split into translation units that the system compiler builds in
// parallel (src/native/toolchain.h) into one shared object.
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "wasm/module.h"

namespace wasipy::native {

struct Translation {
  /// Self-contained C files; together they define the module's code and the
  /// `wasipy_module_code` symbol (src/native/abi.h) that the loader looks up.
  std::vector<std::string> units;
};

/// Translates every defined function of a *validated* module. `key` is
/// embedded so a loaded artifact can prove what it was built for; about
/// `unit_count` units are made (fewer for small modules, none empty).
std::expected<Translation, std::string> translate(const wasm::Module& module, std::string_view key,
                                                  unsigned unit_count);

/// Identifies the translator and the ABI it targets (a hash of their
/// sources): part of every cache key.
std::string_view translator_id();

}  // namespace wasipy::native
