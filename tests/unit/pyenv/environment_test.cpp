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
