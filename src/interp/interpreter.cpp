#include "interp/interpreter.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include <fmt/format.h>

#include "interp/code.h"
#include "interp/compiler.h"
#include "interp/numeric.h"

namespace wasipy::interp {

using runtime::RawValue;
using runtime::Trap;
using runtime::TrapKind;

namespace {

struct Frame {
  const Word* return_pc;
  RawValue* fp;
  const CompiledFunc* fn;
};

// Typed access to 8-byte slots: i32 lives zero-extended in the low half,
// floats as their bits.
template <class T>
inline T get(RawValue v) {
  if constexpr (std::is_same_v<T, float>) {
    return std::bit_cast<float>(uint32_t(v));
  } else if constexpr (std::is_same_v<T, double>) {
    return std::bit_cast<double>(v);
  } else {
    return static_cast<T>(v);
  }
}
inline RawValue put(uint32_t v) { return v; }
inline RawValue put(int32_t v) { return uint32_t(v); }
inline RawValue put(uint64_t v) { return v; }
inline RawValue put(int64_t v) { return uint64_t(v); }
inline RawValue put(bool v) { return v ? 1 : 0; }
inline RawValue put(float v) { return std::bit_cast<uint32_t>(v); }
inline RawValue put(double v) { return std::bit_cast<uint64_t>(v); }

/// Reserves `bytes` of address space that the kernel backs only when touched.
template <class T>
T* reserve(size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? nullptr : static_cast<T*>(p);
}

}  // namespace

struct Interpreter::State {
  Limits limits;
  RawValue* stack = nullptr;
  RawValue* stack_end = nullptr;
  Frame* frames = nullptr;
  uint32_t depth = 0;     ///< frames in use
  RawValue* top = nullptr;  ///< where the next call from the host starts its frame

