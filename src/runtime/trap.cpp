#include "runtime/trap.h"

namespace wasipy::runtime {

const char* message_of(TrapKind kind) {
  switch (kind) {
    case TrapKind::Unreachable: return "unreachable";
    case TrapKind::MemoryOutOfBounds: return "out of bounds memory access";
    case TrapKind::TableOutOfBounds: return "out of bounds table access";
    case TrapKind::UndefinedElement: return "undefined element";
    case TrapKind::UninitializedElement: return "uninitialized element";
    case TrapKind::IndirectCallTypeMismatch: return "indirect call type mismatch";
    case TrapKind::IntegerDivideByZero: return "integer divide by zero";
    case TrapKind::IntegerOverflow: return "integer overflow";
    case TrapKind::InvalidConversion: return "invalid conversion to integer";
    case TrapKind::StackExhausted: return "call stack exhausted";
    case TrapKind::HostError: return "host function failed";
    case TrapKind::Exit: return "exit";
  }
  return "unknown trap";
}

std::string Trap::describe() const {
  std::string out = "wasm trap: " + message;
  for (const auto& frame : backtrace) out += "\n  at " + frame;
  return out;
}

}  // namespace wasipy::runtime
