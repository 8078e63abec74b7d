#include "runtime/store.h"

namespace wasipy::runtime {

// CPython has 10,000 functions: each byte here is 10 KB at every start.
static_assert(sizeof(FuncInstance) <= 64);

Memory* CallContext::memory() const {
  if (!caller || caller->memories.empty()) return nullptr;
  return caller->memories[0];
}

std::string FuncInstance::display_name() const {
  if (is_host()) return host.name();
  if (!instance) return {};
  return instance->module->func_display_name(index);
}

int64_t Table::grow(uint32_t delta, RawValue init) {
  uint64_t old = elements.size();
  uint64_t limit = type.limits.max ? *type.limits.max : 0xFFFFFFFFull;
  if (old + delta > limit || old + delta > kMaxTableEntries) return -1;
  elements.resize(old + delta, init);
  sync_view();
  return int64_t(old);
}

std::optional<Extern> Instance::export_named(std::string_view name) const {
  auto it = exports.find(name);
  if (it == exports.end()) return std::nullopt;
  return it->second;
}

FuncInstance* Instance::exported_func(std::string_view name) const {
  auto e = export_named(name);
  if (!e) return nullptr;
  auto* f = std::get_if<FuncInstance*>(&*e);
  return f ? *f : nullptr;
}

Store::Store() = default;
Store::~Store() = default;

uint32_t Store::intern(const wasm::FuncType& type) {
  for (size_t i = 0; i < types_.size(); ++i) {
    if (types_[i] == type) return uint32_t(i);
  }
  types_.push_back(type);
  return uint32_t(types_.size() - 1);
}

FuncInstance* Store::add_host_function(wasm::FuncType type, HostFunction fn, std::string name) {
  FuncInstance& f = host_funcs_.emplace_back();
  f.type_id = intern(type);
  f.type = this->type(f.type_id);
  f.host = HostRef(&hosts_.emplace_back(HostEntry{std::move(fn), std::move(name)}));
  return &f;
}

std::span<FuncInstance> Store::add_functions(size_t count) {
  if (count == 0) return {};
  auto& block = func_blocks_.emplace_back(std::make_unique<FuncInstance[]>(count));
  return {block.get(), count};
}

Table* Store::add_table(wasm::TableType type, RawValue init) {
  tables_.emplace_back(type, uint32_t(type.limits.min), init);
  return &tables_.back();
}

std::expected<Memory*, std::string> Store::add_memory(wasm::MemoryType type) {
  auto m = Memory::create(type);
  if (!m) return std::unexpected(m.error());
  memories_.emplace_back(*m);
  return *m;
}

Global* Store::add_global(wasm::GlobalType type, RawValue value) {
  globals_.push_back(Global{type, value});
  return &globals_.back();
}

Instance* Store::add_instance() {
  instances_.emplace_back();
  return &instances_.back();
}

}  // namespace wasipy::runtime
