// Cases where the compiler's shortcuts (values left in locals, results
// written straight into locals, fused compares, branch moves) could go wrong.
#include <gtest/gtest.h>

#include "interp/interpreter.h"
#include "runtime/instantiate.h"
#include "support/module_builder.h"
#include "wasm/decoder.h"
#include "wasm/validator.h"

using namespace wasipy;
using namespace wasipy::testing;

namespace {

class Harness {
 public:
  explicit Harness(const Bytes& bytes, interp::Limits limits = {}) : engine_(limits) {
    auto m = wasm::decode(bytes);
    EXPECT_TRUE(m.has_value()) << m.error().message;
    module_ = std::make_shared<const wasm::Module>(std::move(*m));
    auto info = wasm::validate(*module_);
    EXPECT_TRUE(info.has_value()) << info.error().message;
    auto inst = runtime::instantiate(store_, engine_, module_, *info, linker_.resolver());
    EXPECT_TRUE(inst.has_value()) << inst.error().message;
    inst_ = *inst;
  }
  Harness(const Bytes& bytes, runtime::Linker& linker, runtime::Store& store);

  std::expected<std::vector<runtime::Value>, runtime::Trap> call(const std::string& name,
                                                                 std::vector<runtime::Value> args) {
    return runtime::invoke(engine_, store_, *inst_->exported_func(name), args);
  }
  uint64_t call1(const std::string& name, std::vector<runtime::Value> args) {
    auto r = call(name, std::move(args));
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().describe());
    return r && !r->empty() ? (*r)[0].bits : ~uint64_t(0);
  }

  runtime::Store& store() { return store_; }
  runtime::Linker& linker() { return linker_; }

 private:
  interp::Interpreter engine_;
  runtime::Store store_;
  runtime::Linker linker_;
  std::shared_ptr<const wasm::Module> module_;
  runtime::Instance* inst_ = nullptr;
};

runtime::Value i32(uint32_t v) { return runtime::Value::i32(v); }

}  // namespace

TEST(Interpreter, StackKeepsTheOldValueOfALocalThatIsThenSet) {
  ModuleBuilder b;
  uint32_t t = b.type({I32}, {I32});
  // local.get 0; local.get 0; i32.const 1; i32.add; local.set 0  -> returns the old value
  b.func(t, {}, {0x20, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6A, 0x21, 0x00}, "f");
  Harness h(b.build());
  EXPECT_EQ(h.call1("f", {i32(41)}), 41u);
}

TEST(Interpreter, ResultWrittenStraightIntoALocal) {
  ModuleBuilder b;
  uint32_t t = b.type({I32, I32}, {I32});
  // local.get 0; local.get 1; i32.mul; local.set 1; local.get 1
  b.func(t, {}, {0x20, 0x00, 0x20, 0x01, 0x6C, 0x21, 0x01, 0x20, 0x01}, "f");
  Harness h(b.build());
  EXPECT_EQ(h.call1("f", {i32(6), i32(7)}), 42u);
}

TEST(Interpreter, MultiValueReturnSwapsLocals) {
  ModuleBuilder b;
  uint32_t t = b.type({I32, I32}, {I32, I32});
  b.func(t, {}, {0x20, 0x01, 0x20, 0x00}, "swap");
  Harness h(b.build());
  auto r = h.call("swap", {i32(1), i32(2)});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ((*r)[0].as_u32(), 2u);
  EXPECT_EQ((*r)[1].as_u32(), 1u);
}

TEST(Interpreter, FusedCompareInIfNegatesCorrectly) {
  ModuleBuilder b;
  uint32_t t = b.type({I32, I32}, {I32});
  // if (a <s b) 1 else 0, with a result
  b.func(t, {}, {0x20, 0x00, 0x20, 0x01, 0x48, 0x04, 0x7F, 0x41, 0x01, 0x05, 0x41, 0x00, 0x0B}, "lt");
  Harness h(b.build());
  EXPECT_EQ(h.call1("lt", {i32(uint32_t(-5)), i32(3)}), 1u);
  EXPECT_EQ(h.call1("lt", {i32(3), i32(3)}), 0u);
  EXPECT_EQ(h.call1("lt", {i32(4), i32(uint32_t(-3))}), 0u);
}

TEST(Interpreter, BrIfCarriesAValueOutOfABlock) {
  ModuleBuilder b;
  uint32_t t = b.type({I32}, {I32});
  // block (result i32) i32.const 10; local.get 0; br_if 0; drop; i32.const 20 end
  b.func(t, {}, {0x02, 0x7F, 0x41, 0x0A, 0x20, 0x00, 0x0D, 0x00, 0x1A, 0x41, 0x14, 0x0B}, "f");
  Harness h(b.build());
  EXPECT_EQ(h.call1("f", {i32(1)}), 10u);
  EXPECT_EQ(h.call1("f", {i32(0)}), 20u);
}

