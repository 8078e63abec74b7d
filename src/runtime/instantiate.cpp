#include "runtime/instantiate.h"

#include <fmt/format.h>

namespace wasipy::runtime {

namespace {

using wasm::ExternKind;

std::unexpected<InstantiateError> unlinkable(std::string msg) {
  return std::unexpected(InstantiateError{InstantiateError::Kind::Unlinkable, std::move(msg), std::nullopt});
}
std::unexpected<InstantiateError> resource(std::string msg) {
  return std::unexpected(InstantiateError{InstantiateError::Kind::Resource, std::move(msg), std::nullopt});
}
std::unexpected<InstantiateError> trapped(Trap t) {
  std::string msg = t.message;
  return std::unexpected(InstantiateError{InstantiateError::Kind::Uninstantiable, std::move(msg), std::move(t)});
}

// Import subtyping of limits: the provided object must be at least as large
// and promise at most the maximum the importer expects.
bool limits_match(uint64_t actual_min, std::optional<uint64_t> actual_max, const wasm::Limits& expected) {
  if (actual_min < expected.min) return false;
  if (expected.max) {
    if (!actual_max || *actual_max > *expected.max) return false;
  }
  return true;
}

std::string describe(const wasm::FuncType& t) {
  std::string s = "[";
  for (size_t i = 0; i < t.params.size(); ++i) s += fmt::format("{}{}", i ? " " : "", name_of(t.params[i]));
  s += "] -> [";
  for (size_t i = 0; i < t.results.size(); ++i) s += fmt::format("{}{}", i ? " " : "", name_of(t.results[i]));
  return s + "]";
}

// Evaluates a validated constant expression: one instruction producing one value.
RawValue eval_const(const wasm::ConstExpr& e, const Instance& inst) {
  const auto& in = e.instrs.front();
  switch (in.op) {
    case wasm::Opcode::I32Const:
    case wasm::Opcode::I64Const:
    case wasm::Opcode::F32Const:
    case wasm::Opcode::F64Const:
      return in.imm;
    case wasm::Opcode::RefNull:
      return 0;
    case wasm::Opcode::RefFunc:
      return reinterpret_cast<RawValue>(inst.funcs[in.a]);
    case wasm::Opcode::GlobalGet:
      return inst.globals[in.a]->value;
    default:
      return 0;
  }
}

}  // namespace

std::expected<std::vector<Value>, Trap> invoke(Engine& engine, Store& store, FuncInstance& f,
                                               std::span<const Value> args) {
  if (args.size() != f.type->params.size()) {
    return std::unexpected(Trap::host(fmt::format("{} expects {} arguments, got {}", f.display_name(), f.type->params.size(), args.size())));
  }
  std::vector<RawValue> io(std::max(f.type->params.size(), f.type->results.size()));
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].type != f.type->params[i]) {
      return std::unexpected(Trap::host(fmt::format("argument {} of {} must be {}, got {}", i, f.display_name(),
                                                    name_of(f.type->params[i]), name_of(args[i].type))));
    }
    io[i] = args[i].bits;
  }
  if (auto trap = engine.call(store, f, io)) return std::unexpected(std::move(*trap));
  std::vector<Value> results;
  results.reserve(f.type->results.size());
  for (size_t i = 0; i < f.type->results.size(); ++i) results.push_back(Value{f.type->results[i], io[i]});
  return results;
}

