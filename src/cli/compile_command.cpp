// `wasipy compile` and `wasipy cache`: the native tier's code cache by hand.
#include <filesystem>
#include <ostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/parse.h"
#include "launch/launch.h"
#include "native/cache.h"
#include "native/engine.h"

namespace wasipy::cli {

namespace fs = std::filesystem;

int compile_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app(
      "Compile a module to native code with the system C compiler (units in parallel, one per core) and store it "
      "in the code cache, where run, python and test find it. Prints the cached shared object's path.",
      "wasipy compile");
  std::string module, output;
  bool no_cache = false;
  app.add_option("module", module, "a .wasm module")->required();
  app.add_option("-o,--output", output, "also copy the shared object here")->type_name("OUT");
  app.add_flag("--no-cache", no_cache, "compile without reading or filling the cache (needs -o)");
  if (auto status = parse_args(app, "wasipy compile", args, out, err)) return *status;
  std::error_code ec;
  if (!fs::is_regular_file(module, ec)) {
    err << fmt::format("wasipy compile: {}: no such file; pass the path of a .wasm module\n", module);
    return kExitUsage;
  }
  if (no_cache && output.empty()) {
    err << "wasipy compile: --no-cache keeps nothing: give -o OUT\n";
    return kExitUsage;
  }
  launch::Execution choice;
  choice.tier = launch::Tier::Native;
  choice.use_cache = !no_cache;
  auto engine = launch::select_engine(choice);
  if (!engine) {
    err << "wasipy compile: " << engine.error() << '\n';
    return kExitFailure;
  }
  // Only valid modules are compiled: the cache's entries vouch for validity.
  auto program = launch::load(module);
  if (!program) {
    err << "wasipy compile: " << program.error() << '\n';
    return kExitFailure;
  }
  engine->native->set_module_label(fs::path(module).filename().string());
  auto artifact = engine->native->compile(*program->module);
  if (!artifact) {
    err << fmt::format("wasipy compile: cannot compile {}: {}\n", module, artifact.error());
    return kExitFailure;
  }
  if (!output.empty()) {
    fs::path tmp = output + ".tmp";
    fs::copy_file(artifact->shared_object, tmp, fs::copy_options::overwrite_existing, ec);
    if (!ec) fs::rename(tmp, output, ec);
    if (artifact->temporary) fs::remove_all(artifact->shared_object.parent_path());
    if (ec) {
      err << fmt::format("wasipy compile: cannot write {}: {}\n", output, ec.message());
      fs::remove(tmp, ec);
      return kExitFailure;
    }
    out << output << '\n';
    return kExitOk;
  }
  out << artifact->shared_object.string() << '\n';
  return kExitOk;
}

int cache_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app("The native code cache: 'clear' removes every compiled module (they are rebuilt when next "
               "needed); 'dir' prints where it is ($WASIPY_CACHE_DIR/native, default ~/.cache/wasipy/native).",
               "wasipy cache");
  std::string action;
  app.add_option("action", action, "clear or dir")->required()->check(CLI::IsMember({"clear", "dir"}));
  if (auto status = parse_args(app, "wasipy cache", args, out, err)) return *status;
  fs::path dir = native::default_cache_dir();
  if (action == "dir") {
    out << dir.string() << '\n';
    return kExitOk;
  }
  auto freed = native::clear_cache(dir);
  if (!freed) {
    err << "wasipy cache clear: " << freed.error() << '\n';
    return kExitFailure;
  }
  out << fmt::format("cleared {} ({:.1f} MiB freed)\n", dir.string(), double(*freed) / (1 << 20));
  return kExitOk;
}

}  // namespace wasipy::cli
