#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "runtime/engine.h"
#include "runtime/store.h"

namespace wasipy::runtime {

struct InstantiateError {
  enum class Kind {
    Unlinkable,     ///< an import is missing or has the wrong type
    Uninstantiable, ///< a segment or the start function trapped
    Resource,       ///< the host refused memory, or the tier failed
  } kind = Kind::Unlinkable;
  std::string message;
  std::optional<Trap> trap;  ///< Uninstantiable only
};

/// Supplies the extern for one import, or nullopt when there is none.
using ImportResolver = std::function<std::optional<Extern>(const wasm::Import&)>;

/// Links, allocates, initialises segments and runs the start function, in
/// the spec's order (segment effects before a trap stay, as the spec says).
std::expected<Instance*, InstantiateError> instantiate(Store& store, Engine& engine,
                                                       std::shared_ptr<const wasm::Module> module,
                                                       std::span<const wasm::FunctionInfo> info,
                                                       const ImportResolver& resolve);

/// Resolves imports from named instances (the spec's `register`, WASI hosts).
class Linker {
 public:
  void define(std::string module, std::string name, Extern value);
  void define_instance(std::string module, const Instance& instance);
  std::optional<Extern> lookup(std::string_view module, std::string_view name) const;
  ImportResolver resolver() const;

 private:
  std::map<std::pair<std::string, std::string>, Extern, std::less<>> defs_;
};

}  // namespace wasipy::runtime