  ~State() {
    if (stack) munmap(stack, limits.stack_slots * sizeof(RawValue));
    if (frames) munmap(frames, size_t(limits.max_call_depth) * sizeof(Frame));
  }
};

namespace {

using State = Interpreter::State;

#ifdef WASIPY_INTERP_PROFILE
struct Profile {
  std::vector<std::pair<const void*, uint64_t>> counts;
  const char* names[size_t(IOp::Count)] = {
#define IOP(Name) #Name,
#include "interp/ops.def"
  };
  ~Profile() {
    const void* const* table = handler_table();
    std::vector<std::pair<uint64_t, const char*>> rows;
    uint64_t total = 0;
    for (auto [h, n] : counts) {
      total += n;
      for (size_t i = 0; i < size_t(IOp::Count); ++i) {
        if (table[i] == h) rows.push_back({n, names[i]});
      }
    }
    std::sort(rows.rbegin(), rows.rend());
    fmt::print(stderr, "interp profile: {} dispatches\n", total);
    for (size_t i = 0; i < rows.size() && i < 40; ++i) {
      fmt::print(stderr, "  {:>6.2f}%  {}\n", 100.0 * rows[i].first / total, rows[i].second);
    }
  }
};
Profile g_profile;
std::unordered_map<const void*, uint64_t> g_counts;
struct ProfileFlush {
  ~ProfileFlush() {
    for (auto& kv : g_counts) g_profile.counts.push_back(kv);
  }
} g_flush;
inline void profile_count(const void* h) { ++g_counts[h]; }
// Calls and dispatches per function, to find where a guest spends its time.
// Printed when the guest's store goes away (names live there).
std::unordered_map<const CompiledFunc*, uint64_t> g_calls;
std::unordered_map<const CompiledFunc*, uint64_t> g_work;
void print_function_profile() {
  std::vector<std::pair<uint64_t, const CompiledFunc*>> rows;
  for (auto [f, n] : g_work) rows.push_back({n, f});
  std::sort(rows.rbegin(), rows.rend());
  fmt::print(stderr, "interp profile: dispatches and calls per function\n");
  for (size_t i = 0; i < rows.size() && i < 25; ++i) {
    fmt::print(stderr, "  {:>12} {:>10}  {}\n", rows[i].first, g_calls[rows[i].second], rows[i].second->func->display_name());
  }
  g_work.clear();
  g_calls.clear();
}
#endif

/// Runs `fn` with its frame at `fp` (arguments in place, locals zeroed)
/// until it returns. Called with fn == nullptr, it only reports the
/// addresses of its handlers (they are labels inside this function).
std::optional<Trap> execute(State* st, runtime::Store* store, const CompiledFunc* fn, RawValue* fp,
                            const void* const** handlers_out) {
  static const void* const handlers[] = {
#define IOP(Name) &&L_##Name,
#include "interp/ops.def"
  };
  if (handlers_out) {
    *handlers_out = handlers;
    return std::nullopt;
  }

  const Word* pc = fn->code.data();
  uint8_t* mem = nullptr;
  uint64_t mem_size = 0;
  const uint32_t entry_depth = st->depth;
  const uint32_t max_depth = st->limits.max_call_depth;
  TrapKind trap_kind = TrapKind::Unreachable;
  std::optional<Trap> host_trap;
  runtime::FuncInstance* host_callee = nullptr;

  // Memory 0 of the running function's instance; reloaded when the function
  // changes or memory may have grown (the base never moves).
#define LOAD_MEMORY()                    \
  do {                                   \
    if (fn->memory) {                    \
      mem = fn->memory->data();          \
      mem_size = fn->memory->size();     \
    } else {                             \
      mem = nullptr;                     \
      mem_size = 0;                      \
    }                                    \
  } while (0)
#ifdef WASIPY_INTERP_PROFILE
  // Counts dispatches per handler (build with -DWASIPY_INTERP_PROFILE to
  // find which operations deserve fused forms); printed at exit.
#define NEXT()                                    \
  do {                                            \
    profile_count(reinterpret_cast<const void*>(*pc)); \
    ++g_work[fn];                                 \
    goto* reinterpret_cast<const void*>(*pc);     \
  } while (0)
#else
#define NEXT() goto* reinterpret_cast<const void*>(*pc)
#endif
#define DST(w) uint32_t((w) & kSlotMask)
#define SA(w) uint32_t(((w) >> kSlotBits) & kSlotMask)
#define SB(w) uint32_t((w) >> (2 * kSlotBits))
#define TRAP(kind)      \
  do {                  \
    trap_kind = (kind); \
    goto trap;          \
  } while (0)

  LOAD_MEMORY();
  NEXT();

  // ---- Control ----
L_LazyCompile: {
  auto* self = const_cast<CompiledFunc*>(fn);
  if (auto ok = compile_function(*fn->func->instance, *self); !ok) {
    host_trap = Trap::host(ok.error());
    host_callee = nullptr;
    goto host_trapped;
  }
  pc = fn->code.data();
  NEXT();
}
L_Unreachable:
  TRAP(TrapKind::Unreachable);
L_Br:
  pc = reinterpret_cast<const Word*>(pc[1]);
  NEXT();
L_BrIf:
  pc = uint32_t(fp[DST(pc[1])]) ? reinterpret_cast<const Word*>(pc[2]) : pc + 3;
  NEXT();
L_BrUnless:
  pc = uint32_t(fp[DST(pc[1])]) ? pc + 3 : reinterpret_cast<const Word*>(pc[2]);
  NEXT();
L_BrTable: {
  Word w = pc[1];
  uint32_t index = uint32_t(fp[DST(w)]);
  uint32_t count = SA(w);
  if (index > count) index = count;
  pc = reinterpret_cast<const Word*>(pc[2 + index]);
  NEXT();
}
L_ReturnSlot:
  fp[0] = fp[pc[1]];
  goto do_return;
L_ReturnImm:
  fp[0] = pc[1];
  goto do_return;
L_Return:
do_return: {
  if (st->depth == entry_depth) return std::nullopt;
  const Frame& f = st->frames[--st->depth];
  pc = f.return_pc;
  fp = f.fp;
  fn = f.fn;
  LOAD_MEMORY();
  NEXT();
}
  {
    const CompiledFunc* callee;
    RawValue* callee_fp;
    const Word* return_pc;
  L_Call:
    callee = reinterpret_cast<const CompiledFunc*>(pc[2]);
    callee_fp = fp + pc[1];
    return_pc = pc + 3;
  enter:
    if (st->depth >= max_depth || callee_fp + callee->frame_slots > st->stack_end) TRAP(TrapKind::StackExhausted);
    st->frames[st->depth++] = Frame{return_pc, fp, fn};
#ifdef WASIPY_INTERP_PROFILE
    ++g_calls[callee];
#endif
    fp = callee_fp;
    {
      // Calls within one instance keep its memory; only a call into another
      // instance switches.
      bool same_memory = callee->memory == fn->memory;
      fn = callee;
      if (!same_memory) LOAD_MEMORY();
    }
    for (RawValue *p = fp + callee->param_count, *end = p + callee->local_count; p < end; ++p) *p = 0;
    pc = callee->code.data();
    NEXT();

  L_CallIndirect: {
    Word w = pc[1];
    uint32_t index = uint32_t(fp[DST(w)]);
    auto* table = reinterpret_cast<runtime::Table*>(pc[3]);
    if (index >= table->elements.size()) TRAP(TrapKind::UndefinedElement);
    auto* f = reinterpret_cast<runtime::FuncInstance*>(table->elements[index]);
    if (!f) TRAP(TrapKind::UninitializedElement);
    if (f->type_id != uint32_t(pc[2])) TRAP(TrapKind::IndirectCallTypeMismatch);
    callee_fp = fp + SA(w);
    return_pc = pc + 4;
    if (!f->is_host()) {
      callee = static_cast<const CompiledFunc*>(f->code);
      goto enter;
    }
    host_callee = f;
    goto call_host;
  }
  L_CallHost:
    host_callee = reinterpret_cast<runtime::FuncInstance*>(pc[2]);
    callee_fp = fp + pc[1];
    return_pc = pc + 3;
  call_host: {
    size_t n = std::max(host_callee->type->params.size(), host_callee->type->results.size());
    if (callee_fp + n > st->stack_end) TRAP(TrapKind::StackExhausted);
    runtime::CallContext ctx{store, fn->func->instance};
    RawValue* saved_top = st->top;
    st->top = callee_fp + n;
    host_trap = host_callee->host(ctx, std::span(callee_fp, n));
    st->top = saved_top;
    if (host_trap) goto host_trapped;
    pc = return_pc;
    LOAD_MEMORY();
    NEXT();
  }
  }

  // ---- Data movement ----
L_Copy: {
  Word w = pc[1];
  fp[DST(w)] = fp[SA(w)];
  pc += 2;
  NEXT();
}
L_Const:
  fp[DST(pc[1])] = pc[2];
  pc += 3;
  NEXT();
L_Select: {
  Word w = pc[1];
  fp[DST(w)] = uint32_t(fp[pc[2]]) ? fp[SA(w)] : fp[SB(w)];
  pc += 3;
  NEXT();
}
L_GlobalGet:
  fp[DST(pc[1])] = reinterpret_cast<const runtime::Global*>(pc[2])->value;
  pc += 3;
  NEXT();
L_GlobalSet:
  reinterpret_cast<runtime::Global*>(pc[2])->value = fp[DST(pc[1])];
  pc += 3;
  NEXT();

  // ---- Memory ----
#define LOAD(Name, Stored, As)                                                \
  L_##Name: {                                                                 \
    Word w = pc[1];                                                           \
    uint64_t ea = uint64_t(uint32_t(fp[SA(w)])) + pc[2];                      \
    if (ea + sizeof(Stored) > mem_size) TRAP(TrapKind::MemoryOutOfBounds);    \
    Stored v;                                                                 \
    std::memcpy(&v, mem + ea, sizeof v);                                      \
    fp[DST(w)] = put(static_cast<As>(v));                                     \
    pc += 3;                                                                  \
    NEXT();                                                                   \
  }
  LOAD(I32Load, uint32_t, uint32_t)
  LOAD(I64Load, uint64_t, uint64_t)
  LOAD(F32Load, float, float)
  LOAD(F64Load, double, double)
  LOAD(I32Load8S, int8_t, int32_t)
  LOAD(I32Load8U, uint8_t, uint32_t)
  LOAD(I32Load16S, int16_t, int32_t)
  LOAD(I32Load16U, uint16_t, uint32_t)
  LOAD(I64Load8S, int8_t, int64_t)
  LOAD(I64Load8U, uint8_t, uint64_t)
  LOAD(I64Load16S, int16_t, int64_t)
  LOAD(I64Load16U, uint16_t, uint64_t)
  LOAD(I64Load32S, int32_t, int64_t)
  LOAD(I64Load32U, uint32_t, uint64_t)
#undef LOAD

#define LOAD_ADD(Name, Stored, As)                                                        \
  L_##Name##Add: {                                                                        \
    Word w = pc[1];                                                                       \
    uint64_t ea = uint64_t(uint32_t(uint32_t(fp[SA(w)]) + uint32_t(pc[3]))) + pc[2];     \
    if (ea + sizeof(Stored) > mem_size) TRAP(TrapKind::MemoryOutOfBounds);                \
    Stored v;                                                                             \
    std::memcpy(&v, mem + ea, sizeof v);                                                  \
    fp[DST(w)] = put(static_cast<As>(v));                                                 \
    pc += 4;                                                                              \
    NEXT();                                                                               \
  }
  LOAD_ADD(I32Load, uint32_t, uint32_t)
  LOAD_ADD(I32Load8U, uint8_t, uint32_t)
#undef LOAD_ADD

#define LOAD_ABS(Name, Stored, As)                                            \
  L_##Name##Abs: {                                                            \
    uint64_t ea = pc[2];                                                      \
    if (ea + sizeof(Stored) > mem_size) TRAP(TrapKind::MemoryOutOfBounds);    \
    Stored v;                                                                 \
    std::memcpy(&v, mem + ea, sizeof v);                                      \
    fp[DST(pc[1])] = put(static_cast<As>(v));                                 \
    pc += 3;                                                                  \
    NEXT();                                                                   \
  }
  LOAD_ABS(I32Load, uint32_t, uint32_t)
  LOAD_ABS(I32Load8U, uint8_t, uint32_t)
