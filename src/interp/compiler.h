#pragma once
#include <expected>
#include <string>

#include "interp/code.h"
#include "wasm/validator.h"

namespace wasipy::interp {

/// Fills in `out`'s frame layout (all but its code) for defined function
/// `defined_index` of `instance`; `out.code` becomes the LazyCompile stub.
std::expected<void, std::string> describe_function(const runtime::Instance& instance, uint32_t defined_index,
                                                   const wasm::FunctionInfo& info, CompiledFunc& out);

/// Compiles the (validated) body of `out`, described by describe_function.
/// Every FuncInstance::code of the instance's functions must already point
/// at its CompiledFunc.
std::expected<void, std::string> compile_function(const runtime::Instance& instance, CompiledFunc& out);

}  // namespace wasipy::interp
