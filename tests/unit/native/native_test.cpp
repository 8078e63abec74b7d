// The native tier against the interpreter (the reference): the same results,
// and for every kind of trap the same message and backtrace; and the code
// cache's promises (a damaged entry is refused and rebuilt, two processes
// that miss at once compile once, --no-cache keeps nothing).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <optional>
#include <sstream>
#include <thread>

#include "interp/interpreter.h"
#include "native/cache.h"
#include "native/engine.h"
#include "native/toolchain.h"
#include "runtime/instantiate.h"
#include "support/module_builder.h"
#include "wasm/decoder.h"
#include "wasm/validator.h"

using namespace wasipy;
using namespace wasipy::testing;
namespace fs = std::filesystem;

namespace {

constexpr uint32_t kDepth = 1000;

const std::optional<native::Toolchain>& toolchain() {
  static const std::optional<native::Toolchain> tc = native::find_toolchain();
  return tc;
}

runtime::Value i32(uint32_t v) { return runtime::Value::i32(v); }
runtime::Value i64(uint64_t v) { return runtime::Value::i64(v); }
runtime::Value f32(float v) { return runtime::Value::f32(v); }
runtime::Value f64(double v) { return runtime::Value::f64(v); }

std::shared_ptr<const wasm::Module> decode(const Bytes& bytes) {
  auto m = wasm::decode(bytes);
  EXPECT_TRUE(m.has_value()) << m.error().message;
  if (!m) return nullptr;
  return std::make_shared<const wasm::Module>(std::move(*m));
}

/// A host function to link, made per engine (it may need to call back in).
struct HostDef {
  std::string module, field, name;
  wasm::FuncType type;
  std::function<runtime::HostFunction(runtime::Engine&)> make;
};

/// One instance of a module on one engine.
class Side {
 public:
  Side(runtime::Engine& engine, const Bytes& bytes, const std::vector<HostDef>& hosts = {}) : engine_(engine) {
    module_ = decode(bytes);
    if (!module_) return;
    auto info = wasm::validate(*module_);
    EXPECT_TRUE(info.has_value()) << info.error().message;
    if (!info) return;
    for (const auto& h : hosts) {
      linker_.define(h.module, h.field, store_.add_host_function(h.type, h.make(engine), h.name));
    }
    auto inst = runtime::instantiate(store_, engine, module_, *info, linker_.resolver());
    EXPECT_TRUE(inst.has_value()) << inst.error().message;
    if (inst) inst_ = *inst;
  }

  /// "i32:42 i64:7", or the trap's description (and exit code).
  std::string call(const std::string& name, std::vector<runtime::Value> args) {
    if (!inst_) return "<not instantiated>";
    auto* f = inst_->exported_func(name);
    if (!f) return "<no export " + name + ">";
    auto r = runtime::invoke(engine_, store_, *f, args);
    if (!r) {
      std::string s = r.error().describe();
      if (r.error().kind == runtime::TrapKind::Exit) s += "\nexit code " + std::to_string(r.error().exit_code);
      return s;
    }
    std::string s;
    for (const auto& v : *r) s += (s.empty() ? "" : " ") + v.to_string();
    return s;
  }

  bool ok() const { return inst_ != nullptr; }

 private:
  runtime::Engine& engine_;
  runtime::Store store_;
  runtime::Linker linker_;
  std::shared_ptr<const wasm::Module> module_;
  runtime::Instance* inst_ = nullptr;
};

std::string trap_text(const std::string& message, std::vector<std::string> frames) {
  runtime::Trap t{runtime::TrapKind::Unreachable, message, 0, std::move(frames)};
  return t.describe();
}

/// A per-test cache folder ($WASIPY_CACHE_DIR), so tests never touch the
/// user's cache, and the native tier's engine.
class NativeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!toolchain()) GTEST_SKIP() << "no C compiler: the native tier is unavailable";
    std::string templ = (fs::temp_directory_path() / "wasipy-native-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    root_ = templ;
    if (const char* old = std::getenv("WASIPY_CACHE_DIR")) old_cache_env_ = old;
    setenv("WASIPY_CACHE_DIR", (root_ / "cache").c_str(), 1);
    cache_dir_ = root_ / "cache" / "native";
  }
  void TearDown() override {
    if (root_.empty()) return;
    if (old_cache_env_) {
      setenv("WASIPY_CACHE_DIR", old_cache_env_->c_str(), 1);
    } else {
      unsetenv("WASIPY_CACHE_DIR");
    }
    if (old_tmp_env_) {
      if (old_tmp_env_->empty()) {
        unsetenv("TMPDIR");
      } else {
        setenv("TMPDIR", old_tmp_env_->c_str(), 1);
      }
    }
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  /// Points TMPDIR into the test's folder (restored by TearDown).
  fs::path private_tmpdir() {
    const char* old = std::getenv("TMPDIR");
    old_tmp_env_ = old ? old : "";
    fs::path t = root_ / "tmp";
    fs::create_directories(t);
    setenv("TMPDIR", t.c_str(), 1);
    return t;
  }

  native::ObtainOptions options() {
    native::ObtainOptions o;  // reads $WASIPY_CACHE_DIR
    o.progress = false;
    o.jobs = 1;
    return o;
  }

  std::unique_ptr<native::NativeEngine> native_engine(native::ObtainOptions o) {
    native::NativeLimits limits;
    // Backtraces as long as the interpreter's at kDepth; a machine stack
    // small enough that a runaway recursion ends quickly, yet far deeper
    // than kDepth frames.
    limits.max_backtrace_frames = kDepth + 1;
    limits.stack_bytes = 16 << 20;
    return std::make_unique<native::NativeEngine>(*toolchain(), std::move(o), limits);
  }

  std::vector<fs::path> files_with_extension(const std::string& ext) const {
    std::vector<fs::path> out;
    std::error_code ec;
    if (!fs::exists(cache_dir_, ec)) return out;
    for (const auto& e : fs::directory_iterator(cache_dir_)) {
      if (e.path().extension() == ext) out.push_back(e.path());
    }
    return out;
  }

  fs::path root_, cache_dir_;
  std::optional<std::string> old_cache_env_, old_tmp_env_;
};

