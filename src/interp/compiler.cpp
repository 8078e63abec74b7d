#include "interp/compiler.h"

#include <fmt/format.h>

#include "wasm/instr_reader.h"

namespace wasipy::interp {

namespace {

using wasm::Opcode;

constexpr size_t kNoFixup = ~size_t(0);

IOp numeric_iop(Opcode op) {
  switch (op) {
#define WASM_OP(Name, code, text)
#define WASM_NUMERIC(Name, code, text, a, b, r) \
  case Opcode::Name:                            \
    return IOp::Name;
#define WASM_LOAD(Name, code, text, type, align) \
  case Opcode::Name:                             \
    return IOp::Name;
#define WASM_STORE(Name, code, text, type, align) \
  case Opcode::Name:                              \
    return IOp::Name;
#include "wasm/opcodes.def"
    default:
      return IOp::Count;
  }
}

IOp numeric_imm_iop(Opcode op) {
  switch (op) {
#define WASM_OP(Name, code, text)
#define WASM_LOAD(Name, code, text, type, align)
#define WASM_STORE(Name, code, text, type, align)
#define WASIPY_IMM_None(Name)
#define WASIPY_IMM_I32(Name) \
  case Opcode::Name:         \
    return IOp::Name##Imm;
#define WASIPY_IMM_I64(Name) WASIPY_IMM_I32(Name)
#define WASIPY_IMM_F32(Name) WASIPY_IMM_I32(Name)
#define WASIPY_IMM_F64(Name) WASIPY_IMM_I32(Name)
#define WASM_NUMERIC(Name, code, text, a, b, r) WASIPY_IMM_##b(Name)
#include "wasm/opcodes.def"
#undef WASIPY_IMM_None
#undef WASIPY_IMM_I32
#undef WASIPY_IMM_I64
#undef WASIPY_IMM_F32
#undef WASIPY_IMM_F64
    default:
      return IOp::Count;
  }
}

/// The integer compare that holds exactly when `cmp` does not.
IOp negated(IOp cmp) {
  switch (cmp) {
    case IOp::I32Eq: return IOp::I32Ne;
    case IOp::I32Ne: return IOp::I32Eq;
    case IOp::I32LtS: return IOp::I32GeS;
    case IOp::I32GeS: return IOp::I32LtS;
    case IOp::I32LtU: return IOp::I32GeU;
    case IOp::I32GeU: return IOp::I32LtU;
    case IOp::I32GtS: return IOp::I32LeS;
    case IOp::I32LeS: return IOp::I32GtS;
    case IOp::I32GtU: return IOp::I32LeU;
    case IOp::I32LeU: return IOp::I32GtU;
    case IOp::I64Eq: return IOp::I64Ne;
    case IOp::I64Ne: return IOp::I64Eq;
    case IOp::I64LtS: return IOp::I64GeS;
    case IOp::I64GeS: return IOp::I64LtS;
    case IOp::I64LtU: return IOp::I64GeU;
    case IOp::I64GeU: return IOp::I64LtU;
    case IOp::I64GtS: return IOp::I64LeS;
    case IOp::I64LeS: return IOp::I64GtS;
    case IOp::I64GtU: return IOp::I64LeU;
    case IOp::I64LeU: return IOp::I64GtU;
    default: return IOp::Count;
  }
}

/// The fused compare-and-branch for a compare (plain or Imm form), or Count.
IOp fused_branch(IOp cmp, bool imm) {
  switch (cmp) {
#define WASIPY_FUSED(Cmp) \
  case IOp::Cmp:          \
    return imm ? IOp::BrIf##Cmp##Imm : IOp::BrIf##Cmp;
    WASIPY_FUSED_COMPARES(WASIPY_FUSED)
#undef WASIPY_FUSED
    default: return IOp::Count;
  }
}

/// The plain compare behind an Imm form, or Count.
IOp without_imm(IOp op) {
  switch (op) {
#define WASIPY_FUSED(Cmp) \
  case IOp::Cmp##Imm:     \
    return IOp::Cmp;
    WASIPY_FUSED_COMPARES(WASIPY_FUSED)
#undef WASIPY_FUSED
    default: return IOp::Count;
  }
}

bool is_commutative(Opcode op) {
  switch (op) {
    case Opcode::I32Add: case Opcode::I32Mul: case Opcode::I32And: case Opcode::I32Or: case Opcode::I32Xor:
    case Opcode::I32Eq: case Opcode::I32Ne:
    case Opcode::I64Add: case Opcode::I64Mul: case Opcode::I64And: case Opcode::I64Or: case Opcode::I64Xor:
    case Opcode::I64Eq: case Opcode::I64Ne:
      return true;
    default:
      return false;
  }
}

enum class Family { Other, Unary, Binary, Load, Store };

Family family_of(Opcode op) {
  switch (op) {
#define WASM_OP(Name, code, text)
#define WASM_NUMERIC(Name, code, text, a, b, r) \
  case Opcode::Name:                            \
    return #b[0] == 'N' ? Family::Unary : Family::Binary;
#define WASM_LOAD(Name, code, text, type, align) \
  case Opcode::Name:                             \
    return Family::Load;
#define WASM_STORE(Name, code, text, type, align) \
  case Opcode::Name:                              \
    return Family::Store;
#include "wasm/opcodes.def"
    default:
      return Family::Other;
  }
}

class FunctionCompiler {
 public:
  FunctionCompiler(const runtime::Instance& inst, CompiledFunc& out)
      : inst_(inst), m_(*inst.module), out_(out), code_(out.code), handlers_(handler_table()) {}