#undef LOAD_ABS

#define STORE(Name, Stored)                                                   \
  L_##Name: {                                                                 \
    Word w = pc[1];                                                           \
    uint64_t ea = uint64_t(uint32_t(fp[DST(w)])) + pc[2];                     \
    if (ea + sizeof(Stored) > mem_size) TRAP(TrapKind::MemoryOutOfBounds);    \
    Stored v = static_cast<Stored>(fp[SA(w)]);                                \
    std::memcpy(mem + ea, &v, sizeof v);                                      \
    pc += 3;                                                                  \
    NEXT();                                                                   \
  }
  STORE(I32Store, uint32_t)
  STORE(I64Store, uint64_t)
  STORE(F32Store, uint32_t)
  STORE(F64Store, uint64_t)
  STORE(I32Store8, uint8_t)
  STORE(I32Store16, uint16_t)
  STORE(I64Store8, uint8_t)
  STORE(I64Store16, uint16_t)
  STORE(I64Store32, uint32_t)
#undef STORE
#define STORE_IMM(Name, Stored)                                               \
  L_##Name##Imm: {                                                            \
    uint64_t ea = uint64_t(uint32_t(fp[pc[1]])) + pc[2];                      \
    if (ea + sizeof(Stored) > mem_size) TRAP(TrapKind::MemoryOutOfBounds);    \
    Stored v = static_cast<Stored>(pc[3]);                                    \
    std::memcpy(mem + ea, &v, sizeof v);                                      \
    pc += 4;                                                                  \
    NEXT();                                                                   \
  }
  STORE_IMM(I32Store, uint32_t)
  STORE_IMM(I64Store, uint64_t)
  STORE_IMM(I32Store8, uint8_t)
