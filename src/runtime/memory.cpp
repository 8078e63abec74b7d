#include "runtime/memory.h"

#include <sys/mman.h>

#include <fmt/format.h>

namespace wasipy::runtime {

namespace {
// Every memory reserves the whole range that a 32-bit address plus a 32-bit
// static offset can reach (8 GiB), plus room for the widest access: native
// code then needs no bounds checks, because any access past the current size
// lands on an inaccessible page and faults (see src/native/guest_thread.cpp).
constexpr uint64_t kReserveBytes = (uint64_t(8) << 30) + 64 * 1024;
}  // namespace

std::expected<Memory*, std::string> Memory::create(wasm::MemoryType type) {
  uint64_t reserve = kReserveBytes;
  void* p = mmap(nullptr, reserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    return std::unexpected(fmt::format("cannot reserve {} MiB of address space for a linear memory", reserve >> 20));
  }
  // Transparent huge pages where the kernel offers them on request (the
  // default "madvise" mode): CPython's 3.5 MB of data segments, copied in at
  // instantiation, then take 2 faults instead of 900 (python -c pass: about
  // -1.5 ms); a memory smaller than 2 MiB never gets one. A hint only.
  madvise(p, reserve, MADV_HUGEPAGE);
  auto* m = new Memory();
  m->base_ = static_cast<uint8_t*>(p);
  m->reserved_ = reserve;
  m->max_pages_ = type.limits.max;
  if (m->grow(type.limits.min) < 0) {
    delete m;
    return std::unexpected(fmt::format("cannot allocate {} pages ({} MiB) of linear memory", type.limits.min,
                                       (type.limits.min * wasm::kPageSize) >> 20));
  }
  return m;
}

Memory::~Memory() {
  if (base_) munmap(base_, reserved_);
}

wasm::MemoryType Memory::type() const { return wasm::MemoryType{wasm::Limits{pages(), max_pages_}}; }

int64_t Memory::grow(uint64_t delta) {
  uint64_t old_pages = pages();
  uint64_t limit = max_pages_ ? std::min<uint64_t>(*max_pages_, wasm::kMaxPages) : wasm::kMaxPages;
  if (delta > limit || old_pages + delta > limit) return -1;
  if (delta == 0) return int64_t(old_pages);
  uint64_t bytes = delta * wasm::kPageSize;
  if (mprotect(base_ + size_, bytes, PROT_READ | PROT_WRITE) != 0) return -1;
  size_ += bytes;
  return int64_t(old_pages);
}

}  // namespace wasipy::runtime
