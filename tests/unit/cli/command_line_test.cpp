#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "native/toolchain.h"
#include "support/module_builder.h"
#include "wast/convert.h"

namespace wasipy::cli {
namespace {

struct Outcome {
  int status;
  std::string out;
  std::string err;
};

Outcome cli(std::vector<std::string> args) {
  std::ostringstream out, err;
  int status = main(args, out, err);
  return {status, out.str(), err.str()};
}

/// (module
///   (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
///   (func (export "boom") unreachable)
///   (func (export "half") (param f64) (result f64 i64) (f64.mul (local.get 0) (f64.const 0.5)) (i64.const -7)))
const std::vector<uint8_t> kModule = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    // types: (i32 i32)->i32, ()->(), (f64)->(f64 i64)
    0x01, 0x10, 0x03, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7c, 0x02, 0x7c, 0x7e,
    // functions
    0x03, 0x04, 0x03, 0x00, 0x01, 0x02,
    // exports: add, boom, half
    0x07, 0x15, 0x03, 0x03, 'a', 'd', 'd', 0x00, 0x00, 0x04, 'b', 'o', 'o', 'm', 0x00, 0x01, 0x04, 'h', 'a', 'l',
    'f', 0x00, 0x02,
    // code
    0x0a, 0x1e, 0x03,
    0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b,
    0x03, 0x00, 0x00, 0x0b,
    0x10, 0x00, 0x20, 0x00, 0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe0, 0x3f, 0xa2, 0x42, 0x79, 0x0b,
};

/// (module
///   (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
///   (memory (export "memory") 1)
///   (func (export "_start") (call $exit (i32.const 7))))
std::vector<uint8_t> exit7_module() {
  std::vector<uint8_t> m = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
                            0x01, 0x08, 0x02, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x00, 0x00,  // types
                            0x02, 0x24, 0x01, 0x16};                                     // imports
  auto name = [&](std::string_view s) { m.insert(m.end(), s.begin(), s.end()); };
  name("wasi_snapshot_preview1");
  m.push_back(0x09);
  name("proc_exit");
  m.insert(m.end(), {0x00, 0x00, 0x03, 0x02, 0x01, 0x01, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x13, 0x02, 0x06});
  name("_start");
  m.insert(m.end(), {0x00, 0x01, 0x06});
  name("memory");
  m.insert(m.end(), {0x02, 0x00, 0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x07, 0x10, 0x00, 0x0b});
  return m;
}

class CommandLine : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = wast::TempDir::create("wasipy-cli-test");
    ASSERT_TRUE(d);
    dir_.emplace(std::move(*d));
    // The native tier's code cache goes into the test's folder, never the user's.
    if (const char* old = std::getenv("WASIPY_CACHE_DIR")) old_cache_env_ = old;
    setenv("WASIPY_CACHE_DIR", (dir_->path() / "cache").c_str(), 1);
    module_ = (dir_->path() / "m.wasm").string();
    std::ofstream(module_, std::ios::binary).write(reinterpret_cast<const char*>(kModule.data()), kModule.size());
  }
  std::string write(const std::string& name, const std::string& text) {
    auto p = (dir_->path() / name).string();
    std::ofstream(p) << text;
    return p;
  }
  void TearDown() override {
    if (old_cache_env_) {
      setenv("WASIPY_CACHE_DIR", old_cache_env_->c_str(), 1);
    } else {
      unsetenv("WASIPY_CACHE_DIR");
    }
  }
  std::string cache_dir() const { return (dir_->path() / "cache" / "native").string(); }
  std::optional<wast::TempDir> dir_;
  std::string module_;
  std::optional<std::string> old_cache_env_;
};

TEST_F(CommandLine, NoArgumentsOrUnknownCommandIsAUsageError) {
  auto none = cli({});
  EXPECT_EQ(none.status, kExitUsage);
  EXPECT_NE(none.err.find("usage: wasipy"), std::string::npos);
  auto unknown = cli({"frobnicate"});
  EXPECT_EQ(unknown.status, kExitUsage);
  EXPECT_NE(unknown.err.find("unknown command 'frobnicate'"), std::string::npos);
  auto help = cli({"--help"});
  EXPECT_EQ(help.status, kExitOk);
  EXPECT_NE(help.out.find("wast FILE.wast"), std::string::npos);
}

