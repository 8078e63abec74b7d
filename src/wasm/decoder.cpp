#include "wasm/decoder.h"

#include "wasm/instr_reader.h"
#include "wasm/reader.h"

namespace wasipy::wasm {

namespace {

// Locals per function: the spec allows up to 2^32 - 1; engines cap far
// lower (50,000 is the JS API's limit) so that a tiny module cannot make
// the validator and the tiers allocate gigabytes.
constexpr uint64_t kMaxLocals = 50000;

const char* section_name(uint8_t id) {
  static const char* names[] = {"custom section", "type section",   "import section",   "function section",
                                "table section",  "memory section", "global section",   "export section",
                                "start section",  "element section", "code section",    "data section",
                                "data count section"};
  return id < 13 ? names[id] : "unknown section";
}

// Sections must appear in this order (data count sits between element and code).
int section_rank(uint8_t id) {
  static const int rank[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};
  return rank[id];
}

Error in_section(Error e, uint8_t id) {
  e.message = fmt::format("{} {}", section_name(id), e.message);
  return e;
}

class Decoder {
 public:
  Decoder(Module& m, Bodies when) : m_(m), defer_bodies_(when == Bodies::Later) {}

  Expected<void> run();
  /// Reads the bodies of a module decoded with Bodies::Later.
  Expected<void> deferred_bodies();

 private:
  Expected<ValType> val_type(ByteReader& r);
  Expected<ValType> ref_type(ByteReader& r);
  Expected<Limits> limits(ByteReader& r, bool is_memory);
  Expected<TableType> table_type(ByteReader& r);
  Expected<GlobalType> global_type(ByteReader& r);
  Expected<ConstExpr> const_expr(ByteReader& r);
  Expected<uint32_t> count(ByteReader& r);

  Expected<void> section(uint8_t id, ByteReader& r);
  Expected<void> types(ByteReader& r);
  Expected<void> imports(ByteReader& r);
  Expected<void> functions(ByteReader& r);
  Expected<void> tables(ByteReader& r);
  Expected<void> memories(ByteReader& r);
  Expected<void> globals(ByteReader& r);
  Expected<void> exports(ByteReader& r);
  Expected<void> start(ByteReader& r);
  Expected<void> elements(ByteReader& r);
  Expected<void> code(ByteReader& r);
  Expected<void> bodies(ByteReader& r);
  Expected<void> data(ByteReader& r);
  Expected<void> data_count(ByteReader& r);
  Expected<void> custom(ByteReader& r);

