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
/// The same, the module sharing `bytes` (a file mapping stays a mapping).
Expected<Module> decode(Bytes bytes);

/// The contents of a `name` custom section; what cannot be read is left out.
Names parse_names(std::span<const uint8_t> section);

}  // namespace wasipy::wasm
