#include <algorithm>
#include <fstream>

#include <gtest/gtest.h>

#include "fake_dist.h"
#include "python/distribution.h"
#include "python/install.h"

namespace wasipy::python {
namespace {

using testing::DistTest;
using testing::make_layout;
using testing::write_file;
using testing::zip_folder;
namespace fs = std::filesystem;

/// What $CACHE/python holds besides distributions: nothing half-written.
std::vector<std::string> registry_entries() {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(registry_dir(), ec), end; !ec && it != end; it.increment(ec))
    names.push_back(it->path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

class Registry : public DistTest {};

TEST_F(Registry, CacheRootFollowsWasipyCacheDir) {
  EXPECT_EQ(cache_root(), tmp_ / "cache");
  EXPECT_EQ(registry_dir(), tmp_ / "cache" / "python");
}

TEST_F(Registry, EmptyRegistrySaysHowToGetOne) {
  auto list = list_distributions();
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->empty());
  auto d = default_distribution();
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().find("wasipy python build"), std::string::npos) << d.error();
  EXPECT_NE(d.error().find("wasipy python add"), std::string::npos) << d.error();
  EXPECT_EQ(d.error().find('\n'), std::string::npos);
}

TEST_F(Registry, AddFolderCopiesDetectsVersionAndBecomesDefault) {
  make_layout(tmp_ / "src", "3.11.7");
  auto r = add_distribution(tmp_ / "src");
  ASSERT_TRUE(r) << r.error();
  EXPECT_FALSE(r->already_installed);
  EXPECT_TRUE(r->made_default);
  EXPECT_EQ(r->dist.version, "3.11.7");
  EXPECT_EQ(r->dist.minor, "3.11");
  EXPECT_EQ(r->dist.key.size(), 16u);
  EXPECT_EQ(r->dist.root, registry_dir() / r->dist.key);
  EXPECT_TRUE(fs::is_regular_file(r->dist.stdlib() / "os.py"));
  EXPECT_TRUE(fs::is_regular_file(r->dist.stdlib() / "json" / "__init__.py"));
  EXPECT_TRUE(fs::is_directory(r->dist.stdlib() / "lib-dynload"));
  EXPECT_TRUE(fs::is_regular_file(r->dist.root / "wasipy-dist.json"));
  auto d = default_distribution();
  ASSERT_TRUE(d) << d.error();
  EXPECT_EQ(d->key, r->dist.key);
  EXPECT_TRUE(d->is_default);
  auto expected = std::vector<std::string>{r->dist.key, "default"};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(registry_entries(), expected);

  auto again = add_distribution(tmp_ / "src");
  ASSERT_TRUE(again) << again.error();
  EXPECT_TRUE(again->already_installed);
  EXPECT_FALSE(again->made_default);
  EXPECT_EQ(again->dist.key, r->dist.key);
}

TEST_F(Registry, AddFlatZipAndZipWithOneTopFolder) {
  make_layout(tmp_ / "a", "3.11.2");
  make_layout(tmp_ / "b", "3.12.1");
  zip_folder(tmp_ / "a", tmp_ / "flat.zip");
  zip_folder(tmp_ / "b", tmp_ / "top.zip", "python-3.12.1-wasi/");
  auto a = add_distribution(tmp_ / "flat.zip");
  ASSERT_TRUE(a) << a.error();
  EXPECT_EQ(a->dist.version, "3.11.2");
  EXPECT_TRUE(fs::is_regular_file(a->dist.stdlib() / "json" / "__init__.py"));
  auto b = add_distribution(tmp_ / "top.zip");
  ASSERT_TRUE(b) << b.error();
  EXPECT_EQ(b->dist.version, "3.12.1");
  EXPECT_EQ(b->dist.minor, "3.12");
  EXPECT_TRUE(fs::is_regular_file(b->dist.root / "python.wasm"));
  EXPECT_TRUE(fs::is_regular_file(b->dist.root / "lib" / "python3.12" / "os.py"));
  EXPECT_FALSE(b->made_default);  // the first one added stays the default

  auto list = list_distributions();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].version, "3.11.2");
  EXPECT_TRUE((*list)[0].is_default);
  EXPECT_EQ((*list)[1].version, "3.12.1");
  EXPECT_FALSE((*list)[1].is_default);

  auto f = find_distribution("3.12");
  ASSERT_TRUE(f) << f.error();
  EXPECT_EQ(f->key, b->dist.key);
  auto missing = find_distribution("3.1");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("3.11.2, 3.12.1"), std::string::npos) << missing.error();
}

