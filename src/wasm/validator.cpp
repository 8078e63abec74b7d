#include "wasm/validator.h"

#include <set>
#include <unordered_set>

#include "wasm/instr_reader.h"

namespace wasipy::wasm {

namespace {

// The operand stack holds value types, plus Unknown for values popped off a
// polymorphic (unreachable) stack, which match any type.
enum class VT : uint8_t { Unknown = 0 };
VT vt(ValType t) { return static_cast<VT>(t); }
bool is_num(VT t) {
  return t == vt(ValType::I32) || t == vt(ValType::I64) || t == vt(ValType::F32) || t == vt(ValType::F64);
}
bool is_ref(VT t) { return t == vt(ValType::FuncRef) || t == vt(ValType::ExternRef); }
std::string_view name(VT t) { return t == VT::Unknown ? "unknown" : name_of(static_cast<ValType>(t)); }

struct Ctrl {
  Opcode op;
  std::vector<ValType> params;
  std::vector<ValType> results;
  size_t height;
  bool unreachable = false;
  const std::vector<ValType>& labels() const { return op == Opcode::Loop ? params : results; }
};

constexpr ValType kNone = ValType(0);

struct OpSig {
  ValType in1 = kNone, in2 = kNone, out = kNone;
  bool numeric = false;
  bool load = false, store = false;
  uint32_t natural_align = 0;
};

OpSig sig_of(Opcode op) {
  constexpr ValType I32 = ValType::I32, I64 = ValType::I64, F32 = ValType::F32, F64 = ValType::F64,
                    None = kNone;
  (void)None;
  switch (op) {
#define WASM_NUMERIC(Name, code, text, a, b, r) \
  case Opcode::Name:                            \
    return OpSig{a, b, r, true, false, false, 0};
#define WASM_LOAD(Name, code, text, type, align) \
  case Opcode::Name:                             \
    return OpSig{ValType::I32, kNone, type, false, true, false, align};
#define WASM_STORE(Name, code, text, type, align) \
  case Opcode::Name:                              \
    return OpSig{ValType::I32, type, kNone, false, false, true, align};
#include "wasm/opcodes.def"
    default:
      return OpSig{};
  }
}

class Validator {
 public:
  explicit Validator(const Module& m) : m_(m) {}
  Expected<std::vector<FunctionInfo>> run();
  Expected<void> decode_bodies() const;

 private:
  Expected<void> limits(const Limits& l, uint64_t bound, size_t at, const char* what);
  Expected<void> const_expr(const ConstExpr& e, ValType expected, const char* where);
  Expected<FunctionInfo> function(uint32_t index, const Function& f);
  Expected<std::pair<std::vector<ValType>, std::vector<ValType>>> block_type(const Instr& in);

  // Operand stack.
  void push(VT t) {
    vals_.push_back(t);
    if (vals_.size() > max_stack_) max_stack_ = vals_.size();
  }
  void push(ValType t) { push(vt(t)); }
  Expected<VT> pop();
  Expected<VT> pop(VT expected);
  Expected<VT> pop(ValType expected) { return pop(vt(expected)); }
  Expected<void> pop_all(const std::vector<ValType>& types);
  void push_all(const std::vector<ValType>& types) {
    for (auto t : types) push(t);
  }
  void mark_unreachable() {
    vals_.resize(ctrls_.back().height);
    ctrls_.back().unreachable = true;
  }
  template <class... Args>
  std::unexpected<Error> bad(fmt::format_string<Args...> f, Args&&... args) {
    return invalid(cur_offset_, "{} (in function {})", fmt::format(f, std::forward<Args>(args)...), cur_func_);
  }