  std::expected<void, std::string> run();

 private:
  /// Where a value on the compile-time operand stack lives until it must be
  /// in its own slot: already there, still in a local, or a known constant.
  struct Operand {
    enum Kind : uint8_t { Slot, Local, Const } kind = Slot;
    uint32_t local = 0;
    Word value = 0;
  };
  struct Label {
    Label(Opcode op, uint32_t height, uint32_t params, uint32_t results)
        : op(op), height(height), params(params), results(results) {}
    Opcode op;
    uint32_t height;  ///< operand-stack height below the block's parameters
    uint32_t params;
    uint32_t results;
    size_t loop_start = 0;
    std::vector<size_t> fixups;  ///< words to point at the label's end
    size_t else_fixup = kNoFixup;
    uint32_t arity() const { return op == Opcode::Loop ? params : results; }
  };

  // Emission.
  void op(IOp o) {
    code_.push_back(reinterpret_cast<Word>(handlers_[size_t(o)]));
    last_dst_word_ = kNoFixup;
  }
  void word(Word w) { code_.push_back(w); }
  /// A word holding a code index, turned into an address once the code is final.
  void jump_word(size_t target_index) {
    jumps_.push_back(code_.size());
    code_.push_back(target_index);
  }
  size_t forward_jump_word() {
    jump_word(0);
    return code_.size() - 1;
  }
  void bind(size_t fixup) { code_[fixup] = code_.size(); }
  void label_here() { last_dst_word_ = kNoFixup; }

  // The compile-time operand stack.
  uint32_t slot(size_t pos) const { return locals_ + uint32_t(pos); }
  uint32_t push_slot() {
    stack_.push_back(Operand{});
    return slot(stack_.size() - 1);
  }
  void push_const(Word v) { stack_.push_back(Operand{Operand::Const, 0, v}); }
  void move(const Operand& e, uint32_t from_slot, uint32_t dst) {
    switch (e.kind) {
      case Operand::Slot:
        if (from_slot != dst) {
          op(IOp::Copy);
          word(pack(dst, from_slot));
        }
        break;
      case Operand::Local:
        if (e.local != dst) {
          op(IOp::Copy);
          word(pack(dst, e.local));
        }
        break;
      case Operand::Const:
        op(IOp::Const);
        word(pack(dst));
        word(e.value);
        break;
    }
  }
  void materialize(size_t pos) {
    Operand& e = stack_[pos];
    if (e.kind == Operand::Slot) return;
    Operand copy = e;
    move(copy, slot(pos), slot(pos));
    e = Operand{};
  }
  void materialize_all() {
    for (size_t i = 0; i < stack_.size(); ++i) materialize(i);
  }
  /// Pops the top value and returns the slot to read it from (a constant is
  /// first written to the slot its stack position owns).
  uint32_t pop_operand() {
    size_t pos = stack_.size() - 1;
    Operand e = stack_.back();
    stack_.pop_back();
    switch (e.kind) {
      case Operand::Slot: return slot(pos);
      case Operand::Local: return e.local;
      case Operand::Const:
        op(IOp::Const);
        word(pack(slot(pos)));
        word(e.value);
        return slot(pos);
    }
    return slot(pos);
  }
  /// Before a local changes, stack entries that still stand for it take a copy.
  void before_write_local(uint32_t local) {
    for (size_t i = 0; i < stack_.size(); ++i) {
      if (stack_[i].kind == Operand::Local && stack_[i].local == local) materialize(i);
    }
  }
  bool has_alias_of(uint32_t local) const {
    for (const auto& e : stack_) {
      if (e.kind == Operand::Local && e.local == local) return true;
    }
    return false;
  }
  /// Emits an instruction whose first operand word starts with its result slot.
  void result_op(IOp o, uint32_t dst, uint32_t a = 0, uint32_t b = 0) {
    last_instr_start_ = code_.size();
    last_iop_ = o;
    op(o);
    last_dst_word_ = code_.size();
    last_dst_pos_ = dst - locals_;
    word(pack(dst, a, b));
  }

