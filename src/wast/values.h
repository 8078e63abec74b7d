#pragma once
// Turning wast2json's values into runtime values, and checking results
// against expectations (NaN patterns, reference expectations).
#include <expected>
#include <optional>
#include <string>

#include "runtime/value.h"
#include "wast/script.h"

namespace wasipy::wast {

/// The value type named by wast2json ("i32", "funcref", ...), if it is one
/// the engine runs (v128 is not).
std::optional<runtime::ValType> parse_type(std::string_view name);

/// An action argument. Numbers are the value's bits in unsigned decimal;
/// `ref.extern N` becomes RawValue N+1 so that 0 stays null.
std::expected<runtime::Value, std::string> parse_arg(const JsonValue& v);

/// Whether `actual` satisfies `expected`; on mismatch, nothing is said here:
/// the caller formats both sides.
std::expected<bool, std::string> matches(const JsonValue& expected, const runtime::Value& actual);

/// "i32:42", "f32:nan:0x7fc00000", "externref:null" ... with the bits when
/// they matter, for failure messages.
std::string format(const runtime::Value& v);
std::string format(const JsonValue& v);

}  // namespace wasipy::wast
