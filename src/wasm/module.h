#pragma once
// The decoded form of a module: what it declares, not how it runs.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "wasm/bytes.h"
#include "wasm/opcodes.h"
#include "wasm/types.h"

namespace wasipy::wasm {

/// One decoded instruction. Which fields mean what depends on the opcode:
///   block/loop/if:  block_type (s33: >= 0 type index, -64 empty, else -(0x80 - valtype byte))
///   br/br_if:       a = label depth;   br_table: targets (last is the default)
///   call:           a = function index; call_indirect: a = type index, b = table index
///   local.*/global.*: a = index;  table.get/set/size/grow/fill: a = table index
///   loads/stores:   a = alignment exponent, imm = offset
///   *.const:        imm = the value's bits (f32/f64 as raw IEEE bits)
///   ref.null:       imm = reference type byte;  ref.func: a = function index
///   select t*:      imm = the type byte
///   memory.init:    a = data index;  data.drop: a = data index
///   table.init:     a = element index, b = table index;  elem.drop: a = element index
///   table.copy:     a = destination table, b = source table
struct Instr {
  Opcode op = Opcode::Nop;
  uint32_t a = 0;
  uint32_t b = 0;
  uint64_t imm = 0;
  int64_t block_type = -64;
  const std::vector<uint32_t>* targets = nullptr;  ///< br_table only; owned by the reader
  size_t offset = 0;                               ///< byte offset of the opcode in the module
};

/// A constant expression (global initialisers, segment offsets, element items).
/// Kept as instructions so the validator can reject non-constant ones.
struct ConstExpr {
  std::vector<Instr> instrs;  ///< without the final `end`
  size_t offset = 0;
};

struct Import {
  size_t offset = 0;  ///< where the import's entry starts in the module
  std::string module;
  std::string name;
  ExternKind kind = ExternKind::Func;
  uint32_t func_type = 0;  ///< kind == Func
  TableType table;         ///< kind == Table
  MemoryType memory;       ///< kind == Memory
  GlobalType global;       ///< kind == Global
};

struct Export {
  size_t offset = 0;  ///< where the export's entry starts in the module
  std::string name;
  ExternKind kind = ExternKind::Func;
  uint32_t index = 0;
};

struct LocalGroup {
  uint32_t count = 0;
  ValType type = ValType::I32;
};

/// A function defined in this module (imported ones are in `imports`).
struct Function {
  uint32_t type_index = 0;
  std::vector<LocalGroup> locals;  ///< declared locals, not counting parameters
  uint64_t local_count = 0;        ///< sum of the groups' counts
  size_t body_start = 0;           ///< offset in Module::bytes of the first instruction
  size_t body_end = 0;             ///< one past the final `end`
};

struct Global {
  GlobalType type;
  ConstExpr init;
};

enum class SegmentMode { Passive, Active, Declarative };

struct ElemSegment {
  SegmentMode mode = SegmentMode::Passive;
  uint32_t table = 0;
  ConstExpr offset;  ///< Active only
  ValType type = ValType::FuncRef;
  std::vector<ConstExpr> items;
  size_t offset_in_module = 0;
};

struct DataSegment {
  SegmentMode mode = SegmentMode::Passive;
  uint32_t memory = 0;
  ConstExpr offset;  ///< Active only
  size_t data_start = 0;  ///< offset in Module::bytes
  size_t data_size = 0;
};

/// What the `name` custom section says; absent names stay absent.
struct Names {
  std::optional<std::string> module;
  std::map<uint32_t, std::string> functions;
};

struct Module {
  Bytes bytes;  ///< the binary; function bodies and data point into it

  std::vector<FuncType> types;
  std::vector<Import> imports;
  std::vector<Function> functions;
  std::vector<TableType> tables;
  std::vector<MemoryType> memories;
  std::vector<Global> globals;
  std::vector<Export> exports;
  std::optional<uint32_t> start;
  std::vector<ElemSegment> elems;
  std::vector<DataSegment> datas;
  std::optional<uint32_t> data_count;
  /// Where some contents lie in `bytes`.
  struct Section {
    size_t start = 0;
    size_t size = 0;
  };
  /// The code section's contents while its bodies are not decoded yet
  /// (decode with Bodies::Later; see decoder.h); `functions` then hold only
  /// their type index.
  std::optional<Section> deferred_code;
  size_t name_section_start = 0;  ///< the `name` section's contents in `bytes`, if any
  size_t name_section_size = 0;
  /// What the name section says, parsed on first use.
  const Names& names() const;

  // Sizes of the index spaces' imported prefixes.
  uint32_t imported_funcs = 0;
  uint32_t imported_tables = 0;
  uint32_t imported_memories = 0;
  uint32_t imported_globals = 0;

  uint32_t func_count() const { return imported_funcs + uint32_t(functions.size()); }
  uint32_t table_count() const { return imported_tables + uint32_t(tables.size()); }
  uint32_t memory_count() const { return imported_memories + uint32_t(memories.size()); }
  uint32_t global_count() const { return imported_globals + uint32_t(globals.size()); }

  /// Type index of function `index` in the function index space (caller checks range).
  uint32_t func_type_index(uint32_t index) const;
  const FuncType& func_type(uint32_t index) const { return types[func_type_index(index)]; }
  TableType table_type(uint32_t index) const;
  MemoryType memory_type(uint32_t index) const;
  GlobalType global_type(uint32_t index) const;

  std::span<const uint8_t> body(const Function& f) const {
    return bytes.span().subspan(f.body_start, f.body_end - f.body_start);
  }
  /// "$name" from the name section, or "func[N]".
  std::string func_display_name(uint32_t index) const;

 private:
  mutable std::shared_ptr<const Names> names_;
};

}  // namespace wasipy::wasm
