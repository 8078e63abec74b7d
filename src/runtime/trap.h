#pragma once
#include <string>
#include <vector>

namespace wasipy::runtime {

/// Why execution stopped early. Each kind prints as the spec's message.
enum class TrapKind {
  Unreachable,
  MemoryOutOfBounds,
  TableOutOfBounds,
  UndefinedElement,      ///< call_indirect index past the table's end
  UninitializedElement,  ///< call_indirect through a null entry
  IndirectCallTypeMismatch,
  IntegerDivideByZero,
  IntegerOverflow,
  InvalidConversion,
  StackExhausted,
  HostError,  ///< a host function failed; see message
  Exit,       ///< the guest asked to exit (WASI proc_exit); see exit_code
};

const char* message_of(TrapKind kind);

struct Trap {
  TrapKind kind = TrapKind::Unreachable;
  std::string message;                 ///< the spec's text, or the host's explanation
  int exit_code = 0;                   ///< TrapKind::Exit only
  std::vector<std::string> backtrace;  ///< function names, innermost first

  static Trap of(TrapKind kind) { return Trap{kind, message_of(kind), 0, {}}; }
  static Trap host(std::string why) { return Trap{TrapKind::HostError, std::move(why), 0, {}}; }
  static Trap exit(int code) { return Trap{TrapKind::Exit, "exit", code, {}}; }
  /// "wasm trap: <message>" followed by one "  at <function>" line per frame.
  std::string describe() const;
};

}  // namespace wasipy::runtime
