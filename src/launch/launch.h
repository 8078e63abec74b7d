#pragma once
// Running a WASI program from a file to its exit status: what `run`,
// `python` and `test` share, so that the stages above never look inside a
// module.
#include <expected>
#include <memory>
#include <string>
#include <vector>

#include "wasi/wasi.h"
#include "wasm/module.h"
#include "wasm/validator.h"

namespace wasipy::launch {

struct Guest {
  std::string module_path;         ///< a .wasm file
  std::vector<std::string> args;   ///< argv, including argv[0]
  std::vector<std::string> env;    ///< "KEY=VALUE"
  std::vector<wasi::Mount> mounts;
  int stdin_fd = 0;                ///< host fds behind the guest's 0, 1, 2
  int stdout_fd = 1;
  int stderr_fd = 2;
};

/// How a guest ended when it ran at all.
struct Outcome {
  int exit_status = 0;        ///< proc_exit's code, 0 when _start returned, 134 after a trap
  std::string trap;           ///< Trap::describe() when it trapped, else empty
};

/// A module read from a file, decoded and validated: ready to instantiate.
struct Program {
  std::shared_ptr<const wasm::Module> module;
  std::vector<wasm::FunctionInfo> info;
};

/// Reads, decodes and validates a module; fails with one line naming the
/// file and what is wrong with it.
std::expected<Program, std::string> load(const std::string& module_path);

/// Loads, validates, links (WASI preview1) and runs the guest's `_start`.
/// Fails with a one-line reason when it cannot start: unreadable or invalid
/// module, a missing mount, an import WASI does not provide.
std::expected<Outcome, std::string> run(const Guest& guest);

}  // namespace wasipy::launch