  const Module& m_;
  std::vector<ValType> func_types_;  // unused placeholder for symmetry
  std::unordered_set<uint32_t> refs_;  // functions that ref.func may name
  std::vector<VT> vals_;
  std::vector<Ctrl> ctrls_;
  std::vector<ValType> locals_;
  size_t max_stack_ = 0;
  size_t cur_offset_ = 0;
  uint32_t cur_func_ = 0;
  const char* cur_op_ = "";
};

Expected<VT> Validator::pop() {
  auto& c = ctrls_.back();
  if (vals_.size() == c.height) {
    if (c.unreachable) return VT::Unknown;
    return bad("type mismatch: {} needs an operand but the stack is empty", cur_op_);
  }
  VT t = vals_.back();
  vals_.pop_back();
  return t;
}

Expected<VT> Validator::pop(VT expected) {
  WASIPY_TRY(actual, pop());
  if (actual != expected && actual != VT::Unknown && expected != VT::Unknown) {
    return bad("type mismatch in {}: expected {}, got {}", cur_op_, name(expected), name(actual));
  }
  return actual == VT::Unknown ? expected : actual;
}

Expected<void> Validator::pop_all(const std::vector<ValType>& types) {
  for (size_t i = types.size(); i-- > 0;) WASIPY_CHECK(pop(types[i]));
  return {};
}

Expected<void> Validator::limits(const Limits& l, uint64_t bound, size_t at, const char* what) {
  if (l.min > bound) return invalid(at, "{} size must be at most {}", what, bound);
  if (l.max && *l.max > bound) return invalid(at, "{} size must be at most {}", what, bound);
  if (l.max && l.min > *l.max) return invalid(at, "size minimum must not be greater than maximum ({})", what);
  return {};
}

Expected<void> Validator::const_expr(const ConstExpr& e, ValType expected, const char* where) {
  std::vector<ValType> stack;
  for (const auto& in : e.instrs) {
    switch (in.op) {
      case Opcode::I32Const: stack.push_back(ValType::I32); break;
      case Opcode::I64Const: stack.push_back(ValType::I64); break;
      case Opcode::F32Const: stack.push_back(ValType::F32); break;
      case Opcode::F64Const: stack.push_back(ValType::F64); break;
      case Opcode::RefNull: stack.push_back(static_cast<ValType>(in.imm)); break;
      case Opcode::RefFunc:
        if (in.a >= m_.func_count()) return invalid(in.offset, "unknown function {} in {}", in.a, where);
        stack.push_back(ValType::FuncRef);
        break;
      case Opcode::GlobalGet: {
        // Only imported globals exist yet when constant expressions run.
        if (in.a >= m_.imported_globals) return invalid(in.offset, "unknown global {} in {}", in.a, where);
        auto gt = m_.global_type(in.a);
        if (gt.mut) return invalid(in.offset, "constant expression required: global {} is mutable ({})", in.a, where);
        stack.push_back(gt.type);
        break;
      }
      default:
        return invalid(in.offset, "constant expression required: {} is not constant ({})", name_of(in.op), where);
    }
  }
  if (stack.size() != 1 || stack[0] != expected) {
    return invalid(e.offset, "type mismatch in {}: constant expression must produce one {}", where, name_of(expected));
  }
  return {};
}

Expected<std::pair<std::vector<ValType>, std::vector<ValType>>> Validator::block_type(const Instr& in) {
  using Types = std::vector<ValType>;
  int64_t bt = in.block_type;
  if (bt == -64) return std::pair{Types{}, Types{}};
  if (bt >= 0) {
    if (uint64_t(bt) >= m_.types.size()) return bad("unknown type {} in block type", bt);
    const auto& ft = m_.types[bt];
    return std::pair{ft.params, ft.results};
  }
  uint8_t byte = uint8_t(0x80 + bt);
  switch (byte) {
    case 0x7F:
    case 0x7E:
    case 0x7D:
    case 0x7C:
    case 0x70:
    case 0x6F:
      return std::pair{Types{}, Types{static_cast<ValType>(byte)}};
  }
  return malformed(in.offset, "malformed block type");
}

Expected<FunctionInfo> Validator::function(uint32_t index, const Function& f) {
  cur_func_ = index;
  if (f.type_index >= m_.types.size()) return invalid(f.body_start, "unknown type {} for function {}", f.type_index, index);
  const FuncType& ft = m_.types[f.type_index];
  locals_.assign(ft.params.begin(), ft.params.end());
  for (const auto& g : f.locals) locals_.insert(locals_.end(), g.count, g.type);
  vals_.clear();
  ctrls_.clear();
  max_stack_ = 0;
  ctrls_.push_back(Ctrl{Opcode::Block, {}, ft.results, 0, false});

  InstrReader reader(m_.body(f), f.body_start);
  bool has_data_count = m_.data_count.has_value();
  size_t data_segments = has_data_count ? *m_.data_count : m_.datas.size();
  while (!ctrls_.empty()) {
    if (reader.at_end()) return malformed(reader.offset(), "unexpected end of section or function (END opcode expected) in function {}", index);
    WASIPY_TRY(in, reader.next());
    cur_offset_ = in.offset;
    cur_op_ = name_of(in.op).data();
    OpSig s = sig_of(in.op);
    if (s.numeric) {
      if (s.in2 != kNone) WASIPY_CHECK(pop(s.in2));
      WASIPY_CHECK(pop(s.in1));
      push(s.out);
      continue;
    }
    if (s.load || s.store) {
      if (m_.memory_count() == 0) return bad("unknown memory 0");
      if (in.a > s.natural_align) return bad("alignment must not be larger than natural ({})", cur_op_);
      if (s.store) WASIPY_CHECK(pop(s.in2));
      WASIPY_CHECK(pop(ValType::I32));
      if (s.load) push(s.out);
      continue;
    }
    switch (in.op) {
      case Opcode::Unreachable:
        mark_unreachable();
        break;
      case Opcode::Nop:
        break;
      case Opcode::Block:
      case Opcode::Loop:
      case Opcode::If: {
        WASIPY_TRY(bt, block_type(in));
        if (in.op == Opcode::If) WASIPY_CHECK(pop(ValType::I32));
        WASIPY_CHECK(pop_all(bt.first));
        ctrls_.push_back(Ctrl{in.op, bt.first, bt.second, vals_.size(), false});
        push_all(bt.first);
        break;
      }
      case Opcode::Else: {
        if (ctrls_.back().op != Opcode::If) return bad("else without a matching if");
        WASIPY_CHECK(pop_all(ctrls_.back().results));
        if (vals_.size() != ctrls_.back().height) return bad("type mismatch: values remain on the stack at else");
        ctrls_.back().op = Opcode::Else;
        ctrls_.back().unreachable = false;
        push_all(ctrls_.back().params);
        break;
      }
      case Opcode::End: {
        Ctrl& c = ctrls_.back();
        WASIPY_CHECK(pop_all(c.results));
        if (vals_.size() != c.height) return bad("type mismatch: values remain on the stack at end of block");
        // An if without else must leave the same types as it took.
        if (c.op == Opcode::If && c.params != c.results) return bad("type mismatch: if without else must not change the stack's types");
        Ctrl done = std::move(c);
        ctrls_.pop_back();
        push_all(done.results);
        break;
      }
      case Opcode::Br: {
        if (in.a >= ctrls_.size()) return bad("unknown label {}", in.a);
        WASIPY_CHECK(pop_all(ctrls_[ctrls_.size() - 1 - in.a].labels()));
        mark_unreachable();
        break;
      }
      case Opcode::BrIf: {
        if (in.a >= ctrls_.size()) return bad("unknown label {}", in.a);
        WASIPY_CHECK(pop(ValType::I32));
        const auto& types = ctrls_[ctrls_.size() - 1 - in.a].labels();
        WASIPY_CHECK(pop_all(types));
        push_all(types);
        break;
      }
      case Opcode::BrTable: {
        WASIPY_CHECK(pop(ValType::I32));
        const auto& targets = *in.targets;
        uint32_t def = targets.back();
        if (def >= ctrls_.size()) return bad("unknown label {}", def);
        size_t arity = ctrls_[ctrls_.size() - 1 - def].labels().size();
        for (size_t i = 0; i + 1 < targets.size(); ++i) {
          uint32_t l = targets[i];
          if (l >= ctrls_.size()) return bad("unknown label {}", l);
          const auto& types = ctrls_[ctrls_.size() - 1 - l].labels();
          if (types.size() != arity) return bad("type mismatch: br_table targets have different arities");
          // Check against a copy so every target sees the same operands.
          auto saved = vals_;
          WASIPY_CHECK(pop_all(types));
          vals_ = std::move(saved);
        }
        WASIPY_CHECK(pop_all(ctrls_[ctrls_.size() - 1 - def].labels()));
        mark_unreachable();
        break;
      }
      case Opcode::Return:
        WASIPY_CHECK(pop_all(ctrls_.front().results));
        mark_unreachable();
        break;
      case Opcode::Call: {
        if (in.a >= m_.func_count()) return bad("unknown function {}", in.a);
        const FuncType& callee = m_.func_type(in.a);
        WASIPY_CHECK(pop_all(callee.params));
        push_all(callee.results);
        break;
      }
      case Opcode::CallIndirect: {
        if (in.b >= m_.table_count()) return bad("unknown table {}", in.b);
        if (m_.table_type(in.b).elem != ValType::FuncRef) return bad("type mismatch: call_indirect needs a funcref table");
        if (in.a >= m_.types.size()) return bad("unknown type {}", in.a);
        WASIPY_CHECK(pop(ValType::I32));
        WASIPY_CHECK(pop_all(m_.types[in.a].params));
        push_all(m_.types[in.a].results);
        break;
      }
      case Opcode::Drop:
        WASIPY_CHECK(pop());
        break;
      case Opcode::Select: {
        WASIPY_CHECK(pop(ValType::I32));
        WASIPY_TRY(t1, pop());
        WASIPY_TRY(t2, pop());
        if (!(is_num(t1) || t1 == VT::Unknown) || !(is_num(t2) || t2 == VT::Unknown)) {
          return bad("type mismatch: select without a type needs numeric operands");
        }
        if (t1 != t2 && t1 != VT::Unknown && t2 != VT::Unknown) return bad("type mismatch in select: {} and {}", name(t1), name(t2));
        push(t1 == VT::Unknown ? t2 : t1);
        break;
      }
      case Opcode::SelectT: {
        if (in.a != 1) return bad("invalid result arity for select");
        ValType t = static_cast<ValType>(in.imm);
        switch (in.imm) {
          case 0x7F: case 0x7E: case 0x7D: case 0x7C: case 0x70: case 0x6F: break;
          default: return malformed(in.offset, "malformed value type in select");
        }
        WASIPY_CHECK(pop(ValType::I32));
        WASIPY_CHECK(pop(t));
        WASIPY_CHECK(pop(t));
        push(t);
        break;
      }
      case Opcode::LocalGet:
        if (in.a >= locals_.size()) return bad("unknown local {}", in.a);
        push(locals_[in.a]);
        break;
      case Opcode::LocalSet:
        if (in.a >= locals_.size()) return bad("unknown local {}", in.a);
        WASIPY_CHECK(pop(locals_[in.a]));
        break;
      case Opcode::LocalTee:
        if (in.a >= locals_.size()) return bad("unknown local {}", in.a);
        WASIPY_CHECK(pop(locals_[in.a]));
        push(locals_[in.a]);
        break;
      case Opcode::GlobalGet:
        if (in.a >= m_.global_count()) return bad("unknown global {}", in.a);
        push(m_.global_type(in.a).type);
        break;
      case Opcode::GlobalSet: {
        if (in.a >= m_.global_count()) return bad("unknown global {}", in.a);
        auto gt = m_.global_type(in.a);
        if (!gt.mut) return bad("global is immutable: global.set {}", in.a);
        WASIPY_CHECK(pop(gt.type));
        break;
      }
      case Opcode::TableGet: {
        if (in.a >= m_.table_count()) return bad("unknown table {}", in.a);
        WASIPY_CHECK(pop(ValType::I32));
        push(m_.table_type(in.a).elem);
        break;
      }
      case Opcode::TableSet: {
        if (in.a >= m_.table_count()) return bad("unknown table {}", in.a);
        WASIPY_CHECK(pop(m_.table_type(in.a).elem));
        WASIPY_CHECK(pop(ValType::I32));
        break;
      }
      case Opcode::TableSize:
        if (in.a >= m_.table_count()) return bad("unknown table {}", in.a);
        push(ValType::I32);
        break;
      case Opcode::TableGrow:
        if (in.a >= m_.table_count()) return bad("unknown table {}", in.a);
        WASIPY_CHECK(pop(ValType::I32));
        WASIPY_CHECK(pop(m_.table_type(in.a).elem));
        push(ValType::I32);
        break;
      case Opcode::TableFill:
        if (in.a >= m_.table_count()) return bad("unknown table {}", in.a);
        WASIPY_CHECK(pop(ValType::I32));
        WASIPY_CHECK(pop(m_.table_type(in.a).elem));
        WASIPY_CHECK(pop(ValType::I32));
        break;
      case Opcode::TableCopy:
        if (in.a >= m_.table_count()) return bad("unknown table {}", in.a);
        if (in.b >= m_.table_count()) return bad("unknown table {}", in.b);
        if (m_.table_type(in.a).elem != m_.table_type(in.b).elem) return bad("type mismatch in table.copy");
        WASIPY_CHECK(pop(ValType::I32));
        WASIPY_CHECK(pop(ValType::I32));
        WASIPY_CHECK(pop(ValType::I32));
        break;
      case Opcode::TableInit:
        if (in.b >= m_.table_count()) return bad("unknown table {}", in.b);
        if (in.a >= m_.elems.size()) return bad("unknown elem segment {}", in.a);
        if (m_.table_type(in.b).elem != m_.elems[in.a].type) return bad("type mismatch in table.init");
        WASIPY_CHECK(pop(ValType::I32));
        WASIPY_CHECK(pop(ValType::I32));
        WASIPY_CHECK(pop(ValType::I32));
        break;
      case Opcode::ElemDrop:
        if (in.a >= m_.elems.size()) return bad("unknown elem segment {}", in.a);
        break;
      case Opcode::MemorySize:
        if (m_.memory_count() == 0) return bad("unknown memory 0");
        push(ValType::I32);
        break;
      case Opcode::MemoryGrow:
        if (m_.memory_count() == 0) return bad("unknown memory 0");
        WASIPY_CHECK(pop(ValType::I32));
        push(ValType::I32);
        break;
      case Opcode::MemoryFill:
      case Opcode::MemoryCopy:
        if (m_.memory_count() == 0) return bad("unknown memory 0");
        WASIPY_CHECK(pop(ValType::I32));
        WASIPY_CHECK(pop(ValType::I32));
        WASIPY_CHECK(pop(ValType::I32));
        break;
      case Opcode::MemoryInit:
        if (m_.memory_count() == 0) return bad("unknown memory 0");
        if (in.a >= data_segments) return bad("unknown data segment {}", in.a);
        if (!has_data_count) return malformed(in.offset, "data count section required for memory.init");
        WASIPY_CHECK(pop(ValType::I32));
        WASIPY_CHECK(pop(ValType::I32));
        WASIPY_CHECK(pop(ValType::I32));
        break;
      case Opcode::DataDrop:
        if (in.a >= data_segments) return bad("unknown data segment {}", in.a);
        if (!has_data_count) return malformed(in.offset, "data count section required for data.drop");
        break;
      case Opcode::I32Const: push(ValType::I32); break;
      case Opcode::I64Const: push(ValType::I64); break;
      case Opcode::F32Const: push(ValType::F32); break;
      case Opcode::F64Const: push(ValType::F64); break;
      case Opcode::RefNull:
        push(static_cast<ValType>(in.imm));
        break;
      case Opcode::RefIsNull: {
        WASIPY_TRY(t, pop());
        if (!is_ref(t) && t != VT::Unknown) return bad("type mismatch: ref.is_null needs a reference, got {}", name(t));
        push(ValType::I32);
        break;
      }
      case Opcode::RefFunc:
        if (in.a >= m_.func_count()) return bad("unknown function {}", in.a);
        if (!refs_.contains(in.a)) return bad("undeclared function reference {}", in.a);
        push(ValType::FuncRef);
        break;
      default:
        return bad("unexpected opcode {}", cur_op_);
    }
  }
  if (!reader.at_end()) {
    return malformed(reader.offset(), "section size mismatch: code continues after the function's final end (function {})", index);
  }
  return FunctionInfo{uint32_t(max_stack_)};
}

Expected<std::vector<FunctionInfo>> Validator::run() {
  // Function types first: calls, the start function and exports look them up.
  for (size_t i = 0; i < m_.functions.size(); ++i) {
    const auto& f = m_.functions[i];
    if (f.type_index >= m_.types.size()) {
      return invalid(f.body_start, "unknown type {} for function {}", f.type_index, m_.imported_funcs + i);
    }
  }
  for (const auto& im : m_.imports) {
    switch (im.kind) {
      case ExternKind::Func:
        if (im.func_type >= m_.types.size()) return invalid(im.offset, "unknown type {} in import {}.{}", im.func_type, printable(im.module), printable(im.name));
        break;
      case ExternKind::Table:
        WASIPY_CHECK(limits(im.table.limits, 0xFFFFFFFFull, 0, "table"));
        break;
      case ExternKind::Memory:
        WASIPY_CHECK(limits(im.memory.limits, kMaxPages, 0, "memory"));
        break;
      case ExternKind::Global:
        break;
    }
  }
  for (const auto& t : m_.tables) WASIPY_CHECK(limits(t.limits, 0xFFFFFFFFull, 0, "table"));
  for (const auto& mem : m_.memories) WASIPY_CHECK(limits(mem.limits, kMaxPages, 0, "memory"));
  if (m_.memory_count() > 1) return invalid(0, "multiple memories are not supported");

  // C.refs: functions named outside function bodies may be taken with ref.func.
  auto collect_refs = [&](const ConstExpr& e) {
    for (const auto& in : e.instrs) {
      if (in.op == Opcode::RefFunc) refs_.insert(in.a);
    }
  };
  for (const auto& g : m_.globals) collect_refs(g.init);
  for (const auto& seg : m_.elems) {
    for (const auto& item : seg.items) collect_refs(item);
  }
  for (const auto& ex : m_.exports) {
    if (ex.kind == ExternKind::Func) refs_.insert(ex.index);
  }

  for (const auto& g : m_.globals) WASIPY_CHECK(const_expr(g.init, g.type.type, "global initializer"));

  for (const auto& seg : m_.elems) {
    for (const auto& item : seg.items) WASIPY_CHECK(const_expr(item, seg.type, "element segment"));
    if (seg.mode == SegmentMode::Active) {
      if (seg.table >= m_.table_count()) return invalid(seg.offset_in_module, "unknown table {} in element segment", seg.table);
      if (m_.table_type(seg.table).elem != seg.type) return invalid(seg.offset_in_module, "type mismatch: element segment type differs from table");
      WASIPY_CHECK(const_expr(seg.offset, ValType::I32, "element segment offset"));
    }
  }
  for (const auto& seg : m_.datas) {
    if (seg.mode == SegmentMode::Active) {
      if (seg.memory >= m_.memory_count()) return invalid(seg.offset.offset, "unknown memory {} in data segment", seg.memory);
      WASIPY_CHECK(const_expr(seg.offset, ValType::I32, "data segment offset"));
    }
  }
  if (m_.start) {
    if (*m_.start >= m_.func_count()) return invalid(0, "unknown function {} as start function", *m_.start);
    const auto& ft = m_.func_type(*m_.start);
    if (!ft.params.empty() || !ft.results.empty()) return invalid(0, "start function must have type [] -> []");
  }
  std::set<std::string_view> names;
  for (const auto& ex : m_.exports) {
    if (!names.insert(ex.name).second) return invalid(ex.offset, "duplicate export name \"{}\"", printable(ex.name));
    uint32_t limit = 0;
    switch (ex.kind) {
      case ExternKind::Func: limit = m_.func_count(); break;
      case ExternKind::Table: limit = m_.table_count(); break;
      case ExternKind::Memory: limit = m_.memory_count(); break;
      case ExternKind::Global: limit = m_.global_count(); break;
    }
    if (ex.index >= limit) return invalid(ex.offset, "unknown {} {} in export \"{}\"", name_of(ex.kind), ex.index, printable(ex.name));
  }

  std::vector<FunctionInfo> infos;
  infos.reserve(m_.functions.size());
  for (size_t i = 0; i < m_.functions.size(); ++i) {
    WASIPY_TRY(info, function(uint32_t(m_.imported_funcs + i), m_.functions[i]));
    infos.push_back(info);
  }
  return infos;
}

// Decodes every body without checking types, following only block nesting.
// A module that is both malformed and invalid must be reported as malformed,
// and typing stops at the first error, so this runs when typing failed.
Expected<void> Validator::decode_bodies() const {
  for (const auto& f : m_.functions) {
    InstrReader reader(m_.body(f), f.body_start);
    uint32_t depth = 1;
    while (depth > 0) {
      if (reader.at_end()) return malformed(reader.offset(), "unexpected end of section or function (END opcode expected)");
      WASIPY_TRY(in, reader.next());
      switch (in.op) {
        case Opcode::Block:
        case Opcode::Loop:
        case Opcode::If:
          if (in.block_type < 0 && in.block_type != -64) {
            switch (uint8_t(0x80 + in.block_type)) {
              case 0x7F: case 0x7E: case 0x7D: case 0x7C: case 0x70: case 0x6F: break;
              default: return malformed(in.offset, "malformed block type");
            }
          }
          ++depth;
          break;
        case Opcode::End:
          --depth;
          break;
        case Opcode::MemoryInit:
        case Opcode::DataDrop:
          if (!m_.data_count && in.a < m_.datas.size()) return malformed(in.offset, "data count section required");
          break;
        default:
          break;
      }
    }
    if (!reader.at_end()) return malformed(reader.offset(), "section size mismatch: code continues after the function's final end");
  }
  return {};
}

}  // namespace

Expected<std::vector<FunctionInfo>> validate(const Module& module) {
  if (module.deferred_code) {
    return fail(ErrorKind::Malformed, "internal error: the function bodies were never decoded (wasm::decode_bodies)");
  }
  Validator v(module);
  auto result = v.run();
  if (!result && result.error().kind == ErrorKind::Invalid) {
    if (auto decoded = v.decode_bodies(); !decoded) return std::unexpected(decoded.error());
  }
  return result;
}

}  // namespace wasipy::wasm
