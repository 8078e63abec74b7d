#include "pyenv/environment.h"

#include <fstream>

#include <gtest/gtest.h>

namespace fs = std::filesystem;
using namespace wasipy::pyenv;

TEST(Wheel, Names) {
  auto w = parse_wheel_name("foo_bar-1.0-py3-none-any.whl");
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->name, "foo_bar");
  EXPECT_EQ(w->version, "1.0");
  EXPECT_TRUE(w->pure());
  EXPECT_TRUE(parse_wheel_name("a-1-1build-py2.py3-none-any.whl")->pure());
  EXPECT_FALSE(parse_wheel_name("coverage-7.2-cp311-cp311-manylinux_2_17_x86_64.whl")->pure());
  EXPECT_FALSE(parse_wheel_name("x-1-py2-none-any.whl")->pure());
  EXPECT_FALSE(parse_wheel_name("x-1.tar.gz").has_value());
}

TEST(Wheel, RecordHash) {
  // sha256("") in the wheel RECORD form.
  EXPECT_EQ(record_hash(""), "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
}

TEST(Resolve, HostEnvPureOnlyMarkersAndProjectWins) {
  fs::path site = fs::temp_directory_path() / ("wasipy-resolve-" + std::to_string(::getpid()));
  fs::remove_all(site);
  auto write = [&](const std::string& rel, const std::string& text) {
    fs::create_directories((site / rel).parent_path());
    std::ofstream(site / rel) << text;
  };
  write("runner-1.0.dist-info/METADATA",
        "Name: runner\nVersion: 1.0\nRequires-Dist: helper\nRequires-Dist: winonly; sys_platform == 'win32'\n"
        "Requires-Dist: wasionly; sys_platform == 'wasi'\nRequires-Dist: me (<1)\n");
  write("runner-1.0.dist-info/RECORD", "runner/__init__.py,,\nrunner-1.0.dist-info/METADATA,,\n");
  write("runner/__init__.py", "");
  write("helper-2.0.egg-info/PKG-INFO", "Name: helper\nVersion: 2.0\n");
  write("helper-2.0.egg-info/top_level.txt", "helper\n");
  write("helper.py", "");
  write("wasionly-1.0.egg-info/PKG-INFO", "Name: wasionly\nVersion: 1.0\n");
  write("wasionly.py", "");
  write("fast-1.0.egg-info/PKG-INFO", "Name: fast\nVersion: 1.0\n");
  write("fast-1.0.egg-info/top_level.txt", "fast\n");
  write("fast/__init__.py", "");
  write("fast/_c.cpython-311-x86_64-linux-gnu.so", "");
  write("me-0.5.dist-info/METADATA", "Name: me\nVersion: 0.5\n");
  write("coverage-7.0.egg-info/PKG-INFO", "Name: coverage\nVersion: 7.0\n");
  write("coverage-7.0.egg-info/top_level.txt", "coverage\n");
  write("coverage/tracer.cpython-311-x86_64-linux-gnu.so", "");

  ResolveInput in;
  in.requirements = {"runner", "coverage"};
  in.project_key = "me";
  in.host_envs = {site};
  in.env = MarkerEnv::wasi_guest("3.11", "3.11.2");
  auto r = resolve(in);
  ASSERT_TRUE(r.has_value()) << r.error();
  std::vector<std::string> names;
  for (auto& c : r->chosen) names.push_back(c.key);
  EXPECT_EQ(names, (std::vector<std::string>{"runner", "helper", "wasionly"}));
  ASSERT_EQ(r->skipped.size(), 1u);
  EXPECT_EQ(r->skipped[0].requirement, "coverage");
  EXPECT_NE(r->skipped[0].reason.find("compiled extension"), std::string::npos);
  ASSERT_EQ(r->notes.size(), 1u);
  EXPECT_NE(r->notes[0].find("project under test"), std::string::npos);

  in.requirements = {"fast"};
  auto bad = resolve(in);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().find("cannot install fast"), std::string::npos);
  EXPECT_NE(bad.error().find("_c.cpython-311-x86_64-linux-gnu.so"), std::string::npos);
  in.requirements = {"nowhere"};
  EXPECT_FALSE(resolve(in).has_value());

  // Installed into a cache: files copied, reused the second time.
  in.requirements = {"runner"};
  auto again = resolve(in);
  fs::path cache = site / "cache";
  auto env = install(*again, cache, "py");
  ASSERT_TRUE(env.has_value()) << env.error();
  EXPECT_FALSE(env->reused);
  EXPECT_TRUE(fs::exists(env->site_packages / "runner/__init__.py"));
  EXPECT_TRUE(fs::exists(env->site_packages / "helper.py"));
  EXPECT_TRUE(fs::exists(env->site_packages / "helper-2.0.egg-info/PKG-INFO"));
  EXPECT_FALSE(fs::exists(env->site_packages / "fast"));
  auto env2 = install(*again, cache, "py");
  ASSERT_TRUE(env2.has_value());
  EXPECT_TRUE(env2->reused);
  EXPECT_EQ(env2->key, env->key);
  fs::remove_all(site);
}

