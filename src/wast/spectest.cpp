#include "wast/spectest.h"

#include <bit>

namespace wasipy::wast {

using runtime::Extern;
using wasm::ValType;

std::expected<void, std::string> define_spectest(runtime::Linker& linker, runtime::Store& store) {
  struct Print {
    const char* name;
    std::vector<ValType> params;
  };
  const Print prints[] = {
      {"print", {}},
      {"print_i32", {ValType::I32}},
      {"print_i64", {ValType::I64}},
      {"print_f32", {ValType::F32}},
      {"print_f64", {ValType::F64}},
      {"print_i32_f32", {ValType::I32, ValType::F32}},
      {"print_f64_f64", {ValType::F64, ValType::F64}},
  };
  for (const Print& p : prints) {
    auto* f = store.add_host_function(wasm::FuncType{p.params, {}},
                                      [](runtime::CallContext&, std::span<runtime::RawValue>) {
                                        return std::optional<runtime::Trap>();
                                      },
                                      std::string("spectest.") + p.name);
    linker.define("spectest", p.name, Extern(f));
  }

  linker.define("spectest", "global_i32", Extern(store.add_global({ValType::I32, false}, 666)));
  linker.define("spectest", "global_i64", Extern(store.add_global({ValType::I64, false}, 666)));
  linker.define("spectest", "global_f32",
                Extern(store.add_global({ValType::F32, false}, std::bit_cast<uint32_t>(666.6f))));
  linker.define("spectest", "global_f64",
                Extern(store.add_global({ValType::F64, false}, std::bit_cast<uint64_t>(666.6))));
  linker.define("spectest", "table",
                Extern(store.add_table(wasm::TableType{ValType::FuncRef, wasm::Limits{10, 20}})));
  auto memory = store.add_memory(wasm::MemoryType{wasm::Limits{1, 2}});
  if (!memory) return std::unexpected("cannot allocate the spectest memory: " + memory.error());
  linker.define("spectest", "memory", Extern(*memory));
  return {};
}

}  // namespace wasipy::wast
