#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "runtime/memory.h"
#include "runtime/store.h"

using namespace wasipy;

TEST(Memory, GrowsWithinItsMaximumAndKeepsItsAddress) {
  auto m = runtime::Memory::create(wasm::MemoryType{wasm::Limits{1, 3}});
  ASSERT_TRUE(m.has_value()) << m.error();
  std::unique_ptr<runtime::Memory> mem(*m);
  uint8_t* base = mem->data();
  mem->data()[65535] = 42;
  EXPECT_EQ(mem->grow(2), 1);
  EXPECT_EQ(mem->pages(), 3u);
  EXPECT_EQ(mem->data(), base);
  EXPECT_EQ(mem->data()[65535], 42);
  mem->data()[3 * 65536 - 1] = 7;  // the new pages are writable
  EXPECT_EQ(mem->grow(1), -1);     // past the maximum
  EXPECT_EQ(mem->pages(), 3u);
}

TEST(Memory, NewPagesAreZero) {
  auto m = runtime::Memory::create(wasm::MemoryType{wasm::Limits{0, {}}});
  ASSERT_TRUE(m.has_value());
  std::unique_ptr<runtime::Memory> mem(*m);
  EXPECT_EQ(mem->size(), 0u);
  EXPECT_EQ(mem->grow(1), 0);
  for (size_t i = 0; i < 65536; i += 4096) EXPECT_EQ(mem->data()[i], 0);
}

TEST(Memory, RefusesToGrowPast4GiB) {
  auto m = runtime::Memory::create(wasm::MemoryType{wasm::Limits{0, {}}});
  ASSERT_TRUE(m.has_value());
  std::unique_ptr<runtime::Memory> mem(*m);
  EXPECT_EQ(mem->grow(65537), -1);
  EXPECT_EQ(mem->grow(0x100000000ull), -1);
}

TEST(Memory, BoundsCheckHandlesOverflow) {
  auto m = runtime::Memory::create(wasm::MemoryType{wasm::Limits{1, 1}});
  ASSERT_TRUE(m.has_value());
  std::unique_ptr<runtime::Memory> mem(*m);
  EXPECT_TRUE(mem->in_bounds(0, 65536));
  EXPECT_TRUE(mem->in_bounds(65536, 0));
  EXPECT_FALSE(mem->in_bounds(65535, 2));
  EXPECT_FALSE(mem->in_bounds(1, ~uint64_t(0)));
}

TEST(Table, GrowRespectsMaximum) {
  runtime::Table t{wasm::TableType{wasm::ValType::FuncRef, wasm::Limits{1, 2}}, 1, 0};
  EXPECT_EQ(t.grow(1, 5), 1);
  EXPECT_EQ(t.elements[1], 5u);
  // Native code reads the table through its view: it must follow the growth.
  EXPECT_EQ(t.view.size, 2u);
  EXPECT_EQ(t.view.data, t.elements.data());
  EXPECT_EQ(t.grow(1, 0), -1);
}

// The reservation asks for transparent huge pages (a large module's data
// segments then cost two faults, not hundreds): the kernel marks it "hg".
TEST(Memory, AsksForHugePages) {
  auto m = runtime::Memory::create(wasm::MemoryType{wasm::Limits{64, {}}});
  ASSERT_TRUE(m.has_value());
  std::unique_ptr<runtime::Memory> mem(*m);
  auto base = reinterpret_cast<uintptr_t>(mem->data());
  std::ifstream smaps("/proc/self/smaps");
  if (!smaps) GTEST_SKIP() << "no /proc/self/smaps";
  std::string line;
  bool inside = false, found = false;
  while (std::getline(smaps, line)) {
    uintptr_t lo = 0, hi = 0;
    // A mapping's first line: "lo-hi perms offset ..." (field lines never parse so).
    if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2) inside = lo <= base && base < hi;
    if (inside && line.starts_with("VmFlags:")) {
      found = true;
      EXPECT_NE(line.find(" hg"), std::string::npos) << line;
      break;
    }
  }
  EXPECT_TRUE(found);
}