/// The same module instantiated on both tiers.
class Parity : public NativeTest {
 protected:
  void load(const Bytes& bytes, const std::vector<HostDef>& hosts = {}) {
    interp::Limits il;
    il.max_call_depth = kDepth;
    interp_ = std::make_unique<interp::Interpreter>(il);
    native_ = native_engine(options());
    a_ = std::make_unique<Side>(*interp_, bytes, hosts);
    b_ = std::make_unique<Side>(*native_, bytes, hosts);
    ASSERT_TRUE(a_->ok() && b_->ok());
  }
  /// Calls `name` on both tiers; they must agree. Returns what they said.
  std::string both(const std::string& name, std::vector<runtime::Value> args) {
    std::string want = a_->call(name, args);
    std::string got = b_->call(name, args);
    EXPECT_EQ(got, want) << "native tier differs from the interpreter for " << name;
    return want;
  }

  void TearDown() override {
    b_.reset();
    a_.reset();
    native_.reset();
    interp_.reset();
    NativeTest::TearDown();
  }

  std::unique_ptr<interp::Interpreter> interp_;
  std::unique_ptr<native::NativeEngine> native_;
  std::unique_ptr<Side> a_, b_;
};

// ---- Traps ----

TEST_F(Parity, OutOfBoundsLoadInACalleeNamesBothFramesInnermostFirst) {
  ModuleBuilder b;
  b.memory(1);
  uint32_t t = b.type({I32}, {I32});
  uint32_t inner = b.func(t, {}, {0x20, 0x00, 0x28, 0x02, 0x00});
  uint32_t outer = b.func(t, {}, {0x20, 0x00, 0x10, uint8_t(inner)}, "outer");
  b.func_name(inner, "inner");
  b.func_name(outer, "outer_fn");
  load(b.build());
  const std::string oob = trap_text("out of bounds memory access", {"inner", "outer_fn"});
  EXPECT_EQ(both("outer", {i32(65532)}), "i32:0");
  EXPECT_EQ(both("outer", {i32(65533)}), oob);  // straddles the end
  EXPECT_EQ(both("outer", {i32(65536)}), oob);
  EXPECT_EQ(both("outer", {i32(0x7FFFFFFF)}), oob);
  EXPECT_EQ(both("outer", {i32(0xFFFFFFFF)}), oob);
  // Still usable after faults.
  EXPECT_EQ(both("outer", {i32(0)}), "i32:0");
}

TEST_F(Parity, OutOfBoundsLoadWhoseValueIsDroppedStillTraps) {
  ModuleBuilder b;
  b.memory(1);
  uint32_t t = b.type({I32}, {});
  b.func(t, {}, {0x20, 0x00, 0x28, 0x02, 0x00, 0x1A}, "load_drop");
  b.func(t, {}, {0x20, 0x00, 0x29, 0x03, 0x00, 0x1A}, "load64_drop");
  b.func(t, {}, {0x20, 0x00, 0x2A, 0x02, 0x00, 0x1A}, "loadf32_drop");
  b.func(t, {}, {0x20, 0x00, 0x2D, 0x00, 0x00, 0x1A}, "load8_drop");
  load(b.build());
  for (const char* f : {"load_drop", "load64_drop", "loadf32_drop", "load8_drop"}) {
    EXPECT_EQ(both(f, {i32(0)}), "") << f;
    EXPECT_EQ(both(f, {i32(65536)}), trap_text("out of bounds memory access", {f})) << f;
  }
}

// The C compiler may delete a load whose value is dead, move one into the
// only branch that uses it, or swap it with a store to another address; a
// wasm load that faults must do none of that (prelude.h, WP_LOAD).
TEST_F(Parity, OutOfBoundsLoadsTrapWhereTheProgramPutThem) {
  ModuleBuilder b;
  b.memory(1);
  uint32_t t1 = b.type({I32}, {});
  // local.get 0; i32.load; local.set 1 -- the local is never read.
  b.func(t1, {{1, I32}}, {0x20, 0x00, 0x28, 0x02, 0x00, 0x21, 0x01}, "load_into_dead_local");
  // The loaded value is used only when the second parameter is nonzero.
  uint32_t t2 = b.type({I32, I32}, {I32});
  b.func(t2, {{1, I32}},
         {0x20, 0x00, 0x28, 0x02, 0x00, 0x21, 0x02,        // l2 = load(l0)
          0x20, 0x01, 0x04, 0x7F, 0x20, 0x02, 0x05, 0x41,  // if l1 then l2
          0x00, 0x0B},                                     // else 0
         "load_used_in_a_branch");
  // store [0] = 1; drop load(l0); store [4] = 2: after a trap in the load,
  // the first store is visible and the second never happened.
  b.func(t1, {},
         {0x41, 0x00, 0x41, 0x01, 0x36, 0x02, 0x00,  //
          0x20, 0x00, 0x28, 0x02, 0x00, 0x1A,        //
          0x41, 0x04, 0x41, 0x02, 0x36, 0x02, 0x00},
         "store_load_store");
  uint32_t r = b.type({I32}, {I32});
  b.func(r, {}, {0x20, 0x00, 0x28, 0x02, 0x00}, "load");
  load(b.build());
  const std::string oob = trap_text("out of bounds memory access", {"load_into_dead_local"});
  EXPECT_EQ(both("load_into_dead_local", {i32(0)}), "");
  EXPECT_EQ(both("load_into_dead_local", {i32(65536)}), oob);
  EXPECT_EQ(both("load_used_in_a_branch", {i32(65536), i32(0)}),
            trap_text("out of bounds memory access", {"load_used_in_a_branch"}));
  EXPECT_EQ(both("load_used_in_a_branch", {i32(0), i32(0)}), "i32:0");
  EXPECT_EQ(both("store_load_store", {i32(65536)}), trap_text("out of bounds memory access", {"store_load_store"}));
  EXPECT_EQ(both("load", {i32(0)}), "i32:1");
  EXPECT_EQ(both("load", {i32(4)}), "i32:0");
}

