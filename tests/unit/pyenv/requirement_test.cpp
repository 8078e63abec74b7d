#include "pyenv/requirement.h"

#include <gtest/gtest.h>

using namespace wasipy::pyenv;

namespace {

MarkerEnv guest() { return MarkerEnv::wasi_guest("3.11", "3.11.2"); }

bool eval(const char* marker, MarkerEnv env = guest()) {
  auto r = evaluate_marker(marker, env);
  EXPECT_TRUE(r.has_value()) << marker << ": " << (r ? "" : r.error());
  return r.value_or(false);
}

}  // namespace

TEST(Name, Normalizes) {
  EXPECT_EQ(normalize_name("Foo_Bar.baz"), "foo-bar-baz");
  EXPECT_EQ(normalize_name("pytest--cov"), "pytest-cov");
}

TEST(Version, Orders) {
  auto v = [](const char* s) { return *Version::parse(s); };
  EXPECT_LT(v("1.0"), v("1.0.1"));
  EXPECT_EQ(v("1.0"), v("1.0.0"));
  EXPECT_LT(v("1.0a1"), v("1.0b1"));
  EXPECT_LT(v("1.0rc1"), v("1.0"));
  EXPECT_LT(v("1.0.dev1"), v("1.0a1"));
  EXPECT_LT(v("1.0"), v("1.0.post1"));
  EXPECT_LT(v("1.0+local"), v("1.1"));
  EXPECT_LT(v("2.0"), v("1!0.1"));
  EXPECT_TRUE(Version::parse("1.0.0+repack").has_value());
  EXPECT_FALSE(Version::parse("banana").has_value());
}

TEST(Specifier, Contains) {
  auto has = [](const char* spec, const char* ver) { return Specifier::parse(spec)->contains(*Version::parse(ver)); };
  EXPECT_TRUE(has(">=1.0,<2", "1.5"));
  EXPECT_FALSE(has(">=1.0,<2", "2.0"));
  EXPECT_TRUE(has("(>=19.2.0)", "22.2.0"));
  EXPECT_TRUE(has("==1.*", "1.9"));
  EXPECT_FALSE(has("==1.*", "2.0"));
  EXPECT_TRUE(has("~=1.4", "1.9"));
  EXPECT_FALSE(has("~=1.4.2", "1.5"));
  EXPECT_TRUE(has("!=1.5", "1.6"));
  EXPECT_FALSE(has("<2", "2.0rc1"));
  EXPECT_TRUE(has("", "0.1"));
  EXPECT_FALSE(Specifier::parse(">>1").has_value());
}

TEST(Marker, GuestIsWasi) {
  EXPECT_TRUE(eval("sys_platform == \"wasi\""));
  EXPECT_FALSE(eval("sys_platform == 'linux'"));
  EXPECT_FALSE(eval("sys_platform == \"win32\""));
  EXPECT_TRUE(eval("platform_system != \"Windows\""));
  EXPECT_TRUE(eval("os_name == 'posix'"));
  EXPECT_FALSE(eval("python_version < \"3.11\""));
  EXPECT_TRUE(eval("python_version >= '3.8'"));
  EXPECT_TRUE(eval("python_full_version >= '3.11.1'"));
  EXPECT_TRUE(eval("'wasi' in sys_platform"));
  EXPECT_TRUE(eval("sys_platform != 'wasi' or python_version > '3.10'"));
  EXPECT_FALSE(eval("(sys_platform == 'wasi' and python_version < '3.8') or os_name == 'nt'"));
  EXPECT_TRUE(eval("platform_machine == 'wasm32' and implementation_name == \"cpython\""));
}

TEST(Marker, Extras) {
  MarkerEnv env = guest();
  EXPECT_FALSE(eval("extra == 'testing'", env));
  env.extras.insert("testing");
  EXPECT_TRUE(eval("extra == 'testing'", env));
  EXPECT_TRUE(eval("extra == \"Testing\"", env));
}

TEST(Marker, Errors) {
  EXPECT_FALSE(evaluate_marker("sys_platform ==", guest()).has_value());
  EXPECT_FALSE(evaluate_marker("bogus_var == 'x'", guest()).has_value());
  EXPECT_FALSE(evaluate_marker("(os_name == 'posix'", guest()).has_value());
}

TEST(Requirement, Parses) {
  auto r = Requirement::parse("Foo_Bar[Extra1, extra2] (>=1.0,<2) ; python_version < '3.11'");
  ASSERT_TRUE(r.has_value()) << r.error();
  EXPECT_EQ(r->name, "Foo_Bar");
  EXPECT_EQ(r->key, "foo-bar");
  EXPECT_EQ(r->extras, (std::set<std::string>{"extra1", "extra2"}));
  EXPECT_EQ(r->specifier.str(), ">=1.0,<2");
  EXPECT_FALSE(*r->applies(guest()));
  auto u = Requirement::parse("pkg @ https://example.org/pkg.whl");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->url, "https://example.org/pkg.whl");
  EXPECT_FALSE(Requirement::parse("[nope]").has_value());
  EXPECT_FALSE(Requirement::parse("x ; sys_platform = 'wasi'").has_value());
}