#undef STORE_IMM
#define STORE_IMM_ADD(Name, Stored)                                                       \
  L_##Name##ImmAdd: {                                                                     \
    uint64_t ea = uint64_t(uint32_t(uint32_t(fp[pc[1]]) + uint32_t(pc[4]))) + pc[2];      \
    if (ea + sizeof(Stored) > mem_size) TRAP(TrapKind::MemoryOutOfBounds);                \
    Stored v = static_cast<Stored>(pc[3]);                                                \
    std::memcpy(mem + ea, &v, sizeof v);                                                  \
    pc += 5;                                                                              \
    NEXT();                                                                               \
  }
  STORE_IMM_ADD(I32Store, uint32_t)
  STORE_IMM_ADD(I64Store, uint64_t)
  STORE_IMM_ADD(I32Store8, uint8_t)
#undef STORE_IMM_ADD

L_MemorySize:
  fp[DST(pc[1])] = put(uint32_t(mem_size / wasm::kPageSize));
  pc += 2;
  NEXT();
L_MemoryGrow: {
  Word w = pc[1];
  int64_t old = fn->memory->grow(uint32_t(fp[SA(w)]));
  fp[DST(w)] = put(int32_t(old));
  LOAD_MEMORY();
  pc += 2;
  NEXT();
}
L_MemoryFill: {
  Word w = pc[1];
  uint64_t d = uint32_t(fp[DST(w)]), n = uint32_t(fp[SB(w)]);
  if (d + n > mem_size) TRAP(TrapKind::MemoryOutOfBounds);
  std::memset(mem + d, int(uint8_t(fp[SA(w)])), n);
  pc += 2;
  NEXT();
}
L_MemoryCopy: {
  Word w = pc[1];
  uint64_t d = uint32_t(fp[DST(w)]), s = uint32_t(fp[SA(w)]), n = uint32_t(fp[SB(w)]);
  if (d + n > mem_size || s + n > mem_size) TRAP(TrapKind::MemoryOutOfBounds);
  std::memmove(mem + d, mem + s, n);
  pc += 2;
  NEXT();
}
L_MemoryInit: {
  Word w = pc[1];
  auto* seg = reinterpret_cast<const std::span<const uint8_t>*>(pc[2]);
  uint64_t d = uint32_t(fp[DST(w)]), s = uint32_t(fp[SA(w)]), n = uint32_t(fp[SB(w)]);
  if (d + n > mem_size || s + n > seg->size()) TRAP(TrapKind::MemoryOutOfBounds);
  if (n) std::memcpy(mem + d, seg->data() + s, n);
  pc += 3;
  NEXT();
}
L_DataDrop:
  *reinterpret_cast<std::span<const uint8_t>*>(pc[1]) = {};
  pc += 2;
  NEXT();

  // ---- Tables and references ----
L_TableGet: {
  Word w = pc[1];
  auto* t = reinterpret_cast<const runtime::Table*>(pc[2]);
  uint32_t i = uint32_t(fp[SA(w)]);
  if (i >= t->elements.size()) TRAP(TrapKind::TableOutOfBounds);
  fp[DST(w)] = t->elements[i];
  pc += 3;
  NEXT();
}
L_TableSet: {
  Word w = pc[1];
  auto* t = reinterpret_cast<runtime::Table*>(pc[2]);
  uint32_t i = uint32_t(fp[DST(w)]);
  if (i >= t->elements.size()) TRAP(TrapKind::TableOutOfBounds);
  t->elements[i] = fp[SA(w)];
  pc += 3;
  NEXT();
}
L_TableSize:
  fp[DST(pc[1])] = put(uint32_t(reinterpret_cast<const runtime::Table*>(pc[2])->elements.size()));
  pc += 3;
  NEXT();
