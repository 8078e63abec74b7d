#pragma once
// Assembles small binary modules for unit tests, so that they need no
// external tool and can state exactly which bytes they feed the engine.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace wasipy::testing {

using Bytes = std::vector<uint8_t>;

inline void leb(Bytes& out, uint64_t v) {
  do {
    uint8_t b = v & 0x7F;
    v >>= 7;
    out.push_back(v ? (b | 0x80) : b);
  } while (v);
}

inline void sleb(Bytes& out, int64_t v) {
  while (true) {
    uint8_t b = v & 0x7F;
    v >>= 7;
    bool done = (v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40));
    out.push_back(done ? b : (b | 0x80));
    if (done) return;
  }
}

inline void name(Bytes& out, const std::string& s) {
  leb(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

class ModuleBuilder {
 public:
  /// Adds a function type; returns its index.
  uint32_t type(std::initializer_list<uint8_t> params, std::initializer_list<uint8_t> results) {
    Bytes t{0x60};
    leb(t, params.size());
    t.insert(t.end(), params);
    leb(t, results.size());
    t.insert(t.end(), results);
    types_.push_back(t);
    return uint32_t(types_.size() - 1);
  }
  /// Imports a function; returns its function index (imports come first).
  uint32_t import_func(const std::string& module, const std::string& field, uint32_t type_index) {
    Bytes i;
    name(i, module);
    name(i, field);
    i.push_back(0x00);
    leb(i, type_index);
    imports_.push_back(i);
    return imported_funcs_++;
  }
  /// Adds a function with local groups {count, type} and a body (without
  /// the final end); returns its function index.
  uint32_t func(uint32_t type_index, std::vector<std::pair<uint32_t, uint8_t>> locals, Bytes body,
                const std::string& export_name = "") {
    funcs_.push_back(type_index);
    Bytes code;
    leb(code, locals.size());
    for (auto [n, t] : locals) {
      leb(code, n);
      code.push_back(t);
    }
    code.insert(code.end(), body.begin(), body.end());
    code.push_back(0x0B);
    bodies_.push_back(code);
    uint32_t index = imported_funcs_ + uint32_t(funcs_.size() - 1);
    if (!export_name.empty()) exports_.push_back({export_name, index});
    return index;
  }
  void memory(uint32_t min_pages) { memory_ = min_pages; }
  /// A funcref table of `min` entries (all null until an element segment fills them).
  void table(uint32_t min) { table_ = min; }
  /// An active element segment for table 0 at a constant offset.
  void elem(uint32_t offset, std::vector<uint32_t> funcs) { elems_.push_back({offset, std::move(funcs)}); }
  void func_name(uint32_t index, const std::string& n) { names_.push_back({index, n}); }

  Bytes build() const {
    Bytes out{0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};
    auto section = [&](uint8_t id, const std::vector<Bytes>& items) {
      if (items.empty()) return;
      Bytes content;
      leb(content, items.size());
      for (const auto& i : items) content.insert(content.end(), i.begin(), i.end());
      out.push_back(id);
      leb(out, content.size());
      out.insert(out.end(), content.begin(), content.end());
    };
    section(1, types_);
    section(2, imports_);
    std::vector<Bytes> fs;
    for (uint32_t t : funcs_) {
      Bytes b;
      leb(b, t);
      fs.push_back(b);
    }
    section(3, fs);
    if (table_ >= 0) {
      Bytes t{0x70, 0x00};
      leb(t, uint32_t(table_));
      section(4, {t});
    }
    if (memory_ >= 0) {
      Bytes m{0x00};
      leb(m, uint32_t(memory_));
      section(5, {m});
    }
    std::vector<Bytes> ex;
    for (const auto& [n, idx] : exports_) {
      Bytes e;
      name(e, n);
      e.push_back(0x00);
      leb(e, idx);
      ex.push_back(e);
    }
    section(7, ex);
    std::vector<Bytes> el;
    for (const auto& [offset, funcs] : elems_) {
      Bytes e{0x00, 0x41};
      sleb(e, int32_t(offset));
      e.push_back(0x0B);
      leb(e, funcs.size());
      for (uint32_t f : funcs) leb(e, f);
      el.push_back(e);
    }
    section(9, el);
    std::vector<Bytes> code;
    for (const auto& b : bodies_) {
      Bytes c;
      leb(c, b.size());
      c.insert(c.end(), b.begin(), b.end());
      code.push_back(c);
    }
    section(10, code);
    if (!names_.empty()) {
      Bytes sub;
      leb(sub, names_.size());
      for (const auto& [idx, n] : names_) {
        leb(sub, idx);
        name(sub, n);
      }
      Bytes content;
      name(content, "name");
      content.push_back(1);
      leb(content, sub.size());
      content.insert(content.end(), sub.begin(), sub.end());
      out.push_back(0);
      leb(out, content.size());
      out.insert(out.end(), content.begin(), content.end());
    }
    return out;
  }

 private:
  std::vector<Bytes> types_, imports_, bodies_;
  std::vector<uint32_t> funcs_;
  std::vector<std::pair<std::string, uint32_t>> exports_;
  std::vector<std::pair<uint32_t, std::string>> names_;
  std::vector<std::pair<uint32_t, std::vector<uint32_t>>> elems_;
  int64_t table_ = -1;
  uint32_t imported_funcs_ = 0;
  int64_t memory_ = -1;
};

constexpr uint8_t I32 = 0x7F, I64 = 0x7E, F32 = 0x7D, F64 = 0x7C;

}  // namespace wasipy::testing
