#include "testrun/report.h"

#include <gtest/gtest.h>

using namespace wasipy::testrun;

namespace {

const char* kJunit = R"(<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="1" failures="2" skipped="2" tests="6">
<testcase classname="pkg.tests.test_a" name="test_ok" file="pkg/tests/test_a.py" line="3" time="0.001" />
<testcase classname="pkg.tests.test_a" name="test_ctypes" time="0.01"><failure message="ModuleNotFoundError: No module named '_ctypes'">def test_ctypes():
&gt;       import ctypes
E       ModuleNotFoundError: No module named '_ctypes'</failure></testcase>
<testcase classname="pkg.tests.test_a.TestX" name="test_math[1-2]" time="0.01"><failure message="assert 1 == 2">def test_math():
        import ctypes  # mentioned, but not the cause
&gt;       assert 1 == 2
E       assert 1 == 2</failure></testcase>
<testcase classname="pkg.tests.test_a" name="test_thread" time="0.01"><error message="failed on setup with &quot;RuntimeError: can't start new thread&quot;">E   RuntimeError: can't start new thread</error></testcase>
<testcase classname="pkg.tests.test_a" name="test_skip" time="0"><skipped type="pytest.skip" message="no">skip</skipped></testcase>
<testcase classname="pkg.tests.test_a" name="test_xf" time="0"><skipped type="pytest.xfail" message="known" /></testcase>
</testsuite></testsuites>)";

std::string limitation(const char* message, const char* text = "") {
  auto l = classify(message, text);
  return l ? l->id : "";
}

}  // namespace

TEST(Junit, Parses) {
  auto tests = parse_junit(kJunit);
  ASSERT_TRUE(tests.has_value()) << tests.error();
  ASSERT_EQ(tests->size(), 6u);
  EXPECT_EQ((*tests)[0].id(), "pkg.tests.test_a::test_ok");
  EXPECT_EQ((*tests)[0].outcome, Outcome::Passed);
  EXPECT_EQ((*tests)[0].file, "pkg/tests/test_a.py");
  EXPECT_EQ((*tests)[1].outcome, Outcome::Failed);
  EXPECT_NE((*tests)[1].text.find(">       import ctypes"), std::string::npos);
  EXPECT_EQ((*tests)[2].id(), "pkg.tests.test_a.TestX::test_math[1-2]");
  EXPECT_EQ((*tests)[3].outcome, Outcome::Error);
  EXPECT_EQ((*tests)[3].message, "failed on setup with \"RuntimeError: can't start new thread\"");
  EXPECT_EQ((*tests)[4].outcome, Outcome::Skipped);
  EXPECT_EQ((*tests)[5].outcome, Outcome::XFailed);
  EXPECT_FALSE(parse_junit("<html/>").has_value());
}

TEST(Classify, NamedLimitations) {
  EXPECT_EQ(limitation("ModuleNotFoundError: No module named '_ctypes'"), "ctypes");
  EXPECT_EQ(limitation("AttributeError: 'NoneType' object has no attribute 'CDLL'", "    lib = ctypes.CDLL(None)\nE   AttributeError: 'NoneType' object has no attribute 'CDLL'"), "ctypes");
  EXPECT_EQ(limitation("RuntimeError: can't start new thread"), "threads");
  EXPECT_EQ(limitation("ModuleNotFoundError: No module named '_posixsubprocess'"), "subprocess");
  EXPECT_EQ(limitation("AttributeError: module 'os' has no attribute 'fork'"), "subprocess");
  EXPECT_EQ(limitation("OSError: [Errno 58] Not supported", "E   socket.socket()\nE   OSError: [Errno 58] Not supported"), "sockets");
  EXPECT_EQ(limitation("ModuleNotFoundError: No module named '_socket'"), "sockets");
  EXPECT_EQ(limitation("AttributeError: module 'os' has no attribute 'dup'"), "os.dup");
  EXPECT_EQ(limitation("AttributeError: module 'os' has no attribute 'umask'"), "umask");
  EXPECT_EQ(limitation("AttributeError: module 'os' has no attribute 'chmod'"), "chmod");
  EXPECT_EQ(limitation("AttributeError: module 'signal' has no attribute 'SIGALRM'"), "signals");
  EXPECT_EQ(limitation("ModuleNotFoundError: No module named 'zlib'"), "extension:zlib");
  EXPECT_EQ(limitation("RecursionError: maximum recursion depth exceeded"), "recursion");
  EXPECT_EQ(limitation("failed on setup with \"AttributeError: module 'os' has no attribute 'getuid'\""), "os.getuid");
  EXPECT_EQ(limitation("assert 1 == 2"), "");
  EXPECT_EQ(limitation("ModuleNotFoundError: No module named 'numpy'"), "");
  // The test's source mentioning ctypes does not make an assertion a ctypes failure.
  EXPECT_EQ(limitation("assert 1 == 2", "    import ctypes\n>   assert 1 == 2\nE   assert 1 == 2"), "");
}

