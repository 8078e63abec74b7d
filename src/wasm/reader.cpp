#include "wasm/reader.h"

namespace wasipy::wasm {

template <class T, int Bits, bool Signed>
Expected<T> ByteReader::leb() {
  uint64_t result = 0;
  unsigned shift = 0;
  uint8_t byte = 0;
  size_t start = offset();
  while (true) {
    if (pos_ >= data_.size()) return malformed(start, "unexpected end (integer runs past the end)");
    byte = data_[pos_++];
    if (shift + 7 >= Bits) {
      // The last byte an encoding of this width may have: its unused bits
      // must be zero (unsigned) or copies of the sign bit (signed).
      unsigned used = Bits - shift;
      if (byte & 0x80) return malformed(start, "integer representation too long");
      uint8_t rest = uint8_t((byte & 0x7f) >> (Signed ? used - 1 : used));
      uint8_t all = uint8_t(0x7f >> (Signed ? used - 1 : used));
      if (rest != 0 && !(Signed && rest == all)) return malformed(start, "integer too large");
      result |= uint64_t(byte & 0x7f) << shift;
      shift += 7;
      break;
    }
    result |= uint64_t(byte & 0x7f) << shift;
    shift += 7;
    if (!(byte & 0x80)) break;
  }
  if (Signed && shift < 64 && (byte & 0x40)) result |= ~uint64_t(0) << shift;
  return static_cast<T>(result);
}

Expected<uint8_t> ByteReader::u8() {
  if (pos_ >= data_.size()) return malformed(offset(), "unexpected end");
  return data_[pos_++];
}
Expected<uint32_t> ByteReader::u32() { return leb<uint32_t, 32, false>(); }
Expected<uint64_t> ByteReader::u64() { return leb<uint64_t, 64, false>(); }
Expected<int32_t> ByteReader::s32() { return leb<int32_t, 32, true>(); }
Expected<int64_t> ByteReader::s33() { return leb<int64_t, 33, true>(); }
Expected<int64_t> ByteReader::s64() { return leb<int64_t, 64, true>(); }

Expected<uint32_t> ByteReader::f32_bits() {
  auto b = bytes(4);
  if (!b) return std::unexpected(b.error());
  uint32_t v;
  std::memcpy(&v, b->data(), 4);
  return v;
}

Expected<uint64_t> ByteReader::f64_bits() {
  auto b = bytes(8);
  if (!b) return std::unexpected(b.error());
  uint64_t v;
  std::memcpy(&v, b->data(), 8);
  return v;
}

Expected<std::span<const uint8_t>> ByteReader::bytes(size_t n) {
  if (n > remaining()) return malformed(offset(), "unexpected end (length out of bounds)");
  auto s = data_.subspan(pos_, n);
  pos_ += n;
  return s;
}

Expected<std::string> ByteReader::name() {
  size_t start = offset();
  auto len = u32();
  if (!len) return std::unexpected(len.error());
  if (*len > remaining()) return malformed(start, "unexpected end (length out of bounds)");
  auto b = bytes(*len);
  if (!b) return std::unexpected(b.error());
  if (!is_valid_utf8(*b)) return malformed(start, "malformed UTF-8 encoding");
  return std::string(b->begin(), b->end());
}

std::string printable(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7F || c == '\\' || c == '"') {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += char(c);
    }
  }
  return out;
}

bool is_valid_utf8(std::span<const uint8_t> s) {
  size_t i = 0;
  while (i < s.size()) {
    uint8_t c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return false;
    if (cp >= 0xD800 && cp <= 0xDFFF) return false;
    if (cp > 0x10FFFF) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace wasipy::wasm