L_TableGrow: {
  Word w = pc[1];
  auto* t = reinterpret_cast<runtime::Table*>(pc[2]);
  RawValue init = fp[SA(w)];
  uint32_t delta = uint32_t(fp[SB(w)]);
  fp[DST(w)] = put(int32_t(t->grow(delta, init)));
  pc += 3;
  NEXT();
}
L_TableFill: {
  Word w = pc[1];
  auto* t = reinterpret_cast<runtime::Table*>(pc[2]);
  uint64_t i = uint32_t(fp[DST(w)]), n = uint32_t(fp[SB(w)]);
  RawValue v = fp[SA(w)];
  if (i + n > t->elements.size()) TRAP(TrapKind::TableOutOfBounds);
  std::fill_n(t->elements.begin() + i, n, v);
  pc += 3;
  NEXT();
}
L_TableCopy: {
  Word w = pc[1];
  auto* dst = reinterpret_cast<runtime::Table*>(pc[2]);
  auto* src = reinterpret_cast<const runtime::Table*>(pc[3]);
  uint64_t d = uint32_t(fp[DST(w)]), s = uint32_t(fp[SA(w)]), n = uint32_t(fp[SB(w)]);
  if (d + n > dst->elements.size() || s + n > src->elements.size()) TRAP(TrapKind::TableOutOfBounds);
  if (n) std::memmove(dst->elements.data() + d, src->elements.data() + s, n * sizeof(RawValue));
  pc += 4;
  NEXT();
}
L_TableInit: {
  Word w = pc[1];
  auto* t = reinterpret_cast<runtime::Table*>(pc[2]);
  auto* seg = reinterpret_cast<const std::vector<RawValue>*>(pc[3]);
  uint64_t d = uint32_t(fp[DST(w)]), s = uint32_t(fp[SA(w)]), n = uint32_t(fp[SB(w)]);
  if (d + n > t->elements.size() || s + n > seg->size()) TRAP(TrapKind::TableOutOfBounds);
  std::copy_n(seg->begin() + s, n, t->elements.begin() + d);
  pc += 4;
  NEXT();
}
L_ElemDrop:
  reinterpret_cast<std::vector<RawValue>*>(pc[1])->clear();
  pc += 2;
  NEXT();
L_RefIsNull: {
  Word w = pc[1];
  fp[DST(w)] = put(fp[SA(w)] == 0);
  pc += 2;
  NEXT();
}

  // ---- Numeric ----
#define UN(Name, T, expr)              \
  L_##Name: {                          \
    Word w = pc[1];                    \
    T a = get<T>(fp[SA(w)]);           \
    fp[DST(w)] = put(expr);            \
    pc += 2;                           \
    NEXT();                            \
  }
// A binary operator in both forms: right operand in a slot, or the
// immediate word after the operands (the compiler's Imm form).
#define BINARY(Label, T, expr, check, load_b, words) \
  Label: {                                           \
    Word w = pc[1];                                  \
    T a = get<T>(fp[SA(w)]);                         \
    T b = load_b;                                    \
    check;                                           \
    fp[DST(w)] = put(expr);                          \
    pc += words;                                     \
    NEXT();                                          \
  }
#define BIN(Name, T, expr)                                       \
  BINARY(L_##Name, T, expr, , get<T>(fp[SB(w)]), 2)              \
  BINARY(L_##Name##Imm, T, expr, , get<T>(pc[2]), 3)
// Division and remainder trap on zero (and signed division on overflow).
#define DIV(Name, T, expr, overflow_check)                                                               \
  BINARY(L_##Name, T, expr, if (b == 0) TRAP(TrapKind::IntegerDivideByZero); overflow_check,             \
         get<T>(fp[SB(w)]), 2)                                                                          \
  BINARY(L_##Name##Imm, T, expr, if (b == 0) TRAP(TrapKind::IntegerDivideByZero); overflow_check,        \
         get<T>(pc[2]), 3)
// A compare fused with its branch: jump when it holds.
#define CMP_BR(Cmp, T, expr)                                                      \
  L_BrIf##Cmp: {                                                                  \
    Word w = pc[1];                                                               \
    T a = get<T>(fp[DST(w)]);                                                     \
    T b = get<T>(fp[SA(w)]);                                                      \
    pc = (expr) ? reinterpret_cast<const Word*>(pc[2]) : pc + 3;                  \
    NEXT();                                                                       \
  }                                                                               \
  L_BrIf##Cmp##Imm: {                                                             \
    T a = get<T>(fp[DST(pc[1])]);                                                 \
    T b = get<T>(pc[2]);                                                          \
    pc = (expr) ? reinterpret_cast<const Word*>(pc[3]) : pc + 4;                  \
    NEXT();                                                                       \
  }
  CMP_BR(I32Eq, uint32_t, a == b)
  CMP_BR(I32Ne, uint32_t, a != b)
  CMP_BR(I32LtS, int32_t, a < b)
  CMP_BR(I32LtU, uint32_t, a < b)
  CMP_BR(I32GtS, int32_t, a > b)
  CMP_BR(I32GtU, uint32_t, a > b)
  CMP_BR(I32LeS, int32_t, a <= b)
  CMP_BR(I32LeU, uint32_t, a <= b)
  CMP_BR(I32GeS, int32_t, a >= b)
  CMP_BR(I32GeU, uint32_t, a >= b)
  CMP_BR(I64Eq, uint64_t, a == b)
  CMP_BR(I64Ne, uint64_t, a != b)
  CMP_BR(I64LtS, int64_t, a < b)
  CMP_BR(I64LtU, uint64_t, a < b)
  CMP_BR(I64GtS, int64_t, a > b)
  CMP_BR(I64GtU, uint64_t, a > b)
  CMP_BR(I64LeS, int64_t, a <= b)
  CMP_BR(I64LeU, uint64_t, a <= b)
  CMP_BR(I64GeS, int64_t, a >= b)
  CMP_BR(I64GeU, uint64_t, a >= b)