TEST_F(Parity, OutOfBoundsStoreWithALargeStaticOffset) {
  ModuleBuilder b;
  b.memory(1);
  uint32_t t = b.type({I32}, {});
  Bytes far{0x20, 0x00, 0x41, 0x07, 0x36, 0x02};
  leb(far, 0xFFFFFFF0u);
  b.func(t, {}, far, "store_far");
  // i64.store offset=65535 of all ones: straddles the end and must write nothing.
  Bytes straddle{0x20, 0x00, 0x42, 0x7F, 0x37, 0x03};
  leb(straddle, 65535);
  b.func(t, {}, straddle, "store_straddle");
  uint32_t r = b.type({I32}, {I32});
  b.func(r, {}, {0x20, 0x00, 0x2D, 0x00, 0x00}, "load8");
  load(b.build());
  const std::string oob = trap_text("out of bounds memory access", {"store_far"});
  EXPECT_EQ(both("store_far", {i32(0)}), oob);
  EXPECT_EQ(both("store_far", {i32(16)}), oob);  // exactly 4 GiB
  EXPECT_EQ(both("store_far", {i32(0xFFFFFFFF)}), oob);
  EXPECT_EQ(both("store_straddle", {i32(0)}), trap_text("out of bounds memory access", {"store_straddle"}));
  EXPECT_EQ(both("load8", {i32(65535)}), "i32:0");
  EXPECT_EQ(both("load8", {i32(65534)}), "i32:0");
}

TEST_F(Parity, IntegerDivisionTraps) {
  ModuleBuilder b;
  uint32_t t = b.type({I32, I32}, {I32});
  uint32_t t64 = b.type({I64, I64}, {I64});
  b.func(t, {}, {0x20, 0x00, 0x20, 0x01, 0x6D}, "i32_div_s");
  b.func(t, {}, {0x20, 0x00, 0x20, 0x01, 0x6E}, "i32_div_u");
  b.func(t, {}, {0x20, 0x00, 0x20, 0x01, 0x6F}, "i32_rem_s");
  b.func(t64, {}, {0x20, 0x00, 0x20, 0x01, 0x7F}, "i64_div_s");
  b.func(t64, {}, {0x20, 0x00, 0x20, 0x01, 0x81}, "i64_rem_s");
  b.func(t64, {}, {0x20, 0x00, 0x20, 0x01, 0x82}, "i64_rem_u");
  load(b.build());
  auto div0 = [](const char* f) { return trap_text("integer divide by zero", {f}); };
  auto ovf = [](const char* f) { return trap_text("integer overflow", {f}); };
  EXPECT_EQ(both("i32_div_s", {i32(7), i32(0)}), div0("i32_div_s"));
  EXPECT_EQ(both("i32_div_u", {i32(7), i32(0)}), div0("i32_div_u"));
  EXPECT_EQ(both("i32_rem_s", {i32(7), i32(0)}), div0("i32_rem_s"));
  EXPECT_EQ(both("i64_div_s", {i64(7), i64(0)}), div0("i64_div_s"));
  EXPECT_EQ(both("i64_rem_s", {i64(7), i64(0)}), div0("i64_rem_s"));
  EXPECT_EQ(both("i64_rem_u", {i64(7), i64(0)}), div0("i64_rem_u"));
  EXPECT_EQ(both("i32_div_s", {i32(0x80000000u), i32(0xFFFFFFFFu)}), ovf("i32_div_s"));
  EXPECT_EQ(both("i64_div_s", {i64(0x8000000000000000ull), i64(~0ull)}), ovf("i64_div_s"));
  // rem_s of the same operands is 0, not a trap.
  EXPECT_EQ(both("i32_rem_s", {i32(0x80000000u), i32(0xFFFFFFFFu)}), "i32:0");
  EXPECT_EQ(both("i64_rem_s", {i64(0x8000000000000000ull), i64(~0ull)}), "i64:0");
  both("i32_div_s", {i32(uint32_t(-12)), i32(5)});
}

TEST_F(Parity, UnreachableThreeFramesDeep) {
  ModuleBuilder b;
  uint32_t t = b.type({}, {});
  uint32_t c = b.func(t, {}, {0x00});
  uint32_t bb = b.func(t, {}, {0x10, uint8_t(c)});
  uint32_t a = b.func(t, {}, {0x10, uint8_t(bb)}, "a");
  b.func_name(c, "c");
  b.func_name(bb, "b");
  (void)a;  // named by its export
  load(b.build());
  EXPECT_EQ(both("a", {}), trap_text("unreachable", {"c", "b", "a"}));
  EXPECT_EQ(both("a", {}), trap_text("unreachable", {"c", "b", "a"}));
}

TEST_F(Parity, TrapDeepInAMutualRecursionNamesEveryFrame) {
  // Backtraces come from unwinding the machine stack: each of the 601 wasm
  // frames, alternating between two functions, must be there once.
  ModuleBuilder b;
  uint32_t t = b.type({I32}, {});
  // even(n): if n == 0 unreachable; odd(n - 1)
  uint32_t even = b.func(t, {}, {0x20, 0x00, 0x45, 0x04, 0x40, 0x00, 0x0B, 0x20, 0x00, 0x41, 0x01, 0x6B, 0x10, 0x01}, "run");
  // odd(n): even(n)
  uint32_t odd = b.func(t, {}, {0x20, 0x00, 0x10, 0x00});
  b.func_name(even, "even");
  b.func_name(odd, "odd");
  load(b.build());
  std::vector<std::string> frames = {"even"};
  for (int k = 0; k < 300; ++k) {
    frames.push_back("odd");
    frames.push_back("even");
  }
  EXPECT_EQ(both("run", {i32(300)}), trap_text("unreachable", frames));
}

TEST_F(Parity, InfiniteRecursionExhaustsTheCallStack) {
  ModuleBuilder b;
  uint32_t t = b.type({I32}, {I32});
  // not a tail call: local.get 0; i32.const 1; i32.add; call self; i32.const 1; i32.add
  uint32_t f = b.func(t, {}, {0x20, 0x00, 0x41, 0x01, 0x6A, 0x10, 0x00, 0x41, 0x01, 0x6A}, "run");
  b.func_name(f, "recurse");
  load(b.build());
  std::string text = both("run", {i32(0)});
  // The interpreter stops at kDepth nested calls; the native tier runs out of
  // machine stack much deeper and keeps the innermost kDepth + 1 frames.
  EXPECT_EQ(text, trap_text("call stack exhausted", std::vector<std::string>(kDepth + 1, "recurse")));
  // The depth is reset: the same again.
  EXPECT_EQ(both("run", {i32(0)}), text);
}

