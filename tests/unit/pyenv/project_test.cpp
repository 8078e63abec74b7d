#include "pyenv/project.h"

#include <fstream>

#include <gtest/gtest.h>

namespace fs = std::filesystem;
using namespace wasipy::pyenv;

namespace {

struct TempProject {
  fs::path root;
  TempProject() {
    root = fs::temp_directory_path() / ("wasipy-pyenv-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root);
    fs::create_directories(root);
  }
  ~TempProject() { fs::remove_all(root); }
  void write(const std::string& rel, const std::string& text) {
    fs::create_directories((root / rel).parent_path());
    std::ofstream(root / rel) << text;
  }
};

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

}  // namespace

TEST(Discover, PyprojectSrcLayout) {
  TempProject p;
  p.write("pyproject.toml", R"(
[project]
name = "Demo_Pkg"
version = "1.2"
dependencies = ["attrs>=20"]
classifiers = ["Environment :: WebAssembly :: WASI"]
[project.optional-dependencies]
test = ["pytest>=7", "coverage"]
docs = ["sphinx"]
[dependency-groups]
tests = ["hypothesis", {include-group = "lint"}]
lint = ["flake8"]
)");
  p.write("src/demo_pkg/__init__.py", "");
  p.write("tests/test_demo.py", "");
  auto r = discover(p.root, {});
  ASSERT_TRUE(r.has_value()) << r.error();
  EXPECT_EQ(r->name, "Demo_Pkg");
  EXPECT_EQ(r->key, "demo-pkg");
  EXPECT_EQ(r->version, "1.2");
  EXPECT_EQ(r->import_root, "src");
  EXPECT_EQ(r->packages, std::vector<std::string>{"demo_pkg"});
  EXPECT_TRUE(r->declares_wasi());
  EXPECT_TRUE(has(r->requirements, "attrs>=20"));
  EXPECT_TRUE(has(r->requirements, "pytest>=7"));
  EXPECT_TRUE(has(r->requirements, "coverage"));
  EXPECT_TRUE(has(r->requirements, "hypothesis"));
  EXPECT_TRUE(has(r->requirements, "flake8"));
  EXPECT_FALSE(has(r->requirements, "sphinx"));
  EXPECT_TRUE(r->compiled.empty());
}

TEST(Discover, ExtraOverrideAndRequirementFiles) {
  TempProject p;
  p.write("pyproject.toml", "[project]\nname = 'x'\n[project.optional-dependencies]\ntest = ['a']\nci = ['b']\n");
  p.write("x.py", "");
  p.write("requirements-test.txt", "# comment\nc>=1  # why\n-r more.txt\n-e .\n--index-url http://x\n");
  p.write("more.txt", "d\n");
  auto r = discover(p.root, {{}, {"ci"}});
  ASSERT_TRUE(r.has_value()) << r.error();
  EXPECT_EQ(r->import_root, "");
  EXPECT_TRUE(has(r->requirements, "b"));
  EXPECT_FALSE(has(r->requirements, "a"));
  EXPECT_TRUE(has(r->requirements, "c>=1"));
  EXPECT_TRUE(has(r->requirements, "d"));
  EXPECT_TRUE(has(r->requirements, "pytest"));  // added: nothing named it
  auto bad = discover(p.root, {{}, {"nope"}});
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().find("no such extra"), std::string::npos);
  p.write("req/t.txt", "e\n");
  auto only = discover(p.root, {{p.root / "req/t.txt"}, {}});
  ASSERT_TRUE(only.has_value());
  EXPECT_TRUE(has(only->requirements, "e"));
  EXPECT_FALSE(has(only->requirements, "c>=1"));
}

TEST(Discover, SetupCfg) {
  TempProject p;
  p.write("setup.cfg", R"([metadata]
name = cfgpkg
version = 0.3
classifiers =
    Programming Language :: Python :: 3
[options]
install_requires =
    six
[options.extras_require]
testing =
    pytest
    mock; python_version < "3.3"
)");
  p.write("setup.py", "from setuptools import setup\nsetup()\n");
  p.write("cfgpkg/__init__.py", "");
  auto r = discover(p.root, {});
  ASSERT_TRUE(r.has_value()) << r.error();
  EXPECT_EQ(r->name, "cfgpkg");
  EXPECT_EQ(r->packages, std::vector<std::string>{"cfgpkg"});
  EXPECT_TRUE(has(r->requirements, "six"));
  EXPECT_TRUE(has(r->requirements, "mock; python_version < \"3.3\""));
  EXPECT_FALSE(r->declares_wasi());
}

TEST(Discover, InstalledLayoutAndCompiled) {
  TempProject p;
  p.write("toolz-0.12.0.egg-info/PKG-INFO", "Metadata-Version: 2.1\nName: toolz\nVersion: 0.12.0\n\nbody\nName: not this\n");
  p.write("toolz/__init__.py", "");
  p.write("toolz/tests/test_a.py", "");
  auto r = discover(p.root, {});
  ASSERT_TRUE(r.has_value()) << r.error();
  EXPECT_EQ(r->name, "toolz");
  EXPECT_EQ(r->version, "0.12.0");
  EXPECT_EQ(r->requirements, std::vector<std::string>{"pytest"});
  p.write("toolz/_speed.c", "");
  auto c = discover(p.root, {});
  ASSERT_TRUE(c.has_value());
  EXPECT_NE(c->compiled.find("_speed.c"), std::string::npos);
}

TEST(Discover, NotAProject) {
  TempProject p;
  p.write("notes.txt", "");
  EXPECT_FALSE(discover(p.root, {}).has_value());
  EXPECT_FALSE(discover(p.root / "missing", {}).has_value());
}

TEST(Metadata, EggRequires) {
  auto lines = egg_requires("six\n\n[test]\npytest\n[:sys_platform == \"win32\"]\ncolorama\n[docs:python_version<'3']\nsphinx\n");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "six");
  EXPECT_EQ(lines[1], "pytest; extra == \"test\"");
  EXPECT_EQ(lines[2], "colorama; sys_platform == \"win32\"");
  EXPECT_EQ(lines[3], "sphinx; (python_version<'3') and extra == \"docs\"");
}