TEST_F(Registry, VersionIsTheMinorWhenPythonWasmHasNoPatchLevel) {
  make_layout(tmp_ / "src", "3.11.2");
  testing::write_bytes(tmp_ / "src" / "python.wasm", testing::Bytes{0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00});
  auto v = detect_version(tmp_ / "src");
  ASSERT_TRUE(v) << v.error();
  EXPECT_EQ(v->version, "3.11");
  EXPECT_EQ(v->minor, "3.11");
}

TEST_F(Registry, AddRefusesBadLayoutsInOneLineAndLeavesNothing) {
  // No python.wasm.
  make_layout(tmp_ / "nowasm", "3.11.2");
  fs::remove(tmp_ / "nowasm" / "python.wasm");
  auto r = add_distribution(tmp_ / "nowasm");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("no python.wasm"), std::string::npos) << r.error();

  // No lib/python3.X/.
  make_layout(tmp_ / "nolib", "3.11.2");
  fs::rename(tmp_ / "nolib" / "lib" / "python3.11", tmp_ / "nolib" / "lib" / "stdlib");
  r = add_distribution(tmp_ / "nolib");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("no lib/python3.X/"), std::string::npos) << r.error();

  // A stdlib without os.py.
  make_layout(tmp_ / "noos", "3.11.2");
  fs::remove(tmp_ / "noos" / "lib" / "python3.11" / "os.py");
  r = add_distribution(tmp_ / "noos");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("no os.py"), std::string::npos) << r.error();

  // python.wasm that is not wasm.
  make_layout(tmp_ / "notwasm", "3.11.2");
  write_file(tmp_ / "notwasm" / "python.wasm", "#!/bin/sh\n");
  r = add_distribution(tmp_ / "notwasm");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("not a WebAssembly module"), std::string::npos) << r.error();

  // _sysconfigdata of another version.
  make_layout(tmp_ / "mixed", "3.11.2");
  write_file(tmp_ / "mixed" / "lib" / "python3.11" / "_sysconfigdata__wasi_wasm32-wasi.py", "x = {'VERSION': '3.10'}\n");
  r = add_distribution(tmp_ / "mixed");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("VERSION 3.10"), std::string::npos) << r.error();

  // A missing path.
  r = add_distribution(tmp_ / "nothing-here");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("no such file or folder"), std::string::npos) << r.error();

  // A zip without python.wasm.
  zip_folder(tmp_ / "nowasm", tmp_ / "nowasm.zip");
  r = add_distribution(tmp_ / "nowasm.zip");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("has no python.wasm"), std::string::npos) << r.error();

  EXPECT_TRUE(registry_entries().empty()) << registry_entries().size();
  EXPECT_FALSE(default_distribution());
}