TEST_F(Parity, IndirectCalls) {
  ModuleBuilder b;
  uint32_t v_i = b.type({}, {I32});
  uint32_t v_i_again = b.type({}, {I32});  // structurally equal: must match
  uint32_t v_l = b.type({}, {I64});
  uint32_t i_i = b.type({I32}, {I32});
  uint32_t i_l = b.type({I32}, {I64});
  uint32_t answer = b.func(v_i, {}, {0x41, 0x2A});
  b.func_name(answer, "answer");
  b.func(i_i, {}, {0x20, 0x00, 0x11, uint8_t(v_i), 0x00}, "dispatch");
  b.func(i_i, {}, {0x20, 0x00, 0x11, uint8_t(v_i_again), 0x00}, "dispatch_same_type");
  b.func(i_l, {}, {0x20, 0x00, 0x11, uint8_t(v_l), 0x00}, "dispatch_wrong_type");
  b.table(3);
  b.elem(0, {answer});
  load(b.build());
  EXPECT_EQ(both("dispatch", {i32(0)}), "i32:42");
  EXPECT_EQ(both("dispatch_same_type", {i32(0)}), "i32:42");
  EXPECT_EQ(both("dispatch", {i32(1)}), trap_text("uninitialized element", {"dispatch"}));
  EXPECT_EQ(both("dispatch", {i32(2)}), trap_text("uninitialized element", {"dispatch"}));
  EXPECT_EQ(both("dispatch", {i32(3)}), trap_text("undefined element", {"dispatch"}));
  EXPECT_EQ(both("dispatch", {i32(0xFFFFFFFF)}), trap_text("undefined element", {"dispatch"}));
  EXPECT_EQ(both("dispatch_wrong_type", {i32(0)}), trap_text("indirect call type mismatch", {"dispatch_wrong_type"}));
}

TEST_F(Parity, FloatToIntConversions) {
  ModuleBuilder b;
  uint32_t f_i = b.type({F32}, {I32});
  uint32_t d_i = b.type({F64}, {I32});
  uint32_t d_l = b.type({F64}, {I64});
  b.func(f_i, {}, {0x20, 0x00, 0xA8}, "i32_trunc_f32_s");
  b.func(d_i, {}, {0x20, 0x00, 0xAA}, "i32_trunc_f64_s");
  b.func(d_i, {}, {0x20, 0x00, 0xAB}, "i32_trunc_f64_u");
  b.func(d_l, {}, {0x20, 0x00, 0xB1}, "i64_trunc_f64_u");
  b.func(d_i, {}, {0x20, 0x00, 0xFC, 0x02}, "i32_trunc_sat_f64_s");
  load(b.build());
  const float nanf = std::numeric_limits<float>::quiet_NaN();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(both("i32_trunc_f32_s", {f32(nanf)}), trap_text("invalid conversion to integer", {"i32_trunc_f32_s"}));
  EXPECT_EQ(both("i32_trunc_f64_s", {f64(nan)}), trap_text("invalid conversion to integer", {"i32_trunc_f64_s"}));
  EXPECT_EQ(both("i64_trunc_f64_u", {f64(-nan)}), trap_text("invalid conversion to integer", {"i64_trunc_f64_u"}));
  EXPECT_EQ(both("i32_trunc_f32_s", {f32(2147483648.0f)}), trap_text("integer overflow", {"i32_trunc_f32_s"}));
  EXPECT_EQ(both("i32_trunc_f64_s", {f64(-2147483649.0)}), trap_text("integer overflow", {"i32_trunc_f64_s"}));
  EXPECT_EQ(both("i32_trunc_f64_u", {f64(-1.0)}), trap_text("integer overflow", {"i32_trunc_f64_u"}));
  EXPECT_EQ(both("i64_trunc_f64_u", {f64(INFINITY)}), trap_text("integer overflow", {"i64_trunc_f64_u"}));
  EXPECT_EQ(both("i32_trunc_f32_s", {f32(-2147483648.0f)}), "i32:2147483648");  // printed unsigned
  both("i32_trunc_f64_s", {f64(-2147483648.9)});
  both("i32_trunc_f64_u", {f64(-0.9)});
  both("i32_trunc_f64_u", {f64(4294967295.9)});
  both("i64_trunc_f64_u", {f64(-0.5)});
  both("i32_trunc_sat_f64_s", {f64(nan)});
  both("i32_trunc_sat_f64_s", {f64(-1e300)});
  both("i32_trunc_sat_f64_s", {f64(1e300)});
}

HostDef failing_host() {
  return HostDef{"env", "double_or_fail", "double_or_fail", wasm::FuncType{{wasm::ValType::I32}, {wasm::ValType::I32}},
                 [](runtime::Engine&) -> runtime::HostFunction {
                   return [](runtime::CallContext&, std::span<runtime::RawValue> io) -> std::optional<runtime::Trap> {
                     if (uint32_t(io[0]) == 0) return runtime::Trap::host("boom");
                     if (uint32_t(io[0]) == 1) return runtime::Trap::exit(3);
                     io[0] = uint32_t(io[0]) * 2;
                     return std::nullopt;
                   };
                 }};
}

TEST_F(Parity, HostFunctionTrapStartsTheBacktraceWithTheHostFunction) {
  ModuleBuilder b;
  uint32_t t = b.type({I32}, {I32});
  uint32_t host = b.import_func("env", "double_or_fail", t);
  uint32_t caller = b.func(t, {}, {0x20, 0x00, 0x10, uint8_t(host), 0x41, 0x01, 0x6A});
  uint32_t outer = b.func(t, {}, {0x20, 0x00, 0x10, uint8_t(caller)}, "f");
  b.func_name(caller, "caller");
  b.func_name(outer, "outer");
  load(b.build(), {failing_host()});
  EXPECT_EQ(both("f", {i32(20)}), "i32:41");
  EXPECT_EQ(both("f", {i32(0)}), trap_text("boom", {"double_or_fail", "caller", "outer"}));
  // proc_exit-like: kind Exit and its code, with no backtrace on either
  // tier (an exit is not an error, and every program pays for its walk).
  EXPECT_EQ(both("f", {i32(1)}), "wasm trap: exit\nexit code 3");
  EXPECT_EQ(both("f", {i32(5)}), "i32:11");
}