  Module& m_;
  std::vector<uint32_t> declared_funcs_;
  bool saw_function_section_ = false;
  bool saw_code_section_ = false;
  bool defer_bodies_ = false;
};

Expected<uint32_t> Decoder::count(ByteReader& r) {
  size_t at = r.offset();
  WASIPY_TRY(n, r.u32());
  // Every entry takes at least one byte: a larger count cannot be honest,
  // and refusing it early avoids reserving memory for it.
  if (n > r.remaining()) return malformed(at, "unexpected end (count {} exceeds the section)", n);
  return n;
}

Expected<ValType> Decoder::val_type(ByteReader& r) {
  size_t at = r.offset();
  WASIPY_TRY(b, r.u8());
  switch (b) {
    case 0x7F:
    case 0x7E:
    case 0x7D:
    case 0x7C:
    case 0x70:
    case 0x6F:
      return static_cast<ValType>(b);
    case 0x7B:
      return fail(ErrorKind::Unsupported, fmt::format("unsupported feature: simd (at byte offset {})", at));
    default:
      return malformed(at, "malformed value type {:#04x}", b);
  }
}

Expected<ValType> Decoder::ref_type(ByteReader& r) {
  size_t at = r.offset();
  WASIPY_TRY(b, r.u8());
  if (b != 0x70 && b != 0x6F) return malformed(at, "malformed reference type {:#04x}", b);
  return static_cast<ValType>(b);
}

Expected<Limits> Decoder::limits(ByteReader& r, bool is_memory) {
  size_t at = r.offset();
  WASIPY_TRY(flag, r.u8());
  Limits l;
  if (flag > 1) {
    if (is_memory && (flag == 2 || flag == 3)) return malformed(at, "shared memory is not supported (threads)");
    return malformed(at, "integer too large (limits flag {:#04x})", flag);
  }
  WASIPY_TRY(min, r.u32());
  l.min = min;
  if (flag == 1) {
    WASIPY_TRY(max, r.u32());
    l.max = max;
  }
  return l;
}

Expected<TableType> Decoder::table_type(ByteReader& r) {
  WASIPY_TRY(t, ref_type(r));
  WASIPY_TRY(l, limits(r, false));
  return TableType{t, l};
}

Expected<GlobalType> Decoder::global_type(ByteReader& r) {
  WASIPY_TRY(t, val_type(r));
  size_t at = r.offset();
  WASIPY_TRY(mut, r.u8());
  if (mut > 1) return malformed(at, "malformed mutability {:#04x}", mut);
  return GlobalType{t, mut == 1};
}

Expected<ConstExpr> Decoder::const_expr(ByteReader& r) {
  ConstExpr e;
  e.offset = r.offset();
  InstrReader ir(r.data().subspan(r.pos()), r.offset());
  while (true) {
    if (ir.at_end()) return malformed(ir.offset(), "unexpected end of constant expression (END opcode expected)");
    WASIPY_TRY(in, ir.next());
    if (in.op == Opcode::End) break;
    if (e.instrs.size() > 1024) return invalid(in.offset, "constant expression required (too long)");
    e.instrs.push_back(in);
  }
  WASIPY_CHECK(r.bytes(ir.offset() - r.offset()));
  return e;
}

Expected<void> Decoder::types(ByteReader& r) {
  WASIPY_TRY(n, count(r));
  m_.types.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    size_t at = r.offset();
    WASIPY_TRY(form, r.u8());
    if (form != 0x60) return malformed(at, "integer representation too long (expected func type 0x60, got {:#04x})", form);
    FuncType ft;
    WASIPY_TRY(np, count(r));
    for (uint32_t k = 0; k < np; ++k) {
      WASIPY_TRY(t, val_type(r));
      ft.params.push_back(t);
    }
    WASIPY_TRY(nr, count(r));
    for (uint32_t k = 0; k < nr; ++k) {
      WASIPY_TRY(t, val_type(r));
      ft.results.push_back(t);
    }
    m_.types.push_back(std::move(ft));
  }
  return {};
}

Expected<void> Decoder::imports(ByteReader& r) {
  WASIPY_TRY(n, count(r));
  for (uint32_t i = 0; i < n; ++i) {
    Import im;
    im.offset = r.offset();
    WASIPY_TRY(mod, r.name());
    WASIPY_TRY(name, r.name());
    im.module = std::move(mod);
    im.name = std::move(name);
    size_t at = r.offset();
    WASIPY_TRY(kind, r.u8());
    switch (kind) {
      case 0: {
        WASIPY_TRY(t, r.u32());
        im.kind = ExternKind::Func;
        im.func_type = t;
        ++m_.imported_funcs;
        break;
      }
      case 1: {
        WASIPY_TRY(t, table_type(r));
        im.kind = ExternKind::Table;
        im.table = t;
        ++m_.imported_tables;
        break;
      }
      case 2: {
        WASIPY_TRY(l, limits(r, true));
        im.kind = ExternKind::Memory;
        im.memory = MemoryType{l};
        ++m_.imported_memories;
        break;
      }
      case 3: {
        WASIPY_TRY(g, global_type(r));
        im.kind = ExternKind::Global;
        im.global = g;
        ++m_.imported_globals;
        break;
      }
      default:
        return malformed(at, "malformed import kind {:#04x}", kind);
    }
    m_.imports.push_back(std::move(im));
  }
  return {};
}

Expected<void> Decoder::functions(ByteReader& r) {
  saw_function_section_ = true;
  WASIPY_TRY(n, count(r));
  declared_funcs_.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    WASIPY_TRY(t, r.u32());
    declared_funcs_.push_back(t);
  }
  return {};
}

Expected<void> Decoder::tables(ByteReader& r) {
  WASIPY_TRY(n, count(r));
  for (uint32_t i = 0; i < n; ++i) {
    WASIPY_TRY(t, table_type(r));
    m_.tables.push_back(t);
  }
  return {};
}

Expected<void> Decoder::memories(ByteReader& r) {
  WASIPY_TRY(n, count(r));
  for (uint32_t i = 0; i < n; ++i) {
    WASIPY_TRY(l, limits(r, true));
    m_.memories.push_back(MemoryType{l});
  }
  return {};
}

