// Wasi::create/add_to through the runtime: host functions in a Store, found by
// a Linker, called with a CallContext whose caller owns a runtime::Memory.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "runtime/instantiate.h"
#include "runtime/store.h"
#include "wasi/state.h"
#include "wasi/wasi.h"

using namespace wasipy;

namespace {

runtime::FuncInstance* lookup(runtime::Linker& linker, const char* name) {
  auto e = linker.lookup("wasi_snapshot_preview1", name);
  if (!e) return nullptr;
  auto* f = std::get_if<runtime::FuncInstance*>(&*e);
  return f ? *f : nullptr;
}

TEST(WasiLink, DefinesEveryFunctionAndWritesToStdout) {
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  wasi::Config cfg;
  cfg.args = {"prog"};
  cfg.stdout_fd = out[1];
  auto w = wasi::Wasi::create(cfg);
  ASSERT_TRUE(w) << w.error();
  runtime::Store store;
  runtime::Linker linker;
  (*w)->add_to(linker, store);
  for (const char* n : {"args_get", "fd_write", "path_open", "poll_oneoff", "proc_exit", "sock_accept"})
    EXPECT_NE(lookup(linker, n), nullptr) << n;

  auto* fd_write = lookup(linker, "fd_write");
  ASSERT_NE(fd_write, nullptr);
  EXPECT_EQ(fd_write->type->params.size(), 4u);
  EXPECT_EQ(fd_write->type->results.size(), 1u);

  auto mem = store.add_memory(wasm::MemoryType{{1, {}}});
  ASSERT_TRUE(mem) << mem.error();
  runtime::Instance* caller = store.add_instance();
  caller->memories.push_back(*mem);
  uint8_t* m = (*mem)->data();
  std::memcpy(m + 100, "hi\n", 3);
  uint32_t iov[2] = {100, 3};
  std::memcpy(m + 16, iov, 8);
  runtime::CallContext ctx{&store, caller};
  std::vector<runtime::RawValue> io = {1, 16, 1, 32};
  EXPECT_FALSE(fd_write->host(ctx, io));
  EXPECT_EQ(io[0], 0u);
  char buf[8] = {};
  ASSERT_EQ(read(out[0], buf, sizeof buf), 3);
  EXPECT_STREQ(buf, "hi\n");

  // Past the end of the memory: EFAULT (21), not a crash.
  io = {1, 65536 - 4, 1, 32};
  EXPECT_FALSE(fd_write->host(ctx, io));
  EXPECT_EQ(io[0], 21u);

  // A closed pipe is EPIPE (64) for the guest, not SIGPIPE for the host.
  close(out[0]);
  io = {1, 16, 1, 32};
  EXPECT_FALSE(fd_write->host(ctx, io));
  EXPECT_EQ(io[0], 64u);

  // proc_exit is a Trap carrying the status.
  io = {7};
  auto trap = lookup(linker, "proc_exit")->host(ctx, io);
  ASSERT_TRUE(trap);
  EXPECT_EQ(trap->kind, runtime::TrapKind::Exit);
  EXPECT_EQ(trap->exit_code, 7);

  // A caller without a memory gets a host trap with a reason.
  runtime::Instance* bare = store.add_instance();
  runtime::CallContext no_mem{&store, bare};
  io = {1, 16, 1, 32};
  auto t2 = fd_write->host(no_mem, io);
  ASSERT_TRUE(t2);
  EXPECT_EQ(t2->kind, runtime::TrapKind::HostError);
  close(out[1]);
}

TEST(WasiState, TerminalsLookLikeTtysToWasiLibc) {
  // wasi-libc's isatty(): a character device without the seek and tell rights.
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0) GTEST_SKIP() << "no pseudo-terminals here";
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
  ASSERT_GE(slave, 0);
  wasi::Config cfg;
  FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  cfg.stdin_fd = cfg.stdout_fd = slave;
  cfg.stderr_fd = fileno(file);
  auto s = wasi::State::create(cfg);
  ASSERT_TRUE(s);
  wasi::FdEntry* out = (*s)->fds.get(1);
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->type, wasi::Filetype::CharacterDevice);
  EXPECT_EQ(out->rights_base & (wasi::rights::FdSeek | wasi::rights::FdTell), 0u);
  EXPECT_NE(out->rights_base & wasi::rights::FdWrite, 0u);
  // A file is no tty: it keeps seek and tell.
  EXPECT_NE((*s)->fds.get(2)->rights_base & wasi::rights::FdSeek, 0u);
  close(slave);
  close(master);
  std::fclose(file);
}

TEST(WasiLink, MissingMountIsAOneLineError) {
  wasi::Config cfg;
  cfg.mounts = {{"/nonexistent/wasipy-test", "/x", false}};
  auto w = wasi::Wasi::create(cfg);
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().find("/nonexistent/wasipy-test"), std::string::npos);
  EXPECT_EQ(w.error().find('\n'), std::string::npos);
}

}  // namespace