TEST_F(Parity, HostFunctionThatCallsBackIntoATrappingExport) {
  // env.reenter calls the instance's export "boom" and returns its trap.
  HostDef reenter{"env", "reenter", "reenter", wasm::FuncType{{}, {}},
                  [](runtime::Engine& engine) -> runtime::HostFunction {
                    return [&engine](runtime::CallContext& cc,
                                     std::span<runtime::RawValue>) -> std::optional<runtime::Trap> {
                      auto* f = cc.caller->exported_func("boom");
                      std::vector<runtime::RawValue> io(1);
                      return engine.call(*cc.store, *f, io);
                    };
                  }};
  ModuleBuilder b;
  uint32_t t = b.type({}, {});
  uint32_t host = b.import_func("env", "reenter", t);
  uint32_t boom = b.func(t, {}, {0x00}, "boom");
  uint32_t mid = b.func(t, {}, {0x10, uint8_t(host)});
  uint32_t top = b.func(t, {}, {0x10, uint8_t(mid)}, "top");
  b.func_name(boom, "boomer");
  b.func_name(mid, "mid");
  b.func_name(top, "top");
  load(b.build(), {reenter});
  both("top", {});
  both("top", {});  // and again, with the frame stacks reset
  both("boom", {});
}

// ---- Results ----

TEST_F(Parity, ResultsOfFunctionsThatDoNotTrap) {
  ModuleBuilder b;
  b.memory(1);
  uint32_t swap_t = b.type({I32, I64}, {I64, I32});
  b.func(swap_t, {}, {0x20, 0x01, 0x20, 0x00}, "swap");
  uint32_t i_i = b.type({I32}, {I32});
  // s = 0; i = 0; loop { s += i; i += 1; br_if (i <u n) }; s
  b.func(i_i, {{2, I32}},
         {0x03, 0x40, 0x20, 0x02, 0x20, 0x01, 0x6A, 0x21, 0x02, 0x20, 0x01, 0x41, 0x01, 0x6A, 0x22, 0x01, 0x20, 0x00,
          0x49, 0x0D, 0x00, 0x0B, 0x20, 0x02},
         "sum");
  b.func(i_i, {}, {0x20, 0x00, 0x28, 0x02, 0x00}, "load");
  b.func(i_i, {}, {0x20, 0x00, 0x40, 0x00}, "grow");
  uint32_t v_i = b.type({}, {I32});
  b.func(v_i, {}, {0x3F, 0x00}, "size");
  // store 77 at 65544, then read it back
  Bytes rw{0x41};
  sleb(rw, 65544);
  rw.insert(rw.end(), {0x41, 0xCD, 0x00, 0x36, 0x02, 0x00, 0x41});
  sleb(rw, 65544);
  rw.insert(rw.end(), {0x28, 0x02, 0x00});
  b.func(v_i, {}, rw, "write_read_page_1");
  uint32_t f_f = b.type({F64, F64}, {F64});
  b.func(f_f, {}, {0x20, 0x00, 0x20, 0x01, 0xA4}, "f64_min");
  load(b.build());
  EXPECT_EQ(both("swap", {i32(1), i64(2)}), "i64:2 i32:1");
  EXPECT_EQ(both("sum", {i32(100)}), "i32:4950");
  both("sum", {i32(0)});
  EXPECT_EQ(both("load", {i32(65536)}), trap_text("out of bounds memory access", {"load"}));
  EXPECT_EQ(both("write_read_page_1", {}), trap_text("out of bounds memory access", {"write_read_page_1"}));
  EXPECT_EQ(both("grow", {i32(1)}), "i32:1");
  EXPECT_EQ(both("size", {}), "i32:2");
  EXPECT_EQ(both("load", {i32(65536)}), "i32:0");
  EXPECT_EQ(both("write_read_page_1", {}), "i32:77");
  EXPECT_EQ(both("load", {i32(131069)}), trap_text("out of bounds memory access", {"load"}));
  EXPECT_EQ(both("grow", {i32(70000)}), "i32:4294967295");  // -1
  EXPECT_EQ(both("size", {}), "i32:2");
  both("f64_min", {f64(0.0), f64(-0.0)});
  both("f64_min", {f64(NAN), f64(1.0)});
}

// The translator carries constants, local.get and pure integer arithmetic
// as C expressions until they are consumed: each must still read a local as
// it was when the wasm pushed it.
TEST_F(Parity, OperandsReadALocalAsItWasWhenPushed) {
  ModuleBuilder b;
  uint32_t i_i = b.type({I32}, {I32});
  // x; x = x + 1; x  ->  old x - new x = -1 (4294967295)
  b.func(i_i, {}, {0x20, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6A, 0x21, 0x00, 0x20, 0x00, 0x6B}, "set_between");
  // x + 3, then x = 10 by tee, + the tee'd 10  ->  x + 13
  b.func(i_i, {}, {0x20, 0x00, 0x41, 0x03, 0x6A, 0x41, 0x0A, 0x22, 0x00, 0x6A}, "tee_between");
  uint32_t ii_i = b.type({I32, I32}, {I32});
  // x; block { br_if 0 (c); x = 99 }; that first x, whether or not the branch skipped the set
  b.func(ii_i, {}, {0x20, 0x00, 0x02, 0x40, 0x20, 0x01, 0x0D, 0x00, 0x41, 0xE3, 0x00, 0x21, 0x00, 0x0B}, "across_branch");
  // (x == 0) - (c == 0) as unsigned, shifted right: no sign may leak in
  b.func(ii_i, {}, {0x20, 0x00, 0x45, 0x20, 0x01, 0x45, 0x6B, 0x41, 0x01, 0x76}, "compare_arith");
  load(b.build());
  EXPECT_EQ(both("set_between", {i32(5)}), "i32:4294967295");
  EXPECT_EQ(both("tee_between", {i32(5)}), "i32:18");
  EXPECT_EQ(both("across_branch", {i32(5), i32(0)}), "i32:5");
  EXPECT_EQ(both("across_branch", {i32(5), i32(1)}), "i32:5");
  EXPECT_EQ(both("compare_arith", {i32(1), i32(0)}), "i32:2147483647");
  EXPECT_EQ(both("compare_arith", {i32(0), i32(1)}), "i32:0");
}

