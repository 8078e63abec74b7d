#pragma once
#include <span>
#include <vector>

#include "wasm/error.h"
#include "wasm/module.h"

namespace wasipy::wasm {

/// Decodes a binary module: every section, in order, sizes and counts
/// checked. Function bodies are split off (locals decoded) but their
/// instructions are read by the validator.
Expected<Module> decode(std::span<const uint8_t> bytes);
/// The same, keeping `bytes` as the module's own copy (no copy of a large module).
Expected<Module> decode(std::vector<uint8_t>&& bytes);
/// When decode() reads the function bodies' sizes and locals.
enum class Bodies {
  Now,
  /// Later, in decode_bodies(): the module's Function entries hold their type
  /// index only (no locals, no body offsets) and Module::deferred_code is set.
  /// Nothing may validate, translate or interpret such a module until then.
  /// For a run whose native code is already compiled (nothing reads bodies).
  Later,
};

/// The same, the module sharing `bytes` (a file mapping stays a mapping).
/// With Bodies::Later, an error that decoding everything would find in the
/// code section is still reported if decode() fails after it; a malformed
/// code section alone is found by decode_bodies().
Expected<Module> decode(Bytes bytes, Bodies when = Bodies::Now);
/// Reads the bodies deferred by Bodies::Later (nothing if none are), with the
/// errors decode() would have given; on success deferred_code is cleared.
Expected<void> decode_bodies(Module& module);

/// The contents of a `name` custom section; what cannot be read is left out.
Names parse_names(std::span<const uint8_t> section);

}  // namespace wasipy::wasm
