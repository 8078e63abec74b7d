#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace wasipy::wasm {

/// One enumerator per instruction; the value is its binary code
/// (0xFC-prefixed instructions are 0xFC00 | sub-opcode).
enum class Opcode : uint16_t {
#define WASM_OP(Name, code, text) Name = code,
#include "wasm/opcodes.def"
};

std::string_view name_of(Opcode op);
/// Maps a one-byte code or 0xFC00|sub to an opcode, if it is one we know.
std::optional<Opcode> opcode_from_code(uint16_t code);

}  // namespace wasipy::wasm
