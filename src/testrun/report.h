#pragma once
// What a pytest run says, and what wasipy makes of it: JUnit XML parsed into
// test outcomes, each failure classified as a named WASI limitation or a
// failure to look at, and a verdict.
#include <expected>
#include <optional>
#include <string>
#include <vector>

namespace wasipy::testrun {

enum class Outcome { Passed, Failed, Error, Skipped, XFailed };
const char* outcome_name(Outcome o);

struct TestCase {
  std::string classname;  ///< "pkg.tests.test_mod" or "pkg.tests.test_mod.TestClass"
  std::string name;       ///< "test_x[param]"
  std::string file;
  Outcome outcome = Outcome::Passed;
  std::string message;    ///< the failure's/skip's message attribute
  std::string text;       ///< the traceback
  std::string id() const { return classname + "::" + name; }
};

/// pytest's JUnit XML (any junit_family): every <testcase>.
std::expected<std::vector<TestCase>, std::string> parse_junit(std::string_view xml);

/// A WASI limitation, by its stable id ("ctypes", "threads", ...).
struct Limitation {
  std::string id;
  std::string title;  ///< "ctypes is unavailable"
};

/// The WASI limitation that a failure's message and traceback point to;
/// nullopt when it is a failure to look at.
std::optional<Limitation> classify(std::string_view message, std::string_view text);

/// CollectOnly: pytest only collected (--co); nothing ran, so no verdict.
enum class Verdict { Compatible, CompatibleExcept, NotCompatible, NoTests, DidNotRun, CollectOnly };
const char* verdict_name(Verdict v);

struct Classified {
  TestCase test;
  std::optional<Limitation> limitation;
};

struct Report {
  std::string project;
  std::string python;
  int exit_status = 0;
  int passed = 0, failed = 0, errors = 0, skipped = 0, xfailed = 0;
  int collected = -1;                ///< tests collected, when pytest only collected (--co)
  std::vector<Classified> problems;  ///< failed and erroring tests
  std::vector<std::pair<std::string, int>> limitations;  ///< limitation title -> tests, most first
  std::vector<std::pair<std::string, int>> causes;       ///< failures to look at: exception type -> tests
  Verdict verdict = Verdict::Compatible;
  std::vector<std::string> advice;   ///< what to do next, one line each
  std::vector<std::string> skipped_requirements;  ///< "coverage: only a platform-specific wheel ..."
};

/// Builds the report from the tests and pytest's exit status; `collect_only`
/// is the number of tests collected when pytest only collected them.
Report make_report(std::string project, std::string python, const std::vector<TestCase>& tests, int exit_status,
                   bool declares_wasi, std::optional<int> collect_only = std::nullopt);

/// The summary printed after pytest's own output; ends with the verdict line.
std::string format_summary(const Report& r);

/// The same as JSON (--report-json).
std::string to_json(const Report& r);

}  // namespace wasipy::testrun
