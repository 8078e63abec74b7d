#include <algorithm>
#include <ostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/parse.h"

namespace wasipy::cli {

namespace {

constexpr const char* kUsage =
    "usage: wasipy COMMAND [ARGS...]\n"
    "\n"
    "commands:\n"
    "  run [--dir HOST[::GUEST]]... [--env K=V]... [--argv0 NAME] [--invoke FUNC] MODULE.wasm [--] [ARGS...]\n"
    "                        run a module's _start under WASI, or call an export with --invoke\n"
    "  wast FILE.wast...     run WebAssembly spec-test scripts (needs wast2json from wabt)\n"
    "  compile MODULE.wasm [-o OUT]   compile a module to native code into the cache (and OUT)\n"
    "  cache clear|dir       empty the native code cache, or print where it is\n"
    "  python [--] ARGS...   run the default CPython WASI build (the current directory is its \"/\")\n"
    "  python build|add PATH|list|default KEY   build, register, list and choose CPython WASI builds\n"
    "  python train          make python.wasm's native code faster (gcc profile-guided optimization)\n"
    "  test [PROJECT] [OPTIONS] [-- PYTEST_ARGS...]   run a project's pytest suite on WASI CPython, with a verdict\n"
    "\n"
    "run, wast, python and test take --tier native|interp (native is the default where a C compiler\n"
    "exists) and --no-cache; run, python and test take --train (keep the run's counts for the next compile).\n"
    "'wasipy COMMAND --help' describes a command.\n";


int wast_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app("Run WebAssembly spec-test scripts (.wast), converted with wast2json.", "wasipy wast");
  WastOptions o;
  app.add_option("files", o.files, "spec-test scripts")->required();
  app.add_flag("-v,--verbose", o.verbose, "also print each skipped assertion");
  TierFlags tier;
  add_tier_options(app, tier);
  if (auto status = parse_args(app, "wasipy wast", args, out, err)) return *status;
  auto execution = to_execution(tier);
  if (!execution) {
    err << "wasipy wast: " << execution.error() << '\n';
    return kExitUsage;
  }
  o.execution = *execution;
  return wast_main(o, out, err);
}

int run_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app(
      "Run a module's _start under WASI preview1, or call one export with --invoke and print its results "
      "one per line.\nEverything after MODULE.wasm goes to the guest.",
      "wasipy run");
  RunSplit split = split_run_args(args);
  RunOptions o;
  std::vector<std::string> dirs, env;
  std::string argv0, invoke;
  app.add_option("--dir", dirs, "mount host folder HOST at GUEST (default: the same path)")->type_name("HOST[::GUEST]");
  app.add_option("--env", env, "set an environment variable for the guest")->type_name("K=V");
  app.add_option("--argv0", argv0, "the guest's argv[0] (default: the module's file name)");
  app.add_option("--invoke", invoke, "call this export with ARGS as numbers instead of running _start");
  TierFlags tier;
  add_tier_options(app, tier);
  if (auto status = parse_args(app, "wasipy run", split.options, out, err)) return *status;
  auto execution = to_execution(tier);
  if (!execution) {
    err << "wasipy run: " << execution.error() << '\n';
    return kExitUsage;
  }
  o.execution = *execution;
  if (split.module.empty()) {
    err << "wasipy run: no module given; usage: wasipy run [OPTIONS] MODULE.wasm [--] [ARGS...]\n";
    return kExitUsage;
  }
  o.module = split.module;
  o.args = split.guest;
  for (const std::string& d : dirs) {
    auto m = parse_dir(d);
    if (!m) {
      err << "wasipy run: " << m.error() << '\n';
      return kExitUsage;
    }
    o.dirs.push_back(*m);
  }
  for (const std::string& e : env) {
    auto kv = parse_env(e);
    if (!kv) {
      err << "wasipy run: " << kv.error() << '\n';
      return kExitUsage;
    }
    o.env.push_back(*kv);
  }
  if (app.count("--argv0")) o.argv0 = argv0;
  if (app.count("--invoke")) o.invoke = invoke;
  return run_main(o, out, err);
}

}  // namespace

int main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    err << kUsage;
    return kExitUsage;
  }
  const std::string& command = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "-h" || command == "--help" || command == "help") {
    out << kUsage;
    return kExitOk;
  }
  if (command == "run") return run_command(rest, out, err);
  if (command == "wast") return wast_command(rest, out, err);
  if (command == "python") return python_main(rest, out, err);
  if (command == "test") return test_command_main(rest, out, err);
  if (command == "compile") return compile_main(rest, out, err);
  if (command == "cache") return cache_main(rest, out, err);
  err << fmt::format("wasipy: unknown command '{}'; run 'wasipy --help' for the list\n", command);
  return kExitUsage;
}

}  // namespace wasipy::cli
