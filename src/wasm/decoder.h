#pragma once
#include <span>

#include "wasm/error.h"
#include "wasm/module.h"

namespace wasipy::wasm {

/// Decodes a binary module: every section, in order, sizes and counts
/// checked. Function bodies are split off (locals decoded) but their
/// instructions are read by the validator.
Expected<Module> decode(std::span<const uint8_t> bytes);

}  // namespace wasipy::wasm
