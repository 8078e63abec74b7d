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

std::optional<Opcode> opcode_from_code(uint16_t code) {
  switch (code) {
#define WASM_OP(Name, code, text) case code:
#include "wasm/opcodes.def"
    return static_cast<Opcode>(code);
    default:
      return std::nullopt;
  }
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
