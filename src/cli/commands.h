#pragma once
// Each subcommand as a function of its parsed options and the streams it
// talks on, so that tests call them without a process.
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "cli/args.h"
#include "launch/launch.h"

namespace wasipy::cli {

/// Exit statuses shared by the subcommands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  ///< tests failed, module rejected or not linkable
inline constexpr int kExitUsage = 2;    ///< bad command line, missing file
inline constexpr int kExitTrap = 134;   ///< the guest trapped (as Node's runner and 128+SIGABRT)

struct WastOptions {
  std::vector<std::string> files;
  bool verbose = false;  ///< also print skipped assertions, one line each
  launch::Execution execution;
};
/// Prints one line per failure and ends with "N passed, N failed, N skipped".
int wast_main(const WastOptions& options, std::ostream& out, std::ostream& err);

struct RunOptions {
  std::string module;
  std::vector<std::string> args;  ///< the guest's, after the module
  std::vector<DirMapping> dirs;
  std::vector<std::string> env;
  std::optional<std::string> argv0;
  std::optional<std::string> invoke;
  launch::Execution execution;
};
/// Runs `_start` under WASI, or calls the --invoke export and prints its
/// results one per line on `out`. The guest's own output goes to fds 1 and 2.
int run_main(const RunOptions& options, std::ostream& out, std::ostream& err);

/// `wasipy python`'s arguments when it runs CPython: wasipy's own options
/// (--dir, --env, --dist, --help) up to '--' or the first other argument;
/// the rest goes to CPython unchanged.
struct PythonRunSplit {
  std::vector<std::string> dirs;   ///< HOST[::GUEST][:ro]
  std::vector<std::string> env;    ///< K=V
  std::optional<std::string> dist; ///< a key or version instead of the default
  bool help = false;
  std::optional<std::string> tier; ///< --tier
  bool no_cache = false;           ///< --no-cache
  bool train = false;              ///< --train
  std::string error;               ///< a usage error, when not empty
  std::vector<std::string> guest;
};
PythonRunSplit split_python_args(const std::vector<std::string>& args);

/// `wasipy python ...`: build, add, list, default, or run CPython.
int python_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// `wasipy test [PROJECT] [options] [-- PYTEST_ARGS...]`; pytest's exit status, 2 for bad input.
int test_command_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// `wasipy compile MODULE.wasm [-o OUT]`: fills the code cache (and copies the shared object to OUT).
int compile_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
/// `wasipy cache clear|dir`: the native code cache.
int cache_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// The whole command line, without the program name.
int main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// For the wasipy executable only (tools/main.cpp), never for tests or other
/// callers of the functions above: `run` and `python` then end the process
/// with the guest's status as soon as it has finished and everything is
/// written, without freeing what the run made. See finish_guest_command.
void exit_without_teardown();

}  // namespace wasipy::cli
