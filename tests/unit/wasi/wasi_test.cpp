// Each wasi_snapshot_preview1 call against a bare byte buffer standing in for
// guest memory: no module, no interpreter.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "wasi/abi.h"
#include "wasi/host.h"
#include "wasi/state.h"

namespace fs = std::filesystem;
using namespace wasipy::wasi;
using wasipy::runtime::RawValue;

namespace {

constexpr uint32_t kMemSize = 65536;
// Scratch areas in guest memory.
constexpr uint32_t kOut = 0x100;    // results
constexpr uint32_t kOut2 = 0x180;
constexpr uint32_t kIov = 0x200;    // iovec arrays
constexpr uint32_t kPath = 0x1000;  // a path string
constexpr uint32_t kPath2 = 0x2000;
constexpr uint32_t kBuf = 0x4000;   // data buffers
constexpr uint32_t kBufLen = 0x4000;

constexpr uint32_t kSandbox = 3, kReadOnly = 4, kDev = 5;

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}
void spit(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

class WasiTest : public ::testing::TestWithParam<host::ResolveMode> {
 protected:
  void SetUp() override {
    host::set_resolve_mode(GetParam());
    char tmpl[] = "/tmp/wasi-unit-XXXXXX";
    root_ = mkdtemp(tmpl);
    fs::create_directories(root_ / "sandbox" / "sub");
    fs::create_directories(root_ / "ro");
    fs::create_directories(root_ / "outside");
    spit(root_ / "outside" / "secret", "secret");
    spit(root_ / "sandbox" / "hello.txt", "hello world");
    spit(root_ / "ro" / "data.txt", "read only");
    ASSERT_EQ(pipe(in_), 0);
    ASSERT_EQ(pipe(out_), 0);
    Config cfg;
    cfg.args = {"prog", "one", "two words"};
    cfg.env = {"A=1", "HOME=/sandbox"};
    cfg.mounts = {{(root_ / "sandbox").string(), "/sandbox", false},
                  {(root_ / "ro").string(), "/ro", true}};
    cfg.stdin_fd = in_[0];
    cfg.stdout_fd = out_[1];
    cfg.stderr_fd = out_[1];
    auto s = State::create(cfg);
    ASSERT_TRUE(s) << s.error();
    state_ = std::shared_ptr<State>(std::move(*s));
    for (auto& b : bindings(state_)) fns_[b.name] = b;
  }
  void TearDown() override {
    state_.reset();
    for (int fd : {in_[0], in_[1], out_[0], out_[1]}) close(fd);
    std::error_code ec;
    fs::remove_all(root_, ec);
    host::set_resolve_mode(host::ResolveMode::Auto);
  }

  Errno call(const std::string& name, std::initializer_list<uint64_t> args) {
    auto it = fns_.find(name);
    EXPECT_NE(it, fns_.end()) << name;
    EXPECT_EQ(it->second.type.params.size(), args.size()) << name;
    std::vector<RawValue> io(std::max<size_t>(args.size(), 1));
    std::copy(args.begin(), args.end(), io.begin());
    auto trap = it->second.call(mem_, io);
    EXPECT_FALSE(trap) << name;
    return Errno(uint16_t(io[0]));
  }

  uint32_t put(uint32_t addr, std::string_view s) {
    std::memcpy(bytes_.data() + addr, s.data(), s.size());
    return uint32_t(s.size());
  }
  template <class T>
  T get(uint32_t addr) {
    return *mem_.load<T>(addr);
  }
  std::string str(uint32_t addr, uint32_t len) {
    return std::string(reinterpret_cast<char*>(bytes_.data() + addr), len);
  }
  void iov(uint32_t at, uint32_t buf, uint32_t len) {
    mem_.store<uint32_t>(at, buf);
    mem_.store<uint32_t>(at + 4, len);
  }

  /// path_open; returns the new fd or the errno.
  std::expected<uint32_t, Errno> open(std::string_view path, uint32_t oflags = 0,
                                      uint64_t base = rights::All, uint32_t fdflags = 0,
                                      uint32_t dir = kSandbox, bool follow = true) {
    uint32_t n = put(kPath, path);
    Errno e = call("path_open", {dir, follow ? 1u : 0u, kPath, n, oflags, base, rights::All, fdflags, kOut});
    if (e != Errno::Success) return std::unexpected(e);
    return get<uint32_t>(kOut);
  }
  Errno path_call(const std::string& name, uint32_t dir, std::string_view path) {
    uint32_t n = put(kPath, path);
    return call(name, {dir, kPath, n});
  }
  std::expected<std::string, Errno> read_all(uint32_t fd) {
    iov(kIov, kBuf, kBufLen);
    Errno e = call("fd_read", {fd, kIov, 1, kOut});
    if (e != Errno::Success) return std::unexpected(e);
    return str(kBuf, get<uint32_t>(kOut));
  }
  Errno write(uint32_t fd, std::string_view s) {
    put(kBuf, s);
    iov(kIov, kBuf, uint32_t(s.size()));
    return call("fd_write", {fd, kIov, 1, kOut});
  }
  std::expected<uint8_t, Errno> stat_type(std::string_view path, bool follow, uint32_t dir = kSandbox) {
    uint32_t n = put(kPath, path);
    Errno e = call("path_filestat_get", {dir, follow ? 1u : 0u, kPath, n, kBuf});
    if (e != Errno::Success) return std::unexpected(e);
    return get<uint8_t>(kBuf + 16);
  }

  fs::path root_;
  int in_[2] = {-1, -1}, out_[2] = {-1, -1};
  std::vector<uint8_t> bytes_ = std::vector<uint8_t>(kMemSize);
  GuestMemory mem_{bytes_};
  std::shared_ptr<State> state_;
  std::map<std::string, Binding> fns_;
};

// The same tests run with openat2 and with the portable walk.
INSTANTIATE_TEST_SUITE_P(Resolve, WasiTest,
                         ::testing::Values(host::ResolveMode::Openat2, host::ResolveMode::Walk),
                         [](const auto& info) {
                           return info.param == host::ResolveMode::Walk ? std::string("Walk")
                                                                         : std::string("Openat2");
                         });

TEST_P(WasiTest, AllFunctionsBound) {
  EXPECT_EQ(fns_.size(), 46u);  // the witx's 45 of 2020 plus sock_accept
  EXPECT_EQ(fns_["proc_exit"].type.results.size(), 0u);
  EXPECT_EQ(fns_["path_open"].type.params.size(), 9u);
  EXPECT_EQ(fns_["fd_seek"].type.params[1], wasipy::wasm::ValType::I64);
}

TEST_P(WasiTest, Args) {
  EXPECT_EQ(call("args_sizes_get", {kOut, kOut + 4}), Errno::Success);
  EXPECT_EQ(get<uint32_t>(kOut), 3u);
  EXPECT_EQ(get<uint32_t>(kOut + 4), 5u + 4u + 10u);
  EXPECT_EQ(call("args_get", {kOut2, kBuf}), Errno::Success);
  EXPECT_EQ(get<uint32_t>(kOut2), kBuf);
  EXPECT_EQ(str(get<uint32_t>(kOut2 + 8), 10), std::string("two words\0", 10));
  EXPECT_EQ(call("args_get", {kOut2, kMemSize - 4}), Errno::Fault);
  EXPECT_EQ(call("args_sizes_get", {kMemSize - 2, kOut}), Errno::Fault);
}

TEST_P(WasiTest, Environ) {
  EXPECT_EQ(call("environ_sizes_get", {kOut, kOut + 4}), Errno::Success);
  EXPECT_EQ(get<uint32_t>(kOut), 2u);
  EXPECT_EQ(get<uint32_t>(kOut + 4), 4u + 14u);
  EXPECT_EQ(call("environ_get", {kOut2, kBuf}), Errno::Success);
  EXPECT_EQ(str(get<uint32_t>(kOut2 + 4), 13), "HOME=/sandbox");
  EXPECT_EQ(call("environ_get", {0xFFFFFFFF, kBuf}), Errno::Fault);
}

TEST_P(WasiTest, Clocks) {
  for (uint32_t id = 0; id < 4; ++id) {
    EXPECT_EQ(call("clock_res_get", {id, kOut}), Errno::Success) << id;
    EXPECT_GT(get<uint64_t>(kOut), 0u);
    EXPECT_EQ(call("clock_time_get", {id, 1, kOut}), Errno::Success) << id;
  }
  EXPECT_EQ(call("clock_time_get", {1, 1, kOut}), Errno::Success);
  uint64_t a = get<uint64_t>(kOut);
  EXPECT_EQ(call("clock_time_get", {1, 1, kOut}), Errno::Success);
  EXPECT_GE(get<uint64_t>(kOut), a);
  EXPECT_EQ(call("clock_time_get", {0, 1, kOut}), Errno::Success);
  EXPECT_GT(get<uint64_t>(kOut), 1'600'000'000ull * 1'000'000'000ull);  // after 2020
  EXPECT_EQ(call("clock_time_get", {4, 1, kOut}), Errno::Inval);
  EXPECT_EQ(call("clock_res_get", {9, kOut}), Errno::Inval);
  EXPECT_EQ(call("clock_time_get", {0, 1, kMemSize - 7}), Errno::Fault);
}

TEST_P(WasiTest, RandomGet) {
  EXPECT_EQ(call("random_get", {kBuf, 64}), Errno::Success);
  int nonzero = 0;
  for (int i = 0; i < 64; ++i) nonzero += bytes_[kBuf + i] != 0;
  EXPECT_GT(nonzero, 32);
  EXPECT_EQ(call("random_get", {kMemSize - 10, 11}), Errno::Fault);
  EXPECT_EQ(call("random_get", {kMemSize, 0}), Errno::Success);
}

TEST_P(WasiTest, Prestat) {
  EXPECT_EQ(call("fd_prestat_get", {kSandbox, kOut}), Errno::Success);
  EXPECT_EQ(get<uint8_t>(kOut), 0);
  EXPECT_EQ(get<uint32_t>(kOut + 4), 8u);
  EXPECT_EQ(call("fd_prestat_dir_name", {kSandbox, kBuf, 8}), Errno::Success);
  EXPECT_EQ(str(kBuf, 8), "/sandbox");
  EXPECT_EQ(call("fd_prestat_dir_name", {kSandbox, kBuf, 3}), Errno::Nametoolong);
  EXPECT_EQ(call("fd_prestat_dir_name", {kDev, kBuf, 4}), Errno::Success);
  EXPECT_EQ(str(kBuf, 4), "/dev");
  EXPECT_EQ(call("fd_prestat_get", {kDev + 1, kOut}), Errno::Badf);
  EXPECT_EQ(call("fd_prestat_get", {1, kOut}), Errno::Badf);
  EXPECT_EQ(call("fd_prestat_get", {kSandbox, kMemSize - 4}), Errno::Fault);
}

TEST_P(WasiTest, StdioWriteAndRead) {
  put(kBuf, "abc");
  put(kBuf + 100, "defg");
  iov(kIov, kBuf, 3);
  iov(kIov + 8, kBuf + 100, 4);
  ASSERT_EQ(call("fd_write", {1, kIov, 2, kOut}), Errno::Success);
  EXPECT_EQ(get<uint32_t>(kOut), 7u);
  char got[16] = {};
  ASSERT_EQ(::read(out_[0], got, sizeof got), 7);
  EXPECT_STREQ(got, "abcdefg");
  // A bad buffer anywhere in the list: EFAULT, and nothing is written.
  iov(kIov + 8, kMemSize - 2, 4);
  EXPECT_EQ(call("fd_write", {1, kIov, 2, kOut}), Errno::Fault);
  EXPECT_EQ(call("fd_write", {1, kMemSize - 4, 1, kOut}), Errno::Fault);
  EXPECT_EQ(call("fd_write", {1, kIov, 1, kMemSize}), Errno::Fault);
  EXPECT_EQ(call("fd_write", {42, kIov, 1, kOut}), Errno::Badf);

  ASSERT_EQ(::write(in_[1], "input", 5), 5);
  auto r = read_all(0);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "input");
  EXPECT_EQ(call("fd_fdstat_get", {0, kOut}), Errno::Success);
  EXPECT_EQ(get<uint8_t>(kOut), uint8_t(Filetype::Unknown));  // a pipe
}

