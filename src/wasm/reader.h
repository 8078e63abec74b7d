#pragma once
// Bounds-checked reading of the binary format's primitives (LEB128, floats, names).
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "wasm/error.h"

namespace wasipy::wasm {

class ByteReader {
 public:
  /// `base` is the absolute offset of data[0] in the module, for error messages.
  ByteReader(std::span<const uint8_t> data, size_t base = 0) : data_(data), base_(base) {}

  size_t offset() const { return base_ + pos_; }  ///< absolute offset in the module
  size_t pos() const { return pos_; }
  bool at_end() const { return pos_ >= data_.size(); }
  size_t remaining() const { return data_.size() - pos_; }
  std::span<const uint8_t> data() const { return data_; }

  Expected<uint8_t> u8();
  Expected<uint32_t> u32();  ///< unsigned LEB128, at most 5 bytes
  Expected<uint64_t> u64();
  Expected<int32_t> s32();
  Expected<int64_t> s33();  ///< block types
  Expected<int64_t> s64();
  Expected<uint32_t> f32_bits();
  Expected<uint64_t> f64_bits();
  Expected<std::span<const uint8_t>> bytes(size_t n);
  Expected<std::string> name();  ///< length-prefixed, checked to be UTF-8

 private:
  template <class T, int Bits, bool Signed>
  Expected<T> leb();

  std::span<const uint8_t> data_;
  size_t base_ = 0;
  size_t pos_ = 0;
};

bool is_valid_utf8(std::span<const uint8_t> s);

}  // namespace wasipy::wasm
