#include "wasm/instr_reader.h"

namespace wasipy::wasm {

namespace {

bool is_memarg_op(Opcode op) {
  switch (op) {
#define WASM_LOAD(Name, code, text, type, align) case Opcode::Name:
#define WASM_STORE(Name, code, text, type, align) case Opcode::Name:
#include "wasm/opcodes.def"
    return true;
    default:
      return false;
  }
}

}  // namespace

Expected<Instr> InstrReader::next() {
  Instr in;
  in.offset = r_.offset();
  WASIPY_TRY(byte, r_.u8());
  uint16_t code = byte;
  if (byte == 0xFC) {
    WASIPY_TRY(sub, r_.u32());
    if (sub > 0xFF) return malformed(in.offset, "illegal opcode 0xfc {:#x}", sub);
    code = uint16_t(0xFC00 | sub);
  } else if (byte == 0xFD) {
    return fail(ErrorKind::Unsupported, fmt::format("unsupported feature: simd (at byte offset {})", in.offset));
  }
  auto op = opcode_from_code(code);
  if (!op) {
    if (code > 0xFF) return malformed(in.offset, "illegal opcode 0xfc {:#x}", code & 0xFF);
    return malformed(in.offset, "illegal opcode {:#04x}", code);
  }
  in.op = *op;

  auto zero_byte = [&]() -> Expected<void> {
    size_t at = r_.offset();
    auto b = r_.u8();
    if (!b) return std::unexpected(b.error());
    if (*b != 0) return malformed(at, "zero byte expected");
    return {};
  };

  if (is_memarg_op(in.op)) {
    WASIPY_TRY(align, r_.u32());
    WASIPY_TRY(offset, r_.u32());
    in.a = align;
    in.imm = offset;
    return in;
  }

  switch (in.op) {
    case Opcode::Block:
    case Opcode::Loop:
    case Opcode::If: {
      WASIPY_TRY(bt, r_.s33());
      if (bt == -5) {
        return fail(ErrorKind::Unsupported,
                    fmt::format("unsupported feature: simd (at byte offset {})", in.offset));
      }
      in.block_type = bt;
      break;
    }
    case Opcode::Br:
    case Opcode::BrIf:
    case Opcode::Call:
    case Opcode::LocalGet:
    case Opcode::LocalSet:
    case Opcode::LocalTee:
    case Opcode::GlobalGet:
    case Opcode::GlobalSet:
    case Opcode::TableGet:
    case Opcode::TableSet:
    case Opcode::RefFunc:
    case Opcode::DataDrop:
    case Opcode::ElemDrop:
    case Opcode::TableGrow:
    case Opcode::TableSize:
    case Opcode::TableFill: {
      WASIPY_TRY(idx, r_.u32());
      in.a = idx;
      break;
    }
    case Opcode::BrTable: {
      WASIPY_TRY(n, r_.u32());
      // Each target takes at least one byte: refuse counts the code cannot hold.
      if (n > r_.remaining()) return malformed(in.offset, "unexpected end (br_table too long)");
      targets_.clear();
      for (uint32_t i = 0; i <= n; ++i) {
        WASIPY_TRY(t, r_.u32());
        targets_.push_back(t);
      }
      in.targets = &targets_;
      break;
    }
    case Opcode::CallIndirect: {
      WASIPY_TRY(type, r_.u32());
      WASIPY_TRY(table, r_.u32());
      in.a = type;
      in.b = table;
      break;
    }
    case Opcode::SelectT: {
      WASIPY_TRY(n, r_.u32());
      if (n > r_.remaining()) return malformed(in.offset, "unexpected end");
      in.a = n;
      for (uint32_t i = 0; i < n; ++i) {
        WASIPY_TRY(t, r_.u8());
        if (i == 0) in.imm = t;
      }
      if (in.imm == 0x7B) {
        return fail(ErrorKind::Unsupported,
                    fmt::format("unsupported feature: simd (at byte offset {})", in.offset));
      }
      break;
    }
    case Opcode::MemorySize:
    case Opcode::MemoryGrow:
    case Opcode::MemoryFill: {
      auto z = zero_byte();
      if (!z) return std::unexpected(z.error());
      break;
    }
    case Opcode::MemoryInit: {
      WASIPY_TRY(idx, r_.u32());
      in.a = idx;
      auto z = zero_byte();
      if (!z) return std::unexpected(z.error());
      break;
    }
    case Opcode::MemoryCopy: {
      auto z1 = zero_byte();
      if (!z1) return std::unexpected(z1.error());
      auto z2 = zero_byte();
      if (!z2) return std::unexpected(z2.error());
      break;
    }
    case Opcode::TableInit:
    case Opcode::TableCopy: {
      WASIPY_TRY(x, r_.u32());
      WASIPY_TRY(y, r_.u32());
      in.a = x;
      in.b = y;
      break;
    }
    case Opcode::I32Const: {
      WASIPY_TRY(v, r_.s32());
      in.imm = uint32_t(v);
      break;
    }
    case Opcode::I64Const: {
      WASIPY_TRY(v, r_.s64());
      in.imm = uint64_t(v);
      break;
    }
    case Opcode::F32Const: {
      WASIPY_TRY(v, r_.f32_bits());
      in.imm = v;
      break;
    }
    case Opcode::F64Const: {
      WASIPY_TRY(v, r_.f64_bits());
      in.imm = v;
      break;
    }
    case Opcode::RefNull: {
      size_t at = r_.offset();
      WASIPY_TRY(t, r_.u8());
      if (t != 0x70 && t != 0x6F) return malformed(at, "malformed reference type {:#04x}", t);
      in.imm = t;
      break;
    }
    default:
      break;
  }
  return in;
}

}  // namespace wasipy::wasm