std::expected<Instance*, InstantiateError> instantiate(Store& store, Engine& engine,
                                                       std::shared_ptr<const wasm::Module> module,
                                                       std::span<const wasm::FunctionInfo> info,
                                                       const ImportResolver& resolve) {
  const wasm::Module& m = *module;

  // Resolve and check every import before anything is allocated.
  std::vector<Extern> imported;
  imported.reserve(m.imports.size());
  for (const auto& im : m.imports) {
    auto ext = resolve(im);
    std::string what = fmt::format("{}.{}", wasm::printable(im.module), wasm::printable(im.name));
    if (!ext) return unlinkable(fmt::format("unknown import {} ({})", what, name_of(im.kind)));
    switch (im.kind) {
      case ExternKind::Func: {
        auto* f = std::get_if<FuncInstance*>(&*ext);
        if (!f) return unlinkable(fmt::format("incompatible import type: {} must be a function", what));
        const auto& want = m.types[im.func_type];
        if (*(*f)->type != want) {
          return unlinkable(fmt::format("incompatible import type: {} has type {}, the module expects {}", what,
                                        describe(*(*f)->type), describe(want)));
        }
        break;
      }
      case ExternKind::Table: {
        auto* t = std::get_if<Table*>(&*ext);
        if (!t) return unlinkable(fmt::format("incompatible import type: {} must be a table", what));
        if ((*t)->type.elem != im.table.elem || !limits_match((*t)->size(), (*t)->type.limits.max, im.table.limits)) {
          return unlinkable(fmt::format("incompatible import type: table {} has other limits or element type", what));
        }
        break;
      }
      case ExternKind::Memory: {
        auto* mem = std::get_if<Memory*>(&*ext);
        if (!mem) return unlinkable(fmt::format("incompatible import type: {} must be a memory", what));
        auto mt = (*mem)->type();
        if (!limits_match(mt.limits.min, mt.limits.max, im.memory.limits)) {
          return unlinkable(fmt::format("incompatible import type: memory {} has other limits", what));
        }
        break;
      }
      case ExternKind::Global: {
        auto* g = std::get_if<Global*>(&*ext);
        if (!g) return unlinkable(fmt::format("incompatible import type: {} must be a global", what));
        if ((*g)->type.type != im.global.type || (*g)->type.mut != im.global.mut) {
          return unlinkable(fmt::format("incompatible import type: global {} has another type or mutability", what));
        }
        break;
      }
    }
    imported.push_back(*ext);
  }

  for (const auto& t : m.tables) {
    if (t.limits.min > kMaxTableEntries) {
      return resource(fmt::format("cannot allocate a table of {} entries (the limit is {})", t.limits.min, kMaxTableEntries));
    }
  }

  Instance* inst = store.add_instance();
  inst->module = module;
  for (const auto& t : m.types) inst->type_ids.push_back(store.intern(t));
  for (const auto& ext : imported) {
    std::visit(
        [&](auto* p) {
          using T = std::remove_pointer_t<decltype(p)>;
          if constexpr (std::is_same_v<T, FuncInstance>) inst->funcs.push_back(p);
          if constexpr (std::is_same_v<T, Table>) inst->tables.push_back(p);
          if constexpr (std::is_same_v<T, Memory>) inst->memories.push_back(p);
          if constexpr (std::is_same_v<T, Global>) inst->globals.push_back(p);
        },
        ext);
  }
  std::span<FuncInstance> defined = store.add_functions(m.functions.size());
  inst->funcs.reserve(inst->funcs.size() + defined.size());
  for (size_t i = 0; i < defined.size(); ++i) {
    FuncInstance& f = defined[i];
    f.type_id = inst->type_ids[m.functions[i].type_index];
    f.type = store.type(f.type_id);
    f.instance = inst;
    f.index = m.imported_funcs + uint32_t(i);
    inst->funcs.push_back(&f);
  }
  for (const auto& t : m.tables) inst->tables.push_back(store.add_table(t, 0));
  for (const auto& mt : m.memories) {
    auto mem = store.add_memory(mt);
    if (!mem) return resource(mem.error());
    inst->memories.push_back(*mem);
  }
  for (const auto& g : m.globals) inst->globals.push_back(store.add_global(g.type, eval_const(g.init, *inst)));

  for (const auto& ex : m.exports) {
    Extern e;
    switch (ex.kind) {
      case ExternKind::Func: e = inst->funcs[ex.index]; break;
      case ExternKind::Table: e = inst->tables[ex.index]; break;
      case ExternKind::Memory: e = inst->memories[ex.index]; break;
      case ExternKind::Global: e = inst->globals[ex.index]; break;
    }
    inst->exports.emplace(ex.name, e);
  }

  for (const auto& seg : m.elems) {
    std::vector<RawValue> refs;
    refs.reserve(seg.items.size());
    for (const auto& item : seg.items) refs.push_back(eval_const(item, *inst));
    inst->elems.push_back(std::move(refs));
  }
  for (const auto& seg : m.datas) inst->datas.push_back(m.bytes.span().subspan(seg.data_start, seg.data_size));

  if (auto ok = engine.prepare(*inst, info); !ok) return resource(ok.error());

  // Active segments behave as table.init / memory.init followed by a drop;
  // a segment out of bounds traps, and what earlier ones wrote stays.
  for (size_t i = 0; i < m.elems.size(); ++i) {
    const auto& seg = m.elems[i];
    if (seg.mode == wasm::SegmentMode::Active) {
      uint64_t offset = uint32_t(eval_const(seg.offset, *inst));
      Table* table = inst->tables[seg.table];
      const auto& refs = inst->elems[i];
      if (offset + refs.size() > table->size()) return trapped(Trap::of(TrapKind::TableOutOfBounds));
      std::copy(refs.begin(), refs.end(), table->elements.begin() + offset);
    }
    if (seg.mode != wasm::SegmentMode::Passive) inst->elems[i].clear();
  }
  for (size_t i = 0; i < m.datas.size(); ++i) {
    const auto& seg = m.datas[i];
    if (seg.mode != wasm::SegmentMode::Active) continue;
    uint64_t offset = uint32_t(eval_const(seg.offset, *inst));
    Memory* mem = inst->memories[seg.memory];
    auto bytes = inst->datas[i];
    if (!mem->in_bounds(offset, bytes.size())) return trapped(Trap::of(TrapKind::MemoryOutOfBounds));
    if (!bytes.empty()) std::memcpy(mem->data() + offset, bytes.data(), bytes.size());
    inst->datas[i] = {};
  }

  if (m.start) {
    std::vector<RawValue> io;
    if (auto trap = engine.call(store, *inst->funcs[*m.start], io)) return trapped(std::move(*trap));
  }
  return inst;
}

void Linker::define(std::string module, std::string name, Extern value) {
  defs_[{std::move(module), std::move(name)}] = value;
}

void Linker::define_instance(std::string module, const Instance& instance) {
  for (const auto& [name, ext] : instance.exports) define(module, name, ext);
}

std::optional<Extern> Linker::lookup(std::string_view module, std::string_view name) const {
  auto it = defs_.find(std::pair<std::string, std::string>(module, name));
  if (it == defs_.end()) return std::nullopt;
  return it->second;
}

ImportResolver Linker::resolver() const {
  return [this](const wasm::Import& im) { return lookup(im.module, im.name); };
}

}  // namespace wasipy::runtime
