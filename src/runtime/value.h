#pragma once
#include <bit>
#include <cstdint>
#include <string>

#include "wasm/types.h"

namespace wasipy::runtime {

using wasm::ValType;

/// What every tier stores in a stack slot, local, global or table entry:
/// 64 raw bits whose type is known from context. i32 lives in the low half,
/// floats as their IEEE bits. A reference is 0 when null; a funcref is the
/// bits of its FuncInstance*; an externref is whatever non-zero bits the
/// host chose.
using RawValue = uint64_t;

/// A value with its type, for the edges: the CLI, the spec runner, tests.
struct Value {
  ValType type = ValType::I32;
  RawValue bits = 0;

  static Value i32(uint32_t v) { return {ValType::I32, v}; }
  static Value i64(uint64_t v) { return {ValType::I64, v}; }
  static Value f32(float v) { return {ValType::F32, std::bit_cast<uint32_t>(v)}; }
  static Value f64(double v) { return {ValType::F64, std::bit_cast<uint64_t>(v)}; }
  static Value f32_bits(uint32_t b) { return {ValType::F32, b}; }
  static Value f64_bits(uint64_t b) { return {ValType::F64, b}; }
  static Value ref(ValType t, RawValue r) { return {t, r}; }

  uint32_t as_u32() const { return uint32_t(bits); }
  uint64_t as_u64() const { return bits; }
  float as_f32() const { return std::bit_cast<float>(uint32_t(bits)); }
  double as_f64() const { return std::bit_cast<double>(bits); }

  /// "i32:42", "f64:1.5", "funcref:null" ...
  std::string to_string() const;
};

}  // namespace wasipy::runtime
