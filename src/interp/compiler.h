#pragma once
#include <expected>
#include <string>

#include "interp/code.h"
#include "wasm/validator.h"

namespace wasipy::interp {

/// Compiles defined function `defined_index` of `instance` (already
/// validated) into `out`. Every FuncInstance::code of the instance's
/// functions must already point at its CompiledFunc (compiled or not yet).
std::expected<void, std::string> compile_function(const runtime::Instance& instance, uint32_t defined_index,
                                                  const wasm::FunctionInfo& info, CompiledFunc& out);

}  // namespace wasipy::interp
