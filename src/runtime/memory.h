#pragma once
#include <cstdint>
#include <expected>
#include <optional>
#include <string>

#include "wasm/types.h"

namespace wasipy::runtime {

/// A linear memory. Its whole possible range is reserved up front, so the
/// base address never moves when it grows (the WASI host and native code
/// keep raw pointers into it); growing only makes more of it accessible.
class Memory {
 public:
  static std::expected<Memory*, std::string> create(wasm::MemoryType type);  // owned by the caller
  ~Memory();
  Memory(const Memory&) = delete;
  Memory& operator=(const Memory&) = delete;

  uint8_t* data() const { return base_; }
  uint64_t size() const { return size_; }  ///< in bytes
  /// Where size() is kept, for native code to read it directly.
  const uint64_t* size_cell() const { return &size_; }
  uint64_t pages() const { return size_ / wasm::kPageSize; }
  wasm::MemoryType type() const;

  /// Grows by `delta` pages; returns the old size in pages, or -1 when the
  /// limits or the host refuse (the guest sees -1 from memory.grow).
  int64_t grow(uint64_t delta);

  /// True when [addr, addr + len) lies inside the memory.
  bool in_bounds(uint64_t addr, uint64_t len) const { return addr <= size_ && len <= size_ - addr; }

 private:
  Memory() = default;
  uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
  uint64_t reserved_ = 0;
  std::optional<uint64_t> max_pages_;
};

}  // namespace wasipy::runtime
