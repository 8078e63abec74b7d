#pragma once
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace wasipy::wasm {

/// Value types, with their binary encodings as enumerator values.
enum class ValType : uint8_t {
  I32 = 0x7F,
  I64 = 0x7E,
  F32 = 0x7D,
  F64 = 0x7C,
  V128 = 0x7B,
  FuncRef = 0x70,
  ExternRef = 0x6F,
};

inline bool is_ref(ValType t) { return t == ValType::FuncRef || t == ValType::ExternRef; }
std::string_view name_of(ValType t);

struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;
  bool operator==(const FuncType&) const = default;
};

struct Limits {
  uint64_t min = 0;
  std::optional<uint64_t> max;
};

struct TableType {
  ValType elem = ValType::FuncRef;
  Limits limits;
};

struct MemoryType {
  Limits limits;  ///< in 64 KiB pages
};

struct GlobalType {
  ValType type = ValType::I32;
  bool mut = false;
};

enum class ExternKind : uint8_t { Func = 0, Table = 1, Memory = 2, Global = 3 };
std::string_view name_of(ExternKind k);

constexpr uint64_t kPageSize = 65536;
constexpr uint64_t kMaxPages = 65536;  ///< 4 GiB for a 32-bit memory

}  // namespace wasipy::wasm