TEST_P(WasiTest, OpenReadWriteSeek) {
  auto fd = open("new.txt", oflags::Creat | oflags::Excl);
  ASSERT_TRUE(fd) << name_of(fd.error());
  EXPECT_GT(*fd, kDev);
  EXPECT_EQ(write(*fd, "0123456789"), Errno::Success);
  EXPECT_EQ(slurp(root_ / "sandbox" / "new.txt"), "0123456789");
  EXPECT_EQ(open("new.txt", oflags::Creat | oflags::Excl).error(), Errno::Exist);

  EXPECT_EQ(call("fd_tell", {*fd, kOut}), Errno::Success);
  EXPECT_EQ(get<uint64_t>(kOut), 10u);
  EXPECT_EQ(call("fd_seek", {*fd, uint64_t(-4), 1, kOut}), Errno::Success);  // SEEK_CUR -4
  EXPECT_EQ(get<uint64_t>(kOut), 6u);
  EXPECT_EQ(*read_all(*fd), "6789");
  EXPECT_EQ(call("fd_seek", {*fd, 2, 0, kOut}), Errno::Success);
  EXPECT_EQ(*read_all(*fd), "23456789");
  EXPECT_EQ(call("fd_seek", {*fd, uint64_t(-1), 2, kOut}), Errno::Success);
  EXPECT_EQ(get<uint64_t>(kOut), 9u);
  EXPECT_EQ(call("fd_seek", {*fd, 0, 3, kOut}), Errno::Inval);
  EXPECT_EQ(call("fd_seek", {*fd, uint64_t(-100), 0, kOut}), Errno::Inval);

  // pread/pwrite leave the position alone.
  iov(kIov, kBuf, 3);
  EXPECT_EQ(call("fd_pread", {*fd, kIov, 1, 1, kOut}), Errno::Success);
  EXPECT_EQ(str(kBuf, 3), "123");
  put(kBuf, "AB");
  iov(kIov, kBuf, 2);
  EXPECT_EQ(call("fd_pwrite", {*fd, kIov, 1, 4, kOut}), Errno::Success);
  EXPECT_EQ(get<uint32_t>(kOut), 2u);
  EXPECT_EQ(slurp(root_ / "sandbox" / "new.txt"), "0123AB6789");
  EXPECT_EQ(call("fd_tell", {*fd, kOut}), Errno::Success);
  EXPECT_EQ(get<uint64_t>(kOut), 9u);

  // Truncate on open.
  auto t = open("new.txt", oflags::Trunc);
  ASSERT_TRUE(t);
  EXPECT_EQ(slurp(root_ / "sandbox" / "new.txt"), "");
  EXPECT_EQ(call("fd_close", {*t}), Errno::Success);
  EXPECT_EQ(call("fd_close", {*t}), Errno::Badf);
}

