#include "wast/values.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace wasipy::wast {

using runtime::RawValue;
using runtime::Value;
using runtime::ValType;

std::optional<ValType> parse_type(std::string_view name) {
  if (name == "i32") return ValType::I32;
  if (name == "i64") return ValType::I64;
  if (name == "f32") return ValType::F32;
  if (name == "f64") return ValType::F64;
  if (name == "funcref") return ValType::FuncRef;
  if (name == "externref") return ValType::ExternRef;
  return std::nullopt;
}

namespace {

std::optional<uint64_t> parse_u64(std::string_view text) {
  uint64_t out = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return out;
}

uint64_t type_mask(ValType t) {
  return t == ValType::I32 || t == ValType::F32 ? 0xFFFF'FFFFull : ~0ull;
}

}  // namespace

std::expected<Value, std::string> parse_arg(const JsonValue& v) {
  auto type = parse_type(v.type);
  if (!type) return std::unexpected(fmt::format("unsupported argument type {}", v.type));
  if (!v.value) return std::unexpected(fmt::format("{} argument without a value", v.type));
  if (wasm::is_ref(*type)) {
    if (*v.value == "null") return Value::ref(*type, 0);
    auto n = parse_u64(*v.value);
    if (!n || *type != ValType::ExternRef) return std::unexpected(fmt::format("bad {} argument {}", v.type, *v.value));
    return Value::ref(*type, *n + 1);
  }
  auto n = parse_u64(*v.value);
  if (!n || (*n & ~type_mask(*type)) != 0)
    return std::unexpected(fmt::format("bad {} argument {}", v.type, *v.value));
  return Value{*type, *n};
}

std::expected<bool, std::string> matches(const JsonValue& expected, const Value& actual) {
  auto type = parse_type(expected.type);
  if (!type) return std::unexpected(fmt::format("unsupported result type {}", expected.type));
  if (*type != actual.type) return false;
  if (wasm::is_ref(*type)) {
    if (!expected.value) return actual.bits != 0;  // any non-null reference
    if (*expected.value == "null") return actual.bits == 0;
    auto n = parse_u64(*expected.value);
    if (!n) return std::unexpected(fmt::format("bad {} expectation {}", expected.type, *expected.value));
    // ref.extern N is host value N+1; a funcref expectation with a number
    // cannot name a function instance, so only non-null is checked.
    return *type == ValType::ExternRef ? actual.bits == *n + 1 : actual.bits != 0;
  }
  if (!expected.value) return std::unexpected(fmt::format("{} expectation without a value", expected.type));
  const std::string& text = *expected.value;
  if (text == "nan:canonical" || text == "nan:arithmetic") {
    bool canonical = text == "nan:canonical";
    if (*type == ValType::F32) {
      uint32_t bits = uint32_t(actual.bits) & 0x7FFF'FFFFu;
      return canonical ? bits == 0x7FC0'0000u : (bits & 0x7FC0'0000u) == 0x7FC0'0000u;
    }
    if (*type == ValType::F64) {
      uint64_t bits = actual.bits & 0x7FFF'FFFF'FFFF'FFFFull;
      return canonical ? bits == 0x7FF8'0000'0000'0000ull
                       : (bits & 0x7FF8'0000'0000'0000ull) == 0x7FF8'0000'0000'0000ull;
    }
    return std::unexpected(fmt::format("{} on a {} result", text, expected.type));
  }
  auto n = parse_u64(text);
  if (!n) return std::unexpected(fmt::format("bad {} expectation {}", expected.type, text));
  return (actual.bits & type_mask(*type)) == *n;
}

std::string format(const Value& v) {
  switch (v.type) {
    case ValType::I32:
      return fmt::format("i32:{}", int32_t(v.as_u32()));
    case ValType::I64:
      return fmt::format("i64:{}", int64_t(v.as_u64()));
    case ValType::F32:
      return fmt::format("f32:{} (0x{:08x})", v.as_f32(), v.as_u32());
    case ValType::F64:
      return fmt::format("f64:{} (0x{:016x})", v.as_f64(), v.as_u64());
    case ValType::FuncRef:
      return v.bits == 0 ? "funcref:null" : "funcref:non-null";
    case ValType::ExternRef:
      return v.bits == 0 ? "externref:null" : fmt::format("externref:{}", v.bits - 1);
    case ValType::V128:
      return "v128";
  }
  return "?";
}

std::string format(const JsonValue& v) {
  if (!v.value) return fmt::format("{}:non-null", v.type);
  if (auto type = parse_type(v.type); type && !wasm::is_ref(*type)) {
    if (auto n = parse_u64(*v.value)) return format(Value{*type, *n});
  }
  return fmt::format("{}:{}", v.type, *v.value);
}

}  // namespace wasipy::wast