TEST_F(Registry, AddRefusesCorruptAndEscapingZips) {
  make_layout(tmp_ / "src", "3.11.2");
  zip_folder(tmp_ / "src", tmp_ / "good.zip", "", /*store=*/true);

  // Not a zip at all.
  write_file(tmp_ / "garbage.zip", std::string(4096, 'x'));
  auto r = add_distribution(tmp_ / "garbage.zip");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("not a readable zip archive"), std::string::npos) << r.error();
  EXPECT_EQ(r.error().find('\n'), std::string::npos);

  // Cut short: the central directory is gone.
  {
    std::ifstream in(tmp_ / "good.zip", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    write_file(tmp_ / "cut.zip", bytes.substr(0, bytes.size() / 2));
    // Damaged data: flip bytes inside python.wasm's stored data (CRC mismatch).
    auto at = bytes.find("wasipy-test-version");
    ASSERT_NE(at, std::string::npos);
    bytes[at] ^= 0x55;
    bytes[at + 1] ^= 0x55;
    write_file(tmp_ / "crc.zip", bytes);
  }
  r = add_distribution(tmp_ / "cut.zip");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("not a readable zip archive"), std::string::npos) << r.error();
  r = add_distribution(tmp_ / "crc.zip");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("corrupt"), std::string::npos) << r.error();

  // An entry that climbs out.
  {
    int err = 0;
    zip_t* za = zip_open((tmp_ / "evil.zip").c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    ASSERT_NE(za, nullptr);
    static const char kText[] = "x";
    zip_file_add(za, "python.wasm", zip_source_buffer(za, kText, 1, 0), 0);
    zip_file_add(za, "../escaped.txt", zip_source_buffer(za, kText, 1, 0), 0);
    ASSERT_EQ(zip_close(za), 0);
  }
  r = add_distribution(tmp_ / "evil.zip");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("outside"), std::string::npos) << r.error();
  EXPECT_FALSE(fs::exists(registry_dir() / "escaped.txt"));
  EXPECT_FALSE(fs::exists(tmp_ / "escaped.txt"));

  EXPECT_TRUE(registry_entries().empty());
}

TEST_F(Registry, DefaultByKeyPrefixOrVersion) {
  make_layout(tmp_ / "a", "3.11.2");
  make_layout(tmp_ / "b", "3.11.9");
  make_layout(tmp_ / "c", "3.12.0");
  auto a = add_distribution(tmp_ / "a");
  auto b = add_distribution(tmp_ / "b");
  auto c = add_distribution(tmp_ / "c");
  ASSERT_TRUE(a && b && c);

  auto d = set_default(c->dist.key);
  ASSERT_TRUE(d) << d.error();
  EXPECT_EQ(default_distribution()->key, c->dist.key);
  d = set_default(b->dist.key.substr(0, 6));
  ASSERT_TRUE(d) << d.error();
  EXPECT_EQ(default_distribution()->key, b->dist.key);
  d = set_default("3.12");
  ASSERT_TRUE(d) << d.error();
  EXPECT_EQ(d->key, c->dist.key);
  EXPECT_EQ(default_distribution()->key, c->dist.key);
  d = set_default("3.11.2");
  ASSERT_TRUE(d) << d.error();
  EXPECT_EQ(default_distribution()->key, a->dist.key);

  auto ambiguous = set_default("3.11");
  ASSERT_FALSE(ambiguous);
  EXPECT_NE(ambiguous.error().find("matches 2 distributions"), std::string::npos) << ambiguous.error();
  auto unknown = set_default("2.7");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().find("neither the key nor the version"), std::string::npos) << unknown.error();
  EXPECT_EQ(default_distribution()->key, a->dist.key);

  // find_distribution prefers the default among matches.
  EXPECT_EQ(find_distribution("3.11")->key, a->dist.key);
  ASSERT_TRUE(set_default(b->dist.key));
  EXPECT_EQ(find_distribution("3.11")->key, b->dist.key);
}

TEST_F(Registry, WithoutADefaultFileTheNewestIsDefault) {
  make_layout(tmp_ / "a", "3.11.2");
  make_layout(tmp_ / "b", "3.11.9");
  auto a = add_distribution(tmp_ / "a");
  auto b = add_distribution(tmp_ / "b");
  ASSERT_TRUE(a && b);
  fs::remove(registry_dir() / "default");
  fs::last_write_time(a->dist.root / "wasipy-dist.json", fs::file_time_type::clock::now() + std::chrono::hours(1));
  EXPECT_EQ(default_distribution()->key, a->dist.key);
  // A default file naming something that is gone counts as none.
  write_file(registry_dir() / "default", "0123456789abcdef\n");
  EXPECT_EQ(default_distribution()->key, a->dist.key);
  EXPECT_FALSE(has_recorded_default());
}