TEST(Verdict, Kinds) {
  auto tests = *parse_junit(kJunit);
  Report mixed = make_report("pkg", "3.11.2", tests, 1, false);
  EXPECT_EQ(mixed.verdict, Verdict::NotCompatible);
  EXPECT_EQ(mixed.passed, 1);
  EXPECT_EQ(mixed.failed, 2);
  EXPECT_EQ(mixed.errors, 1);
  EXPECT_EQ(mixed.skipped, 1);
  EXPECT_EQ(mixed.xfailed, 1);
  std::string s = format_summary(mixed);
  EXPECT_NE(s.find("verdict: not compatible: AssertionError (1 test)"), std::string::npos) << s;
  EXPECT_NE(s.find("WASI  pkg.tests.test_a::test_ctypes  [ctypes is unavailable]"), std::string::npos) << s;

  tests.erase(tests.begin() + 2);
  Report except = make_report("pkg", "3.11.2", tests, 1, false);
  EXPECT_EQ(except.verdict, Verdict::CompatibleExcept);
  s = format_summary(except);
  EXPECT_NE(s.find("verdict: compatible except tests that need"), std::string::npos) << s;
  EXPECT_NE(s.find("importorskip"), std::string::npos);

  std::vector<TestCase> ok{tests[0]};
  Report good = make_report("pkg", "3.11.2", ok, 0, false);
  EXPECT_EQ(good.verdict, Verdict::Compatible);
  EXPECT_NE(format_summary(good).find("add the classifier \"Environment :: WebAssembly :: WASI\""), std::string::npos);
  EXPECT_NE(format_summary(make_report("pkg", "3.11.2", ok, 0, true)).find("already declares"), std::string::npos);
  EXPECT_EQ(make_report("pkg", "3.11.2", {}, 5, false).verdict, Verdict::NoTests);
  EXPECT_EQ(make_report("pkg", "3.11.2", {}, 4, false).verdict, Verdict::DidNotRun);
  std::string j = to_json(mixed);
  EXPECT_NE(j.find("\"verdict\": \"not-compatible\""), std::string::npos);
  EXPECT_NE(j.find("\"wasi_limitation\": \"ctypes\""), std::string::npos);
}

TEST(Verdict, CollectOnlyHasCountAndNoVerdict) {
  // `-- --co`: pytest exits 0 and its JUnit report has no test cases.
  Report r = make_report("pkg", "3.11.2", {}, 0, false, 4);
  EXPECT_EQ(r.verdict, Verdict::CollectOnly);
  EXPECT_EQ(r.collected, 4);
  std::string s = format_summary(r);
  EXPECT_NE(s.find("4 tests collected; collect only, nothing ran: no verdict"), std::string::npos) << s;
  EXPECT_EQ(s.find("verdict:"), std::string::npos) << s;
  EXPECT_EQ(s.find("no tests collected"), std::string::npos) << s;
  std::string j = to_json(r);
  EXPECT_NE(j.find("\"verdict\": null"), std::string::npos) << j;
  EXPECT_NE(j.find("\"collected\": 4"), std::string::npos) << j;
  // Nothing to collect is still "no tests", with pytest's status 5.
  EXPECT_EQ(make_report("pkg", "3.11.2", {}, 5, false, 0).verdict, Verdict::NoTests);
}