#undef CMP_BR
L_BrIfI32Eqz:
  pc = uint32_t(fp[DST(pc[1])]) == 0 ? reinterpret_cast<const Word*>(pc[2]) : pc + 3;
  NEXT();
L_BrIfI64Eqz:
  pc = fp[DST(pc[1])] == 0 ? reinterpret_cast<const Word*>(pc[2]) : pc + 3;
  NEXT();
L_BrIfI64Nez:
  pc = fp[DST(pc[1])] != 0 ? reinterpret_cast<const Word*>(pc[2]) : pc + 3;
  NEXT();
// Float-to-integer truncation traps on NaN and on values out of range.
#define TRUNC(Name, F, I)                                                          \
  L_##Name: {                                                                      \
    Word w = pc[1];                                                                \
    F a = get<F>(fp[SA(w)]);                                                       \
    if (num::is_nan(a)) TRAP(TrapKind::InvalidConversion);                         \
    if (!num::trunc_fits<I>(a)) TRAP(TrapKind::IntegerOverflow);                   \
    fp[DST(w)] = put(static_cast<I>(a));                                           \
    pc += 2;                                                                       \
    NEXT();                                                                        \
  }

  UN(I32Eqz, uint32_t, a == 0)
  BIN(I32Eq, uint32_t, a == b)
  BIN(I32Ne, uint32_t, a != b)
  BIN(I32LtS, int32_t, a < b)
  BIN(I32LtU, uint32_t, a < b)
  BIN(I32GtS, int32_t, a > b)
  BIN(I32GtU, uint32_t, a > b)
  BIN(I32LeS, int32_t, a <= b)
  BIN(I32LeU, uint32_t, a <= b)
  BIN(I32GeS, int32_t, a >= b)
  BIN(I32GeU, uint32_t, a >= b)
  UN(I64Eqz, uint64_t, a == 0)
  BIN(I64Eq, uint64_t, a == b)
  BIN(I64Ne, uint64_t, a != b)
  BIN(I64LtS, int64_t, a < b)
  BIN(I64LtU, uint64_t, a < b)
  BIN(I64GtS, int64_t, a > b)
  BIN(I64GtU, uint64_t, a > b)
  BIN(I64LeS, int64_t, a <= b)
  BIN(I64LeU, uint64_t, a <= b)
  BIN(I64GeS, int64_t, a >= b)
  BIN(I64GeU, uint64_t, a >= b)
  BIN(F32Eq, float, a == b)
  BIN(F32Ne, float, a != b)
  BIN(F32Lt, float, a < b)
  BIN(F32Gt, float, a > b)
  BIN(F32Le, float, a <= b)
  BIN(F32Ge, float, a >= b)
  BIN(F64Eq, double, a == b)
  BIN(F64Ne, double, a != b)
  BIN(F64Lt, double, a < b)
  BIN(F64Gt, double, a > b)
  BIN(F64Le, double, a <= b)
  BIN(F64Ge, double, a >= b)

  UN(I32Clz, uint32_t, uint32_t(std::countl_zero(a)))
  UN(I32Ctz, uint32_t, uint32_t(std::countr_zero(a)))
  UN(I32Popcnt, uint32_t, uint32_t(std::popcount(a)))
  BIN(I32Add, uint32_t, a + b)
  BIN(I32Sub, uint32_t, a - b)
  BIN(I32Mul, uint32_t, a * b)
  DIV(I32DivS, int32_t, a / b, if (a == INT32_MIN && b == -1) TRAP(TrapKind::IntegerOverflow))
  DIV(I32DivU, uint32_t, a / b, )
  DIV(I32RemS, int32_t, (b == -1 ? 0 : a % b), )
  DIV(I32RemU, uint32_t, a % b, )
  BIN(I32And, uint32_t, a & b)
  BIN(I32Or, uint32_t, a | b)
  BIN(I32Xor, uint32_t, a ^ b)
  BIN(I32Shl, uint32_t, a << (b & 31))
  BIN(I32ShrS, int32_t, a >> (b & 31))
  BIN(I32ShrU, uint32_t, a >> (b & 31))
  BIN(I32Rotl, uint32_t, std::rotl(a, int(b & 31)))
  BIN(I32Rotr, uint32_t, std::rotr(a, int(b & 31)))

  UN(I64Clz, uint64_t, uint64_t(std::countl_zero(a)))
  UN(I64Ctz, uint64_t, uint64_t(std::countr_zero(a)))
  UN(I64Popcnt, uint64_t, uint64_t(std::popcount(a)))
  BIN(I64Add, uint64_t, a + b)
  BIN(I64Sub, uint64_t, a - b)
  BIN(I64Mul, uint64_t, a * b)
  DIV(I64DivS, int64_t, a / b, if (a == INT64_MIN && b == -1) TRAP(TrapKind::IntegerOverflow))
  DIV(I64DivU, uint64_t, a / b, )
  DIV(I64RemS, int64_t, (b == -1 ? 0 : a % b), )
  DIV(I64RemU, uint64_t, a % b, )
  BIN(I64And, uint64_t, a & b)
  BIN(I64Or, uint64_t, a | b)
  BIN(I64Xor, uint64_t, a ^ b)
  BIN(I64Shl, uint64_t, a << (b & 63))
  BIN(I64ShrS, int64_t, a >> (b & 63))
  BIN(I64ShrU, uint64_t, a >> (b & 63))
  BIN(I64Rotl, uint64_t, std::rotl(a, int(b & 63)))
  BIN(I64Rotr, uint64_t, std::rotr(a, int(b & 63)))

  UN(F32Abs, float, num::fabs_bits(a))
  UN(F32Neg, float, num::fneg_bits(a))
  UN(F32Ceil, float, num::fceil(a))
  UN(F32Floor, float, num::ffloor(a))
  UN(F32Trunc, float, num::ftrunc(a))
  UN(F32Nearest, float, num::fnearest(a))
  UN(F32Sqrt, float, num::fsqrt(a))
  BIN(F32Add, float, a + b)
  BIN(F32Sub, float, a - b)
  BIN(F32Mul, float, a * b)
  BIN(F32Div, float, a / b)
  BIN(F32Min, float, num::fmin(a, b))
  BIN(F32Max, float, num::fmax(a, b))
  BIN(F32Copysign, float, num::fcopysign(a, b))
  UN(F64Abs, double, num::fabs_bits(a))
  UN(F64Neg, double, num::fneg_bits(a))
  UN(F64Ceil, double, num::fceil(a))
  UN(F64Floor, double, num::ffloor(a))
  UN(F64Trunc, double, num::ftrunc(a))
  UN(F64Nearest, double, num::fnearest(a))
  UN(F64Sqrt, double, num::fsqrt(a))
  BIN(F64Add, double, a + b)
  BIN(F64Sub, double, a - b)
  BIN(F64Mul, double, a * b)
  BIN(F64Div, double, a / b)
  BIN(F64Min, double, num::fmin(a, b))
  BIN(F64Max, double, num::fmax(a, b))
  BIN(F64Copysign, double, num::fcopysign(a, b))

  UN(I32WrapI64, uint64_t, uint32_t(a))
  TRUNC(I32TruncF32S, float, int32_t)
  TRUNC(I32TruncF32U, float, uint32_t)
  TRUNC(I32TruncF64S, double, int32_t)
  TRUNC(I32TruncF64U, double, uint32_t)
  UN(I64ExtendI32S, int32_t, int64_t(a))
  UN(I64ExtendI32U, uint32_t, uint64_t(a))
  TRUNC(I64TruncF32S, float, int64_t)
  TRUNC(I64TruncF32U, float, uint64_t)
  TRUNC(I64TruncF64S, double, int64_t)
  TRUNC(I64TruncF64U, double, uint64_t)
  UN(F32ConvertI32S, int32_t, float(a))
  UN(F32ConvertI32U, uint32_t, float(a))
  UN(F32ConvertI64S, int64_t, float(a))
  UN(F32ConvertI64U, uint64_t, float(a))
  UN(F32DemoteF64, double, float(a))
  UN(F64ConvertI32S, int32_t, double(a))
  UN(F64ConvertI32U, uint32_t, double(a))
  UN(F64ConvertI64S, int64_t, double(a))
  UN(F64ConvertI64U, uint64_t, double(a))
  UN(F64PromoteF32, float, double(a))
  UN(I32ReinterpretF32, uint32_t, a)
  UN(I64ReinterpretF64, uint64_t, a)
  UN(F32ReinterpretI32, uint32_t, a)
  UN(F64ReinterpretI64, uint64_t, a)
  UN(I32Extend8S, uint32_t, int32_t(int8_t(a)))
  UN(I32Extend16S, uint32_t, int32_t(int16_t(a)))
  UN(I64Extend8S, uint64_t, int64_t(int8_t(a)))
  UN(I64Extend16S, uint64_t, int64_t(int16_t(a)))
  UN(I64Extend32S, uint64_t, int64_t(int32_t(a)))
  UN(I32TruncSatF32S, float, num::trunc_sat<int32_t>(a))
  UN(I32TruncSatF32U, float, num::trunc_sat<uint32_t>(a))
  UN(I32TruncSatF64S, double, num::trunc_sat<int32_t>(a))
  UN(I32TruncSatF64U, double, num::trunc_sat<uint32_t>(a))
  UN(I64TruncSatF32S, float, num::trunc_sat<int64_t>(a))
  UN(I64TruncSatF32U, float, num::trunc_sat<uint64_t>(a))
  UN(I64TruncSatF64S, double, num::trunc_sat<int64_t>(a))
  UN(I64TruncSatF64U, double, num::trunc_sat<uint64_t>(a))
