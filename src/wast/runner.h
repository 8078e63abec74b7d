#pragma once
// The spec-test runner: executes a script's commands against one store and
// one tier (native or interpreter) and reports each outcome through callbacks, so that the
// `wasipy wast` command and the unit tests share it.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "interp/interpreter.h"
#include "launch/launch.h"
#include "wast/script.h"

namespace wasipy::wast {

enum class Outcome { Passed, Failed, Skipped };

/// What one command came to. Assertions always report one; `module`,
/// `register` and `action` report only when they fail.
struct Result {
  std::filesystem::path file;
  int line = 0;
  std::string command;  ///< "assert_return", "module", ...
  Outcome outcome = Outcome::Passed;
  std::string message;  ///< why it failed or was skipped; empty when it passed

  /// "file.wast:12: assert_return: <message>"
  std::string describe() const;
};

struct Summary {
  uint64_t passed = 0;
  uint64_t failed = 0;
  uint64_t skipped = 0;
  /// How many were skipped for each reason ("unsupported feature: simd ...").
  std::map<std::string, uint64_t> skip_reasons;

  Summary& operator+=(const Summary& other);
  void add(const Result& r);
};

/// All optional. Called in script order, on the calling thread.
struct Callbacks {
  std::function<void(const Command&)> on_command;  ///< before each command runs
  std::function<void(const Result&)> on_result;    ///< after each reported outcome
};

struct Options {
  std::string wast2json = "wast2json";
  /// Which tier runs the scripts (the default: native where available).
  launch::Execution execution;
  interp::Limits limits;  ///< for the interpreter tier
};

/// Why a text-format module was not checked.
inline constexpr const char* kTextModuleSkip = "text-format module (needs a .wat parser)";

/// Runs scripts; each script gets a fresh store, engine and `spectest`.
class ScriptRunner {
 public:
  explicit ScriptRunner(Callbacks callbacks = {}, Options options = {});
  ~ScriptRunner();

  /// Executes every command of `script` in order.
  Summary run(const Script& script);
  /// Converts `wast` with wast2json and runs it; a conversion failure is one
  /// failed result (command "wast2json").
  Summary run_file(const std::filesystem::path& wast);

 private:
  struct Session;
  Callbacks callbacks_;
  Options options_;
};

}  // namespace wasipy::wast