TEST_F(Parity, TwoInstancesOfOneModuleHaveTheirOwnMemory) {
  ModuleBuilder b;
  b.memory(1);
  uint32_t i_i = b.type({I32}, {I32});
  // store the argument at 0, return the old value
  b.func(i_i, {}, {0x41, 0x00, 0x28, 0x02, 0x00, 0x41, 0x00, 0x20, 0x00, 0x36, 0x02, 0x00}, "swap_in");
  auto bytes = b.build();
  auto engine = native_engine(options());
  Side one(*engine, bytes), two(*engine, bytes);
  EXPECT_EQ(one.call("swap_in", {i32(5)}), "i32:0");
  EXPECT_EQ(two.call("swap_in", {i32(9)}), "i32:0");
  EXPECT_EQ(one.call("swap_in", {i32(6)}), "i32:5");
  EXPECT_EQ(two.call("swap_in", {i32(1)}), "i32:9");
  EXPECT_EQ(files_with_extension(".so").size(), 1u);  // one compile, shared
}

TEST_F(NativeTest, StackOverflowOfTheMachineStackIsCallStackExhausted) {
  // The default backtrace limit, a small machine stack: the guard page decides.
  ModuleBuilder b;
  uint32_t t = b.type({I32}, {I32});
  uint32_t f = b.func(t, {{32, I64}}, {0x20, 0x00, 0x41, 0x01, 0x6A, 0x10, 0x00, 0x41, 0x01, 0x6A}, "run");
  b.func_name(f, "recurse");
  native::NativeLimits limits;
  limits.stack_bytes = 1 << 20;
  native::NativeEngine engine(*toolchain(), options(), limits);
  Side side(engine, b.build());
  std::string text = side.call("run", {i32(0)});
  EXPECT_TRUE(text.starts_with("wasm trap: call stack exhausted\n  at recurse\n  at recurse\n")) << text.substr(0, 200);
  EXPECT_EQ(side.call("run", {i32(0)}), text);
}

// ---- The code cache ----

Bytes add_module() {
  ModuleBuilder b;
  uint32_t t = b.type({I32, I32}, {I32});
  b.func(t, {}, {0x20, 0x00, 0x20, 0x01, 0x6A}, "add");
  return b.build();
}

class Cache : public NativeTest {
 protected:
  /// Runs add(2, 3) on a fresh engine (so nothing is loaded already);
  /// returns what the engine printed on stderr.
  std::string run_add(const native::ObtainOptions& o) {
    auto engine = native_engine(o);
    ::testing::internal::CaptureStderr();
    std::string result;
    {
      Side side(*engine, add_module());
      result = side.call("add", {i32(2), i32(3)});
    }
    std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(result, "i32:5") << err;
    return err;
  }
  fs::path the_so() {
    auto so = files_with_extension(".so");
    EXPECT_EQ(so.size(), 1u);
    return so.empty() ? fs::path() : so[0];
  }
  /// Changes one byte in the middle of the file, in place (same size).
  static void flip_a_byte(const fs::path& p) {
    std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
    auto mid = std::streamoff(fs::file_size(p) / 2);
    f.seekg(mid);
    char c = 0;
    f.get(c);
    f.seekp(mid);
    f.put(char(c ^ 0x40));
  }
  size_t records() {
    std::error_code ec;
    size_t n = 0;
    for (fs::directory_iterator it(cache_dir_ / "hashes", ec), end; !ec && it != end; it.increment(ec)) ++n;
    return n;
  }
  void expect_refused_and_rebuilt(const std::string& why) {
    std::string err = run_add(options());
    EXPECT_NE(err.find("refusing"), std::string::npos) << err;
    EXPECT_NE(err.find(why), std::string::npos) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    fs::path so = the_so();
    EXPECT_TRUE(native::verify_entry(so).has_value());
    // And the rebuilt entry is taken silently.
    EXPECT_EQ(run_add(options()), "");
  }
};

TEST_F(Cache, FirstRunFillsTheCacheUnderWasipyCacheDir) {
  EXPECT_EQ(native::default_cache_dir(), cache_dir_);
  EXPECT_EQ(run_add(options()), "");
  fs::path so = the_so();
  ASSERT_FALSE(so.empty());
  EXPECT_TRUE(fs::exists(fs::path(so).replace_extension(".sum")));
  EXPECT_TRUE(native::verify_entry(so).has_value());
  auto t0 = fs::last_write_time(so);
  EXPECT_EQ(run_add(options()), "");
  EXPECT_EQ(fs::last_write_time(so), t0);  // reused, not rebuilt
  auto engine = native_engine(options());
  EXPECT_TRUE(engine->has_cached_code(decode(add_module())));
}

TEST_F(Cache, TruncatedSharedObjectIsRefusedAndRebuilt) {
  run_add(options());
  fs::path so = the_so();
  ASSERT_FALSE(so.empty());
  fs::resize_file(so, fs::file_size(so) / 2);
  EXPECT_FALSE(native::verify_entry(so).has_value());
  EXPECT_FALSE(native_engine(options())->has_cached_code(decode(add_module())));
  expect_refused_and_rebuilt("truncated");
}

TEST_F(Cache, FlippedByteIsRefusedAndRebuilt) {
  run_add(options());
  fs::path so = the_so();
  ASSERT_FALSE(so.empty());
  flip_a_byte(so);
  auto verdict = native::verify_entry(so);
  ASSERT_FALSE(verdict.has_value());
  EXPECT_NE(verdict.error().find("corrupted"), std::string::npos) << verdict.error();
  expect_refused_and_rebuilt("corrupted");
}

TEST_F(Cache, AMatchIsRememberedUntilTheSharedObjectChanges) {
  run_add(options());
  fs::path so = the_so();
  ASSERT_FALSE(so.empty());
  // Just written: hashed on every check, nothing remembered (a second write
  // within the same clock tick could keep its size, mtime and ctime).
  EXPECT_TRUE(native::verify_entry(so).has_value());
  EXPECT_EQ(records(), 0u);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_TRUE(native::verify_entry(so).has_value());
  EXPECT_EQ(records(), 1u);
  EXPECT_TRUE(native::verify_entry(so).has_value());  // by the record
  // A write in place changes the identity (ctime): hashed again, and refused.
  flip_a_byte(so);
  auto verdict = native::verify_entry(so);
  ASSERT_FALSE(verdict.has_value());
  EXPECT_NE(verdict.error().find("corrupted"), std::string::npos) << verdict.error();
  expect_refused_and_rebuilt("corrupted");
}

