#pragma once
// Running a WASI program from a file to its exit status: what `run`,
// `python` and `test` share, so that the stages above never look inside a
// module.
#include <expected>
#include <memory>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "runtime/engine.h"
#include "wasi/wasi.h"
#include "wasm/module.h"
#include "wasm/validator.h"

namespace wasipy::native {
class NativeEngine;
}

namespace wasipy::launch {

/// Which engine runs guests. Native code is the default where a C compiler
/// exists; the interpreter is the reference and the fallback.
enum class Tier { Native, Interpreter };

struct Execution {
  std::optional<Tier> tier;  ///< unset: $WASIPY_TIER ("native" or "interp"), else native where available
  bool use_cache = true;     ///< false: compile native code privately, keep nothing (--no-cache)
  /// Run on an instrumented build and keep the run's counts as the module's
  /// training profile (--train; native tier with gcc only): later compiles
  /// of the module are guided by them. See native/cache.h, "Training".
  bool train = false;
};

struct Engine {
  std::unique_ptr<runtime::Engine> engine;
  native::NativeEngine* native = nullptr;  ///< set when the native tier was chosen
};

/// The engine for `choice`. Falls back to the interpreter, saying so once per
/// process on stderr, when native code was not asked for explicitly and no C
/// compiler is found; fails when it was asked for and cannot be had.
std::expected<Engine, std::string> select_engine(const Execution& choice);

/// Parses "native" / "interp" (also "interpreter"), for --tier and $WASIPY_TIER.
std::optional<Tier> parse_tier(std::string_view name);

struct Guest {
  std::string module_path;         ///< a .wasm file
  std::vector<std::string> args;   ///< argv, including argv[0]
  std::vector<std::string> env;    ///< "KEY=VALUE"
  std::vector<wasi::Mount> mounts;
  int stdin_fd = 0;                ///< host fds behind the guest's 0, 1, 2
  int stdout_fd = 1;
  int stderr_fd = 2;
  Execution execution;
};

/// How a guest ended when it ran at all.
struct Outcome {
  int exit_status = 0;        ///< proc_exit's code, 0 when _start returned, 134 after a trap
  std::string trap;           ///< Trap::describe() when it trapped, else empty
  /// Everything the run made (engine, module, store, the guest's memory),
  /// freed with the Outcome. Freeing python.wasm's takes ~2 ms, a tenth of
  /// a short run: a command that ends the process next may skip that by
  /// leaving with _exit while it is alive (see cli::finish_guest_command).
  std::shared_ptr<void> remains;
  /// Lines for the user about the run itself, not the guest (e.g. that
  /// training counts were saved), printed by the caller after the run.
  std::vector<std::string> notes;
};

/// A module read from a file, decoded and validated: ready to instantiate.
struct Program {
  std::shared_ptr<const wasm::Module> module;
  std::vector<wasm::FunctionInfo> info;
};

/// Reads, decodes and validates a module; fails with one line naming the
/// file and what is wrong with it. With a native engine whose cache already
/// holds code for these exact bytes, validation (done when that code was
/// compiled) is skipped: it is most of a large module's start-up. So is
/// decoding the function bodies (the module's deferred_code stays set: see
/// wasm::Bodies::Later); the engine has the code loaded already.
std::expected<Program, std::string> load(const std::string& module_path, native::NativeEngine* native = nullptr);

/// Loads, validates, links (WASI preview1) and runs the guest's `_start`.
/// Fails with a one-line reason when it cannot start: unreadable or invalid
/// module, a missing mount, an import WASI does not provide.
std::expected<Outcome, std::string> run(const Guest& guest);

}  // namespace wasipy::launch
