#include "wasm/module.h"

#include "wasm/decoder.h"

#include <fmt/format.h>

#include "wasm/error.h"

namespace wasipy::wasm {

namespace {
// The n-th import of a given kind.
const Import& nth_import(const std::vector<Import>& imports, ExternKind kind, uint32_t n) {
  for (const auto& im : imports) {
    if (im.kind == kind && n-- == 0) return im;
  }
  static const Import none;
  return none;
}
}  // namespace

uint32_t Module::func_type_index(uint32_t index) const {
  if (index < imported_funcs) return nth_import(imports, ExternKind::Func, index).func_type;
  return functions[index - imported_funcs].type_index;
}

TableType Module::table_type(uint32_t index) const {
  if (index < imported_tables) return nth_import(imports, ExternKind::Table, index).table;
  return tables[index - imported_tables];
}

MemoryType Module::memory_type(uint32_t index) const {
  if (index < imported_memories) return nth_import(imports, ExternKind::Memory, index).memory;
  return memories[index - imported_memories];
}

GlobalType Module::global_type(uint32_t index) const {
  if (index < imported_globals) return nth_import(imports, ExternKind::Global, index).global;
  return globals[index - imported_globals].type;
}

const Names& Module::names() const {
  if (!names_) {
    names_ = std::make_shared<const Names>(
        name_section_size ? parse_names(bytes.span().subspan(name_section_start, name_section_size)) : Names{});
  }
  return *names_;
}

std::string Module::func_display_name(uint32_t index) const {
  const auto& fn_names = names().functions;
  auto it = fn_names.find(index);
  if (it != fn_names.end()) return printable(it->second);
  if (index < imported_funcs) {
    const auto& im = nth_import(imports, ExternKind::Func, index);
    return fmt::format("{}.{}", printable(im.module), printable(im.name));
  }
  for (const auto& ex : exports) {
    if (ex.kind == ExternKind::Func && ex.index == index) return printable(ex.name);
  }
  return fmt::format("func[{}]", index);
}

}  // namespace wasipy::wasm