#undef UN
#undef BIN
#undef DIV
#undef BINARY
#undef TRUNC

host_trapped: {
  Trap t = std::move(*host_trap);
  // An exit is not an error and has no backtrace (the native tier skips
  // the walk, which every program's exit would pay).
  if (t.kind == TrapKind::Exit) {
    st->depth = entry_depth;
    return t;
  }
  // The host function is the innermost frame of the backtrace.
  if (t.backtrace.empty() && host_callee) t.backtrace.push_back(host_callee->display_name());
  t.backtrace.push_back(fn->func->display_name());
  for (uint32_t d = st->depth; d-- > entry_depth;) t.backtrace.push_back(st->frames[d].fn->func->display_name());
  st->depth = entry_depth;
  return t;
}
trap: {
  Trap t = Trap::of(trap_kind);
  t.backtrace.push_back(fn->func->display_name());
  for (uint32_t d = st->depth; d-- > entry_depth;) t.backtrace.push_back(st->frames[d].fn->func->display_name());
  st->depth = entry_depth;
  return t;
}
#undef LOAD_MEMORY
#undef NEXT
#undef DST
#undef SA
#undef SB
#undef TRAP
}

}  // namespace

const void* const* handler_table() {
  static const void* const* table = [] {
    const void* const* t = nullptr;
    execute(nullptr, nullptr, nullptr, nullptr, &t);
    return t;
  }();
  return table;
}

