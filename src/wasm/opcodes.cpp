#include "wasm/opcodes.h"

#include <array>

#include "wasm/types.h"

namespace wasipy::wasm {

std::string_view name_of(Opcode op) {
  switch (op) {
#define WASM_OP(Name, code, text) \
  case Opcode::Name:              \
    return text;
#include "wasm/opcodes.def"
  }
  return "<unknown>";
}

namespace {
// Which codes are instructions, by table rather than a switch: this runs
// once per instruction of every module loaded.
struct KnownCodes {
  std::array<bool, 0x200> known{};  // [0, 0x100): one-byte codes; [0x100, 0x200): 0xFC sub-opcodes
  constexpr KnownCodes() {
#define WASM_OP(Name, code, text) known[(code) > 0xFF ? 0x100 + ((code) & 0xFF) : (code)] = true;
#include "wasm/opcodes.def"
  }
};
constexpr KnownCodes kKnown;
}  // namespace

std::optional<Opcode> opcode_from_code(uint16_t code) {
  size_t i = code > 0xFF ? ((code & 0xFF00) == 0xFC00 ? 0x100 + (code & 0xFF) : 0x1FF) : code;
  if (i >= kKnown.known.size() || !kKnown.known[i] || (code > 0xFF && (code & 0xFF00) != 0xFC00)) return std::nullopt;
  return static_cast<Opcode>(code);
}

std::string_view name_of(ValType t) {
  switch (t) {
    case ValType::I32: return "i32";
    case ValType::I64: return "i64";
    case ValType::F32: return "f32";
    case ValType::F64: return "f64";
    case ValType::V128: return "v128";
    case ValType::FuncRef: return "funcref";
    case ValType::ExternRef: return "externref";
  }
  return "<unknown type>";
}

std::string_view name_of(ExternKind k) {
  switch (k) {
    case ExternKind::Func: return "func";
    case ExternKind::Table: return "table";
    case ExternKind::Memory: return "memory";
    case ExternKind::Global: return "global";
  }
  return "<unknown kind>";
}

}  // namespace wasipy::wasm
