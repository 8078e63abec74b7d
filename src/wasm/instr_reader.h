#pragma once
#include <vector>

#include "wasm/module.h"
#include "wasm/reader.h"

namespace wasipy::wasm {

/// Decodes a function body (or constant expression) one instruction at a time.
/// The validator and every execution tier walk code through this, so the
/// binary encoding of instructions is known in one place only.
class InstrReader {
 public:
  InstrReader(std::span<const uint8_t> code, size_t base) : r_(code, base) {}

  bool at_end() const { return r_.at_end(); }
  size_t offset() const { return r_.offset(); }
  /// The next instruction. A SIMD opcode gives ErrorKind::Unsupported.
  Expected<Instr> next();

 private:
  ByteReader r_;
  std::vector<uint32_t> targets_;
};

}  // namespace wasipy::wasm
