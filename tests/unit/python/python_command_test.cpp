#include <sstream>

#include <gtest/gtest.h>

#include "cli/commands.h"
#include "fake_dist.h"
#include "python/install.h"

namespace wasipy::cli {
namespace {

using testing::DistTest;
using testing::make_layout;
namespace fs = std::filesystem;

struct Result {
  int status;
  std::string out, err;
};

Result cli(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  int status = main(args, out, err);
  return {status, out.str(), err.str()};
}

TEST(PythonArgs, WasipyOptionsComeFirstAndTheRestPassesThrough) {
  auto s = split_python_args({"--dir", "/a::/b", "--env=K=V", "--dist", "3.11", "-c", "print(1)", "--dir", "x"});
  EXPECT_EQ(s.dirs, (std::vector<std::string>{"/a::/b"}));
  EXPECT_EQ(s.env, (std::vector<std::string>{"K=V"}));
  EXPECT_EQ(s.dist, "3.11");
  EXPECT_EQ(s.guest, (std::vector<std::string>{"-c", "print(1)", "--dir", "x"}));
  EXPECT_TRUE(s.error.empty());

  s = split_python_args({"--env", "A=1", "--", "--help", "-m", "pytest"});
  EXPECT_FALSE(s.help);
  EXPECT_EQ(s.guest, (std::vector<std::string>{"--help", "-m", "pytest"}));

  s = split_python_args({"script.py", "--env", "X=1"});
  EXPECT_TRUE(s.env.empty());
  EXPECT_EQ(s.guest, (std::vector<std::string>{"script.py", "--env", "X=1"}));

  s = split_python_args({"-m", "test", "-v"});
  EXPECT_EQ(s.guest, (std::vector<std::string>{"-m", "test", "-v"}));

  s = split_python_args({"--help"});
  EXPECT_TRUE(s.help);

  s = split_python_args({"--dir"});
  EXPECT_EQ(s.error, "--dir needs a value");
}

class PythonCommand : public DistTest {};

TEST_F(PythonCommand, HelpDescribesTheSubcommands) {
  auto r = cli({"python", "--help"});
  EXPECT_EQ(r.status, kExitOk);
  for (const char* s : {"wasipy python build", "add PATH", "list", "default KEY|VERSION", "as \"/\""})
    EXPECT_NE(r.out.find(s), std::string::npos) << s;
}

TEST_F(PythonCommand, NoDistributionIsOneLineWithWhatToDo) {
  auto r = cli({"python", "-c", "pass"});
  EXPECT_EQ(r.status, kExitFailure);
  EXPECT_NE(r.err.find("wasipy python build"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  auto list = cli({"python", "list"});
  EXPECT_EQ(list.status, kExitOk);
  EXPECT_EQ(list.out, "");
  EXPECT_NE(list.err.find("no CPython WASI distribution"), std::string::npos);
}

TEST_F(PythonCommand, AddListDefaultAndRun) {
  make_layout(tmp_ / "a", "3.11.2", /*exit_code=*/7);
  make_layout(tmp_ / "b", "3.12.1", /*exit_code=*/9);
  testing::zip_folder(tmp_ / "b", tmp_ / "b.zip", "b/");
  auto a = cli({"python", "add", (tmp_ / "a").string()});
  ASSERT_EQ(a.status, kExitOk) << a.err;
  EXPECT_TRUE(a.out.starts_with("added: CPython 3.11.2  ")) << a.out;
  EXPECT_NE(a.out.find("(default)"), std::string::npos) << a.out;
  auto b = cli({"python", "add", (tmp_ / "b.zip").string()});
  ASSERT_EQ(b.status, kExitOk) << b.err;
  EXPECT_EQ(b.out.find("(default)"), std::string::npos) << b.out;
  auto again = cli({"python", "add", (tmp_ / "b.zip").string()});
  EXPECT_TRUE(again.out.starts_with("already installed: CPython 3.12.1")) << again.out;

  auto list = cli({"python", "list"});
  ASSERT_EQ(list.status, kExitOk);
  EXPECT_EQ(std::count(list.out.begin(), list.out.end(), '\n'), 2) << list.out;
  EXPECT_TRUE(list.out.starts_with("CPython 3.11.2  ")) << list.out;
  EXPECT_NE(list.out.find("(default)\nCPython 3.12.1"), std::string::npos) << list.out;

  // The fake python.wasm exits with its own status: 7 for the default.
  EXPECT_EQ(cli({"python", "-c", "pass"}).status, 7);
  EXPECT_EQ(cli({"python", "--dist", "3.12", "-c", "pass"}).status, 9);
  auto d = cli({"python", "default", "3.12"});
  ASSERT_EQ(d.status, kExitOk) << d.err;
  EXPECT_NE(d.out.find("CPython 3.12.1"), std::string::npos);
  EXPECT_EQ(cli({"python"}).status, 9);

  auto bad = cli({"python", "default", "2.7"});
  EXPECT_EQ(bad.status, kExitFailure);
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
}

TEST_F(PythonCommand, AddErrorsAreOneLine) {
  auto missing = cli({"python", "add", (tmp_ / "nope.zip").string()});
  EXPECT_EQ(missing.status, kExitFailure);
  EXPECT_NE(missing.err.find("wasipy python add: "), std::string::npos);
  EXPECT_EQ(std::count(missing.err.begin(), missing.err.end(), '\n'), 1) << missing.err;
  auto usage = cli({"python", "add"});
  EXPECT_EQ(usage.status, kExitUsage);
}

TEST_F(PythonCommand, BadMountsAndEnvAreUsageErrors) {
  make_layout(tmp_ / "a", "3.11.2");
  ASSERT_EQ(cli({"python", "add", (tmp_ / "a").string()}).status, kExitOk);
  auto r = cli({"python", "--dir", (tmp_ / "missing").string(), "-c", "pass"});
  EXPECT_EQ(r.status, kExitUsage);
  EXPECT_NE(r.err.find("no such folder"), std::string::npos) << r.err;
  r = cli({"python", "--env", "NOEQUALS", "-c", "pass"});
  EXPECT_EQ(r.status, kExitUsage);
  r = cli({"python", "--dir", (tmp_ / "a").string() + "::/data:ro", "-c", "pass"});
  EXPECT_EQ(r.status, kExitOk) << r.err;
}

TEST_F(PythonCommand, ScratchTmpIsRemovedAndStaleOnesAreSwept) {
  make_layout(tmp_ / "a", "3.11.2");
  ASSERT_EQ(cli({"python", "add", (tmp_ / "a").string()}).status, kExitOk);
  fs::create_directories(tmp_ / "host-tmp" / "wasipy-python-999999999-abcdef" / "sub");  // no such pid
  fs::create_directories(tmp_ / "host-tmp" / "wasipy-python-test-1-x");                  // not ours
  ::setenv("TMPDIR", (tmp_ / "host-tmp").c_str(), 1);
  auto r = cli({"python", "-c", "pass"});
  ::unsetenv("TMPDIR");
  EXPECT_EQ(r.status, kExitOk) << r.err;
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(tmp_ / "host-tmp")) left.push_back(e.path().filename().string());
  EXPECT_EQ(left, (std::vector<std::string>{"wasipy-python-test-1-x"}));
}

}  // namespace
}  // namespace wasipy::cli
