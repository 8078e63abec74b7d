#include <gtest/gtest.h>

#include <fstream>

#include "wast/convert.h"
#include "wast/runner.h"

namespace wasipy::wast {
namespace {

struct ScriptRun {
  Summary summary;
  std::vector<Result> results;

  const Result* first(Outcome o) const {
    for (const Result& r : results)
      if (r.outcome == o) return &r;
    return nullptr;
  }
};

/// Writes `text` to a .wast file and runs it through wast2json and the runner.
ScriptRun run_wast(std::string_view text, Options options = {}) {
  auto dir = TempDir::create("wasipy-runner-test");
  EXPECT_TRUE(dir);
  auto path = dir->path() / "t.wast";
  std::ofstream(path) << text;
  ScriptRun run;
  Callbacks callbacks;
  callbacks.on_result = [&](const Result& r) { run.results.push_back(r); };
  ScriptRunner runner(callbacks, options);
  run.summary = runner.run_file(path);
  return run;
}

std::string failures(const ScriptRun& run) {
  std::string out;
  for (const Result& r : run.results)
    if (r.outcome == Outcome::Failed) out += r.describe() + "\n";
  return out;
}

TEST(Runner, CountsPassedAndFailedAssertReturn) {
  ScriptRun run = run_wast(R"(
(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 4))
(assert_return (invoke "add" (i32.const -1) (i32.const 0)) (i32.const -1))
)");
  EXPECT_EQ(run.summary.passed, 2u);
  EXPECT_EQ(run.summary.failed, 1u);
  const Result* failed = run.first(Outcome::Failed);
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->line, 5);
  EXPECT_EQ(failed->command, "assert_return");
  EXPECT_NE(failed->message.find("expected i32:4, got i32:3"), std::string::npos) << failed->message;
  EXPECT_NE(failed->describe().find("t.wast:5: assert_return:"), std::string::npos) << failed->describe();
}

TEST(Runner, ChecksTrapsAndTheirMessages) {
  ScriptRun run = run_wast(R"(
(module
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "boom") unreachable))
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer divide by zero")
(assert_trap (invoke "boom") "unreachable")
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "unreachable")
(assert_trap (invoke "div" (i32.const 4) (i32.const 2)) "integer divide by zero")
(assert_return (invoke "boom"))
)");
  EXPECT_EQ(run.summary.passed, 2u) << failures(run);
  EXPECT_EQ(run.summary.failed, 3u) << failures(run);
}

TEST(Runner, ModuleAssertionsMatchTheKindOfRejection) {
  ScriptRun run = run_wast(R"(
(assert_malformed (module binary "\00asm" "\02\00\00\00") "unknown binary version")
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_malformed (module quote "(func") "unexpected end")
(assert_invalid (module (func)) "this module is valid")
(assert_malformed (module binary "\00asm" "\01\00\00\00") "this module is well-formed")
)");
  EXPECT_EQ(run.summary.passed, 2u) << failures(run);
  EXPECT_EQ(run.summary.failed, 2u) << failures(run);
  EXPECT_EQ(run.summary.skipped, 1u);
  EXPECT_EQ(run.summary.skip_reasons[kTextModuleSkip], 1u);
}

TEST(Runner, LinksRegisteredModulesAndChecksUnlinkableAndUninstantiable) {
  ScriptRun run = run_wast(R"(
(module $A
  (global (export "g") i32 (i32.const 42))
  (func (export "f") (result i32) (i32.const 7)))
(register "a" $A)
(module $B
  (import "a" "f" (func $f (result i32)))
  (import "a" "g" (global $g i32))
  (func (export "sum") (result i32) (i32.add (call $f) (global.get $g))))
(assert_return (invoke "sum") (i32.const 49))
(assert_return (get $A "g") (i32.const 42))
(assert_unlinkable (module (import "a" "f" (func (param i32)))) "incompatible import type")
(assert_unlinkable (module (import "a" "nope" (func))) "unknown import")
(assert_trap (module (func $s unreachable) (start $s)) "unreachable")
(assert_return (invoke $B "sum") (i32.const 49))
)");
  EXPECT_EQ(run.summary.failed, 0u) << failures(run);
  EXPECT_EQ(run.summary.passed, 6u);
}