Expected<void> Decoder::globals(ByteReader& r) {
  WASIPY_TRY(n, count(r));
  for (uint32_t i = 0; i < n; ++i) {
    WASIPY_TRY(t, global_type(r));
    WASIPY_TRY(e, const_expr(r));
    m_.globals.push_back(Global{t, std::move(e)});
  }
  return {};
}

Expected<void> Decoder::exports(ByteReader& r) {
  WASIPY_TRY(n, count(r));
  for (uint32_t i = 0; i < n; ++i) {
    Export ex;
    ex.offset = r.offset();
    WASIPY_TRY(name, r.name());
    ex.name = std::move(name);
    size_t at = r.offset();
    WASIPY_TRY(kind, r.u8());
    if (kind > 3) return malformed(at, "malformed export kind {:#04x}", kind);
    ex.kind = static_cast<ExternKind>(kind);
    WASIPY_TRY(idx, r.u32());
    ex.index = idx;
    m_.exports.push_back(std::move(ex));
  }
  return {};
}

Expected<void> Decoder::start(ByteReader& r) {
  WASIPY_TRY(idx, r.u32());
  m_.start = idx;
  return {};
}

Expected<void> Decoder::elements(ByteReader& r) {
  WASIPY_TRY(n, count(r));
  for (uint32_t i = 0; i < n; ++i) {
    ElemSegment seg;
    seg.offset_in_module = r.offset();
    size_t at = r.offset();
    WASIPY_TRY(flags, r.u32());
    if (flags > 7) return malformed(at, "malformed elements segment kind {}", flags);
    bool passive_or_declarative = flags & 1;
    bool explicit_table = flags & 2;
    bool uses_exprs = flags & 4;
    if (!passive_or_declarative) {
      seg.mode = SegmentMode::Active;
      if (explicit_table) {
        WASIPY_TRY(t, r.u32());
        seg.table = t;
      }
      WASIPY_TRY(off, const_expr(r));
      seg.offset = std::move(off);
    } else {
      seg.mode = explicit_table ? SegmentMode::Declarative : SegmentMode::Passive;
    }
    // Flags 0 and 4 imply funcref; the others name the kind or type.
    if (passive_or_declarative || explicit_table) {
      if (uses_exprs) {
        WASIPY_TRY(t, ref_type(r));
        seg.type = t;
      } else {
        size_t kat = r.offset();
        WASIPY_TRY(kind, r.u8());
        if (kind != 0) return malformed(kat, "malformed element kind {:#04x}", kind);
        seg.type = ValType::FuncRef;
      }
    }
    WASIPY_TRY(items, count(r));
    seg.items.reserve(items);
    for (uint32_t k = 0; k < items; ++k) {
      if (uses_exprs) {
        WASIPY_TRY(e, const_expr(r));
        seg.items.push_back(std::move(e));
      } else {
        ConstExpr e;
        e.offset = r.offset();
        WASIPY_TRY(f, r.u32());
        Instr in;
        in.op = Opcode::RefFunc;
        in.a = f;
        in.offset = e.offset;
        e.instrs.push_back(in);
        seg.items.push_back(std::move(e));
      }
    }
    m_.elems.push_back(std::move(seg));
  }
  return {};
}

Expected<void> Decoder::data_count(ByteReader& r) {
  WASIPY_TRY(n, r.u32());
  m_.data_count = n;
  return {};
}

Expected<void> Decoder::code(ByteReader& r) {
  saw_code_section_ = true;
  size_t at = r.offset();
  WASIPY_TRY(n, count(r));
  if (n != declared_funcs_.size()) {
    return malformed(at, "function and code section have inconsistent lengths ({} functions, {} bodies)",
                     declared_funcs_.size(), n);
  }
  m_.functions.resize(n);
  for (uint32_t i = 0; i < n; ++i) m_.functions[i].type_index = declared_funcs_[i];
  if (defer_bodies_) {
    // Read by decode_bodies(): the section's extent is all that is kept.
    size_t end = r.offset() + r.remaining();
    m_.deferred_code = Module::Section{at, end - at};
    WASIPY_CHECK(r.bytes(r.remaining()));
    return {};
  }
  return bodies(r);
}