namespace {

/// A fake pip (WASIPY_PIP-style argv prefix): records its arguments, one call
/// a line, then either writes a pure wheel of the requested name into -d or
/// fails the way pip does when no index can be reached.
fs::path write_fake_pip(const fs::path& dir, bool offline) {
  fs::create_directories(dir);
  fs::path script = dir / (offline ? "pip-offline" : "pip-online");
  std::ofstream(script) << "#!/usr/bin/env python3\n"
                           "import base64, hashlib, os, re, sys, zipfile\n"
                           "here = os.path.dirname(os.path.abspath(__file__))\n"
                           "with open(os.path.join(here, 'calls.txt'), 'a') as f:\n"
                           "    f.write(' '.join(sys.argv[1:]) + '\\n')\n"
                        << (offline ? "print(\"WARNING: Retrying after connection broken by 'NewConnectionError(...: Failed to "
                                      "establish a new connection: [Errno -2] Name or service not known)': /simple/x/\")\n"
                                      "print('ERROR: No matching distribution found for ' + sys.argv[-1], file=sys.stderr)\n"
                                      "sys.exit(1)\n"
                                    : "")
                        << "d = sys.argv[sys.argv.index('-d') + 1]\n"
                           "name = re.split('[=<>!~]', sys.argv[-1])[0].replace('-', '_')\n"
                           "os.makedirs(d, exist_ok=True)\n"
                           "files = {name + '.py': b'VALUE = 42\\n',\n"
                           "         name + '-1.0.dist-info/METADATA': ('Metadata-Version: 2.1\\nName: ' + name + '\\nVersion: 1.0\\n').encode()}\n"
                           "rec = ''.join('%s,sha256=%s,%d\\n' % (p, base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b'=').decode(), len(b))\n"
                           "              for p, b in files.items()) + name + '-1.0.dist-info/RECORD,,\\n'\n"
                           "with zipfile.ZipFile(os.path.join(d, name + '-1.0-py3-none-any.whl'), 'w') as z:\n"
                           "    for p, b in files.items(): z.writestr(p, b)\n"
                           "    z.writestr(name + '-1.0.dist-info/RECORD', rec)\n";
  fs::permissions(script, fs::perms::owner_all);
  return script;
}

std::vector<std::string> read_lines(const fs::path& p) {
  std::vector<std::string> out;
  std::ifstream in(p);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

}  // namespace

TEST(Resolve, PipSourceDownloadsCachesAndReportsAnUnreachableIndex) {
  fs::path root = fs::temp_directory_path() / ("wasipy-pip-" + std::to_string(::getpid()));
  fs::remove_all(root);
  ResolveInput in;
  in.env = MarkerEnv::wasi_guest("3.11", "3.11.2");
  in.pip.enabled = true;
  in.pip.command = {write_fake_pip(root / "online", false).string()};
  in.pip.index_url = "http://index.invalid/simple";
  in.pip.python_version = "3.11";
  in.pip.cache = root / "cache" / "wheels";

  // Not in any folder: downloaded with pip's arguments for a pure wheel, kept in the cache.
  in.requirements = {"fake-dep==1.0"};
  auto r = resolve(in);
  ASSERT_TRUE(r.has_value()) << r.error();
  ASSERT_EQ(r->chosen.size(), 1u);
  EXPECT_EQ(r->chosen[0].key, "fake-dep");
  EXPECT_EQ(r->chosen[0].path, in.pip.cache / "fake_dep-1.0-py3-none-any.whl");
  EXPECT_TRUE(fs::is_regular_file(r->chosen[0].path));
  ASSERT_EQ(r->notes.size(), 1u);
  EXPECT_EQ(r->notes[0], "fake_dep 1.0 from the package index");
  auto calls = read_lines(root / "online" / "calls.txt");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_TRUE(calls[0].starts_with("download --no-deps --only-binary :all: --platform any --abi none --implementation py "
                                   "--python-version 3.11 -d "))
      << calls[0];
  EXPECT_TRUE(calls[0].ends_with(" --index-url http://index.invalid/simple fake-dep==1.0")) << calls[0];
  // Installed like a --find-links wheel (RECORD checked).
  auto env = install(*r, root / "cache", "py");
  ASSERT_TRUE(env.has_value()) << env.error();
  EXPECT_TRUE(fs::is_regular_file(env->site_packages / "fake_dep.py"));
  // No temporary download folder is left behind.
  for (const auto& e : fs::directory_iterator(in.pip.cache)) EXPECT_TRUE(e.path().extension() == ".whl") << e.path();

  // Pinned and cached: pip is not called again.
  auto again = resolve(in);
  ASSERT_TRUE(again.has_value()) << again.error();
  EXPECT_EQ(again->chosen[0].path, r->chosen[0].path);
  EXPECT_EQ(again->notes[0], "fake_dep 1.0 from the package index (cached download)");
  EXPECT_EQ(read_lines(root / "online" / "calls.txt").size(), 1u);
  // Not pinned: pip is asked (a newer release may exist).
  in.requirements = {"fake-dep>=1"};
  ASSERT_TRUE(resolve(in).has_value());
  EXPECT_EQ(read_lines(root / "online" / "calls.txt").size(), 2u);

  // Disabled (--no-index): the requirement cannot be installed.
  in.pip.enabled = false;
  EXPECT_FALSE(resolve(in).has_value());
  in.pip.enabled = true;

  // No index reachable: one line saying so; an optional coverage tool is skipped; pip asked once.
  in.pip.command = {write_fake_pip(root / "offline", true).string()};
  in.requirements = {"coverage>=7", "other-dep"};
  auto off = resolve(in);
  ASSERT_FALSE(off.has_value());
  EXPECT_NE(off.error().find("cannot install other-dep"), std::string::npos) << off.error();
  EXPECT_NE(off.error().find("the package index http://index.invalid/simple could not be reached"), std::string::npos) << off.error();
  EXPECT_EQ(off.error().find('\n'), std::string::npos);
  EXPECT_EQ(read_lines(root / "offline" / "calls.txt").size(), 1u);
  in.requirements = {"coverage>=7"};
  auto skipped = resolve(in);
  ASSERT_TRUE(skipped.has_value()) << skipped.error();
  ASSERT_EQ(skipped->skipped.size(), 1u);
  EXPECT_NE(skipped->skipped[0].reason.find("could not be reached"), std::string::npos) << skipped->skipped[0].reason;

  // A file: index that is not there: pip is not even started.
  in.pip.index_url = "file://" + (root / "no-such-index").string();
  in.requirements = {"other-dep"};
  auto none = resolve(in);
  ASSERT_FALSE(none.has_value());
  EXPECT_NE(none.error().find("could not be reached (no such folder)"), std::string::npos) << none.error();
  EXPECT_EQ(read_lines(root / "offline" / "calls.txt").size(), 2u);
  fs::remove_all(root);
}
