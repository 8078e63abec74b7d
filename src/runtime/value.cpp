#include "runtime/value.h"

#include <fmt/format.h>

namespace wasipy::runtime {

std::string Value::to_string() const {
  switch (type) {
    case ValType::I32: return fmt::format("i32:{}", as_u32());
    case ValType::I64: return fmt::format("i64:{}", as_u64());
    case ValType::F32: return fmt::format("f32:{}", as_f32());
    case ValType::F64: return fmt::format("f64:{}", as_f64());
    case ValType::FuncRef: return bits ? fmt::format("funcref:{:#x}", bits) : "funcref:null";
    case ValType::ExternRef: return bits ? fmt::format("externref:{}", bits - 1) : "externref:null";
    case ValType::V128: return "v128";
  }
  return "?";
}

}  // namespace wasipy::runtime