TEST_P(WasiTest, OpenFlagsAndRights) {
  // Read-only rights: writing is EBADF (as on POSIX), the host file opened O_RDONLY.
  auto r = open("hello.txt", 0, rights::FdRead | rights::FdSeek);
  ASSERT_TRUE(r);
  EXPECT_EQ(write(*r, "x"), Errno::Badf);
  EXPECT_EQ(*read_all(*r), "hello world");
  EXPECT_EQ(call("fd_fdstat_get", {*r, kOut}), Errno::Success);
  EXPECT_EQ(get<uint8_t>(kOut), uint8_t(Filetype::RegularFile));
  EXPECT_EQ(get<uint64_t>(kOut + 8), rights::FdRead | rights::FdSeek);
  EXPECT_EQ(call("fd_tell", {*r, kOut}), Errno::Notcapable);

  // Append.
  auto a = open("hello.txt", 0, rights::All, fdflags::Append);
  ASSERT_TRUE(a);
  EXPECT_EQ(write(*a, "!"), Errno::Success);
  EXPECT_EQ(slurp(root_ / "sandbox" / "hello.txt"), "hello world!");
  EXPECT_EQ(call("fd_fdstat_get", {*a, kOut}), Errno::Success);
  EXPECT_EQ(get<uint16_t>(kOut + 2), fdflags::Append);
  EXPECT_EQ(call("fd_fdstat_set_flags", {*a, fdflags::Nonblock}), Errno::Success);
  EXPECT_EQ(call("fd_fdstat_get", {*a, kOut}), Errno::Success);
  EXPECT_EQ(get<uint16_t>(kOut + 2), fdflags::Nonblock);
  EXPECT_EQ(call("fd_fdstat_set_flags", {*a, fdflags::Sync}), Errno::Notsup);
  EXPECT_EQ(call("fd_fdstat_set_flags", {*a, 0x100}), Errno::Inval);
  auto s = open("synced", oflags::Creat, rights::All, fdflags::Sync);
  ASSERT_TRUE(s);
  EXPECT_EQ(call("fd_fdstat_get", {*s, kOut}), Errno::Success);
  EXPECT_TRUE(get<uint16_t>(kOut + 2) & fdflags::Sync);

  // Rights only shrink.
  EXPECT_EQ(call("fd_fdstat_set_rights", {*a, rights::FdRead, 0}), Errno::Success);
  EXPECT_EQ(call("fd_fdstat_set_rights", {*a, rights::FdRead | rights::FdWrite, 0}), Errno::Notcapable);
  EXPECT_EQ(write(*a, "?"), Errno::Badf);

  // O_DIRECTORY.
  EXPECT_EQ(open("hello.txt", oflags::Directory).error(), Errno::Notdir);
  auto d = open("sub", oflags::Directory, rights::FdRead | rights::FdReaddir | rights::PathOpen);
  ASSERT_TRUE(d);
  EXPECT_EQ(call("fd_fdstat_get", {*d, kOut}), Errno::Success);
  EXPECT_EQ(get<uint8_t>(kOut), uint8_t(Filetype::Directory));
  EXPECT_EQ(open("missing").error(), Errno::Noent);
  EXPECT_EQ(open("hello.txt/").error(), Errno::Notdir);
  EXPECT_EQ(open("newdir/", oflags::Creat).error(), Errno::Isdir);  // as Linux
  EXPECT_EQ(open("hello.txt/", oflags::Creat).error(), Errno::Notdir);
  EXPECT_EQ(open("x", 0x10).error(), Errno::Inval);
  EXPECT_EQ(open("hello.txt", 0, rights::All, 0x40).error(), Errno::Inval);
  // Opening through a file is ENOTDIR; path_open on a file fd too.
  EXPECT_EQ(open("hello.txt/x").error(), Errno::Notdir);
  EXPECT_EQ(open("x", 0, rights::All, 0, *r).error(), Errno::Notdir);
  // Bad pointers.
  EXPECT_EQ(call("path_open", {kSandbox, 1, kMemSize - 2, 5, 0, rights::All, rights::All, 0, kOut}),
            Errno::Fault);
  EXPECT_EQ(call("path_open", {kSandbox, 1, kPath, 1, 0, rights::All, rights::All, 0, kMemSize}),
            Errno::Fault);
}