TEST_F(Registry, StagingAndBrokenFoldersAreNotDistributions) {
  make_layout(tmp_ / "a", "3.11.2");
  auto a = add_distribution(tmp_ / "a");
  ASSERT_TRUE(a);
  fs::copy(a->dist.root, registry_dir() / (a->dist.key + ".partial-123"), fs::copy_options::recursive);
  fs::copy(a->dist.root, registry_dir() / ".add-1-0", fs::copy_options::recursive);
  fs::create_directories(registry_dir() / "deadbeefdeadbeef");
  write_file(registry_dir() / "deadbeefdeadbeef" / "wasipy-dist.json", "{not json");
  auto list = list_distributions();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].key, a->dist.key);
}

TEST_F(Registry, PythonGuestMountsTheStdlibAndSetsPythonHome) {
  make_layout(tmp_ / "a", "3.11.2");
  auto a = add_distribution(tmp_ / "a");
  ASSERT_TRUE(a);
  auto g = python_guest(a->dist, {"-c", "pass"}, {wasi::Mount{"/tmp", "/", false}}, {"FOO=1"});
  EXPECT_EQ(g.module_path, (a->dist.root / "python.wasm").string());
  EXPECT_EQ(g.args, (std::vector<std::string>{"python3.11", "-c", "pass"}));
  ASSERT_EQ(g.mounts.size(), 2u);
  EXPECT_EQ(g.mounts[0].host, (a->dist.root / "lib").string());
  EXPECT_EQ(g.mounts[0].guest, "/usr/local/lib");
  EXPECT_TRUE(g.mounts[0].read_only);
  EXPECT_EQ(g.mounts[1].guest, "/");
  EXPECT_EQ(g.env, (std::vector<std::string>{"PYTHONHOME=/usr/local", "FOO=1"}));
  auto own = python_guest(a->dist, {}, {}, {"PYTHONHOME=/opt"});
  EXPECT_EQ(own.env, (std::vector<std::string>{"PYTHONHOME=/opt"}));
}

class Build : public DistTest {
 protected:
  fs::path script(const std::string& body) {
    fs::path p = tmp_ / "fake-build.sh";
    write_file(p, "#!/bin/bash\n" + body);
    return p;
  }
};

TEST_F(Build, StreamsProgressAndRegistersTheResultAsDefault) {
  make_layout(registry_dir() / "00aa11bb22cc33dd", "3.11.2");
  write_file(registry_dir() / "00aa11bb22cc33dd" / "wasipy-dist.json",
             R"({"version": "3.11.2", "python": "3.11", "key": "00aa11bb22cc33dd"})");
  BuildOptions o;
  o.script = script(
      "echo 'build-cpython: [1/12] toolchain' >&2\n"
      "echo 'build-cpython: [2/12] sources' >&2\n"
      "echo \"args: $*\" >&2\n"
      "echo \"$WASIPY_CACHE_DIR/python/00aa11bb22cc33dd\"\n");
  o.source = "/x/Python-3.11.9.tgz";
  std::vector<std::string> lines;
  auto r = build_distribution(o, [&](const std::string& l) { lines.push_back(l); });
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(lines, (std::vector<std::string>{"build-cpython: [1/12] toolchain", "build-cpython: [2/12] sources",
                                             "args: --source /x/Python-3.11.9.tgz"}));
  EXPECT_EQ(r->dist.key, "00aa11bb22cc33dd");
  EXPECT_TRUE(r->made_default);
  EXPECT_TRUE(r->dist.is_default);
  EXPECT_TRUE(has_recorded_default());
}

class Rebuild : public Build {
 protected:
  void built(const std::string& key, const std::string& from) {
    make_layout(registry_dir() / key, "3.11.2");
    write_file(registry_dir() / key / "wasipy-dist.json",
               R"({"version": "3.11.2", "python": "3.11", "key": ")" + key + R"(", "source": {"from": ")" + from +
                   R"("}})");
  }
  std::expected<BuildResult, std::string> build_to(const std::string& key, std::optional<std::string> source = {}) {
    BuildOptions o;
    o.script = script("echo \"$WASIPY_CACHE_DIR/python/" + key + "\"\n");
    o.source = std::move(source);
    return build_distribution(o, [](const std::string&) {});
  }
};