  /// A conditional jump, ready to emit once its target is known.
  struct CondJump {
    IOp op;
    uint32_t a = 0, b = 0;
    bool has_imm = false;
    Word imm = 0;
  };
  CondJump take_condition(bool jump_when_true);
  void emit_cond_jump(const CondJump& j) {
    op(j.op);
    word(pack(j.a, j.b));
    if (j.has_imm) word(j.imm);
  }

  void set_local(uint32_t local);
  void emit_moves_to(uint32_t dst_base, uint32_t n);
  void emit_return();
  void emit_branch(uint32_t depth);
  bool branch_needs_moves(uint32_t depth) const;
  bool branch_needs_moves_after_condition(uint32_t depth) const;
  bool needs_moves(uint32_t depth, size_t stack_size) const;
  void jump_to_label(Label& target);
  void make_dead() {
    stack_.resize(labels_.back().height);
    dead_ = true;
    dead_depth_ = 0;
  }
  std::pair<uint32_t, uint32_t> block_arity(int64_t bt) const {
    if (bt == -64) return {0, 0};
    if (bt < 0) return {0, 1};
    const auto& ft = m_.types[bt];
    return {uint32_t(ft.params.size()), uint32_t(ft.results.size())};
  }
  void end_label();
  std::expected<void, std::string> instr(const wasm::Instr& in);