TEST_F(Cache, ChecksumOfAnotherFormatIsRefused) {
  run_add(options());
  fs::path so = the_so();
  ASSERT_FALSE(so.empty());
  fs::path sum = fs::path(so).replace_extension(".sum");
  std::string text;
  {
    std::ifstream in(sum);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto nl = text.find('\n');
  ASSERT_NE(nl, std::string::npos);
  std::ofstream(sum, std::ios::trunc) << "wasipy-native-artifact 2" << text.substr(nl);
  auto verdict = native::verify_entry(so);
  ASSERT_FALSE(verdict.has_value());
  expect_refused_and_rebuilt("not one this wasipy writes");
}

TEST_F(Cache, MissingChecksumIsRefused) {
  run_add(options());
  fs::path so = the_so();
  ASSERT_FALSE(so.empty());
  fs::remove(fs::path(so).replace_extension(".sum"));
  expect_refused_and_rebuilt("missing");
}

TEST_F(Cache, ClearRemovesEveryEntry) {
  run_add(options());
  ASSERT_EQ(files_with_extension(".so").size(), 1u);
  uint64_t size = fs::file_size(the_so());
  auto freed = native::clear_cache(cache_dir_);
  ASSERT_TRUE(freed.has_value()) << freed.error();
  EXPECT_GE(*freed, size);
  EXPECT_TRUE(files_with_extension(".so").empty());
  EXPECT_TRUE(files_with_extension(".sum").empty());
  // A cleared cache is refilled on the next run, silently.
  EXPECT_EQ(run_add(options()), "");
  EXPECT_EQ(files_with_extension(".so").size(), 1u);
  // Clearing a folder that does not exist is not an error.
  auto none = native::clear_cache(root_ / "nowhere");
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(*none, 0u);
}

TEST_F(Cache, TwoProcessesMissingAtOnceBothSucceedAndLeaveOneEntry) {
  auto module = decode(add_module());
  ASSERT_TRUE(module);
  std::string mhash = native::module_hash(module->bytes);
  int gate[2];
  ASSERT_EQ(pipe(gate), 0);
  pid_t pids[2];
  for (int i = 0; i < 2; ++i) {
    pids[i] = fork();
    ASSERT_GE(pids[i], 0);
    if (pids[i] == 0) {
      // Child: wait for the gate to open, obtain, report by exit status.
      close(gate[1]);
      int log = ::open((root_ / ("child" + std::to_string(i) + ".err")).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(log, 2);
      char c;
      while (read(gate[0], &c, 1) < 0 && errno == EINTR) {
      }
      auto o = options();
      auto a = native::obtain(*module, mhash, *toolchain(), o);
      if (!a) {
        fprintf(stderr, "%s\n", a.error().c_str());
        _exit(1);
      }
      if (!native::verify_entry(a->shared_object)) _exit(2);
      _exit(a->compiled_now ? 10 : 11);
    }
  }
  close(gate[0]);
  close(gate[1]);  // both start now
  int compiled = 0;
  for (int i = 0; i < 2; ++i) {
    int status = 0;
    ASSERT_EQ(waitpid(pids[i], &status, 0), pids[i]);
    ASSERT_TRUE(WIFEXITED(status));
    std::ifstream in(root_ / ("child" + std::to_string(i) + ".err"));
    std::string err(std::istreambuf_iterator<char>(in), {});
    EXPECT_TRUE(WEXITSTATUS(status) == 10 || WEXITSTATUS(status) == 11) << WEXITSTATUS(status) << ": " << err;
    EXPECT_EQ(err, "") << "child " << i;
    compiled += WEXITSTATUS(status) == 10;
  }
  EXPECT_EQ(compiled, 1) << "the lock should make one of them wait for the other's compile";
  EXPECT_EQ(files_with_extension(".so").size(), 1u);
  EXPECT_EQ(files_with_extension(".sum").size(), 1u);
  for (const auto& e : fs::recursive_directory_iterator(cache_dir_)) {
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << "leftover " << e.path();
    if (e.path().parent_path().filename() == "tmp") ADD_FAILURE() << "leftover build folder " << e.path();
  }
  EXPECT_TRUE(native::verify_entry(the_so()).has_value());
  EXPECT_EQ(run_add(options()), "");
}

TEST_F(Cache, WithoutTheCacheNothingIsKept) {
  fs::path tmp = private_tmpdir();
  auto o = options();
  o.use_cache = false;
  EXPECT_EQ(run_add(o), "");
  EXPECT_EQ(run_add(o), "");
  std::error_code ec;
  EXPECT_TRUE(!fs::exists(cache_dir_, ec) || fs::is_empty(cache_dir_, ec));
  EXPECT_TRUE(files_with_extension(".so").empty());
  // The private build folders are gone too.
  for (const auto& e : fs::recursive_directory_iterator(tmp)) {
    if (e.is_regular_file()) ADD_FAILURE() << "left behind: " << e.path();
  }
  auto engine = native_engine(o);
  EXPECT_FALSE(engine->has_cached_code(decode(add_module())));
}

TEST_F(Cache, CompileFillsTheCacheForALaterRun) {
  auto engine = native_engine(options());
  auto module = decode(add_module());
  auto first = engine->compile(*module);
  ASSERT_TRUE(first.has_value()) << first.error();
  EXPECT_TRUE(first->compiled_now);
  EXPECT_FALSE(first->temporary);
  EXPECT_EQ(first->shared_object.parent_path(), cache_dir_);
  auto again = engine->compile(*module);
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(again->compiled_now);
  EXPECT_EQ(again->shared_object, first->shared_object);
  EXPECT_EQ(run_add(options()), "");
}

// Training (cache.h): an instrumented run's counts become the module's
// profile, and the next build uses them under a name of its own.
TEST_F(Cache, TrainingCountsGuideTheNextBuildUnderItsOwnName) {
  if (!toolchain()->profile_guided) GTEST_SKIP() << "training needs gcc";
  EXPECT_EQ(run_add(options()), "");
  ASSERT_EQ(files_with_extension(".so").size(), 1u);
  fs::path plain = the_so();
  auto trainee = options();
  trainee.instrument = true;
  auto engine = native_engine(trainee);
  auto module = decode(add_module());
  std::string key;
  {
    Side side(*engine, add_module());
    EXPECT_EQ(side.call("add", {i32(2), i32(3)}), "i32:5");
    auto saved = engine->save_training();
    ASSERT_TRUE(saved.has_value()) << saved.error();
    ASSERT_EQ(saved->size(), 1u);
    key = native::cache_key(native::module_hash(module->bytes), *toolchain());
    auto stored = native::stored_profile(cache_dir_, key);
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(stored->id, (*saved)[0].id);
  }
  // The instrumented build itself was never cached.
  EXPECT_EQ(files_with_extension(".so").size(), 1u);
  EXPECT_TRUE(fs::is_directory(cache_dir_ / "profiles" / key));
  auto built = native_engine(options())->compile(*module);
  ASSERT_TRUE(built.has_value()) << built.error();
  ASSERT_TRUE(built->profile.has_value());
  EXPECT_NE(built->shared_object.filename().string().find("-pgo" + built->profile->id), std::string::npos);
  EXPECT_TRUE(native::verify_entry(built->shared_object).has_value());
  EXPECT_EQ(files_with_extension(".so").size(), 2u);
  EXPECT_EQ(run_add(options()), "");  // runs the profiled entry, silently
  auto engine2 = native_engine(options());
  EXPECT_TRUE(engine2->has_cached_code(module));
  // Without the profile the plain entry is used again; clearing the cache
  // drops the counts too.
  auto unprofiled = options();
  unprofiled.use_profile = false;
  auto plain_again = native_engine(unprofiled)->compile(*module);
  ASSERT_TRUE(plain_again.has_value());
  EXPECT_EQ(plain_again->shared_object, plain);
  EXPECT_FALSE(plain_again->compiled_now);
  ASSERT_TRUE(native::clear_cache(cache_dir_).has_value());
  EXPECT_FALSE(native::stored_profile(cache_dir_, key).has_value());
  EXPECT_FALSE(fs::exists(cache_dir_ / "profiles"));
}

TEST_F(Cache, TrainingWithoutGccIsRefusedWithAReason) {
  native::Toolchain other = *toolchain();
  other.profile_guided = false;
  auto trainee = options();
  trainee.instrument = true;
  auto r = native::obtain(*decode(add_module()), "00", other, trainee);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("training needs gcc"), std::string::npos) << r.error();
}

TEST_F(Cache, AProfileFileOfAnotherFormatIsIgnored) {
  fs::create_directories(cache_dir_ / "profiles" / "k");
  std::ofstream(cache_dir_ / "profiles" / "k" / "profile") << "wasipy-profile 2\nunits 3\nid abc\n";
  EXPECT_FALSE(native::stored_profile(cache_dir_, "k").has_value());
  std::ofstream(cache_dir_ / "profiles" / "k" / "profile", std::ios::trunc) << "wasipy-profile 1\nunits 0\nid abc\n";
  EXPECT_FALSE(native::stored_profile(cache_dir_, "k").has_value());
  std::ofstream(cache_dir_ / "profiles" / "k" / "profile", std::ios::trunc) << "wasipy-profile 1\nunits 3\nid abc\n";
  auto p = native::stored_profile(cache_dir_, "k");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->units, 3u);
  EXPECT_EQ(p->id, "abc");
  // Sealing needs counts.
  auto sealed = native::seal_profile(cache_dir_, "k");
  ASSERT_FALSE(sealed.has_value());
}

