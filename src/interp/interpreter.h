#pragma once
#include <cstdint>

#include "runtime/engine.h"

namespace wasipy::interp {

struct Limits {
  /// Value-stack slots (8 bytes each) shared by all frames of one call chain.
  uint64_t stack_slots = uint64_t(64) << 20;  // 512 MiB reserved, touched lazily
  /// Nested wasm calls before "call stack exhausted".
  uint32_t max_call_depth = 200000;
};

/// The interpreter tier: compiles each function once to threaded code with
/// register-like stack slots, then runs it.
class Interpreter final : public runtime::Engine {
 public:
  explicit Interpreter(Limits limits = {});
  ~Interpreter() override;

  std::expected<void, std::string> prepare(runtime::Instance& instance,
                                           std::span<const wasm::FunctionInfo> info) override;
  std::optional<runtime::Trap> call(runtime::Store& store, runtime::FuncInstance& f,
                                    std::span<runtime::RawValue> io) override;

  struct State;  ///< the value stack and call frames (defined in interpreter.cpp)

 private:
  std::unique_ptr<State> state_;
};

}  // namespace wasipy::interp