// Each body's size and locals, for the functions that code() listed.
Expected<void> Decoder::bodies(ByteReader& r) {
  for (uint32_t i = 0; i < m_.functions.size(); ++i) {
    size_t size_at = r.offset();
    WASIPY_TRY(size, r.u32());
    if (size > r.remaining()) return malformed(size_at, "unexpected end (function body size {})", size);
    size_t body_begin = r.offset();
    WASIPY_TRY(body_bytes, r.bytes(size));
    ByteReader b(body_bytes, body_begin);
    Function& f = m_.functions[i];
    WASIPY_TRY(groups, count(b));
    f.locals.reserve(groups);
    for (uint32_t g = 0; g < groups; ++g) {
      size_t gat = b.offset();
      WASIPY_TRY(c, b.u32());
      WASIPY_TRY(t, val_type(b));
      f.local_count += c;
      if (f.local_count > 0xFFFFFFFFull) return malformed(gat, "too many locals");
      f.locals.push_back(LocalGroup{c, t});
    }
    if (f.local_count > kMaxLocals) {
      return fail(ErrorKind::Unsupported,
                  fmt::format("at byte offset {}: function {} declares {} locals; wasipy supports at most {} "
                              "(an implementation limit, as in other engines)",
                              body_begin, m_.imported_funcs + i, f.local_count, kMaxLocals));
    }
    f.body_start = b.offset();
    f.body_end = body_begin + size;
  }
  return {};
}

// As run() reads the code section, from the extent code() kept.
Expected<void> Decoder::deferred_bodies() {
  Module::Section s = *m_.deferred_code;
  ByteReader sr(m_.bytes.span().subspan(s.start, s.size), s.start);
  auto ok = [&]() -> Expected<void> {
    WASIPY_CHECK(count(sr));  // checked against the function section by code()
    return bodies(sr);
  }();
  if (!ok) return std::unexpected(in_section(ok.error(), 10));
  if (!sr.at_end()) {
    return fail(ErrorKind::Malformed, fmt::format("{} at byte offset {}: section size mismatch ({} bytes left over)",
                                                  section_name(10), sr.offset(), sr.remaining()));
  }
  m_.deferred_code.reset();
  return {};
}

Expected<void> Decoder::data(ByteReader& r) {
  size_t at = r.offset();
  WASIPY_TRY(n, count(r));
  if (m_.data_count && *m_.data_count != n) {
    return malformed(at, "data count and data section have inconsistent lengths ({} and {})", *m_.data_count, n);
  }
  for (uint32_t i = 0; i < n; ++i) {
    DataSegment seg;
    size_t fat = r.offset();
    WASIPY_TRY(flags, r.u32());
    if (flags > 2) return malformed(fat, "malformed data segment kind {}", flags);
    if (flags == 1) {
      seg.mode = SegmentMode::Passive;
    } else {
      seg.mode = SegmentMode::Active;
      if (flags == 2) {
        WASIPY_TRY(mem, r.u32());
        seg.memory = mem;
      }
      WASIPY_TRY(off, const_expr(r));
      seg.offset = std::move(off);
    }
    size_t lat = r.offset();
    WASIPY_TRY(len, r.u32());
    if (len > r.remaining()) return malformed(lat, "unexpected end of section or function (data length {})", len);
    seg.data_start = r.offset();
    seg.data_size = len;
    WASIPY_CHECK(r.bytes(len));
    m_.datas.push_back(std::move(seg));
  }
  return {};
}

Expected<void> Decoder::custom(ByteReader& r) {
  WASIPY_TRY(name, r.name());
  auto rest = r.bytes(r.remaining());
  // Parsed when first needed (a trap's backtrace): most runs never need it.
  if (name == "name") {
    m_.name_section_start = r.offset() - rest->size();
    m_.name_section_size = rest->size();
  }
  return {};
}

}  // namespace

// The name section only improves messages: a damaged one is ignored, as the spec allows.
Names parse_names(std::span<const uint8_t> section) {
  Names names;
  ByteReader r(section, 0);
  while (!r.at_end()) {
    auto id = r.u8();
    auto size = r.u32();
    if (!id || !size || *size > r.remaining()) break;
    auto content = r.bytes(*size);
    ByteReader sub(*content, 0);
    if (*id == 0) {
      auto n = sub.name();
      if (n) names.module = *n;
    } else if (*id == 1) {
      auto n = sub.u32();
      if (!n) break;
      for (uint32_t i = 0; i < *n; ++i) {
        auto idx = sub.u32();
        auto nm = sub.name();
        if (!idx || !nm) break;
        names.functions[*idx] = *nm;
      }
    }
  }
  return names;
}