TEST(Runner, ProvidesTheSpectestModule) {
  ScriptRun run = run_wast(R"(
(module
  (import "spectest" "print_i32" (func $print (param i32)))
  (import "spectest" "global_i32" (global $g i32))
  (import "spectest" "global_f64" (global $h f64))
  (import "spectest" "table" (table 10 funcref))
  (import "spectest" "memory" (memory 1 2))
  (func (export "g") (result i32) (call $print (global.get $g)) (global.get $g))
  (func (export "h") (result f64) (global.get $h))
  (func (export "pages") (result i32) (memory.size))
  (func (export "slots") (result i32) (table.size 0)))
(assert_return (invoke "g") (i32.const 666))
(assert_return (invoke "h") (f64.const 666.6))
(assert_return (invoke "pages") (i32.const 1))
(assert_return (invoke "slots") (i32.const 10))
(assert_unlinkable (module (import "spectest" "print_i32" (func (param i64)))) "incompatible import type")
)");
  EXPECT_EQ(run.summary.failed, 0u) << failures(run);
  EXPECT_EQ(run.summary.passed, 5u);
}

TEST(Runner, NanPatternsAndReferences) {
  ScriptRun run = run_wast(R"(
(module
  (func (export "nan") (result f32) (f32.div (f32.const 0) (f32.const 0)))
  (func (export "id") (param externref) (result externref) (local.get 0))
  (func (export "null") (result funcref) (ref.null func))
  (func $f)
  (elem declare func $f)
  (func (export "fn") (result funcref) (ref.func $f))
  (func (export "two") (result i32 i64) (i32.const 1) (i64.const 2)))
(assert_return (invoke "nan") (f32.const nan:canonical))
(assert_return (invoke "nan") (f32.const nan:arithmetic))
(assert_return (invoke "nan") (f32.const 0))
(assert_return (invoke "id" (ref.extern 1)) (ref.extern 1))
(assert_return (invoke "id" (ref.extern 1)) (ref.extern 2))
(assert_return (invoke "id" (ref.null extern)) (ref.null extern))
(assert_return (invoke "null") (ref.null func))
(assert_return (invoke "fn") (ref.func))
(assert_return (invoke "two") (i32.const 1) (i64.const 2))
(assert_return (invoke "two") (i32.const 1) (i64.const 3))
)");
  EXPECT_EQ(run.summary.passed, 7u) << failures(run);
  EXPECT_EQ(run.summary.failed, 3u) << failures(run);
}

TEST(Runner, StackExhaustionIsATrap) {
  ScriptRun run = run_wast(R"(
(module (func $f (export "f") (call $f)))
(assert_exhaustion (invoke "f") "call stack exhausted")
)");
  EXPECT_EQ(run.summary.passed, 1u) << failures(run);
  EXPECT_EQ(run.summary.failed, 0u);
}

TEST(Runner, SkipsTheRestOfAFileAfterAnUnsupportedModule) {
  ScriptRun run = run_wast(R"(
(module $M (func (export "f") (result i32) (i32.const 1)))
(assert_return (invoke "f") (i32.const 1))
(module (func (export "v") (result v128) (v128.const i64x2 0 0)))
(assert_return (invoke "v") (v128.const i64x2 0 0))
(assert_return (invoke $M "f") (i32.const 1))
)");
  EXPECT_EQ(run.summary.passed, 1u) << failures(run);
  EXPECT_EQ(run.summary.failed, 0u) << failures(run);
  EXPECT_EQ(run.summary.skipped, 2u);
  ASSERT_EQ(run.summary.skip_reasons.size(), 1u);
  EXPECT_NE(run.summary.skip_reasons.begin()->first.find("unsupported feature: simd"), std::string::npos)
      << run.summary.skip_reasons.begin()->first;
}

TEST(Runner, FailedModulesAndActionsAreFailures) {
  ScriptRun run = run_wast(R"(
(module (func (export "trap") unreachable))
(invoke "trap")
(module (import "nowhere" "f" (func)) (func (export "f")))
(assert_return (invoke "f"))
)");
  EXPECT_EQ(run.summary.failed, 3u) << failures(run);
  EXPECT_EQ(run.summary.passed, 0u);
  EXPECT_NE(failures(run).find("invoke \"trap\"(): unexpected trap: unreachable"), std::string::npos) << failures(run);
  EXPECT_NE(failures(run).find("no module is instantiated"), std::string::npos) << failures(run);
  EXPECT_NE(failures(run).find("module not instantiated (unlinkable)"), std::string::npos) << failures(run);
}

TEST(Runner, ReportsConversionProblemsAsOneFailure) {
  Options no_tool;
  no_tool.wast2json = "/nonexistent/wast2json";
  ScriptRun missing = run_wast("(module)", no_tool);
  EXPECT_EQ(missing.summary.failed, 1u);
  ASSERT_EQ(missing.results.size(), 1u);
  EXPECT_NE(missing.results[0].message.find("install wabt"), std::string::npos) << missing.results[0].message;

  ScriptRun broken = run_wast("(module (func (i32.bogus)))");
  EXPECT_EQ(broken.summary.failed, 1u);
  ASSERT_EQ(broken.results.size(), 1u);
  EXPECT_EQ(broken.results[0].command, "wast2json");
}

}  // namespace
}  // namespace wasipy::wast
