#pragma once
// The one seam between the runtime and an execution tier.
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "runtime/store.h"
#include "wasm/validator.h"

namespace wasipy::runtime {

class Engine {
 public:
  virtual ~Engine() = default;
  /// Readies an instance's defined functions (sets each FuncInstance::code
  /// and instance.compiled). Called during instantiation, after imports are
  /// resolved and before anything runs.
  virtual std::expected<void, std::string> prepare(Instance& instance,
                                                   std::span<const wasm::FunctionInfo> info) = 0;
  /// Calls `f` (wasm or host): arguments in io[0..params), results come back
  /// in io[0..results); io holds max(params, results) slots.
  virtual std::optional<Trap> call(Store& store, FuncInstance& f, std::span<RawValue> io) = 0;
};

/// Typed convenience over Engine::call for the edges (CLI, spec runner, tests).
std::expected<std::vector<Value>, Trap> invoke(Engine& engine, Store& store, FuncInstance& f,
                                               std::span<const Value> args);

}  // namespace wasipy::runtime