namespace {

Expected<void> Decoder::section(uint8_t id, ByteReader& r) {
  switch (id) {
    case 0: return custom(r);
    case 1: return types(r);
    case 2: return imports(r);
    case 3: return functions(r);
    case 4: return tables(r);
    case 5: return memories(r);
    case 6: return globals(r);
    case 7: return exports(r);
    case 8: return start(r);
    case 9: return elements(r);
    case 10: return code(r);
    case 11: return data(r);
    case 12: return data_count(r);
  }
  return {};
}

Expected<void> Decoder::run() {
  ByteReader r(m_.bytes.span());
  static const uint8_t magic[] = {0x00, 0x61, 0x73, 0x6D};
  auto head = r.bytes(4);
  if (!head || !std::equal(head->begin(), head->end(), magic)) return malformed(0, "magic header not detected");
  auto version = r.bytes(4);
  if (!version) return malformed(4, "unexpected end (unknown binary version)");
  static const uint8_t one[] = {0x01, 0x00, 0x00, 0x00};
  if (!std::equal(version->begin(), version->end(), one)) return malformed(4, "unknown binary version");

  int last_rank = 0;
  while (!r.at_end()) {
    size_t at = r.offset();
    WASIPY_TRY(id, r.u8());
    if (id > 12) return malformed(at, "malformed section id {}", id);
    size_t size_at = r.offset();
    WASIPY_TRY(size, r.u32());
    if (size > r.remaining()) {
      return fail(ErrorKind::Malformed, fmt::format("{} at byte offset {}: unexpected end (section size {} exceeds the module)",
                                                    section_name(id), size_at, size));
    }
    if (id != 0) {
      int rank = section_rank(id);
      if (rank <= last_rank) {
        return fail(ErrorKind::Malformed,
                    fmt::format("{} at byte offset {}: unexpected content after last section (out of order or repeated)",
                                section_name(id), at));
      }
      last_rank = rank;
    }
    size_t content_at = r.offset();
    WASIPY_TRY(content, r.bytes(size));
    ByteReader sr(content, content_at);
    auto ok = section(id, sr);
    if (!ok) return std::unexpected(in_section(ok.error(), id));
    if (!sr.at_end()) {
      return fail(ErrorKind::Malformed,
                  fmt::format("{} at byte offset {}: section size mismatch ({} bytes left over)", section_name(id),
                              sr.offset(), sr.remaining()));
    }
  }
  if (declared_funcs_.size() != m_.functions.size()) {
    return fail(ErrorKind::Malformed, fmt::format("code section: function and code section have inconsistent lengths "
                                                  "({} functions, {} bodies)",
                                                  declared_funcs_.size(), m_.functions.size()));
  }
  if (m_.data_count && *m_.data_count != m_.datas.size()) {
    return fail(ErrorKind::Malformed,
                fmt::format("data section: data count and data section have inconsistent lengths ({} and {})",
                            *m_.data_count, m_.datas.size()));
  }
  return {};
}

}  // namespace

Expected<Module> decode(std::span<const uint8_t> bytes) {
  return decode(std::vector<uint8_t>(bytes.begin(), bytes.end()));
}

Expected<Module> decode(std::vector<uint8_t>&& bytes) { return decode(Bytes(std::move(bytes))); }

Expected<Module> decode(Bytes bytes, Bodies when) {
  Module m;
  m.bytes = std::move(bytes);
  Decoder d(m, when);
  auto ok = d.run();
  if (!ok) {
    // Decoding everything would have failed in the code section first:
    // report what it would have.
    if (m.deferred_code) WASIPY_CHECK(decode_bodies(m));
    return std::unexpected(ok.error());
  }
  return m;
}

Expected<void> decode_bodies(Module& m) {
  if (!m.deferred_code) return {};
  Decoder d(m, Bodies::Now);
  return d.deferred_bodies();
}

}  // namespace wasipy::wasm