TEST_P(WasiTest, Filestat) {
  auto fd = open("hello.txt");
  ASSERT_TRUE(fd);
  EXPECT_EQ(call("fd_filestat_get", {*fd, kBuf}), Errno::Success);
  EXPECT_EQ(get<uint8_t>(kBuf + 16), uint8_t(Filetype::RegularFile));
  EXPECT_EQ(get<uint64_t>(kBuf + 24), 1u);   // nlink
  EXPECT_EQ(get<uint64_t>(kBuf + 32), 11u);  // size
  struct stat st;
  ASSERT_EQ(::stat((root_ / "sandbox" / "hello.txt").c_str(), &st), 0);
  EXPECT_EQ(get<uint64_t>(kBuf + 8), st.st_ino);

  EXPECT_EQ(call("fd_filestat_set_size", {*fd, 5}), Errno::Success);
  EXPECT_EQ(slurp(root_ / "sandbox" / "hello.txt"), "hello");
  EXPECT_EQ(call("fd_filestat_set_times", {*fd, 1'000'000'000, 2'000'000'000,
                                           fstflags::Atim | fstflags::Mtim}),
            Errno::Success);
  ASSERT_EQ(::stat((root_ / "sandbox" / "hello.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_atim.tv_sec, 1);
  EXPECT_EQ(st.st_mtim.tv_sec, 2);
  EXPECT_EQ(call("fd_filestat_set_times", {*fd, 0, 0, fstflags::Atim | fstflags::AtimNow}), Errno::Inval);
  EXPECT_EQ(call("fd_filestat_set_times", {*fd, 0, 0, fstflags::MtimNow}), Errno::Success);
  ASSERT_EQ(::stat((root_ / "sandbox" / "hello.txt").c_str(), &st), 0);
  EXPECT_GT(st.st_mtim.tv_sec, 1'600'000'000);
  EXPECT_EQ(st.st_atim.tv_sec, 1);  // untouched

  uint32_t n = put(kPath, "hello.txt");
  EXPECT_EQ(call("path_filestat_set_times", {kSandbox, 0, kPath, n, 5'000'000'000, 6'000'000'000,
                                             fstflags::Atim | fstflags::Mtim}),
            Errno::Success);
  ASSERT_EQ(::stat((root_ / "sandbox" / "hello.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 6);
  EXPECT_EQ(stat_type("sub", false), uint8_t(Filetype::Directory));
  EXPECT_EQ(stat_type(".", false), uint8_t(Filetype::Directory));
  EXPECT_EQ(stat_type("missing", false).error(), Errno::Noent);
  EXPECT_EQ(call("fd_filestat_get", {*fd, kMemSize - 63}), Errno::Fault);
  EXPECT_EQ(call("fd_advise", {*fd, 0, 0, uint32_t(Advice::Sequential)}), Errno::Success);
  EXPECT_EQ(call("fd_advise", {*fd, 0, 0, 6}), Errno::Inval);
  EXPECT_EQ(call("fd_allocate", {*fd, 0, 100}), Errno::Success);
  EXPECT_EQ(::stat((root_ / "sandbox" / "hello.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 100);
  EXPECT_EQ(call("fd_datasync", {*fd}), Errno::Success);
  EXPECT_EQ(call("fd_sync", {*fd}), Errno::Success);
}

TEST_P(WasiTest, DirectoryOps) {
  EXPECT_EQ(path_call("path_create_directory", kSandbox, "d1"), Errno::Success);
  EXPECT_TRUE(fs::is_directory(root_ / "sandbox" / "d1"));
  EXPECT_EQ(path_call("path_create_directory", kSandbox, "d1"), Errno::Exist);
  EXPECT_EQ(path_call("path_create_directory", kSandbox, "d1/d2/"), Errno::Success);
  EXPECT_EQ(path_call("path_remove_directory", kSandbox, "d1"), Errno::Notempty);
  EXPECT_EQ(path_call("path_remove_directory", kSandbox, "d1/d2"), Errno::Success);
  EXPECT_EQ(path_call("path_remove_directory", kSandbox, "hello.txt"), Errno::Notdir);
  EXPECT_EQ(path_call("path_unlink_file", kSandbox, "d1"), Errno::Isdir);
  EXPECT_EQ(path_call("path_unlink_file", kSandbox, "hello.txt/"), Errno::Notdir);

  uint32_t a = put(kPath, "hello.txt");
  uint32_t b = put(kPath2, "d1/moved.txt");
  EXPECT_EQ(call("path_rename", {kSandbox, kPath, a, kSandbox, kPath2, b}), Errno::Success);
  EXPECT_EQ(slurp(root_ / "sandbox" / "d1" / "moved.txt"), "hello world");
  EXPECT_EQ(call("path_rename", {kSandbox, kPath, a, kSandbox, kPath2, b}), Errno::Noent);

  a = put(kPath, "d1/moved.txt");
  b = put(kPath2, "hard");
  EXPECT_EQ(call("path_link", {kSandbox, 0, kPath, a, kSandbox, kPath2, b}), Errno::Success);
  EXPECT_EQ(slurp(root_ / "sandbox" / "hard"), "hello world");
  EXPECT_EQ(path_call("path_unlink_file", kSandbox, "d1/moved.txt"), Errno::Success);
  EXPECT_FALSE(fs::exists(root_ / "sandbox" / "d1" / "moved.txt"));
  EXPECT_EQ(path_call("path_unlink_file", kSandbox, "d1/moved.txt"), Errno::Noent);
  EXPECT_EQ(path_call("path_remove_directory", kSandbox, "d1"), Errno::Success);
}

TEST_P(WasiTest, Symlinks) {
  uint32_t t = put(kPath2, "hello.txt");
  uint32_t n = put(kPath, "link");
  EXPECT_EQ(call("path_symlink", {kPath2, t, kSandbox, kPath, n}), Errno::Success);
  EXPECT_EQ(fs::read_symlink(root_ / "sandbox" / "link"), "hello.txt");
  EXPECT_EQ(call("path_readlink", {kSandbox, kPath, n, kBuf, 64, kOut}), Errno::Success);
  EXPECT_EQ(str(kBuf, get<uint32_t>(kOut)), "hello.txt");
  EXPECT_EQ(call("path_readlink", {kSandbox, kPath, n, kBuf, 5, kOut}), Errno::Success);
  EXPECT_EQ(get<uint32_t>(kOut), 5u);  // truncated, as readlink(2)
  EXPECT_EQ(stat_type("link", false), uint8_t(Filetype::SymbolicLink));
  EXPECT_EQ(stat_type("link", true), uint8_t(Filetype::RegularFile));
  auto fd = open("link");
  ASSERT_TRUE(fd);
  EXPECT_EQ(*read_all(*fd), "hello world");
  EXPECT_EQ(open("link", 0, rights::All, 0, kSandbox, false).error(), Errno::Loop);
  n = put(kPath, "hello.txt");
  EXPECT_EQ(call("path_readlink", {kSandbox, kPath, n, kBuf, 64, kOut}), Errno::Inval);

  // Relative links that stay inside, through ".." and through other links.
  fs::create_symlink("../hello.txt", root_ / "sandbox" / "sub" / "up");
  fs::create_symlink("sub", root_ / "sandbox" / "dirlink");
  EXPECT_EQ(*read_all(*open("sub/up")), "hello world");
  EXPECT_EQ(*read_all(*open("dirlink/up")), "hello world");
  EXPECT_EQ(*read_all(*open("sub/../hello.txt")), "hello world");
  EXPECT_EQ(stat_type("dirlink/", false), uint8_t(Filetype::Directory));
  // A dangling link is created through when following, as POSIX open does.
  fs::create_symlink("target.txt", root_ / "sandbox" / "dangling");
  ASSERT_TRUE(open("dangling", oflags::Creat));
  EXPECT_TRUE(fs::exists(root_ / "sandbox" / "target.txt"));
  // A loop.
  fs::create_symlink("loop2", root_ / "sandbox" / "loop1");
  fs::create_symlink("loop1", root_ / "sandbox" / "loop2");
  EXPECT_EQ(open("loop1").error(), Errno::Loop);
  // Unlinking a link removes the link, not the target.
  EXPECT_EQ(path_call("path_unlink_file", kSandbox, "link"), Errno::Success);
  EXPECT_TRUE(fs::exists(root_ / "sandbox" / "hello.txt"));
}

TEST_P(WasiTest, EscapesAreRefused) {
  const auto secret = root_ / "outside" / "secret";
  EXPECT_EQ(open("../outside/secret").error(), Errno::Notcapable);
  EXPECT_EQ(open("sub/../../outside/secret").error(), Errno::Notcapable);
  EXPECT_EQ(open("/etc/passwd").error(), Errno::Notcapable);
  EXPECT_EQ(open("..").error(), Errno::Notcapable);
  EXPECT_EQ(stat_type("..", false).error(), Errno::Notcapable);
  // Symlinks: absolute, escaping by "..", escaping from a middle component.
  fs::create_symlink(secret, root_ / "sandbox" / "abs");
  fs::create_symlink("../outside/secret", root_ / "sandbox" / "rel");
  fs::create_symlink("../../outside", root_ / "sandbox" / "sub" / "out");
  fs::create_symlink("/", root_ / "sandbox" / "slash");
  EXPECT_EQ(open("abs").error(), Errno::Notcapable);
  EXPECT_EQ(open("rel").error(), Errno::Notcapable);
  EXPECT_EQ(open("sub/out/secret").error(), Errno::Notcapable);
  EXPECT_EQ(open("slash/etc/passwd").error(), Errno::Notcapable);
  EXPECT_EQ(open("rel", oflags::Creat | oflags::Trunc).error(), Errno::Notcapable);
  EXPECT_EQ(stat_type("rel", true).error(), Errno::Notcapable);
  EXPECT_EQ(stat_type("rel", false), uint8_t(Filetype::SymbolicLink));  // the link itself is fine
  EXPECT_EQ(path_call("path_unlink_file", kSandbox, "sub/out/secret"), Errno::Notcapable);
  EXPECT_EQ(path_call("path_create_directory", kSandbox, "sub/out/newdir"), Errno::Notcapable);
  uint32_t a = put(kPath, "sub/out/secret");
  uint32_t b = put(kPath2, "stolen");
  EXPECT_EQ(call("path_rename", {kSandbox, kPath, a, kSandbox, kPath2, b}), Errno::Notcapable);
  b = put(kPath2, "rel");
  EXPECT_EQ(call("path_link", {kSandbox, 1, kPath2, b, kSandbox, kPath, a}), Errno::Notcapable);
  uint32_t t = put(kPath2, "/etc/passwd");
  uint32_t n = put(kPath, "newlink");
  EXPECT_EQ(call("path_symlink", {kPath2, t, kSandbox, kPath, n}), Errno::Perm);
  n = put(kPath, "rel");
  EXPECT_EQ(call("path_filestat_set_times", {kSandbox, 1, kPath, n, 0, 0, fstflags::MtimNow}),
            Errno::Notcapable);
  // The host file outside is untouched.
  EXPECT_EQ(slurp(secret), "secret");
  EXPECT_TRUE(fs::exists(secret));
  EXPECT_FALSE(fs::exists(root_ / "outside" / "newdir"));
}

TEST_P(WasiTest, SwappingADirectoryForASymlinkNeverEscapes) {
  // A racer flips sandbox/flip between a real directory and a symlink to the
  // outside while the guest keeps opening flip/secret.
  fs::create_directories(root_ / "sandbox" / "real");
  spit(root_ / "sandbox" / "real" / "secret", "inside");
  fs::create_symlink("../outside", root_ / "sandbox" / "evil");
  const auto flip = root_ / "sandbox" / "flip";
  std::atomic<bool> stop{false};
  std::thread racer([&] {
    const auto a = root_ / "sandbox" / "real", b = root_ / "sandbox" / "evil";
    while (!stop) {
      ::rename(a.c_str(), flip.c_str());
      ::rename(flip.c_str(), a.c_str());
      ::rename(b.c_str(), flip.c_str());
      ::rename(flip.c_str(), b.c_str());
    }
  });
  int opened_inside = 0;
  for (int i = 0; i < 3000; ++i) {
    auto fd = open("flip/secret", 0, rights::FdRead);
    if (!fd) continue;
    auto s = read_all(*fd);
    ASSERT_TRUE(s);
    ASSERT_EQ(*s, "inside") << "escaped the sandbox";
    ++opened_inside;
    call("fd_close", {*fd});
  }
  stop = true;
  racer.join();
  EXPECT_EQ(slurp(root_ / "outside" / "secret"), "secret");
  (void)opened_inside;
}

TEST_P(WasiTest, ReadOnlyMount) {
  auto fd = open("data.txt", 0, rights::FdRead, 0, kReadOnly);
  ASSERT_TRUE(fd);
  EXPECT_EQ(*read_all(*fd), "read only");
  EXPECT_EQ(call("fd_filestat_set_size", {*fd, 0}), Errno::Notcapable);  // no right asked
  EXPECT_EQ(open("data.txt", 0, rights::FdRead | rights::FdWrite, 0, kReadOnly).error(), Errno::Rofs);
  EXPECT_EQ(open("new", oflags::Creat, rights::FdRead, 0, kReadOnly).error(), Errno::Rofs);
  // O_CREAT of a file that exists just opens it (POSIX's EROFS is for creating).
  EXPECT_TRUE(open("data.txt", oflags::Creat, rights::FdRead, 0, kReadOnly));
  EXPECT_EQ(open("data.txt", oflags::Creat | oflags::Excl, rights::FdRead, 0, kReadOnly).error(), Errno::Exist);
  EXPECT_EQ(open("new", oflags::Creat | oflags::Excl, rights::FdRead, 0, kReadOnly).error(), Errno::Rofs);
  EXPECT_FALSE(fs::exists(root_ / "ro" / "new"));
  EXPECT_EQ(open("data.txt", oflags::Trunc, rights::FdRead, 0, kReadOnly).error(), Errno::Rofs);
  EXPECT_EQ(path_call("path_unlink_file", kReadOnly, "data.txt"), Errno::Rofs);
  EXPECT_EQ(path_call("path_create_directory", kReadOnly, "d"), Errno::Rofs);
  EXPECT_EQ(path_call("path_remove_directory", kReadOnly, "."), Errno::Rofs);
  uint32_t a = put(kPath, "data.txt");
  uint32_t b = put(kPath2, "moved");
  EXPECT_EQ(call("path_rename", {kReadOnly, kPath, a, kSandbox, kPath2, b}), Errno::Rofs);
  EXPECT_EQ(call("path_link", {kReadOnly, 0, kPath, a, kSandbox, kPath2, b}), Errno::Rofs);
  EXPECT_EQ(call("path_symlink", {kPath, a, kReadOnly, kPath2, b}), Errno::Rofs);
  auto all = open("data.txt", 0, rights::FdRead | rights::FdFilestatSetTimes, 0, kReadOnly);
  ASSERT_TRUE(all);
  EXPECT_EQ(call("fd_filestat_set_times", {*all, 0, 0, fstflags::MtimNow}), Errno::Rofs);
  EXPECT_EQ(call("fd_allocate", {*all, 0, 10}), Errno::Notcapable);
  EXPECT_EQ(slurp(root_ / "ro" / "data.txt"), "read only");
  // Directories opened beneath a read-only mount stay read-only.
  fs::create_directories(root_ / "ro" / "inner");
  auto d = open("inner", oflags::Directory, rights::All & ~rights::Writing, 0, kReadOnly);
  ASSERT_TRUE(d);
  EXPECT_EQ(path_call("path_create_directory", *d, "x"), Errno::Rofs);
}

TEST_P(WasiTest, Readdir) {
  spit(root_ / "sandbox" / "sub" / "a", "");
  spit(root_ / "sandbox" / "sub" / "bb", "");
  fs::create_directories(root_ / "sandbox" / "sub" / "ccc");
  auto d = open("sub", oflags::Directory);
  ASSERT_TRUE(d);
  auto list = [&](uint64_t cookie, uint32_t buf_len) {
    std::vector<std::pair<std::string, uint64_t>> names;  // name, d_next
    EXPECT_EQ(call("fd_readdir", {*d, kBuf, buf_len, cookie, kOut}), Errno::Success);
    uint32_t used = get<uint32_t>(kOut);
    for (uint32_t p = 0; p + 24 <= used;) {
      uint32_t len = get<uint32_t>(kBuf + p + 16);
      if (p + 24 + len > used) break;
      names.emplace_back(str(kBuf + p + 24, len), get<uint64_t>(kBuf + p));
      p += 24 + len;
    }
    return std::make_pair(names, used);
  };
  auto [all, used] = list(0, kBufLen);
  std::set<std::string> got;
  for (auto& [n, _] : all) got.insert(n);
  EXPECT_EQ(got, (std::set<std::string>{".", "..", "a", "bb", "ccc"}));
  // In small pieces, resuming from each last d_next, the same sequence comes back.
  std::vector<std::string> pieces;
  uint64_t cookie = 0;
  for (int guard = 0; guard < 20; ++guard) {
    auto [part, u] = list(cookie, 40);  // room for one entry, cut off in the second
    if (part.empty()) break;
    pieces.push_back(part[0].first);
    cookie = part[0].second;
  }
  ASSERT_EQ(pieces.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(pieces[i], all[i].first);
  // Past the end: nothing.
  EXPECT_EQ(list(100, kBufLen).second, 0u);
  for (auto& [n, next] : all) (void)next;
  EXPECT_GT(used, 5 * 24u);
  auto f = open("hello.txt");
  EXPECT_EQ(call("fd_readdir", {*f, kBuf, 100, 0, kOut}), Errno::Notdir);
  EXPECT_EQ(call("fd_readdir", {*d, kMemSize - 10, 100, 0, kOut}), Errno::Fault);
}

TEST_P(WasiTest, DevDirectory) {
  auto null = open("null", 0, rights::FdRead | rights::FdWrite, 0, kDev);
  ASSERT_TRUE(null);
  EXPECT_EQ(write(*null, "discarded"), Errno::Success);
  EXPECT_EQ(get<uint32_t>(kOut), 9u);
  EXPECT_EQ(*read_all(*null), "");
  auto zero = open("zero", 0, rights::FdRead, 0, kDev);
  ASSERT_TRUE(zero);
  std::memset(bytes_.data() + kBuf, 0xAA, 16);
  iov(kIov, kBuf, 16);
  EXPECT_EQ(call("fd_read", {*zero, kIov, 1, kOut}), Errno::Success);
  EXPECT_EQ(get<uint32_t>(kOut), 16u);
  EXPECT_EQ(bytes_[kBuf + 15], 0);
  auto ur = open("./urandom", 0, rights::All, 0, kDev);
  ASSERT_TRUE(ur);
  EXPECT_EQ(call("fd_read", {*ur, kIov, 1, kOut}), Errno::Success);
  EXPECT_EQ(call("fd_filestat_get", {*ur, kBuf}), Errno::Success);
  EXPECT_EQ(get<uint8_t>(kBuf + 16), uint8_t(Filetype::CharacterDevice));
  EXPECT_EQ(stat_type("null", true, kDev), uint8_t(Filetype::CharacterDevice));
  EXPECT_EQ(stat_type(".", true, kDev), uint8_t(Filetype::Directory));
  EXPECT_EQ(open("sda", 0, rights::FdRead, 0, kDev).error(), Errno::Noent);
  EXPECT_EQ(open("../etc", 0, rights::FdRead, 0, kDev).error(), Errno::Notcapable);
  EXPECT_EQ(open("null/..", 0, rights::FdRead, 0, kDev).error(), Errno::Notdir);
  EXPECT_EQ(open("null/", 0, rights::FdRead, 0, kDev).error(), Errno::Notdir);
  EXPECT_EQ(stat_type("null/x", true, kDev).error(), Errno::Notdir);
  EXPECT_EQ(stat_type("./zero", true, kDev), uint8_t(Filetype::CharacterDevice));
  EXPECT_EQ(path_call("path_unlink_file", kDev, "null"), Errno::Rofs);
  auto dir = open(".", oflags::Directory, rights::FdReaddir, 0, kDev);
  ASSERT_TRUE(dir);
  EXPECT_EQ(call("fd_readdir", {*dir, kBuf, 1000, 0, kOut}), Errno::Success);
  EXPECT_EQ(get<uint32_t>(kOut), 5 * 24u + 1 + 2 + 4 + 4 + 7);
}

TEST_P(WasiTest, DevIsNotVirtualWhenMounted) {
  Config cfg;
  cfg.mounts = {{root_.string(), "/", false}, {(root_ / "sandbox").string(), "/dev", false}};
  auto s = State::create(cfg);
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)->fds.size(), 5u);  // stdio + two mounts, no virtual /dev
  cfg.mounts = {{(root_ / "missing").string(), "/x", false}};
  auto bad = State::create(cfg);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("missing"), std::string::npos);
}

TEST_P(WasiTest, RenumberAndClose) {
  auto a = open("hello.txt");
  auto b = open("hello.txt", 0, rights::FdRead);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(call("fd_renumber", {*a, *b}), Errno::Success);
  EXPECT_EQ(call("fd_fdstat_get", {*a, kOut}), Errno::Badf);
  EXPECT_EQ(call("fd_fdstat_get", {*b, kOut}), Errno::Success);
  EXPECT_EQ(get<uint64_t>(kOut + 8) & rights::FdWrite, rights::FdWrite);  // a's rights moved
  EXPECT_EQ(call("fd_renumber", {*b, 99}), Errno::Badf);
  EXPECT_EQ(call("fd_renumber", {99, *b}), Errno::Badf);
  EXPECT_EQ(call("fd_close", {*b}), Errno::Success);
  // The lowest free number is reused.
  auto c = open("hello.txt");
  EXPECT_EQ(*c, *a);
}

TEST_P(WasiTest, PollClockSleeps) {
  auto sub_clock = [&](uint32_t at, uint64_t userdata, uint32_t clock, uint64_t timeout, uint16_t flags) {
    std::memset(bytes_.data() + at, 0, 48);
    mem_.store<uint64_t>(at, userdata);
    mem_.store<uint8_t>(at + 8, 0);
    mem_.store<uint32_t>(at + 16, clock);
    mem_.store<uint64_t>(at + 24, timeout);
    mem_.store<uint16_t>(at + 40, flags);
  };
  using clk = std::chrono::steady_clock;
  sub_clock(kBuf, 7, 1, 50'000'000, 0);
  auto t0 = clk::now();
  ASSERT_EQ(call("poll_oneoff", {kBuf, kBuf + 1000, 1, kOut}), Errno::Success);
  EXPECT_GE(clk::now() - t0, std::chrono::milliseconds(50));
  EXPECT_EQ(get<uint32_t>(kOut), 1u);
  EXPECT_EQ(get<uint64_t>(kBuf + 1000), 7u);
  EXPECT_EQ(get<uint16_t>(kBuf + 1008), 0u);
  EXPECT_EQ(get<uint8_t>(kBuf + 1010), 0u);
  // Absolute, on the realtime clock.
  ASSERT_EQ(call("clock_time_get", {0, 1, kOut2}), Errno::Success);
  sub_clock(kBuf, 8, 0, get<uint64_t>(kOut2) + 30'000'000, kSubclockAbstime);
  t0 = clk::now();
  ASSERT_EQ(call("poll_oneoff", {kBuf, kBuf + 1000, 1, kOut}), Errno::Success);
  EXPECT_GE(clk::now() - t0, std::chrono::milliseconds(25));
  EXPECT_EQ(get<uint64_t>(kBuf + 1000), 8u);
  // Absolute in the past: at once.
  sub_clock(kBuf, 9, 1, 1, kSubclockAbstime);
  t0 = clk::now();
  ASSERT_EQ(call("poll_oneoff", {kBuf, kBuf + 1000, 1, kOut}), Errno::Success);
  EXPECT_LT(clk::now() - t0, std::chrono::milliseconds(500));  // loose: CI machines are busy
  EXPECT_EQ(call("poll_oneoff", {kBuf, kBuf + 1000, 0, kOut}), Errno::Inval);
  EXPECT_EQ(call("poll_oneoff", {kMemSize - 40, kBuf, 1, kOut}), Errno::Fault);
  EXPECT_EQ(call("poll_oneoff", {kBuf, kMemSize - 16, 1, kOut}), Errno::Fault);
}

TEST_P(WasiTest, PollFdReadiness) {
  auto sub_fd = [&](uint32_t at, uint64_t userdata, uint8_t type, uint32_t fd) {
    std::memset(bytes_.data() + at, 0, 48);
    mem_.store<uint64_t>(at, userdata);
    mem_.store<uint8_t>(at + 8, type);
    mem_.store<uint32_t>(at + 16, fd);
  };
  auto sub_clock = [&](uint32_t at, uint64_t userdata, uint64_t timeout) {
    std::memset(bytes_.data() + at, 0, 48);
    mem_.store<uint64_t>(at, userdata);
    mem_.store<uint32_t>(at + 16, 1);
    mem_.store<uint64_t>(at + 24, timeout);
  };
  // stdin (a pipe) has nothing: the clock fires.
  sub_fd(kBuf, 1, 1, 0);
  sub_clock(kBuf + 48, 2, 20'000'000);
  ASSERT_EQ(call("poll_oneoff", {kBuf, kBuf + 1000, 2, kOut}), Errno::Success);
  ASSERT_EQ(get<uint32_t>(kOut), 1u);
  EXPECT_EQ(get<uint64_t>(kBuf + 1000), 2u);
  // Data arrives: the fd event, with its byte count, and no waiting.
  ASSERT_EQ(::write(in_[1], "xyz", 3), 3);
  sub_clock(kBuf + 48, 2, 5'000'000'000);
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(call("poll_oneoff", {kBuf, kBuf + 1000, 2, kOut}), Errno::Success);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
  ASSERT_EQ(get<uint32_t>(kOut), 1u);
  EXPECT_EQ(get<uint64_t>(kBuf + 1000), 1u);
  EXPECT_EQ(get<uint8_t>(kBuf + 1010), 1u);
  EXPECT_EQ(get<uint64_t>(kBuf + 1016), 3u);
  // stdout (a pipe with room) is writable; a regular file is always ready; a bad fd reports EBADF.
  auto f = open("hello.txt");
  sub_fd(kBuf, 3, 2, 1);
  sub_fd(kBuf + 48, 4, 1, *f);
  sub_fd(kBuf + 96, 5, 1, 77);
  ASSERT_EQ(call("poll_oneoff", {kBuf, kBuf + 1000, 3, kOut}), Errno::Success);
  ASSERT_EQ(get<uint32_t>(kOut), 3u);
  std::map<uint64_t, std::pair<uint16_t, uint64_t>> ev;
  for (int i = 0; i < 3; ++i)
    ev[get<uint64_t>(kBuf + 1000 + i * 32)] = {get<uint16_t>(kBuf + 1008 + i * 32),
                                               get<uint64_t>(kBuf + 1016 + i * 32)};
  EXPECT_EQ(ev[3].first, 0u);
  EXPECT_EQ(ev[4], std::make_pair(uint16_t(0), uint64_t(11)));
  EXPECT_EQ(ev[5].first, uint16_t(Errno::Badf));
  // Hang-up.
  ::close(in_[1]);
  in_[1] = -1;
  sub_fd(kBuf, 6, 1, 0);
  ASSERT_EQ(call("poll_oneoff", {kBuf, kBuf + 1000, 1, kOut}), Errno::Success);
  EXPECT_EQ(get<uint16_t>(kBuf + 1024), kEventFdReadwriteHangup);
}

TEST_P(WasiTest, ProcAndSockets) {
  std::vector<RawValue> io = {uint32_t(42)};
  auto trap = fns_["proc_exit"].call(mem_, io);
  ASSERT_TRUE(trap);
  EXPECT_EQ(trap->kind, wasipy::runtime::TrapKind::Exit);
  EXPECT_EQ(trap->exit_code, 42);
  EXPECT_EQ(call("proc_raise", {9}), Errno::Nosys);
  EXPECT_EQ(call("sched_yield", {}), Errno::Success);
  EXPECT_EQ(call("sock_accept", {1, 0, kOut}), Errno::Notsock);
  EXPECT_EQ(call("sock_accept", {99, 0, kOut}), Errno::Badf);
  EXPECT_EQ(call("sock_recv", {1, kIov, 1, 0, kOut, kOut2}), Errno::Notsock);
  EXPECT_EQ(call("sock_send", {1, kIov, 1, 0, kOut}), Errno::Notsock);
  EXPECT_EQ(call("sock_shutdown", {1, 3}), Errno::Notsock);
}

TEST_P(WasiTest, HostileArgumentsNeverCrash) {
  // Every function, with every pointer and length at or past the end of
  // memory: an errno comes back, never a host fault.
  const uint64_t edges[] = {kMemSize - 1, kMemSize, 0xFFFFFFFFull, 0xFFFFFFF0ull};
  for (auto& [name, b] : fns_) {
    // These have no pointers and succeed on a valid fd.
    if (name == "proc_exit" || name == "sched_yield" || name == "fd_close" || name == "fd_sync" ||
        name == "fd_datasync" || name == "fd_fdstat_set_rights")
      continue;
    for (uint64_t v : edges) {
      std::vector<RawValue> io(std::max<size_t>(b.type.params.size(), 1), v);
      if (name.starts_with("fd_") || name.starts_with("path_") || name.starts_with("sock_"))
        io[0] = kSandbox;  // a valid fd, so the pointers get looked at
      auto trap = b.call(mem_, io);
      EXPECT_FALSE(trap) << name;
      Errno e = Errno(uint16_t(io[0]));
      EXPECT_NE(e, Errno::Success) << name << " with " << v;
    }
  }
  EXPECT_EQ(slurp(root_ / "outside" / "secret"), "secret");
}

TEST(WasiErrno, Names) {
  EXPECT_EQ(name_of(Errno::Notcapable), "notcapable");
  EXPECT_EQ(uint16_t(Errno::Notcapable), 76);
  EXPECT_EQ(uint16_t(Errno::Rofs), 69);
  EXPECT_EQ(name_of(Errno::TooBig), "2big");
  EXPECT_EQ(from_host_errno(ENOENT), Errno::Noent);
  EXPECT_EQ(from_host_errno(EOPNOTSUPP), Errno::Notsup);
}

TEST(WasiResolve, Openat2IsProbed) {
  // Not an assertion on the kernel: just that the probe answers and Auto picks something real.
  host::set_resolve_mode(host::ResolveMode::Auto);
  auto m = host::resolve_mode();
  EXPECT_TRUE(m == host::ResolveMode::Openat2 || m == host::ResolveMode::Walk);
  if (!host::openat2_available()) GTEST_SKIP() << "kernel without openat2: only the walk is tested";
}

}  // namespace

namespace {

// Random paths over a tree full of symlinks that point inside and outside:
// whatever opens must be inside the mount, and both resolvers must agree.
TEST(WasiResolveProperty, RandomPathsStayInsideAndResolversAgree) {
  char tmpl[] = "/tmp/wasi-prop-XXXXXX";
  fs::path root = mkdtemp(tmpl);
  fs::path sb = root / "sandbox";
  fs::create_directories(sb / "a" / "b");
  fs::create_directories(root / "outside" / "deep");
  spit(root / "outside" / "secret", "x");
  spit(sb / "f", "f");
  spit(sb / "a" / "g", "g");
  fs::create_symlink("..", sb / "a" / "up");          // inside
  fs::create_symlink("../..", sb / "a" / "upup");     // outside
  fs::create_symlink("b", sb / "a" / "bl");           // inside
  fs::create_symlink("../f", sb / "a" / "b" / "ff");  // inside
  fs::create_symlink(root / "outside", sb / "abs");   // absolute
  fs::create_symlink("../outside", sb / "out");       // outside
  fs::create_symlink("a/up/a/bl", sb / "chain");      // inside, via links
  fs::create_symlink("loop", sb / "loop");
  fs::create_symlink("a/b/../../a/up/..", sb / "esc");  // outside, lexically sneaky

  std::set<std::pair<uint64_t, uint64_t>> inside;
  for (auto& e : fs::recursive_directory_iterator(sb)) {
    struct stat st;
    if (::lstat(e.path().c_str(), &st) == 0) inside.insert({st.st_dev, st.st_ino});
  }
  struct stat rst;
  ASSERT_EQ(::stat(sb.c_str(), &rst), 0);
  inside.insert({rst.st_dev, rst.st_ino});

  Config cfg;
  cfg.mounts = {{sb.string(), "/s", false}};
  auto made = State::create(cfg);
  ASSERT_TRUE(made);
  auto state = std::shared_ptr<State>(std::move(*made));
  std::map<std::string, Binding> fns;
  for (auto& b : bindings(state)) fns[b.name] = b;
  std::vector<uint8_t> bytes(kMemSize);
  GuestMemory mem(bytes);
  auto call = [&](const std::string& name, std::vector<RawValue> io) {
    fns[name].call(mem, io);
    return Errno(uint16_t(io[0]));
  };

  const char* parts[] = {"..", ".", "a", "b", "g", "f", "up", "upup", "bl", "ff", "abs", "out", "chain", "loop", "esc", ""};
  std::srand(12345);
  int escapes = 0, opened = 0, disagreements = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string path;
    int n = 1 + std::rand() % 5;
    for (int k = 0; k < n; ++k) path += std::string(k ? "/" : "") + parts[std::rand() % 16];
    std::memcpy(bytes.data() + kPath, path.data(), path.size());
    std::pair<Errno, uint64_t> outcome[2];
    int m = 0;
    for (auto mode : {host::ResolveMode::Openat2, host::ResolveMode::Walk}) {
      host::set_resolve_mode(mode);
      Errno e = call("path_open", {3, 1, kPath, path.size(), 0, rights::FdRead | rights::FdReaddir | rights::FdFilestatGet,
                                   0, 0, kOut});
      uint64_t ino = 0;
      if (e == Errno::Success) {
        uint32_t fd = *mem.load<uint32_t>(kOut);
        EXPECT_EQ(call("fd_filestat_get", {fd, kBuf}), Errno::Success);
        uint64_t dev = *mem.load<uint64_t>(kBuf);
        ino = *mem.load<uint64_t>(kBuf + 8);
        if (!inside.count({dev, ino})) {
          ++escapes;
          ADD_FAILURE() << "escaped with " << path;
        }
        ++opened;
        call("fd_close", {fd});
      }
      // Stat with and without following, too.
      for (uint32_t follow : {0u, 1u}) {
        Errno s = call("path_filestat_get", {3, follow, kPath, path.size(), kBuf});
        if (s == Errno::Success && !inside.count({*mem.load<uint64_t>(kBuf), *mem.load<uint64_t>(kBuf + 8)}))
          ADD_FAILURE() << "stat escaped with " << path;
      }
      outcome[m++] = {e, ino};
    }
    if (outcome[0] != outcome[1]) {
      ++disagreements;
      ADD_FAILURE() << path << ": openat2 " << name_of(outcome[0].first) << ", walk "
                    << name_of(outcome[1].first);
    }
  }
  host::set_resolve_mode(host::ResolveMode::Auto);
  EXPECT_EQ(escapes, 0);
  EXPECT_EQ(disagreements, 0);
  EXPECT_GT(opened, 100);  // the walk does reach things
  std::error_code ec;
  fs::remove_all(root, ec);
}

}  // namespace