  const runtime::Instance& inst_;
  const wasm::Module& m_;
  CompiledFunc& out_;
  std::vector<Word>& code_;
  const void* const* handlers_;
  uint32_t locals_ = 0;
  std::vector<Operand> stack_;
  std::vector<Label> labels_;
  std::vector<size_t> jumps_;
  size_t last_dst_word_ = kNoFixup;
  size_t last_dst_pos_ = 0;
  size_t last_instr_start_ = 0;
  IOp last_iop_ = IOp::Count;
  bool dead_ = false;
  uint32_t dead_depth_ = 0;
  bool done_ = false;
};

// Pops the condition of a br_if or if. When the compare that computed it was
// the last instruction, that compare is taken back and fused into the jump.
FunctionCompiler::CondJump FunctionCompiler::take_condition(bool jump_when_true) {
  size_t pos = stack_.size() - 1;
  if (stack_.back().kind == Operand::Slot && last_dst_word_ != kNoFixup && last_dst_pos_ == pos) {
    Word w = code_[last_instr_start_ + 1];
    uint32_t a = uint32_t((w >> kSlotBits) & kSlotMask), b = uint32_t(w >> (2 * kSlotBits));
    IOp cmp = last_iop_;
    bool imm = false;
    if (IOp plain = without_imm(cmp); plain != IOp::Count) {
      cmp = plain;
      imm = true;
    }
    CondJump j{IOp::Count};
    if (cmp == IOp::I32Eqz || cmp == IOp::I64Eqz) {
      j = CondJump{jump_when_true ? (cmp == IOp::I32Eqz ? IOp::BrIfI32Eqz : IOp::BrIfI64Eqz)
                                  : (cmp == IOp::I32Eqz ? IOp::BrIf : IOp::BrIfI64Nez),
                   a};
    } else if (fused_branch(cmp, imm) != IOp::Count) {
      IOp c = jump_when_true ? cmp : negated(cmp);
      j = CondJump{fused_branch(c, imm), a, imm ? 0 : b, imm, imm ? code_[last_instr_start_ + 2] : 0};
    }
    if (j.op != IOp::Count) {
      code_.resize(last_instr_start_);
      stack_.pop_back();
      last_dst_word_ = kNoFixup;
      return j;
    }
  }
  uint32_t cond = pop_operand();
  return CondJump{jump_when_true ? IOp::BrIf : IOp::BrUnless, cond};
}

void FunctionCompiler::set_local(uint32_t local) {
  size_t pos = stack_.size() - 1;
  Operand e = stack_.back();
  stack_.pop_back();
  // The value was just computed into its stack slot: have that instruction
  // write the local instead, unless some stack entry still reads the local.
  if (e.kind == Operand::Slot && last_dst_word_ != kNoFixup && last_dst_pos_ == pos && !has_alias_of(local)) {
    code_[last_dst_word_] = (code_[last_dst_word_] & ~kSlotMask) | local;
    last_dst_word_ = kNoFixup;
    return;
  }
  if (e.kind == Operand::Local && e.local == local) return;
  before_write_local(local);
  move(e, slot(pos), local);
  last_dst_word_ = kNoFixup;
}

// Moves the top n values to slots dst_base.. (a branch target's or the
// function's result slots), lowest first: the destinations never lie above
// the sources, so no value is overwritten before it is read.
void FunctionCompiler::emit_moves_to(uint32_t dst_base, uint32_t n) {
  size_t first = stack_.size() - n;
  for (uint32_t k = 0; k < n; ++k) move(stack_[first + k], slot(first + k), dst_base + k);
}

void FunctionCompiler::emit_return() {
  uint32_t n = out_.result_count;
  if (n == 1) {
    size_t pos = stack_.size() - 1;
    const Operand& e = stack_.back();
    if (e.kind == Operand::Slot && last_dst_word_ != kNoFixup && last_dst_pos_ == pos) {
      // The result was just computed: compute it into slot 0 instead.
      code_[last_dst_word_] = code_[last_dst_word_] & ~kSlotMask;
      op(IOp::Return);
    } else if (e.kind == Operand::Const) {
      op(IOp::ReturnImm);
      word(e.value);
    } else {
      op(IOp::ReturnSlot);
      word(e.kind == Operand::Local ? e.local : slot(pos));
    }
    return;
  }
  size_t first = stack_.size() - n;
  // A result still standing for a low local could be overwritten by an
  // earlier result's move: give it its own slot first.
  for (size_t i = first; i < stack_.size(); ++i) {
    if (stack_[i].kind == Operand::Local && stack_[i].local < n) materialize(i);
  }
  emit_moves_to(0, n);
  op(IOp::Return);
}

bool FunctionCompiler::branch_needs_moves(uint32_t depth) const { return needs_moves(depth, stack_.size()); }

// For br_if, asked while its condition is still on top of the stack.
bool FunctionCompiler::branch_needs_moves_after_condition(uint32_t depth) const {
  return needs_moves(depth, stack_.size() - 1);
}

bool FunctionCompiler::needs_moves(uint32_t depth, size_t stack_size) const {
  const Label& t = labels_[labels_.size() - 1 - depth];
  uint32_t n = t.arity();
  if (n == 0) return false;
  if (t.height != stack_size - n) return true;
  for (size_t i = stack_size - n; i < stack_size; ++i) {
    if (stack_[i].kind != Operand::Slot) return true;
  }
  return false;
}

void FunctionCompiler::jump_to_label(Label& t) {
  if (t.op == Opcode::Loop) {
    jump_word(t.loop_start);
  } else {
    t.fixups.push_back(forward_jump_word());
  }
}

// An unconditional branch to the label `depth` levels out, values included.
void FunctionCompiler::emit_branch(uint32_t depth) {
  if (depth == labels_.size() - 1) {
    emit_return();
    return;
  }
  Label& t = labels_[labels_.size() - 1 - depth];
  emit_moves_to(slot(t.height), t.arity());
  op(IOp::Br);
  jump_to_label(t);
}

void FunctionCompiler::end_label() {
  Label& l = labels_.back();
  if (l.else_fixup != kNoFixup) bind(l.else_fixup);
  for (size_t f : l.fixups) bind(f);
  stack_.resize(l.height);
  for (uint32_t i = 0; i < l.results; ++i) stack_.push_back(Operand{});
  labels_.pop_back();
  label_here();
}

std::expected<void, std::string> FunctionCompiler::instr(const wasm::Instr& in) {
  if (dead_) {
    // Unreachable code is not compiled; only its nesting is followed.
    switch (in.op) {
      case Opcode::Block:
      case Opcode::Loop:
      case Opcode::If:
        ++dead_depth_;
        return {};
      case Opcode::Else:
        if (dead_depth_ > 0) return {};
        break;
      case Opcode::End:
        if (dead_depth_ > 0) {
          --dead_depth_;
          return {};
        }
        break;
      default:
        return {};
    }
  }

  switch (family_of(in.op)) {
    case Family::Unary: {
      uint32_t a = pop_operand();
      result_op(numeric_iop(in.op), push_slot(), a);
      return {};
    }
    case Family::Binary: {
      // A constant on the left of a commutative operator is taken as if it
      // were on the right, where the Imm forms take it.
      if (stack_.size() >= 2 && stack_[stack_.size() - 2].kind == Operand::Const &&
          stack_.back().kind != Operand::Const && is_commutative(in.op)) {
        uint32_t a = pop_operand();
        Word imm = stack_.back().value;
        stack_.pop_back();
        result_op(numeric_imm_iop(in.op), push_slot(), a);
        word(imm);
        return {};
      }
      if (stack_.back().kind == Operand::Const) {
        Word imm = stack_.back().value;
        stack_.pop_back();
        uint32_t a = pop_operand();
        result_op(numeric_imm_iop(in.op), push_slot(), a);
        word(imm);
        return {};
      }
      uint32_t b = pop_operand();
      uint32_t a = pop_operand();
      result_op(numeric_iop(in.op), push_slot(), a, b);
      return {};
    }
    case Family::Load: {
      IOp absolute = in.op == Opcode::I32Load     ? IOp::I32LoadAbs
                     : in.op == Opcode::I32Load8U ? IOp::I32Load8UAbs
                                                  : IOp::Count;
      if (absolute != IOp::Count && stack_.back().kind == Operand::Const) {
        // A constant address plus the offset cannot wrap: both are 32-bit.
        uint64_t ea = uint64_t(uint32_t(stack_.back().value)) + in.imm;
        stack_.pop_back();
        result_op(absolute, push_slot());
        word(ea);
        return {};
      }
      IOp with_add = in.op == Opcode::I32Load     ? IOp::I32LoadAdd
                     : in.op == Opcode::I32Load8U ? IOp::I32Load8UAdd
                                                  : IOp::Count;
      size_t pos = stack_.size() - 1;
      if (with_add != IOp::Count && stack_.back().kind == Operand::Slot && last_dst_word_ != kNoFixup &&
          last_dst_pos_ == pos && last_iop_ == IOp::I32AddImm) {
        // The address was just computed as base + constant: take the add back
        // and let the load do it (the sum still wraps at 32 bits).
        uint32_t base = uint32_t((code_[last_instr_start_ + 1] >> kSlotBits) & kSlotMask);
        Word constant = code_[last_instr_start_ + 2];
        code_.resize(last_instr_start_);
        stack_.pop_back();
        result_op(with_add, push_slot(), base);
        word(in.imm);
        word(constant);
        return {};
      }
      uint32_t addr = pop_operand();
      result_op(numeric_iop(in.op), push_slot(), addr);
      word(in.imm);
      return {};
    }
    case Family::Store: {
      IOp with_imm = in.op == Opcode::I32Store    ? IOp::I32StoreImm
                     : in.op == Opcode::I64Store  ? IOp::I64StoreImm
                     : in.op == Opcode::I32Store8 ? IOp::I32Store8Imm
                                                  : IOp::Count;
      if (with_imm != IOp::Count && stack_.back().kind == Operand::Const) {
        Word value = stack_.back().value;
        stack_.pop_back();
        size_t pos = stack_.size() - 1;
        if (stack_.back().kind == Operand::Slot && last_dst_word_ != kNoFixup && last_dst_pos_ == pos &&
            last_iop_ == IOp::I32AddImm) {
          // The address was just computed as base + constant: fuse the add in.
          uint32_t base = uint32_t((code_[last_instr_start_ + 1] >> kSlotBits) & kSlotMask);
          Word constant = code_[last_instr_start_ + 2];
          code_.resize(last_instr_start_);
          stack_.pop_back();
          op(with_imm == IOp::I32StoreImm   ? IOp::I32StoreImmAdd
             : with_imm == IOp::I64StoreImm ? IOp::I64StoreImmAdd
                                            : IOp::I32Store8ImmAdd);
          word(base);
          word(in.imm);
          word(value);
          word(constant);
          return {};
        }
        uint32_t addr = pop_operand();
        op(with_imm);
        word(addr);
        word(in.imm);
        word(value);
        return {};
      }
      uint32_t value = pop_operand();
      uint32_t addr = pop_operand();
      op(numeric_iop(in.op));
      word(pack(addr, value));
      word(in.imm);
      return {};
    }
    case Family::Other:
      break;
  }

  switch (in.op) {
    case Opcode::Unreachable:
      op(IOp::Unreachable);
      make_dead();
      break;
    case Opcode::Nop:
      break;
    case Opcode::Block:
    case Opcode::Loop: {
      auto [params, results] = block_arity(in.block_type);
      materialize_all();
      Label l{in.op, uint32_t(stack_.size() - params), params, results};
      l.loop_start = code_.size();
      labels_.push_back(std::move(l));
      label_here();
      break;
    }
    case Opcode::If: {
      auto [params, results] = block_arity(in.block_type);
      CondJump skip = take_condition(false);
      materialize_all();
      emit_cond_jump(skip);
      Label l{in.op, uint32_t(stack_.size() - params), params, results};
      l.else_fixup = forward_jump_word();
      labels_.push_back(std::move(l));
      label_here();
      break;
    }
    case Opcode::Else: {
      Label& l = labels_.back();
      if (!dead_) {
        materialize_all();
        op(IOp::Br);
        l.fixups.push_back(forward_jump_word());
      }
      bind(l.else_fixup);
      l.else_fixup = kNoFixup;
      l.op = Opcode::Else;
      stack_.resize(l.height);
      for (uint32_t i = 0; i < l.params; ++i) stack_.push_back(Operand{});
      dead_ = false;
      label_here();
      break;
    }
    case Opcode::End: {
      if (!dead_) materialize_all();
      if (labels_.size() == 1) {
        if (!dead_) emit_return();
        labels_.pop_back();
        done_ = true;
        return {};
      }
      end_label();
      dead_ = false;
      break;
    }
    case Opcode::Br:
      emit_branch(in.a);
      make_dead();
      break;
    case Opcode::BrIf: {
      bool needs_moves = in.a == labels_.size() - 1 || branch_needs_moves_after_condition(in.a);
      CondJump j = take_condition(!needs_moves);
      emit_cond_jump(j);
      if (needs_moves) {
        size_t skip = forward_jump_word();
        emit_branch(in.a);
        bind(skip);
        label_here();
      } else {
        jump_to_label(labels_[labels_.size() - 1 - in.a]);
      }
      break;
    }
    case Opcode::BrTable: {
      uint32_t index = pop_operand();
      const auto& targets = *in.targets;
      uint32_t count = uint32_t(targets.size() - 1);
      op(IOp::BrTable);
      word(pack(index, count));
      size_t table = code_.size();
      std::vector<bool> stub(targets.size());
      for (size_t i = 0; i < targets.size(); ++i) {
        uint32_t depth = targets[i];
        stub[i] = depth == labels_.size() - 1 || branch_needs_moves(depth);
        if (stub[i]) {
          jump_word(0);  // set below, once the stub exists
        } else {
          jump_to_label(labels_[labels_.size() - 1 - depth]);
        }
      }
      for (size_t i = 0; i < targets.size(); ++i) {
        if (!stub[i]) continue;
        code_[table + i] = code_.size();
        emit_branch(targets[i]);
      }
      make_dead();
      break;
    }
    case Opcode::Return:
      emit_return();
      make_dead();
      break;
    case Opcode::Call:
    case Opcode::CallIndirect: {
      const wasm::FuncType& ft = in.op == Opcode::Call ? m_.func_type(in.a) : m_.types[in.a];
      uint32_t n = uint32_t(ft.params.size());
      uint32_t index = in.op == Opcode::CallIndirect ? pop_operand() : 0;
      for (size_t i = stack_.size() - n; i < stack_.size(); ++i) materialize(i);
      uint32_t arg_base = slot(stack_.size() - n);
      stack_.resize(stack_.size() - n);
      if (in.op == Opcode::Call) {
        runtime::FuncInstance* callee = inst_.funcs[in.a];
        if (callee->is_host()) {
          op(IOp::CallHost);
          word(arg_base);
          word(reinterpret_cast<Word>(callee));
        } else {
          op(IOp::Call);
          word(arg_base);
          word(reinterpret_cast<Word>(callee->code));
        }
      } else {
        op(IOp::CallIndirect);
        word(pack(index, arg_base));
        word(inst_.type_ids[in.a]);
        word(reinterpret_cast<Word>(inst_.tables[in.b]));
      }
      for (size_t i = 0; i < ft.results.size(); ++i) push_slot();
      break;
    }
    case Opcode::Drop:
      stack_.pop_back();
      break;
    case Opcode::Select:
    case Opcode::SelectT: {
      uint32_t cond = pop_operand();
      uint32_t b = pop_operand();
      uint32_t a = pop_operand();
      result_op(IOp::Select, push_slot(), a, b);
      word(cond);
      break;
    }
    case Opcode::LocalGet:
      stack_.push_back(Operand{Operand::Local, in.a, 0});
      break;
    case Opcode::LocalSet:
      set_local(in.a);
      break;
    case Opcode::LocalTee:
      set_local(in.a);
      stack_.push_back(Operand{Operand::Local, in.a, 0});
      break;
    case Opcode::GlobalGet:
      result_op(IOp::GlobalGet, push_slot());
      word(reinterpret_cast<Word>(inst_.globals[in.a]));
      break;
    case Opcode::GlobalSet: {
      uint32_t v = pop_operand();
      op(IOp::GlobalSet);
      word(pack(v));
      word(reinterpret_cast<Word>(inst_.globals[in.a]));
      break;
    }
    case Opcode::I32Const:
    case Opcode::I64Const:
    case Opcode::F32Const:
    case Opcode::F64Const:
      push_const(in.imm);
      break;
    case Opcode::RefNull:
      push_const(0);
      break;
    case Opcode::RefFunc:
      push_const(reinterpret_cast<Word>(inst_.funcs[in.a]));
      break;
    case Opcode::RefIsNull: {
      uint32_t a = pop_operand();
      result_op(IOp::RefIsNull, push_slot(), a);
      break;
    }
    case Opcode::MemorySize:
      result_op(IOp::MemorySize, push_slot());
      break;
    case Opcode::MemoryGrow: {
      uint32_t delta = pop_operand();
      result_op(IOp::MemoryGrow, push_slot(), delta);
      break;
    }
    case Opcode::MemoryFill:
    case Opcode::MemoryCopy:
    case Opcode::MemoryInit:
    case Opcode::TableFill:
    case Opcode::TableCopy:
    case Opcode::TableInit: {
      uint32_t n = pop_operand();
      uint32_t b = pop_operand();
      uint32_t a = pop_operand();
      IOp o = in.op == Opcode::MemoryFill   ? IOp::MemoryFill
              : in.op == Opcode::MemoryCopy ? IOp::MemoryCopy
              : in.op == Opcode::MemoryInit ? IOp::MemoryInit
              : in.op == Opcode::TableFill  ? IOp::TableFill
              : in.op == Opcode::TableCopy  ? IOp::TableCopy
                                            : IOp::TableInit;
      op(o);
      word(pack(a, b, n));
      if (in.op == Opcode::MemoryInit) word(reinterpret_cast<Word>(&inst_.datas[in.a]));
      if (in.op == Opcode::TableFill) word(reinterpret_cast<Word>(inst_.tables[in.a]));
      if (in.op == Opcode::TableCopy) {
        word(reinterpret_cast<Word>(inst_.tables[in.a]));
        word(reinterpret_cast<Word>(inst_.tables[in.b]));
      }
      if (in.op == Opcode::TableInit) {
        word(reinterpret_cast<Word>(inst_.tables[in.b]));
        word(reinterpret_cast<Word>(&inst_.elems[in.a]));
      }
      break;
    }
    case Opcode::DataDrop:
      op(IOp::DataDrop);
      word(reinterpret_cast<Word>(&inst_.datas[in.a]));
      break;
    case Opcode::ElemDrop:
      op(IOp::ElemDrop);
      word(reinterpret_cast<Word>(&inst_.elems[in.a]));
      break;
    case Opcode::TableGet: {
      uint32_t i = pop_operand();
      result_op(IOp::TableGet, push_slot(), i);
      word(reinterpret_cast<Word>(inst_.tables[in.a]));
      break;
    }
    case Opcode::TableSet: {
      uint32_t v = pop_operand();
      uint32_t i = pop_operand();
      op(IOp::TableSet);
      word(pack(i, v));
      word(reinterpret_cast<Word>(inst_.tables[in.a]));
      break;
    }
    case Opcode::TableSize:
      result_op(IOp::TableSize, push_slot());
      word(reinterpret_cast<Word>(inst_.tables[in.a]));
      break;
    case Opcode::TableGrow: {
      uint32_t delta = pop_operand();
      uint32_t init = pop_operand();
      result_op(IOp::TableGrow, push_slot(), init, delta);
      word(reinterpret_cast<Word>(inst_.tables[in.a]));
      break;
    }
    default:
      return std::unexpected(fmt::format("the interpreter cannot compile {} at byte offset {}", name_of(in.op), in.offset));
  }
  return {};
}

std::expected<void, std::string> FunctionCompiler::run() {
  const wasm::Function& f = m_.functions[out_.defined_index];
  const wasm::FuncType& ft = m_.types[f.type_index];
  locals_ = out_.param_count + out_.local_count;
  code_.clear();
  labels_.push_back(Label{Opcode::Block, 0, 0, uint32_t(ft.results.size())});
  wasm::InstrReader reader(m_.body(f), f.body_start);
  code_.reserve(f.body_end - f.body_start);
  while (!done_) {
    auto in = reader.next();
    if (!in) return std::unexpected(in.error().message);
    if (auto ok = instr(*in); !ok) return ok;
  }
  code_.shrink_to_fit();
  // Jump words hold code indices until here, when the code stops moving.
  for (size_t w : jumps_) code_[w] = reinterpret_cast<Word>(code_.data() + code_[w]);
  return {};
}

}  // namespace

std::expected<void, std::string> describe_function(const runtime::Instance& instance, uint32_t defined_index,
                                                   const wasm::FunctionInfo& info, CompiledFunc& out) {
  const wasm::Module& m = *instance.module;
  const wasm::Function& f = m.functions[defined_index];
  const wasm::FuncType& ft = m.types[f.type_index];
  uint64_t locals = ft.params.size() + f.local_count;
  uint64_t frame = locals + info.max_stack;
  if (frame >= kMaxSlots) {
    return std::unexpected(fmt::format("function {} needs {} stack slots; the interpreter supports at most {}",
                                       m.func_display_name(m.imported_funcs + defined_index), frame, kMaxSlots - 1));
  }
  out.defined_index = defined_index;
  out.max_stack = info.max_stack;
  out.param_count = uint32_t(ft.params.size());
  out.local_count = uint32_t(f.local_count);
  out.result_count = uint32_t(ft.results.size());
  out.frame_slots = uint32_t(std::max<uint64_t>(frame, ft.results.size()));
  out.memory = instance.memories.empty() ? nullptr : instance.memories[0];
  out.code.assign(1, reinterpret_cast<Word>(handler_table()[size_t(IOp::LazyCompile)]));
  return {};
}

std::expected<void, std::string> compile_function(const runtime::Instance& instance, CompiledFunc& out) {
  FunctionCompiler c(instance, out);
  return c.run();
}

}  // namespace wasipy::interp
