#pragma once
// The wasi_snapshot_preview1 ABI: every function as a call on a guest memory
// given as bytes, with each pointer and length checked against its size.
#include <bit>
#include <cstdint>
#include <cstring>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/trap.h"
#include "runtime/value.h"
#include "wasi/abi_types.h"
#include "wasi/state.h"
#include "wasm/types.h"

namespace wasipy::wasi {

static_assert(std::endian::native == std::endian::little, "guest memory is little-endian");

/// A checked view of guest memory. Every access names an address and a
/// length; anything past the end is refused (the call answers EFAULT).
class GuestMemory {
 public:
  explicit GuestMemory(std::span<uint8_t> bytes) : bytes_(bytes) {}
  bool ok(uint64_t addr, uint64_t len) const {
    return addr <= bytes_.size() && len <= bytes_.size() - addr;
  }
  uint8_t* at(uint32_t addr) const { return bytes_.data() + addr; }  ///< after ok()

  template <class T>
  std::optional<T> load(uint32_t addr) const {
    if (!ok(addr, sizeof(T))) return std::nullopt;
    T v;
    std::memcpy(&v, at(addr), sizeof v);
    return v;
  }
  template <class T>
  bool store(uint32_t addr, T v) const {
    if (!ok(addr, sizeof(T))) return false;
    std::memcpy(at(addr), &v, sizeof v);
    return true;
  }
  /// The guest string [addr, addr+len); EFAULT when out of bounds.
  std::expected<std::string_view, Errno> string(uint32_t addr, uint32_t len) const {
    if (!ok(addr, len)) return std::unexpected(Errno::Fault);
    return std::string_view(reinterpret_cast<const char*>(at(addr)), len);
  }

 private:
  std::span<uint8_t> bytes_;
};

/// One imported function: its wasm type and its body, which reads arguments
/// from io[0..params) and leaves the errno in io[0] (or returns a Trap:
/// proc_exit is Trap::exit).
struct Binding {
  std::string name;
  wasm::FuncType type;
  std::function<std::optional<runtime::Trap>(GuestMemory&, std::span<runtime::RawValue>)> call;
};

/// All 45 functions of wasi_snapshot_preview1, bound to `state`.
std::vector<Binding> bindings(std::shared_ptr<State> state);

}  // namespace wasipy::wasi