TEST(Interpreter, BrTableReachesEveryTargetAndClampsToTheDefault) {
  ModuleBuilder b;
  uint32_t t = b.type({I32}, {I32});
  // block block block  local.get 0  br_table 0 1 2(default)  end i32.const 100 return end i32.const 101 return end i32.const 102
  b.func(t, {},
         {0x02, 0x40, 0x02, 0x40, 0x02, 0x40, 0x20, 0x00, 0x0E, 0x02, 0x00, 0x01, 0x02, 0x0B, 0x41, 0xE4, 0x00, 0x0F,
          0x0B, 0x41, 0xE5, 0x00, 0x0F, 0x0B, 0x41, 0xE6, 0x00},
         "f");
  Harness h(b.build());
  EXPECT_EQ(h.call1("f", {i32(0)}), 100u);
  EXPECT_EQ(h.call1("f", {i32(1)}), 101u);
  EXPECT_EQ(h.call1("f", {i32(2)}), 102u);
  EXPECT_EQ(h.call1("f", {i32(999)}), 102u);
}

TEST(Interpreter, LoopSumsWithFusedBackEdge) {
  ModuleBuilder b;
  uint32_t t = b.type({I32}, {I32});
  // i = 0, s = 0; loop: s += i; i += 1; br_if (i <u n) ; s
  b.func(t, {{2, I32}},
         {0x03, 0x40, 0x20, 0x02, 0x20, 0x01, 0x6A, 0x21, 0x02, 0x20, 0x01, 0x41, 0x01, 0x6A, 0x22, 0x01, 0x20, 0x00,
          0x49, 0x0D, 0x00, 0x0B, 0x20, 0x02},
         "sum");
  Harness h(b.build());
  EXPECT_EQ(h.call1("sum", {i32(100)}), 4950u);
}

TEST(Interpreter, InfiniteRecursionIsACleanTrapWithABacktrace) {
  ModuleBuilder b;
  uint32_t t = b.type({}, {});
  uint32_t f = b.func(t, {}, {0x10, 0x00}, "run");
  b.func_name(f, "recurse_forever");
  interp::Limits limits;
  limits.max_call_depth = 5000;
  Harness h(b.build(), limits);
  auto r = h.call("run", {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, runtime::TrapKind::StackExhausted);
  EXPECT_EQ(r.error().message, "call stack exhausted");
  ASSERT_FALSE(r.error().backtrace.empty());
  EXPECT_EQ(r.error().backtrace.front(), "recurse_forever");
  // The interpreter is usable again afterwards.
  auto again = h.call("run", {});
  EXPECT_FALSE(again.has_value());
}

TEST(Interpreter, DivisionByZeroTrapsWithTheSpecMessage) {
  ModuleBuilder b;
  uint32_t t = b.type({I32, I32}, {I32});
  b.func(t, {}, {0x20, 0x00, 0x20, 0x01, 0x6D}, "div");
  Harness h(b.build());
  EXPECT_EQ(h.call1("div", {i32(uint32_t(-12)), i32(4)}), uint32_t(-3));
  auto r = h.call("div", {i32(1), i32(0)});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "integer divide by zero");
  auto o = h.call("div", {i32(0x80000000u), i32(uint32_t(-1))});
  ASSERT_FALSE(o.has_value());
  EXPECT_EQ(o.error().message, "integer overflow");
}

TEST(Interpreter, HostFunctionsReceiveArgumentsAndTheirTrapsUnwind) {
  ModuleBuilder b;
  uint32_t t_host = b.type({I32}, {I32});
  uint32_t host = b.import_func("env", "double_or_fail", t_host);
  uint32_t t = b.type({I32}, {I32});
  uint32_t f = b.func(t, {}, {0x20, 0x00, 0x10, uint8_t(host), 0x41, 0x01, 0x6A}, "f");
  b.func_name(f, "caller");
  auto bytes = b.build();

  interp::Interpreter engine;
  runtime::Store store;
  runtime::Linker linker;
  auto* fn = store.add_host_function(
      wasm::FuncType{{wasm::ValType::I32}, {wasm::ValType::I32}},
      [](runtime::CallContext&, std::span<runtime::RawValue> io) -> std::optional<runtime::Trap> {
        if (uint32_t(io[0]) == 0) return runtime::Trap::host("zero is not allowed");
        io[0] = uint32_t(io[0]) * 2;
        return std::nullopt;
      },
      "double_or_fail");
  linker.define("env", "double_or_fail", fn);
  auto m = wasm::decode(bytes);
  ASSERT_TRUE(m.has_value());
  auto module = std::make_shared<const wasm::Module>(std::move(*m));
  auto info = wasm::validate(*module);
  ASSERT_TRUE(info.has_value());
  auto inst = runtime::instantiate(store, engine, module, *info, linker.resolver());
  ASSERT_TRUE(inst.has_value());
  auto* exported = (*inst)->exported_func("f");
  auto ok = runtime::invoke(engine, store, *exported, std::vector{i32(20)});
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ((*ok)[0].as_u32(), 41u);
  auto bad = runtime::invoke(engine, store, *exported, std::vector{i32(0)});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message, "zero is not allowed");
  ASSERT_EQ(bad.error().backtrace.size(), 2u);
  EXPECT_EQ(bad.error().backtrace[0], "double_or_fail");
  EXPECT_EQ(bad.error().backtrace[1], "caller");
}

