#pragma once
// Runtime objects: functions, tables, globals, instances, and the store that owns them.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "runtime/memory.h"
#include "runtime/trap.h"
#include "runtime/value.h"
#include "wasm/module.h"

namespace wasipy::runtime {

struct Instance;
class Store;

/// What a host function sees of its caller.
struct CallContext {
  Store* store = nullptr;
  Instance* caller = nullptr;  ///< the instance whose code made the call (null from the host)
  /// The caller's memory 0, if it has one (WASI works on it).
  Memory* memory() const;
};

/// A host function reads its arguments from io[0..params) and writes its
/// results to io[0..results); io holds max(params, results) slots.
/// Returning a Trap aborts the guest (a WASI proc_exit is TrapKind::Exit).
using HostFunction = std::function<std::optional<Trap>(CallContext&, std::span<RawValue> io)>;

/// A host function as the store keeps it, with its name for backtraces.
struct HostEntry {
  HostFunction fn;
  std::string name;
};

/// What a FuncInstance holds of a host function: a pointer to the store's
/// entry, called as the HostFunction itself is (`f.host(ctx, io)`).
class HostRef {
 public:
  HostRef() = default;
  explicit HostRef(const HostEntry* entry) : entry_(entry) {}
  explicit operator bool() const { return entry_ != nullptr; }
  std::optional<Trap> operator()(CallContext& ctx, std::span<RawValue> io) const { return entry_->fn(ctx, io); }
  const std::string& name() const { return entry_->name; }

 private:
  const HostEntry* entry_ = nullptr;
};

/// One per function of every instance (10,000 for CPython): kept small, the
/// type shared with the store, the host-only parts behind `host`.
struct FuncInstance {
  // The first three fields are what native code reads (src/native/abi.h's
  // wp_func): keep them first and in this order.
  uint32_t type_id = 0;        ///< interned in the store: equal ids <=> equal types
  void* native_code = nullptr; ///< the native tier's entry for a wasm function, else null
  void* native_ctx = nullptr;  ///< the wp_ctx that native_code expects
  const wasm::FuncType* type = nullptr;  ///< the store's interned type (type_id's)
  Instance* instance = nullptr;  ///< defining instance (wasm functions)
  uint32_t index = 0;          ///< index in the defining instance's function space
  HostRef host;                ///< set for host functions
  void* code = nullptr;        ///< the tier's compiled entry for this function

  bool is_host() const { return static_cast<bool>(host); }
  /// For backtraces: a host function's name, or the wasm function's name
  /// from its module (looked up only when asked: most runs never trap).
  std::string display_name() const;
};

/// Beyond this many entries a table cannot be created or grown: the host
/// refuses rather than let a guest exhaust its memory.
constexpr uint64_t kMaxTableEntries = 10'000'000;

struct Table {
  /// What native code reads (src/native/abi.h's wp_table); kept equal to
  /// elements' data and size by grow(), the only place that resizes it.
  struct View {
    RawValue* data = nullptr;
    uint64_t size = 0;
  } view;
  wasm::TableType type;
  std::vector<RawValue> elements;

  Table(wasm::TableType t, uint32_t count, RawValue init) : type(t), elements(count, init) { sync_view(); }
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;
  void sync_view() { view = View{elements.data(), elements.size()}; }
  uint32_t size() const { return uint32_t(elements.size()); }
  /// Returns the old size, or -1 when the limits or the host refuse.
  int64_t grow(uint32_t delta, RawValue init);
};

struct Global {
  wasm::GlobalType type;
  RawValue value = 0;
};

using Extern = std::variant<FuncInstance*, Table*, Memory*, Global*>;

/// The tier's compiled form of an instance's code; owned by the instance.
struct CompiledCode {
  virtual ~CompiledCode() = default;
};

struct Instance {
  std::shared_ptr<const wasm::Module> module;
  std::vector<FuncInstance*> funcs;
  std::vector<Table*> tables;
  std::vector<Memory*> memories;
  std::vector<Global*> globals;
  std::vector<uint32_t> type_ids;  ///< module type index -> store type id
  /// Element segments as resolved references; emptied by elem.drop (and for
  /// active and declarative segments once instantiated).
  std::vector<std::vector<RawValue>> elems;
  /// Data segments as views into module->bytes; emptied by data.drop.
  std::vector<std::span<const uint8_t>> datas;
  std::map<std::string, Extern, std::less<>> exports;
  std::unique_ptr<CompiledCode> compiled;

  std::optional<Extern> export_named(std::string_view name) const;
  FuncInstance* exported_func(std::string_view name) const;
};

/// Owns every runtime object; pointers into it stay valid for its lifetime.
class Store {
 public:
  Store();
  ~Store();

  uint32_t intern(const wasm::FuncType& type);
  /// The interned type with this id; the store keeps it where it is.
  const wasm::FuncType* type(uint32_t id) const { return &types_[id]; }
  FuncInstance* add_host_function(wasm::FuncType type, HostFunction fn, std::string name);
  /// `count` default wasm functions, in one block, for the caller to fill.
  std::span<FuncInstance> add_functions(size_t count);
  /// The caller checks type.limits.min <= kMaxTableEntries.
  Table* add_table(wasm::TableType type, RawValue init = 0);
  std::expected<Memory*, std::string> add_memory(wasm::MemoryType type);
  Global* add_global(wasm::GlobalType type, RawValue value);
  Instance* add_instance();

 private:
  std::deque<wasm::FuncType> types_;  // a deque: FuncInstance::type points into it
  std::deque<HostEntry> hosts_;
  std::deque<FuncInstance> host_funcs_;
  std::vector<std::unique_ptr<FuncInstance[]>> func_blocks_;
  std::deque<Table> tables_;
  std::vector<std::unique_ptr<Memory>> memories_;
  std::deque<Global> globals_;
  std::deque<Instance> instances_;
};

}  // namespace wasipy::runtime
