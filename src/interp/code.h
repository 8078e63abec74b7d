#pragma once
// The interpreter's internal form: what the compiler emits and the loop runs.
//
// Every function gets a frame of 8-byte slots: its locals (parameters first),
// then one slot per operand-stack position, whose heights are known statically
// in WebAssembly. Instructions name their operands by slot number, so most
// stack traffic of the binary form disappears (local.get feeds an add
// directly; an add writes straight into the local that a local.set names).
//
// An instruction is a handler address followed by operand words:
//   - up to three slot numbers packed in one word, 21 bits each (dst | a << 21 | b << 42);
//   - 64-bit immediates (constants, offsets, pointers, jump targets), one word each.
// Calls place the callee's frame over the caller's argument slots, so
// arguments are never copied and results come back where the caller expects them.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "runtime/store.h"

namespace wasipy::interp {

using Word = uint64_t;

/// Internal operations. The numeric, load and store families reuse the names
/// of the wasm opcodes they implement.
enum class IOp : uint16_t {
#define IOP(Name) Name,
#include "interp/ops.def"
  Count
};

constexpr uint32_t kSlotBits = 21;
constexpr uint32_t kMaxSlots = 1u << kSlotBits;
constexpr Word kSlotMask = kMaxSlots - 1;

inline Word pack(uint32_t dst, uint32_t a = 0, uint32_t b = 0) {
  return Word(dst) | (Word(a) << kSlotBits) | (Word(b) << (2 * kSlotBits));
}

struct CompiledFunc {
  std::vector<Word> code;
  uint32_t param_count = 0;
  uint32_t local_count = 0;   ///< declared locals after the parameters (zeroed on entry)
  uint32_t result_count = 0;
  uint32_t frame_slots = 0;   ///< locals + deepest operand stack
  runtime::FuncInstance* func = nullptr;
  runtime::Memory* memory = nullptr;  ///< the instance's memory 0, or null
  /// Functions are compiled on their first call (most of a large module's
  /// functions never run); until then `code` is the one-word LazyCompile stub.
  uint32_t defined_index = 0;
  uint32_t max_stack = 0;
};

/// All compiled functions of one instance.
struct CompiledInstance final : runtime::CompiledCode {
  std::vector<std::unique_ptr<CompiledFunc>> funcs;  ///< defined functions, in index order
};

/// The handler address of each internal operation (from the running loop).
const void* const* handler_table();

}  // namespace wasipy::interp
