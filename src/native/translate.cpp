#include "native/translate.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "native/abi.h"
#include "native/texts.h"
#include "wasm/instr_reader.h"

namespace wasipy::native {

namespace {

using wasm::Instr;
using wasm::Opcode;
using wasm::ValType;

// Every wasm value has a C type; references are the 64-bit address of a
// wp_func (or the host's externref bits).
char letter(ValType t) {
  switch (t) {
    case ValType::I32: return 'i';
    case ValType::I64: return 'j';
    case ValType::F32: return 'f';
    case ValType::F64: return 'd';
    default: return 'r';
  }
}
const char* ctype(char l) {
  switch (l) {
    case 'i': return "uint32_t";
    case 'f': return "float";
    case 'd': return "double";
    default: return "uint64_t";
  }
}
const char* ctype(ValType t) { return ctype(letter(t)); }

std::string letters(const std::vector<ValType>& ts) {
  std::string s;
  for (auto t : ts) s += letter(t);
  return s;
}

// The C return type of a function type: void, a scalar, or a struct named
// by its result letters (structurally equal across modules, so cross-module
// calls agree on the ABI).
std::string return_type(const wasm::FuncType& t) {
  if (t.results.empty()) return "void";
  if (t.results.size() == 1) return ctype(t.results[0]);
  return "wr_" + letters(t.results);
}

// A 64-bit slot from/to a C value (host calls, entry trampolines).
std::string unpack(ValType t, const std::string& slot) {
  switch (letter(t)) {
    case 'i': return fmt::format("(uint32_t){}", slot);
    case 'f': return fmt::format("f32_bits((uint32_t){})", slot);
    case 'd': return fmt::format("f64_bits({})", slot);
    default: return slot;
  }
}
std::string pack(ValType t, const std::string& v) {
  switch (letter(t)) {
    case 'i': return fmt::format("(uint64_t){}", v);
    case 'f': return fmt::format("(uint64_t)bits_f32({})", v);
    case 'd': return fmt::format("bits_f64({})", v);
    default: return v;
  }
}

// C for numeric instructions over operands {a} and {b}.
const char* numeric(Opcode op) {
  switch (op) {
    case Opcode::I32Eqz: return "{a} == 0";
    case Opcode::I32Eq: return "{a} == {b}";
    case Opcode::I32Ne: return "{a} != {b}";
    case Opcode::I32LtS: return "(int32_t){a} < (int32_t){b}";
    case Opcode::I32LtU: return "{a} < {b}";
    case Opcode::I32GtS: return "(int32_t){a} > (int32_t){b}";
    case Opcode::I32GtU: return "{a} > {b}";
    case Opcode::I32LeS: return "(int32_t){a} <= (int32_t){b}";
    case Opcode::I32LeU: return "{a} <= {b}";
    case Opcode::I32GeS: return "(int32_t){a} >= (int32_t){b}";
    case Opcode::I32GeU: return "{a} >= {b}";
    case Opcode::I64Eqz: return "{a} == 0";
    case Opcode::I64Eq: return "{a} == {b}";
    case Opcode::I64Ne: return "{a} != {b}";
    case Opcode::I64LtS: return "(int64_t){a} < (int64_t){b}";
    case Opcode::I64LtU: return "{a} < {b}";
    case Opcode::I64GtS: return "(int64_t){a} > (int64_t){b}";
    case Opcode::I64GtU: return "{a} > {b}";
    case Opcode::I64LeS: return "(int64_t){a} <= (int64_t){b}";
    case Opcode::I64LeU: return "{a} <= {b}";
    case Opcode::I64GeS: return "(int64_t){a} >= (int64_t){b}";
    case Opcode::I64GeU: return "{a} >= {b}";
    case Opcode::F32Eq: case Opcode::F64Eq: return "{a} == {b}";
    case Opcode::F32Ne: case Opcode::F64Ne: return "{a} != {b}";
    case Opcode::F32Lt: case Opcode::F64Lt: return "{a} < {b}";
    case Opcode::F32Gt: case Opcode::F64Gt: return "{a} > {b}";
    case Opcode::F32Le: case Opcode::F64Le: return "{a} <= {b}";
    case Opcode::F32Ge: case Opcode::F64Ge: return "{a} >= {b}";
    case Opcode::I32Clz: return "i32_clz({a})";
    case Opcode::I32Ctz: return "i32_ctz({a})";
    case Opcode::I32Popcnt: return "(uint32_t)__builtin_popcount({a})";
    case Opcode::I32Add: case Opcode::I64Add: return "{a} + {b}";
    case Opcode::I32Sub: case Opcode::I64Sub: return "{a} - {b}";
    case Opcode::I32Mul: case Opcode::I64Mul: return "{a} * {b}";
    case Opcode::I32DivS: return "i32_div_s(ctx, {a}, {b})";
    case Opcode::I32DivU: return "i32_div_u(ctx, {a}, {b})";
    case Opcode::I32RemS: return "i32_rem_s(ctx, {a}, {b})";
    case Opcode::I32RemU: return "i32_rem_u(ctx, {a}, {b})";
    case Opcode::I32And: case Opcode::I64And: return "{a} & {b}";
    case Opcode::I32Or: case Opcode::I64Or: return "{a} | {b}";
    case Opcode::I32Xor: case Opcode::I64Xor: return "{a} ^ {b}";
    case Opcode::I32Shl: return "{a} << ({b} & 31)";
    case Opcode::I32ShrS: return "(uint32_t)((int32_t){a} >> ({b} & 31))";
    case Opcode::I32ShrU: return "{a} >> ({b} & 31)";
    case Opcode::I32Rotl: return "i32_rotl({a}, {b})";
    case Opcode::I32Rotr: return "i32_rotr({a}, {b})";
    case Opcode::I64Clz: return "i64_clz({a})";
    case Opcode::I64Ctz: return "i64_ctz({a})";
    case Opcode::I64Popcnt: return "(uint64_t)__builtin_popcountll({a})";
    case Opcode::I64DivS: return "i64_div_s(ctx, {a}, {b})";
    case Opcode::I64DivU: return "i64_div_u(ctx, {a}, {b})";
    case Opcode::I64RemS: return "i64_rem_s(ctx, {a}, {b})";
    case Opcode::I64RemU: return "i64_rem_u(ctx, {a}, {b})";
    case Opcode::I64Shl: return "{a} << ({b} & 63)";
    case Opcode::I64ShrS: return "(uint64_t)((int64_t){a} >> ({b} & 63))";
    case Opcode::I64ShrU: return "{a} >> ({b} & 63)";
    case Opcode::I64Rotl: return "i64_rotl({a}, {b})";
    case Opcode::I64Rotr: return "i64_rotr({a}, {b})";
    case Opcode::F32Abs: return "f32_abs({a})";
    case Opcode::F32Neg: return "f32_neg({a})";
    case Opcode::F32Ceil: return "f32_ceil({a})";
    case Opcode::F32Floor: return "f32_floor({a})";
    case Opcode::F32Trunc: return "f32_trunc({a})";
    case Opcode::F32Nearest: return "f32_nearest({a})";
    case Opcode::F32Sqrt: return "f32_sqrt({a})";
    case Opcode::F32Add: case Opcode::F64Add: return "{a} + {b}";
    case Opcode::F32Sub: case Opcode::F64Sub: return "{a} - {b}";
    case Opcode::F32Mul: case Opcode::F64Mul: return "{a} * {b}";
    case Opcode::F32Div: case Opcode::F64Div: return "{a} / {b}";
    case Opcode::F32Min: return "f32_min({a}, {b})";
    case Opcode::F32Max: return "f32_max({a}, {b})";
    case Opcode::F32Copysign: return "f32_copysign({a}, {b})";
    case Opcode::F64Abs: return "f64_abs({a})";
    case Opcode::F64Neg: return "f64_neg({a})";
    case Opcode::F64Ceil: return "f64_ceil({a})";
    case Opcode::F64Floor: return "f64_floor({a})";
    case Opcode::F64Trunc: return "f64_trunc({a})";
    case Opcode::F64Nearest: return "f64_nearest({a})";
    case Opcode::F64Sqrt: return "f64_sqrt({a})";
    case Opcode::F64Min: return "f64_min({a}, {b})";
    case Opcode::F64Max: return "f64_max({a}, {b})";
    case Opcode::F64Copysign: return "f64_copysign({a}, {b})";
    case Opcode::I32WrapI64: return "(uint32_t){a}";
    case Opcode::I32TruncF32S: return "(uint32_t)i32_trunc_f32_s(ctx, {a})";
    case Opcode::I32TruncF32U: return "i32_trunc_f32_u(ctx, {a})";
    case Opcode::I32TruncF64S: return "(uint32_t)i32_trunc_f64_s(ctx, {a})";
    case Opcode::I32TruncF64U: return "i32_trunc_f64_u(ctx, {a})";
    case Opcode::I64ExtendI32S: return "(uint64_t)(int64_t)(int32_t){a}";
    case Opcode::I64ExtendI32U: return "(uint64_t){a}";
    case Opcode::I64TruncF32S: return "(uint64_t)i64_trunc_f32_s(ctx, {a})";
    case Opcode::I64TruncF32U: return "i64_trunc_f32_u(ctx, {a})";
    case Opcode::I64TruncF64S: return "(uint64_t)i64_trunc_f64_s(ctx, {a})";
    case Opcode::I64TruncF64U: return "i64_trunc_f64_u(ctx, {a})";
    case Opcode::F32ConvertI32S: return "(float)(int32_t){a}";
    case Opcode::F32ConvertI32U: return "(float){a}";
    case Opcode::F32ConvertI64S: return "(float)(int64_t){a}";
    case Opcode::F32ConvertI64U: return "(float){a}";
    case Opcode::F32DemoteF64: return "(float){a}";
    case Opcode::F64ConvertI32S: return "(double)(int32_t){a}";
    case Opcode::F64ConvertI32U: return "(double){a}";
    case Opcode::F64ConvertI64S: return "(double)(int64_t){a}";
    case Opcode::F64ConvertI64U: return "(double){a}";
    case Opcode::F64PromoteF32: return "f64_promote({a})";
    case Opcode::I32ReinterpretF32: return "bits_f32({a})";
    case Opcode::I64ReinterpretF64: return "bits_f64({a})";
    case Opcode::F32ReinterpretI32: return "f32_bits({a})";
    case Opcode::F64ReinterpretI64: return "f64_bits({a})";
    case Opcode::I32Extend8S: return "(uint32_t)(int32_t)(int8_t){a}";
    case Opcode::I32Extend16S: return "(uint32_t)(int32_t)(int16_t){a}";
    case Opcode::I64Extend8S: return "(uint64_t)(int64_t)(int8_t){a}";
    case Opcode::I64Extend16S: return "(uint64_t)(int64_t)(int16_t){a}";
    case Opcode::I64Extend32S: return "(uint64_t)(int64_t)(int32_t){a}";
    case Opcode::I32TruncSatF32S: return "(uint32_t)i32_trunc_f32_s_sat({a})";
    case Opcode::I32TruncSatF32U: return "i32_trunc_f32_u_sat({a})";
    case Opcode::I32TruncSatF64S: return "(uint32_t)i32_trunc_f64_s_sat({a})";
    case Opcode::I32TruncSatF64U: return "i32_trunc_f64_u_sat({a})";
    case Opcode::I64TruncSatF32S: return "(uint64_t)i64_trunc_f32_s_sat({a})";
    case Opcode::I64TruncSatF32U: return "i64_trunc_f32_u_sat({a})";
    case Opcode::I64TruncSatF64S: return "(uint64_t)i64_trunc_f64_s_sat({a})";
    case Opcode::I64TruncSatF64U: return "i64_trunc_f64_u_sat({a})";
    default: return nullptr;
  }
}

// Integer instructions that cannot trap and read nothing but their
// operands: the translator may carry their result as an expression.
bool pure_integer(Opcode op) {
  switch (op) {
    case Opcode::I32Eqz: case Opcode::I32Eq: case Opcode::I32Ne: case Opcode::I32LtS: case Opcode::I32LtU:
    case Opcode::I32GtS: case Opcode::I32GtU: case Opcode::I32LeS: case Opcode::I32LeU: case Opcode::I32GeS:
    case Opcode::I32GeU: case Opcode::I64Eqz: case Opcode::I64Eq: case Opcode::I64Ne: case Opcode::I64LtS:
    case Opcode::I64LtU: case Opcode::I64GtS: case Opcode::I64GtU: case Opcode::I64LeS: case Opcode::I64LeU:
    case Opcode::I64GeS: case Opcode::I64GeU: case Opcode::I32Add: case Opcode::I32Sub: case Opcode::I32Mul:
    case Opcode::I32And: case Opcode::I32Or: case Opcode::I32Xor: case Opcode::I32Shl: case Opcode::I32ShrS:
    case Opcode::I32ShrU: case Opcode::I64Add: case Opcode::I64Sub: case Opcode::I64Mul: case Opcode::I64And:
    case Opcode::I64Or: case Opcode::I64Xor: case Opcode::I64Shl: case Opcode::I64ShrS: case Opcode::I64ShrU:
    case Opcode::I32WrapI64: case Opcode::I64ExtendI32S: case Opcode::I64ExtendI32U: case Opcode::I32Extend8S:
    case Opcode::I32Extend16S: case Opcode::I64Extend8S: case Opcode::I64Extend16S: case Opcode::I64Extend32S:
      return true;
    default:
      return false;
  }
}

struct NumericShape {
  ValType in1, in2, out;
  bool binary;
};
std::optional<NumericShape> numeric_shape(Opcode op) {
  switch (op) {
#define None I32
#define WASM_NUMERIC(Name, code, text, a, b, out) \
  case Opcode::Name: return NumericShape{ValType::a, ValType::b, ValType::out, #b[0] != 'N'};
#include "wasm/opcodes.def"
#undef None
    default: return std::nullopt;
  }
}

// Loads: C helper, result conversion. Stores: helper, value conversion.
struct MemAccess {
  const char* helper;
  const char* convert;  // applied to the helper's result (loads) or the operand (stores)
};
std::optional<MemAccess> load_access(Opcode op) {
  switch (op) {
    case Opcode::I32Load: return MemAccess{"ld_u32", ""};
    case Opcode::I64Load: return MemAccess{"ld_u64", ""};
    case Opcode::F32Load: return MemAccess{"ld_f32", ""};
    case Opcode::F64Load: return MemAccess{"ld_f64", ""};
    case Opcode::I32Load8S: return MemAccess{"ld_s8", "(uint32_t)(int32_t)"};
    case Opcode::I32Load8U: return MemAccess{"ld_u8", "(uint32_t)"};
    case Opcode::I32Load16S: return MemAccess{"ld_s16", "(uint32_t)(int32_t)"};
    case Opcode::I32Load16U: return MemAccess{"ld_u16", "(uint32_t)"};
    case Opcode::I64Load8S: return MemAccess{"ld_s8", "(uint64_t)(int64_t)"};
    case Opcode::I64Load8U: return MemAccess{"ld_u8", "(uint64_t)"};
    case Opcode::I64Load16S: return MemAccess{"ld_s16", "(uint64_t)(int64_t)"};
    case Opcode::I64Load16U: return MemAccess{"ld_u16", "(uint64_t)"};
    case Opcode::I64Load32S: return MemAccess{"ld_s32", "(uint64_t)(int64_t)"};
    case Opcode::I64Load32U: return MemAccess{"ld_u32", "(uint64_t)"};
    default: return std::nullopt;
  }
}
std::optional<MemAccess> store_access(Opcode op) {
  switch (op) {
    case Opcode::I32Store: return MemAccess{"st_u32", ""};
    case Opcode::I64Store: return MemAccess{"st_u64", ""};
    case Opcode::F32Store: return MemAccess{"st_f32", ""};
    case Opcode::F64Store: return MemAccess{"st_f64", ""};
    case Opcode::I32Store8: case Opcode::I64Store8: return MemAccess{"st_u8", "(uint8_t)"};
    case Opcode::I32Store16: case Opcode::I64Store16: return MemAccess{"st_u16", "(uint16_t)"};
    case Opcode::I64Store32: return MemAccess{"st_u32", "(uint32_t)"};
    default: return std::nullopt;
  }
}
ValType load_type(Opcode op) {
  switch (op) {
#define WASM_LOAD(Name, code, text, type, align) case Opcode::Name: return ValType::type;
#define WASM_STORE(Name, code, text, type, align) case Opcode::Name: return ValType::type;
#include "wasm/opcodes.def"
    default: return ValType::I32;
  }
}

// What one translation unit needs declared before its functions.
struct UnitNeeds {
  std::set<uint32_t> functions;     // defined functions it calls (or defines)
  std::set<uint32_t> call_types;    // type indices of calls through a wp_func
};

class FunctionTranslator {
 public:
  FunctionTranslator(const wasm::Module& m, uint32_t defined, UnitNeeds& needs)
      : m_(m), defined_(defined), needs_(needs) {}

  std::expected<std::string, std::string> run();

 private:
  struct Ctl {
    enum Kind { Func, Block, Loop, If } kind;
    uint32_t label;
    uint32_t height;
    std::vector<ValType> params, results;
    bool has_else = false;
  };

  std::string var(uint32_t pos, ValType t) {
    char l = letter(t);
    vars_.insert({pos, l});
    return fmt::format("s{}{}", pos, l);
  }
  // An operand as C: its pending expression, or its slot variable.
  std::string top(uint32_t from_top = 0) {
    uint32_t pos = uint32_t(stack_.size()) - 1 - from_top;
    if (!pending_[pos].expr.empty()) return pending_[pos].expr;
    return var(pos, stack_[pos]);
  }
  std::string pop() {
    std::string v = top();
    drop();
    return v;
  }
  void drop() {
    stack_.pop_back();
    pending_.pop_back();
  }
  void resize_stack(size_t n) {
    stack_.resize(n);
    pending_.resize(n);
  }
  // A new operand that the caller assigns to the returned slot variable.
  std::string push(ValType t) {
    stack_.push_back(t);
    pending_.emplace_back();
    return var(uint32_t(stack_.size() - 1), t);
  }
  // A new operand left as an expression until something consumes it (see
  // Pending), or assigned now when it is too long to carry.
  void push_pending(ValType t, std::string expr, std::vector<uint32_t> locals) {
    if (expr.size() > 160) {
      line(fmt::format("{} = {};", push(t), expr));
      return;
    }
    stack_.push_back(t);
    pending_.push_back(Pending{std::move(expr), std::move(locals)});
  }
  // Whether the top `n` operands are all pending (made of constants and
  // locals only), and the locals they read.
  bool pending_operands(uint32_t n, std::vector<uint32_t>& locals) const {
    for (uint32_t k = 0; k < n; ++k) {
      const Pending& p = pending_[pending_.size() - 1 - k];
      if (p.expr.empty()) return false;
      locals.insert(locals.end(), p.locals.begin(), p.locals.end());
    }
    return true;
  }
  void materialize(size_t pos) {
    Pending& p = pending_[pos];
    if (p.expr.empty()) return;
    line(fmt::format("{} = {};", var(uint32_t(pos), stack_[pos]), p.expr));
    p = Pending{};
  }
  // Control flow meets here: every operand must be in its slot.
  void materialize_all() {
    for (size_t pos = 0; pos < pending_.size(); ++pos) materialize(pos);
  }
  // Local `l` is about to change: operands that read it take its value now.
  void materialize_readers_of(uint32_t l) {
    for (size_t pos = 0; pos < pending_.size(); ++pos) {
      const auto& ls = pending_[pos].locals;
      if (std::find(ls.begin(), ls.end(), l) != ls.end()) materialize(pos);
    }
  }
  std::string global_ref(uint32_t g) {
    globals_.insert(g);
    return fmt::format("G{}", g);
  }
  std::string table_ref(uint32_t t) {
    tables_.insert(t);
    return fmt::format("T{}", t);
  }
  void line(std::string_view s) {
    out_ += "  ";
    out_ += s;
    out_ += '\n';
  }

  void block_signature(int64_t bt, std::vector<ValType>& params, std::vector<ValType>& results) {
    if (bt >= 0) {
      params = m_.types[size_t(bt)].params;
      results = m_.types[size_t(bt)].results;
    } else if (bt != -64) {
      results = {ValType(uint8_t(0x80 + bt))};
    }
  }
  void emit_return(const std::vector<ValType>& results);
  void emit_branch(uint32_t depth);
  void emit_call(const wasm::FuncType& type, const std::string& callee_expr);
  void end_frame();

  const wasm::Module& m_;
  uint32_t defined_;
  UnitNeeds& needs_;
  std::string out_;
  std::set<std::pair<uint32_t, char>> vars_;
  std::set<uint32_t> globals_, tables_;
  std::vector<std::string> extra_decls_;
  std::vector<ValType> stack_;
  // Operands not yet written to their slot: constants, local.get and pure
  // integer arithmetic over those are carried as C expressions and pasted
  // where they are consumed (`l3 + 8u` rather than `s0i = l3; s1i = 8u;
  // s0i = s0i + s1i;`): a third less C for the compiler to read, and the
  // same code out of it. Such an expression reads only locals and
  // constants, cannot trap and has no effect, so evaluating it later is the
  // same as evaluating it now as long as none of its locals changes (a
  // local.set first assigns the operands that read it) and no control flow
  // intervenes (every block, branch and label assigns them all).
  struct Pending {
    std::string expr;  ///< empty: the value is in its slot variable
    std::vector<uint32_t> locals;  ///< the locals it reads
  };
  std::vector<Pending> pending_;  // parallel to stack_
  std::vector<Ctl> ctl_;
  std::vector<ValType> locals_;
  uint32_t next_label_ = 0;
  bool dead_ = false;
  uint32_t dead_nesting_ = 0;
  bool uses_memory_ = false;
};

void FunctionTranslator::emit_return(const std::vector<ValType>& results) {
  size_t n = results.size();
  if (n == 0) {
    line("return;");
  } else if (n == 1) {
    line(fmt::format("return {};", top()));
  } else {
    std::string init;
    for (size_t k = 0; k < n; ++k) init += (k ? ", " : "") + top(uint32_t(n - 1 - k));
    line(fmt::format("{{ wr_{} r_ = {{{}}}; return r_; }}", letters(results), init));
  }
}

void FunctionTranslator::emit_branch(uint32_t depth) {
  const Ctl& t = ctl_[ctl_.size() - 1 - depth];
  if (t.kind == Ctl::Func) {
    emit_return(t.results);
    return;
  }
  const auto& types = t.kind == Ctl::Loop ? t.params : t.results;
  uint32_t n = uint32_t(types.size());
  uint32_t sp = uint32_t(stack_.size());
  std::string s;
  // Ascending order is safe: the target range starts at or below the source.
  for (uint32_t k = 0; k < n; ++k) {
    if (t.height + k != sp - n + k) s += fmt::format("{} = {}; ", var(t.height + k, types[k]), var(sp - n + k, types[k]));
  }
  line(fmt::format("{}goto L{};", s, t.label));
}

void FunctionTranslator::emit_call(const wasm::FuncType& type, const std::string& callee_expr) {
  size_t np = type.params.size();
  std::string args;
  for (size_t k = 0; k < np; ++k) args += ", " + top(uint32_t(np - 1 - k));
  for (size_t k = 0; k < np; ++k) drop();
  std::string call = fmt::format("{}{})", callee_expr, args);
  if (type.results.empty()) {
    line(call + ";");
  } else if (type.results.size() == 1) {
    std::string dst = push(type.results[0]);
    line(fmt::format("{} = {};", dst, call));
  } else {
    std::string s = fmt::format("{{ wr_{} r_ = {}; ", letters(type.results), call);
    for (size_t k = 0; k < type.results.size(); ++k) s += fmt::format("{} = r_.r{}; ", push(type.results[k]), k);
    line(s + "}");
  }
}

void FunctionTranslator::end_frame() {
  Ctl c = ctl_.back();
  ctl_.pop_back();
  if (c.kind == Ctl::If && !c.has_else) {
    // The missing else passes the parameters through as results.
    line(fmt::format("goto L{};", c.label));
    out_ += fmt::format(" E{}:;\n", c.label);
    for (size_t k = 0; k < c.params.size(); ++k) {
      line(fmt::format("{} = p{}_{};", var(c.height + uint32_t(k), c.params[k]), c.label, k));
    }
  }
  if (c.kind == Ctl::Func) {
    if (!dead_) emit_return(c.results);
    return;
  }
  if (c.kind != Ctl::Loop) out_ += fmt::format(" L{}:;\n", c.label);
  resize_stack(c.height);
  for (auto t : c.results) push(t);
  dead_ = false;
}

std::expected<std::string, std::string> FunctionTranslator::run() {
  const wasm::Function& fn = m_.functions[defined_];
  const wasm::FuncType& type = m_.types[fn.type_index];
  const uint32_t self = m_.imported_funcs + defined_;
  locals_ = type.params;
  for (const auto& g : fn.locals) locals_.insert(locals_.end(), g.count, g.type);

  Ctl func{Ctl::Func, next_label_++, 0, {}, type.results};
  ctl_.push_back(func);

  wasm::InstrReader reader(m_.body(fn), fn.body_start);
  while (!ctl_.empty()) {
    if (reader.at_end()) return std::unexpected(fmt::format("function {} ends early", self));
    auto next = reader.next();
    if (!next) return std::unexpected(next.error().message);
    const Instr& in = *next;
    Opcode op = in.op;

    if (dead_) {
      // Code after an unconditional branch never runs and its stack is
      // polymorphic: skip it, keeping track of nesting to find where the
      // enclosing block continues.
      if (op == Opcode::Block || op == Opcode::Loop || op == Opcode::If) {
        ++dead_nesting_;
        continue;
      }
      if (dead_nesting_ > 0) {
        if (op == Opcode::End) --dead_nesting_;
        continue;
      }
      if (op != Opcode::Else && op != Opcode::End) continue;
    }

    switch (op) {
      case Opcode::Unreachable:
        line("wp_trap(ctx, WP_TRAP_UNREACHABLE);");
        dead_ = true;
        break;
      case Opcode::Nop:
        break;
      case Opcode::Block:
      case Opcode::Loop:
      case Opcode::If: {
        Ctl c{op == Opcode::Block ? Ctl::Block : op == Opcode::Loop ? Ctl::Loop : Ctl::If, next_label_++, 0, {}, {}};
        block_signature(in.block_type, c.params, c.results);
        if (op == Opcode::If) {
          std::string cond = pop();
          materialize_all();
          c.height = uint32_t(stack_.size() - c.params.size());
          // The else branch needs the parameters as they were on entry.
          for (size_t k = 0; k < c.params.size(); ++k) {
            extra_decls_.push_back(fmt::format("{} p{}_{};", ctype(c.params[k]), c.label, k));
            line(fmt::format("p{}_{} = {};", c.label, k, var(c.height + uint32_t(k), c.params[k])));
          }
          line(fmt::format("if (!{}) goto E{};", cond, c.label));
        } else {
          materialize_all();
          c.height = uint32_t(stack_.size() - c.params.size());
          if (op == Opcode::Loop) out_ += fmt::format(" L{}:;\n", c.label);
        }
        ctl_.push_back(std::move(c));
        break;
      }
      case Opcode::Else: {
        Ctl& c = ctl_.back();
        if (!dead_) {
          materialize_all();
          line(fmt::format("goto L{};", c.label));
        }
        out_ += fmt::format(" E{}:;\n", c.label);
        c.has_else = true;
        resize_stack(c.height);
        for (size_t k = 0; k < c.params.size(); ++k) {
          std::string v = push(c.params[k]);
          line(fmt::format("{} = p{}_{};", v, c.label, k));
        }
        dead_ = false;
        break;
      }
      case Opcode::End:
        if (!dead_ && ctl_.size() > 1) materialize_all();
        end_frame();
        break;
      case Opcode::Br:
        materialize_all();
        emit_branch(in.a);
        dead_ = true;
        break;
      case Opcode::BrIf: {
        std::string cond = pop();
        materialize_all();
        line(fmt::format("if ({}) {{", cond));
        emit_branch(in.a);
        line("}");
        break;
      }
      case Opcode::BrTable: {
        std::string index = pop();
        materialize_all();
        const auto& targets = *in.targets;
        line(fmt::format("switch ({}) {{", index));
        for (size_t k = 0; k + 1 < targets.size(); ++k) {
          out_ += fmt::format("  case {}:\n", k);
          emit_branch(targets[k]);
        }
        out_ += "  default:\n";
        emit_branch(targets.back());
        line("}");
        dead_ = true;
        break;
      }
      case Opcode::Return:
        emit_return(ctl_.front().results);
        dead_ = true;
        break;
      case Opcode::Call: {
        const wasm::FuncType& ft = m_.func_type(in.a);
        if (in.a >= m_.imported_funcs) {
          uint32_t callee = in.a - m_.imported_funcs;
          needs_.functions.insert(callee);
          emit_call(ft, fmt::format("w{}(ctx", callee));
        } else {
          uint32_t t = m_.func_type_index(in.a);
          needs_.call_types.insert(t);
          emit_call(ft, fmt::format("c{}(ctx, ctx->funcs[{}]", t, in.a));
        }
        break;
      }
      case Opcode::CallIndirect: {
        std::string index = pop();
        needs_.call_types.insert(in.a);
        emit_call(m_.types[in.a], fmt::format("c{}(ctx, wp_table_func(ctx, {}, {}, ctx->type_ids[{}])", in.a,
                                               table_ref(in.b), index, in.a));
        break;
      }
      case Opcode::Drop:
        drop();
        break;
      case Opcode::Select:
      case Opcode::SelectT: {
        // The result takes the position and type of the first operand.
        ValType rt = stack_[stack_.size() - 3];
        std::string cond = pop();
        std::string b = pop();
        std::string a = pop();
        std::string dst = push(rt);
        line(fmt::format("{} = {} ? {} : {};", dst, cond, a, b));
        break;
      }
      case Opcode::LocalGet:
        push_pending(locals_[in.a], fmt::format("l{}", in.a), {in.a});
        break;
      case Opcode::LocalSet: {
        std::string v = pop();
        materialize_readers_of(in.a);
        line(fmt::format("l{} = {};", in.a, v));
        break;
      }
      case Opcode::LocalTee: {
        ValType t = stack_.back();
        std::string v = pop();
        materialize_readers_of(in.a);
        line(fmt::format("l{} = {};", in.a, v));
        push_pending(t, fmt::format("l{}", in.a), {in.a});
        break;
      }
      case Opcode::GlobalGet: {
        ValType t = m_.global_type(in.a).type;
        std::string cell = "*" + global_ref(in.a);
        std::string dst = push(t);
        line(fmt::format("{} = {};", dst, unpack(t, cell)));
        break;
      }
      case Opcode::GlobalSet: {
        ValType t = m_.global_type(in.a).type;
        std::string v = pop();
        line(fmt::format("*{} = {};", global_ref(in.a), pack(t, v)));
        break;
      }
      case Opcode::TableGet: {
        std::string i = pop();
        std::string dst = push(m_.table_type(in.a).elem);
        line(fmt::format("{} = ctx->rt->table_get(ctx, {}, {});", dst, in.a, i));
        break;
      }
      case Opcode::TableSet: {
        std::string v = pop();
        std::string i = pop();
        line(fmt::format("ctx->rt->table_set(ctx, {}, {}, {});", in.a, i, v));
        break;
      }
      case Opcode::TableSize:
        line(fmt::format("{} = ctx->rt->table_size(ctx, {});", push(ValType::I32), in.a));
        break;
      case Opcode::TableGrow: {
        std::string n = pop();
        std::string init = pop();
        line(fmt::format("{} = ctx->rt->table_grow(ctx, {}, {}, {});", push(ValType::I32), in.a, init, n));
        break;
      }
      case Opcode::TableFill: {
        std::string n = pop();
        std::string v = pop();
        std::string i = pop();
        line(fmt::format("ctx->rt->table_fill(ctx, {}, {}, {}, {});", in.a, i, v, n));
        break;
      }
      case Opcode::TableCopy: {
        std::string n = pop();
        std::string s = pop();
        std::string d = pop();
        line(fmt::format("ctx->rt->table_copy(ctx, {}, {}, {}, {}, {});", in.a, in.b, d, s, n));
        break;
      }
      case Opcode::TableInit: {
        std::string n = pop();
        std::string s = pop();
        std::string d = pop();
        line(fmt::format("ctx->rt->table_init(ctx, {}, {}, {}, {}, {});", in.b, in.a, d, s, n));
        break;
      }
      case Opcode::ElemDrop:
        line(fmt::format("ctx->rt->elem_drop(ctx, {});", in.a));
        break;
      case Opcode::MemorySize:
        line(fmt::format("{} = ctx->rt->memory_size(ctx);", push(ValType::I32)));
        break;
      case Opcode::MemoryGrow: {
        std::string d = pop();
        line(fmt::format("{} = ctx->rt->memory_grow(ctx, {});", push(ValType::I32), d));
        break;
      }
      case Opcode::MemoryInit: {
        std::string n = pop();
        std::string s = pop();
        std::string d = pop();
        line(fmt::format("ctx->rt->memory_init(ctx, {}, {}, {}, {});", in.a, d, s, n));
        break;
      }
      case Opcode::DataDrop:
        line(fmt::format("ctx->rt->data_drop(ctx, {});", in.a));
        break;
      case Opcode::MemoryCopy: {
        std::string n = pop();
        std::string s = pop();
        std::string d = pop();
        uses_memory_ = true;
        line(fmt::format("wp_memory_copy(ctx, M, {}, {}, {});", d, s, n));
        break;
      }
      case Opcode::MemoryFill: {
        std::string n = pop();
        std::string v = pop();
        std::string d = pop();
        uses_memory_ = true;
        line(fmt::format("wp_memory_fill(ctx, M, {}, {}, {});", d, v, n));
        break;
      }
      case Opcode::I32Const:
        push_pending(ValType::I32, fmt::format("{}u", uint32_t(in.imm)), {});
        break;
      case Opcode::I64Const:
        push_pending(ValType::I64, fmt::format("{}ull", uint64_t(in.imm)), {});
        break;
      case Opcode::F32Const:
        push_pending(ValType::F32, fmt::format("f32_bits({}u)", uint32_t(in.imm)), {});
        break;
      case Opcode::F64Const:
        push_pending(ValType::F64, fmt::format("f64_bits({}ull)", uint64_t(in.imm)), {});
        break;
      case Opcode::RefNull:
        line(fmt::format("{} = 0;", push(ValType(uint8_t(in.imm)))));
        break;
      case Opcode::RefIsNull: {
        std::string v = pop();
        line(fmt::format("{} = {} == 0;", push(ValType::I32), v));
        break;
      }
      case Opcode::RefFunc:
        line(fmt::format("{} = (uint64_t)(uintptr_t)ctx->funcs[{}];", push(ValType::FuncRef), in.a));
        break;
      default: {
        if (auto la = load_access(op)) {
          uses_memory_ = true;
          std::string addr = pop();
          std::string dst = push(load_type(op));
          line(fmt::format("{} = {}{}(M, (uint64_t){} + {}u);", dst, la->convert, la->helper, addr, in.imm));
          break;
        }
        if (auto sa = store_access(op)) {
          uses_memory_ = true;
          std::string v = pop();
          std::string addr = pop();
          line(fmt::format("{}(M, (uint64_t){} + {}u, {}{});", sa->helper, addr, in.imm, sa->convert, v));
          break;
        }
        auto shape = numeric_shape(op);
        const char* expr = numeric(op);
        if (!shape || !expr) return std::unexpected(fmt::format("no translation for {}", wasm::name_of(op)));
        std::vector<uint32_t> reads;
        bool defer = pure_integer(op) && pending_operands(shape->binary ? 2 : 1, reads);
        std::string b = shape->binary ? pop() : "";
        std::string a = pop();
        std::string value = fmt::format(fmt::runtime(expr), fmt::arg("a", a), fmt::arg("b", b));
        if (defer) {
          // Cast to the wasm type, parenthesized: whatever consumes it sees
          // one operand of exactly that type (C's == gives an int).
          push_pending(shape->out, fmt::format("(({})({}))", ctype(shape->out), value), std::move(reads));
          break;
        }
        line(fmt::format("{} = {};", push(shape->out), value));
        break;
      }
    }
  }

  // Signature, declarations, then the body.
  // restrict: nothing changes the wp_ctx while guest code runs, so the
  // compiler may keep what it loaded from it across stores to linear memory
  // (measured: -1.5% CPU on bench/python/cpu.py).
  std::string s = fmt::format("{} w{}(wp_ctx* restrict ctx", return_type(type), defined_);
  for (size_t k = 0; k < type.params.size(); ++k) s += fmt::format(", {} l{}", ctype(type.params[k]), k);
  s += ") {\n";
  for (size_t k = type.params.size(); k < locals_.size(); ++k) s += fmt::format("  {} l{} = 0;\n", ctype(locals_[k]), k);
  for (auto [pos, l] : vars_) s += fmt::format("  {} s{}{};\n", ctype(l), pos, l);
  for (const auto& d : extra_decls_) s += "  " + d + "\n";
  if (uses_memory_) s += "  uint8_t* const M = ctx->mem;\n";
  for (uint32_t g : globals_) {
    s += g < WP_CTX_GLOBALS ? fmt::format("  uint64_t* const G{} = ctx->global_cells[{}];\n", g, g)
                            : fmt::format("  uint64_t* const G{} = ctx->globals[{}];\n", g, g);
  }
  for (uint32_t t : tables_) s += fmt::format("  const wp_table* const T{} = ctx->tables[{}];\n", t, t);
  s += out_;
  s += "}\n\n";
  return s;
}

std::string signature_params(const wasm::FuncType& t, bool named) {
  std::string s;
  for (size_t k = 0; k < t.params.size(); ++k) s += named ? fmt::format(", {} a{}", ctype(t.params[k]), k) : fmt::format(", {}", ctype(t.params[k]));
  return s;
}

std::string prototype(const wasm::Module& m, uint32_t defined) {
  const auto& t = m.types[m.functions[defined].type_index];
  // noipa: one machine frame per wasm frame, starting at its own address
  // (no inlining, cloning or merging), which is what backtraces rely on.
  return fmt::format("__attribute__((visibility(\"hidden\"), noipa)) {} w{}(wp_ctx* restrict ctx{});\n", return_type(t), defined,
                     signature_params(t, false));
}

// c<T>: calls a function reference of type T, native or host.
std::string call_helper(const wasm::Module& m, uint32_t ti) {
  const auto& t = m.types[ti];
  std::string ret = return_type(t);
  std::string args;
  for (size_t k = 0; k < t.params.size(); ++k) args += fmt::format(", a{}", k);
  std::string s = fmt::format("static inline {} c{}(wp_ctx* restrict ctx, const wp_func* f{}) {{\n", ret, ti, signature_params(t, true));
  s += fmt::format("  if (WP_LIKELY(f->code != 0)) return (({} (*)(wp_ctx*{}))f->code)((wp_ctx*)f->ctx{});\n", ret,
                   signature_params(t, false), args);
  size_t n = std::max<size_t>({t.params.size(), t.results.size(), 1});
  s += fmt::format("  uint64_t io[{}];\n", n);
  for (size_t k = 0; k < t.params.size(); ++k) s += fmt::format("  io[{}] = {};\n", k, pack(t.params[k], fmt::format("a{}", k)));
  s += "  ctx->rt->call_host(ctx, f, io);\n";
  if (t.results.size() == 1) {
    s += fmt::format("  return {};\n", unpack(t.results[0], "io[0]"));
  } else if (t.results.size() > 1) {
    s += fmt::format("  {} r;\n", ret);
    for (size_t k = 0; k < t.results.size(); ++k) s += fmt::format("  r.r{} = {};\n", k, unpack(t.results[k], fmt::format("io[{}]", k)));
    s += "  return r;\n";
  }
  return s + "}\n";
}

// e<T>: the host's way into a native function of type T.
std::string entry_trampoline(const wasm::Module& m, uint32_t ti) {
  const auto& t = m.types[ti];
  std::string ret = return_type(t);
  std::string args;
  for (size_t k = 0; k < t.params.size(); ++k) args += ", " + unpack(t.params[k], fmt::format("io[{}]", k));
  std::string call = fmt::format("(({} (*)(wp_ctx*{}))code)(ctx{})", ret, signature_params(t, false), args);
  std::string s = fmt::format("static void e{}(void* code, wp_ctx* ctx, uint64_t* io) {{\n", ti);
  if (t.results.empty()) {
    s += "  " + call + ";\n";
  } else if (t.results.size() == 1) {
    s += fmt::format("  io[0] = {};\n", pack(t.results[0], call));
  } else {
    s += fmt::format("  {} r = {};\n", ret, call);
    for (size_t k = 0; k < t.results.size(); ++k) s += fmt::format("  io[{}] = {};\n", k, pack(t.results[k], fmt::format("r.r{}", k)));
  }
  return s + "}\n";
}

std::string common_header(const wasm::Module& m) {
  std::string s = "/* Generated by wasipy from a WebAssembly module. */\n";
  s += texts::abi_h();
  s += texts::prelude_h();
  std::set<std::string> structs;
  for (const auto& t : m.types) {
    if (t.results.size() > 1) structs.insert(letters(t.results));
  }
  for (const auto& l : structs) {
    s += "typedef struct {";
    for (size_t k = 0; k < l.size(); ++k) s += fmt::format(" {} r{};", ctype(l[k]), k);
    s += fmt::format(" }} wr_{};\n", l);
  }
  return s + "\n";
}

}  // namespace

std::string_view translator_id() { return texts::translator_hash(); }

std::expected<Translation, std::string> translate(const wasm::Module& m, std::string_view key, unsigned unit_count) {
  const uint32_t n = uint32_t(m.functions.size());
  std::string header = common_header(m);

  // Contiguous runs of functions of about equal size: neighbours in a module
  // tend to call each other, and the compiler inlines only within a unit.
  uint64_t total = 0;
  for (const auto& f : m.functions) total += f.body_end - f.body_start;
  unit_count = std::max(1u, std::min<unsigned>(unit_count, std::max<uint32_t>(1, n)));
  uint64_t per_unit = total / unit_count + 1;

  Translation out;
  uint32_t i = 0;
  while (i < n) {
    UnitNeeds needs;
    std::string bodies;
    uint64_t size = 0;
    uint32_t first = i;
    while (i < n && (size < per_unit || i == first)) {
      needs.functions.insert(i);
      FunctionTranslator ft(m, i, needs);
      auto body = ft.run();
      if (!body) return std::unexpected(fmt::format("cannot translate {}: {}", m.func_display_name(m.imported_funcs + i), body.error()));
      bodies += *body;
      size += m.functions[i].body_end - m.functions[i].body_start;
      ++i;
    }
    std::string unit = header;
    for (uint32_t f : needs.functions) unit += prototype(m, f);
    for (uint32_t t : needs.call_types) unit += call_helper(m, t);
    unit += "\n" + bodies;
    out.units.push_back(std::move(unit));
  }

  // The module's table of contents, in a unit of its own.
  std::string toc = header;
  std::set<uint32_t> entry_types;
  for (uint32_t k = 0; k < n; ++k) {
    toc += prototype(m, k);
    entry_types.insert(m.functions[k].type_index);
  }
  for (uint32_t t : entry_types) toc += entry_trampoline(m, t);
  toc += fmt::format("static void* const functions[{}] = {{", std::max<uint32_t>(n, 1));
  for (uint32_t k = 0; k < n; ++k) toc += fmt::format("{}(void*)w{}", k % 8 ? " " : "\n  ", k) + (k + 1 < n ? "," : "");
  toc += "};\n";
  toc += fmt::format("static const wp_entry entries[{}] = {{", std::max<uint32_t>(n, 1));
  for (uint32_t k = 0; k < n; ++k) toc += fmt::format("{}e{}", k % 8 ? " " : "\n  ", m.functions[k].type_index) + (k + 1 < n ? "," : "");
  toc += "};\n";
  std::string escaped;
  for (char c : key) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += c;
  }
  toc += fmt::format(
      "__attribute__((visibility(\"default\"))) const wp_module_code wasipy_module_code = {{\"{}\", {}u, functions, "
      "entries}};\n",
      escaped, n);
  out.units.push_back(std::move(toc));
  return out;
}

}  // namespace wasipy::native