// What launch::load does with a module whose code is in the cache: its
// bodies are never decoded, and the cached code runs all the same.
std::shared_ptr<const wasm::Module> decode_without_bodies(const Bytes& bytes) {
  auto m = wasm::decode(wasm::Bytes(Bytes(bytes)), wasm::Bodies::Later);
  EXPECT_TRUE(m.has_value()) << m.error().message;
  if (!m) return nullptr;
  EXPECT_TRUE(m->deferred_code.has_value());
  return std::make_shared<const wasm::Module>(std::move(*m));
}

TEST_F(Cache, AHitRunsAModuleWhoseBodiesWereNeverDecoded) {
  EXPECT_EQ(run_add(options()), "");
  auto engine = native_engine(options());
  auto module = decode_without_bodies(add_module());
  ASSERT_TRUE(module);
  ASSERT_TRUE(engine->has_cached_code(module));
  runtime::Store store;
  runtime::Linker linker;
  auto inst = runtime::instantiate(store, *engine, module, {}, linker.resolver());
  ASSERT_TRUE(inst.has_value()) << inst.error().message;
  std::vector<runtime::Value> args{i32(2), i32(3)};
  auto r = runtime::invoke(*engine, store, *(*inst)->exported_func("add"), args);
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  EXPECT_EQ((*r)[0].to_string(), "i32:5");
  EXPECT_TRUE(module->deferred_code.has_value());
}

TEST_F(Cache, AMissNeverTranslatesBodiesThatWereNotDecoded) {
  auto engine = native_engine(options());
  auto module = decode_without_bodies(add_module());
  ASSERT_TRUE(module);
  EXPECT_FALSE(engine->has_cached_code(module));
  runtime::Store store;
  runtime::Linker linker;
  auto inst = runtime::instantiate(store, *engine, module, {}, linker.resolver());
  ASSERT_FALSE(inst.has_value());
  EXPECT_NE(inst.error().message.find("never decoded"), std::string::npos) << inst.error().message;
  EXPECT_TRUE(files_with_extension(".so").empty());
}

TEST(CodeIndex, FindsEachAddressTheFirstAddedFirstAndNothingElse) {
  native::CodeIndex index;
  std::vector<runtime::FuncInstance> fs(6);
  char code[8];
  index.reserve(3);
  index.add(code + 5, &fs[0]);
  index.add(code + 1, &fs[1]);
  index.add(code + 3, &fs[2]);
  EXPECT_EQ(index.find(code + 1), &fs[1]);
  EXPECT_EQ(index.find(code + 5), &fs[0]);
  EXPECT_EQ(index.find(code + 2), nullptr);
  EXPECT_EQ(index.find(code + 7), nullptr);
  // A second instance of the same code, and new code, after a search.
  index.add(code + 3, &fs[3]);
  index.add(code + 0, &fs[4]);
  index.add(code + 5, &fs[5]);
  EXPECT_EQ(index.find(code + 3), &fs[2]);
  EXPECT_EQ(index.find(code + 5), &fs[0]);
  EXPECT_EQ(index.find(code + 0), &fs[4]);
  EXPECT_EQ(index.find(code + 1), &fs[1]);
  EXPECT_EQ(index.find(code + 4), nullptr);
}

}  // namespace