TEST_F(CommandLine, TestWithoutAProjectSaysSoInOneLine) {
  auto r = cli({"test", "/nonexistent/wasipy-project"});
  EXPECT_EQ(r.status, kExitUsage);
  EXPECT_NE(r.err.find("no project at /nonexistent/wasipy-project"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST_F(CommandLine, CompileOfAMissingFileIsAUsageErrorInOneLine) {
  auto r = cli({"compile", "/nonexistent/wasipy-module.wasm"});
  EXPECT_EQ(r.status, kExitUsage) << r.err;
  EXPECT_NE(r.err.find("/nonexistent/wasipy-module.wasm"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST_F(CommandLine, CompileWritesASharedObjectWithOutput) {
  if (!native::find_toolchain()) GTEST_SKIP() << "no C compiler";
  auto out = (dir_->path() / "m.so").string();
  auto r = cli({"compile", module_, "-o", out});
  ASSERT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(r.out, out + "\n");
  std::ifstream in(out, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  EXPECT_EQ(std::string(magic, 4), "\x7f" "ELF");
  // It also went into the cache (under $WASIPY_CACHE_DIR), where `run` finds it.
  auto cached = cli({"compile", module_});
  ASSERT_EQ(cached.status, kExitOk) << cached.err;
  EXPECT_TRUE(cached.out.starts_with(cache_dir() + "/")) << cached.out;
  EXPECT_TRUE(cached.out.ends_with(".so\n")) << cached.out;
  // `cache clear` empties it.
  auto cleared = cli({"cache", "clear"});
  EXPECT_EQ(cleared.status, kExitOk) << cleared.err;
  EXPECT_FALSE(std::filesystem::exists(cached.out.substr(0, cached.out.size() - 1)));
}

TEST_F(CommandLine, CompileWithoutTheCacheNeedsOutput) {
  auto r = cli({"compile", "--no-cache", module_});
  EXPECT_EQ(r.status, kExitUsage);
  EXPECT_NE(r.err.find("-o"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  if (!native::find_toolchain()) return;
  auto out = (dir_->path() / "private.so").string();
  auto ok = cli({"compile", "--no-cache", module_, "-o", out});
  EXPECT_EQ(ok.status, kExitOk) << ok.err;
  EXPECT_TRUE(std::filesystem::exists(out));
  std::error_code ec;
  EXPECT_TRUE(!std::filesystem::exists(cache_dir(), ec) || std::filesystem::is_empty(cache_dir(), ec));
}

TEST_F(CommandLine, CacheDirPrintsTheNativeFolder) {
  auto r = cli({"cache", "dir"});
  EXPECT_EQ(r.status, kExitOk) << r.err;
  EXPECT_EQ(r.out, cache_dir() + "\n");
  EXPECT_TRUE(r.out.ends_with("/native\n")) << r.out;
  auto bad = cli({"cache", "prune"});
  EXPECT_EQ(bad.status, kExitUsage);
}

TEST_F(CommandLine, TierFlag) {
  auto bogus = cli({"run", "--tier", "bogus", "--invoke", "add", module_, "1", "2"});
  EXPECT_EQ(bogus.status, kExitUsage);
  EXPECT_NE(bogus.err.find("--tier"), std::string::npos) << bogus.err;
  EXPECT_NE(bogus.err.find("bogus"), std::string::npos) << bogus.err;
  EXPECT_TRUE(bogus.out.empty());
  auto interp = cli({"run", "--tier", "interp", "--invoke", "add", module_, "40", "2"});
  EXPECT_EQ(interp.status, kExitOk) << interp.err;
  EXPECT_EQ(interp.out, "42\n");
  if (!native::find_toolchain()) return;
  auto native = cli({"run", "--tier", "native", "--invoke", "add", module_, "40", "2"});
  EXPECT_EQ(native.status, kExitOk) << native.err;
  EXPECT_EQ(native.out, "42\n");
  // A trap reads the same on both tiers.
  auto boom_i = cli({"run", "--tier", "interp", "--invoke", "boom", module_});
  auto boom_n = cli({"run", "--tier", "native", "--invoke", "boom", module_});
  EXPECT_EQ(boom_i.status, kExitTrap);
  EXPECT_EQ(boom_n.status, boom_i.status);
  EXPECT_EQ(boom_n.err, boom_i.err);
  auto nocache = cli({"run", "--tier", "native", "--no-cache", "--invoke", "add", module_, "1", "2"});
  EXPECT_EQ(nocache.status, kExitOk) << nocache.err;
  EXPECT_EQ(nocache.out, "3\n");
}

TEST_F(CommandLine, InvokePrintsResultsOnePerLine) {
  auto add = cli({"run", "--invoke", "add", module_, "40", "2"});
  EXPECT_EQ(add.status, kExitOk) << add.err;
  EXPECT_EQ(add.out, "42\n");
  auto negative = cli({"run", "--invoke", "add", module_, "--", "-5", "0x2"});
  EXPECT_EQ(negative.status, kExitOk) << negative.err;
  EXPECT_EQ(negative.out, "-3\n");
  auto multi = cli({"run", "--invoke", "half", module_, "3"});
  EXPECT_EQ(multi.status, kExitOk) << multi.err;
  EXPECT_EQ(multi.out, "1.5\n-7\n");
}

TEST_F(CommandLine, InvokeUsageErrors) {
  auto count = cli({"run", "--invoke", "add", module_, "1"});
  EXPECT_EQ(count.status, kExitUsage);
  EXPECT_NE(count.err.find("'add' takes 2 arguments (i32, i32), 1 given"), std::string::npos) << count.err;
  auto bad = cli({"run", "--invoke", "add", module_, "1", "two"});
  EXPECT_EQ(bad.status, kExitUsage);
  EXPECT_NE(bad.err.find("argument 2 of 'add'"), std::string::npos) << bad.err;
  auto missing = cli({"run", "--invoke", "nope", module_});
  EXPECT_EQ(missing.status, kExitUsage);
  EXPECT_NE(missing.err.find("exported functions: add, boom, half"), std::string::npos) << missing.err;
  auto nofile = cli({"run", "--invoke", "add", "/nonexistent.wasm"});
  EXPECT_EQ(nofile.status, kExitUsage);
  EXPECT_NE(nofile.err.find("no such file"), std::string::npos);
  auto nomodule = cli({"run", "--invoke", "add"});
  EXPECT_EQ(nomodule.status, kExitUsage);
  auto badopt = cli({"run", "--bogus", module_});
  EXPECT_EQ(badopt.status, kExitUsage);
  EXPECT_NE(badopt.err.find("wasipy run --help"), std::string::npos) << badopt.err;
  auto baddir = cli({"run", "--dir", "::x", module_});
  EXPECT_EQ(baddir.status, kExitUsage);
}

TEST_F(CommandLine, ATrapPrintsItsDescriptionAndExitsNonzero) {
  auto r = cli({"run", "--invoke", "boom", module_});
  EXPECT_EQ(r.status, kExitTrap);
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(r.err.find("unreachable"), std::string::npos) << r.err;
}

TEST_F(CommandLine, RunStartExitsWithTheGuestsProcExitStatus) {
  auto bytes = exit7_module();
  auto path = write("exit7.wasm", std::string(bytes.begin(), bytes.end()));
  auto r = cli({"run", path});
  if (r.err.find("built without WASI") != std::string::npos) GTEST_SKIP() << r.err;
  EXPECT_EQ(r.status, 7) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  auto nodir = cli({"run", "--dir", "/nonexistent/folder", path});
  EXPECT_EQ(nodir.status, kExitUsage);
  EXPECT_NE(nodir.err.find("/nonexistent/folder"), std::string::npos) << nodir.err;
  auto nostart = cli({"run", module_});
  EXPECT_EQ(nostart.status, kExitFailure);
  EXPECT_NE(nostart.err.find("exports no _start"), std::string::npos) << nostart.err;
}

/// _start writes "hi\n" to fd 1 with fd_write, then proc_exit(7), or traps
/// (unreachable) instead of exiting.
std::vector<uint8_t> hello_module(bool trap) {
  using namespace wasipy::testing;
  ModuleBuilder b;
  uint32_t fd_write = b.import_func("wasi_snapshot_preview1", "fd_write", b.type({I32, I32, I32, I32}, {I32}));
  uint32_t proc_exit = b.import_func("wasi_snapshot_preview1", "proc_exit", b.type({I32}, {}));
  b.memory(1);
  Bytes body = {
      0x41, 0x00, 0x41, 0x10, 0x36, 0x02, 0x00,                         // iovec.buf = 16
      0x41, 0x04, 0x41, 0x03, 0x36, 0x02, 0x00,                         // iovec.len = 3
      0x41, 0x10, 0x41, 0xE8, 0xD2, 0x29, 0x36, 0x02, 0x00,             // "hi\n" at 16
      0x41, 0x01, 0x41, 0x00, 0x41, 0x01, 0x41, 0x08, 0x10, uint8_t(fd_write), 0x1A,  // fd_write(1, iovs, 1, &n)
  };
  if (trap) {
    body.push_back(0x00);
  } else {
    body.insert(body.end(), {0x41, 0x07, 0x10, uint8_t(proc_exit)});
  }
  b.func(b.type({}, {}), {}, body, "_start");
  return b.build();
}

TEST_F(CommandLine, TrainKeepsTheCountsOfARunThatExitsForTheNextCompile) {
  auto bytes = hello_module(false);
  auto path = write("hello.wasm", std::string(bytes.begin(), bytes.end()));
  auto interp = cli({"run", "--train", "--tier", "interp", path});
  EXPECT_NE(interp.status, kExitOk);
  EXPECT_NE(interp.err.find("training is for the native tier"), std::string::npos) << interp.err;
  auto tc = native::find_toolchain();
  if (!tc || !tc->profile_guided) GTEST_SKIP() << "training needs gcc";
  auto trained = cli({"run", "--train", path});
  if (trained.err.find("built without WASI") != std::string::npos) GTEST_SKIP() << trained.err;
  EXPECT_EQ(trained.status, 7) << trained.err;
  EXPECT_NE(trained.err.find("training counts saved for hello.wasm (profile "), std::string::npos) << trained.err;
  auto compiled = cli({"compile", path});
  ASSERT_EQ(compiled.status, kExitOk) << compiled.err;
  EXPECT_NE(compiled.out.find("-pgo"), std::string::npos) << compiled.out;
  auto again = cli({"run", path});
  EXPECT_EQ(again.status, 7) << again.err;
  EXPECT_TRUE(again.err.empty()) << again.err;
}

TEST_F(CommandLine, TheExecutableEndsARunWithTheGuestsStatusAndLosesNoOutput) {
  // As tools/main.cpp runs it: after exit_without_teardown, `run` ends the
  // process itself (in a child here) once the guest is done.
  for (bool trap : {false, true}) {
    auto bytes = hello_module(trap);
    auto path = write("hello.wasm", std::string(bytes.begin(), bytes.end()));
    auto out_path = dir_->path() / "out.txt", err_path = dir_->path() / "err.txt";
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      dup2(::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 1);
      dup2(::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 2);
      exit_without_teardown();
      std::cout << "before ";  // a host stream's buffer is flushed too
      main({"run", path}, std::cout, std::cerr);
      _exit(99);  // not reached
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    std::ifstream out_in(out_path), err_in(err_path);
    std::string out(std::istreambuf_iterator<char>(out_in), {}), err(std::istreambuf_iterator<char>(err_in), {});
    if (err.find("built without WASI") != std::string::npos) GTEST_SKIP() << err;
    EXPECT_EQ(WEXITSTATUS(status), trap ? kExitTrap : 7) << err;
    EXPECT_EQ(out, "before hi\n");
    if (trap) {
      EXPECT_NE(err.find("unreachable"), std::string::npos) << err;
    } else {
      EXPECT_EQ(err, "");
    }
  }
  // Without exit_without_teardown (as here), the command returns.
  auto bytes = hello_module(false);
  EXPECT_EQ(cli({"run", write("hello.wasm", std::string(bytes.begin(), bytes.end()))}).status, 7);
}

TEST_F(CommandLine, RejectsAMalformedModuleInOneLine) {
  auto path = write("bad.wasm", std::string("\0asm\x02\0\0\0", 8));
  auto r = cli({"run", "--invoke", "f", path});
  EXPECT_EQ(r.status, kExitFailure);
  EXPECT_NE(r.err.find("is not a valid module"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST_F(CommandLine, WastEndsWithTheSummaryLineAndFailsOnFailures) {
  auto good = write("good.wast", R"((module (func (export "f") (result i32) (i32.const 1)))
(assert_return (invoke "f") (i32.const 1))
(assert_malformed (module quote "(func") "unexpected end")
)");
  auto r = cli({"wast", good});
  EXPECT_EQ(r.status, kExitOk) << r.out << r.err;
  EXPECT_EQ(r.out, "1 passed, 0 failed, 1 skipped\n");

  auto bad = write("bad.wast", R"((module (func (export "f") (result i32) (i32.const 1)))
(assert_return (invoke "f") (i32.const 2))
)");
  auto f = cli({"wast", good, bad});
  EXPECT_EQ(f.status, kExitFailure);
  EXPECT_NE(f.out.find("bad.wast:2: assert_return: invoke \"f\"(): expected i32:2, got i32:1\n"), std::string::npos)
      << f.out;
  EXPECT_TRUE(f.out.ends_with("\n1 passed, 1 failed, 1 skipped\n")) << f.out;

  auto missing = cli({"wast", "/nonexistent.wast"});
  EXPECT_EQ(missing.status, kExitUsage);
  EXPECT_NE(missing.err.find("no such file"), std::string::npos);
}

}  // namespace
}  // namespace wasipy::cli