TEST_F(Rebuild, ANewerBuildOfDebiansSourceTakesOverTheDefault) {
  built("1111111111111111", "apt-get source python3.11 (bookworm)");
  ASSERT_TRUE(set_default("1111111111111111"));
  built("2222222222222222", "apt-get source python3.11 (bookworm)");
  auto r = build_to("2222222222222222");
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(r->made_default);
  EXPECT_EQ(r->replaced_default, "1111111111111111");
  EXPECT_TRUE(r->dist.is_default);
  EXPECT_EQ(default_distribution()->key, "2222222222222222");
  // Built again with the same inputs: nothing changes.
  r = build_to("2222222222222222");
  ASSERT_TRUE(r) << r.error();
  EXPECT_FALSE(r->made_default);
  EXPECT_TRUE(r->replaced_default.empty());
}

TEST_F(Rebuild, ADefaultChosenOtherwiseStays) {
  // Added from a folder: the user's own build stays the default.
  built("1111111111111111", "wasipy python add");
  ASSERT_TRUE(set_default("1111111111111111"));
  built("2222222222222222", "apt-get source python3.11 (bookworm)");
  auto r = build_to("2222222222222222");
  ASSERT_TRUE(r) << r.error();
  EXPECT_FALSE(r->made_default);
  EXPECT_EQ(default_distribution()->key, "1111111111111111");
  // A build from another source tarball does not take over a Debian build.
  ASSERT_TRUE(set_default("2222222222222222"));
  built("3333333333333333", "--source");
  r = build_to("3333333333333333", "/x/Python-3.11.9.tgz");
  ASSERT_TRUE(r) << r.error();
  EXPECT_FALSE(r->made_default);
  EXPECT_EQ(default_distribution()->key, "2222222222222222");
}

TEST_F(Build, AFailureIsTheScriptsReasonAndLog) {
  BuildOptions o;
  o.script = script(
      "echo 'build-cpython: [1/12] toolchain' >&2\n"
      "echo 'build-cpython:     all present' >&2\n"
      "echo 'build-cpython: apt-get cannot install clang-14' >&2\n"
      "echo \"build-cpython: FAILED at step 1/12 'toolchain' (exit 100)\" >&2\n"
      "echo 'build-cpython: log: /cache/logs/build.log' >&2\n"
      "echo 'build-cpython: last lines of the log:' >&2\n"
      "echo '    E: Unable to locate package' >&2\n"
      "exit 100\n");
  std::vector<std::string> lines;
  auto r = build_distribution(o, [&](const std::string& l) { lines.push_back(l); });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(),
            "FAILED at step 1/12 'toolchain' (exit 100): apt-get cannot install clang-14; log: /cache/logs/build.log");
  EXPECT_EQ(lines.size(), 7u);
  EXPECT_TRUE(registry_entries().empty());
}

TEST_F(Build, AScriptThatSaysLittleStillFailsInOneLine) {
  BuildOptions o;
  o.script = script("echo 'build-cpython: --source /nope: no such file' >&2\nexit 2\n");
  auto r = build_distribution(o, [](const std::string&) {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "--source /nope: no such file");
  o.script = script("exit 3\n");
  r = build_distribution(o, [](const std::string&) {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("exited with status 3"), std::string::npos) << r.error();
  o.script = script("echo /nowhere\n");
  r = build_distribution(o, [](const std::string&) {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("not a distribution"), std::string::npos) << r.error();
}

TEST(BuildScript, IsFoundBesideTheBinaryOrInTheSourceTree) {
  auto p = locate_build_script();
  ASSERT_TRUE(p) << p.error();
  EXPECT_EQ(p->filename(), "build-cpython.sh");
  EXPECT_TRUE(fs::is_directory(p->parent_path() / "wasi-compat"));
}

}  // namespace
}  // namespace wasipy::python
