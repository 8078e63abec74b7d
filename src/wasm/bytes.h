#pragma once
// A module's binary: the bytes a decoded Module points into (function
// bodies, data segments, the name section). Immutable once made.
//
// Either owned in memory (a vector) or a read-only private mapping of a
// file. The mapping is for start-up cost: reading python.wasm (8.8 MB) into
// a zero-initialised vector costs the zeroing, the copy out of the page
// cache and ~2150 anonymous page faults on every start; mapping a file that
// is in the page cache costs neither copy and a few dozen file-backed faults.
#include <sys/stat.h>

#include <cstdint>
#include <expected>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace wasipy::wasm {

class Bytes {
 public:
  Bytes() = default;
  explicit Bytes(std::vector<uint8_t> bytes);

  /// The contents of the regular file at `path`; `identity` (if given)
  /// receives its fstat. Files of kMapAtLeast bytes or more are mapped,
  /// smaller ones read (a mapping saves them little). A mapped file that is
  /// truncated while in use makes the next read of a page past its new end
  /// raise SIGBUS, and one rewritten in place shows its new bytes: accepted,
  /// as the dynamic loader accepts it for shared objects. Whoever replaces
  /// a module should write a new file and rename it into place (wasipy's
  /// own installers do), which leaves a mapped old file intact.
  static std::expected<Bytes, std::string> from_file(const std::string& path, struct stat* identity = nullptr);
  static constexpr size_t kMapAtLeast = 64 * 1024;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const uint8_t* begin() const { return data_; }
  const uint8_t* end() const { return data_ + size_; }
  uint8_t operator[](size_t i) const { return data_[i]; }
  std::span<const uint8_t> span() const { return {data_, size_}; }
  operator std::span<const uint8_t>() const { return span(); }
  /// True when the bytes are a file mapping rather than memory of their own.
  bool mapped() const { return mapped_; }

 private:
  // Copies share the bytes (they never change): the owner frees the
  // vector or unmaps the file when the last copy goes.
  std::shared_ptr<const void> owner_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
};

}  // namespace wasipy::wasm