TEST(Interpreter, OutOfBoundsLoadTraps) {
  ModuleBuilder b;
  b.memory(1);
  uint32_t t = b.type({I32}, {I32});
  b.func(t, {}, {0x20, 0x00, 0x28, 0x02, 0x00}, "load");
  Harness h(b.build());
  EXPECT_EQ(h.call1("load", {i32(65532)}), 0u);
  auto r = h.call("load", {i32(65533)});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "out of bounds memory access");
}

TEST(Interpreter, ConstantOnTheLeftOfACommutativeOperator) {
  ModuleBuilder b;
  uint32_t t = b.type({I32, I32}, {I32});
  // i32.const 100; (local.get 0 * local.get 1) is computed into its own slot; then add
  b.func(t, {}, {0x41, 0xE4, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6C, 0x6A}, "f");
  // and a constant minus a value, which must not be swapped
  uint32_t t1 = b.type({I32}, {I32});
  b.func(t1, {}, {0x41, 0x0A, 0x20, 0x00, 0x6B}, "ten_minus");
  Harness h(b.build());
  EXPECT_EQ(h.call1("f", {i32(6), i32(7)}), 142u);
  EXPECT_EQ(h.call1("ten_minus", {i32(3)}), 7u);
}

TEST(Interpreter, LoadFromAConstantAddressAndStoreOfAConstant) {
  ModuleBuilder b;
  b.memory(1);
  uint32_t t = b.type({}, {I32});
  // i32.const 16; i32.const 0x01020304; i32.store offset=4; i32.const 16; i32.load offset=4
  b.func(t, {}, {0x41, 0x10, 0x41, 0x84, 0x86, 0x88, 0x08, 0x36, 0x02, 0x04, 0x41, 0x10, 0x28, 0x02, 0x04}, "f");
  // a constant address whose offset reaches past the end traps
  b.func(t, {}, {0x41, 0xFC, 0xFF, 0x03, 0x28, 0x02, 0x04}, "oob");
  Harness h(b.build());
  EXPECT_EQ(h.call1("f", {}), 0x01020304u);
  auto r = h.call("oob", {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "out of bounds memory access");
}

TEST(Interpreter, FusedAddressAddWrapsAt32Bits) {
  ModuleBuilder b;
  b.memory(1);
  uint32_t t = b.type({I32}, {I32});
  // mem[4..8) = 0x11223344, then i32.load offset=0 (local.get 0 + 8)
  b.func(t, {},
         {0x41, 0x04, 0x41, 0xC4, 0xE6, 0x88, 0x89, 0x01, 0x36, 0x02, 0x00,  // i32.store [4] = 0x11223344
          0x20, 0x00, 0x41, 0x08, 0x6A, 0x28, 0x02, 0x00},
         "load_at_plus_8");
  Harness h(b.build());
  // 0xFFFFFFFC + 8 wraps to 4 in wasm's i32 arithmetic: no trap, reads mem[4].
  EXPECT_EQ(h.call1("load_at_plus_8", {i32(0xFFFFFFFCu)}), 0x11223344u);
  EXPECT_EQ(h.call1("load_at_plus_8", {i32(uint32_t(-4))}), 0x11223344u);
  auto r = h.call("load_at_plus_8", {i32(65532)});  // 65540: past the one page
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "out of bounds memory access");
}

TEST(Interpreter, FusedAddressAddForAStoreOfAConstantWraps) {
  ModuleBuilder b;
  b.memory(1);
  uint32_t t = b.type({I32}, {I32});
  // i32.store (local.get 0 + 8), 0x55 ; i32.load [4]
  b.func(t, {}, {0x20, 0x00, 0x41, 0x08, 0x6A, 0x41, 0xD5, 0x00, 0x36, 0x02, 0x00, 0x41, 0x04, 0x28, 0x02, 0x00},
         "store_then_read_4");
  Harness h(b.build());
  EXPECT_EQ(h.call1("store_then_read_4", {i32(0xFFFFFFFCu)}), 0x55u);  // wraps to 4
  auto r = h.call("store_then_read_4", {i32(65530)});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "out of bounds memory access");
}
