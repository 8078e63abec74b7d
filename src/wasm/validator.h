#pragma once
#include "wasm/error.h"
#include "wasm/module.h"

namespace wasipy::wasm {

/// Per-function facts the validator learns and the tiers reuse.
struct FunctionInfo {
  uint32_t max_stack = 0;  ///< deepest operand stack, in values
};

/// Checks a decoded module against the spec's validation rules (including
/// every function body). On success returns one FunctionInfo per defined function.
Expected<std::vector<FunctionInfo>> validate(const Module& module);

}  // namespace wasipy::wasm