Interpreter::Interpreter(Limits limits) : state_(std::make_unique<State>()) {
  state_->limits = limits;
}

Interpreter::~Interpreter() = default;

std::expected<void, std::string> Interpreter::prepare(runtime::Instance& instance,
                                                      std::span<const wasm::FunctionInfo> info) {
  const wasm::Module& m = *instance.module;
  if (m.deferred_code) return std::unexpected("internal error: the module's function bodies were never decoded");
  auto compiled = std::make_unique<CompiledInstance>();
  compiled->funcs.reserve(m.functions.size());
  for (size_t i = 0; i < m.functions.size(); ++i) {
    auto cf = std::make_unique<CompiledFunc>();
    runtime::FuncInstance* fi = instance.funcs[m.imported_funcs + i];
    cf->func = fi;
    fi->code = cf.get();
    compiled->funcs.push_back(std::move(cf));
  }
  for (size_t i = 0; i < m.functions.size(); ++i) {
    auto ok = describe_function(instance, uint32_t(i), info[i], *compiled->funcs[i]);
    if (!ok) return ok;
  }
  instance.compiled = std::move(compiled);
  return {};
}

std::optional<Trap> Interpreter::call(runtime::Store& store, runtime::FuncInstance& f, std::span<RawValue> io) {
  if (f.is_host()) {
    runtime::CallContext ctx{&store, nullptr};
    return f.host(ctx, io);
  }
  State& st = *state_;
  if (!st.stack) {
    st.stack = reserve<RawValue>(st.limits.stack_slots * sizeof(RawValue));
    st.frames = reserve<Frame>(size_t(st.limits.max_call_depth) * sizeof(Frame));
    if (!st.stack || !st.frames) return Trap::host("cannot reserve the interpreter's stack");
    st.stack_end = st.stack + st.limits.stack_slots;
    st.top = st.stack;
  }
  const auto* fn = static_cast<const CompiledFunc*>(f.code);
  RawValue* fp = st.top;
  if (fp + fn->frame_slots > st.stack_end) return Trap::of(TrapKind::StackExhausted);
  std::copy(io.begin(), io.begin() + fn->param_count, fp);
  std::memset(fp + fn->param_count, 0, fn->local_count * sizeof(RawValue));
  RawValue* saved_top = st.top;
  st.top = fp + fn->frame_slots;
  auto trap = execute(&st, &store, fn, fp, nullptr);
  st.top = saved_top;
#ifdef WASIPY_INTERP_PROFILE
  // The outermost call is over: print while the store still names the functions.
  if (saved_top == st.stack) print_function_profile();
#endif
  if (trap) return trap;
  std::copy(fp, fp + fn->result_count, io.begin());
  return std::nullopt;
}

}  // namespace wasipy::interp
