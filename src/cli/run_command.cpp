#include <filesystem>
#include <ostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/parse.h"
#include "launch/launch.h"
#include "runtime/instantiate.h"
#include "wasi/wasi.h"

namespace wasipy::cli {

namespace {

/// A trap ends the run: WASI's proc_exit with its status, anything else with
/// the trap's description and kExitTrap.
int finish_with_trap(const runtime::Trap& trap, std::ostream& err) {
  if (trap.kind == runtime::TrapKind::Exit) return trap.exit_code;
  err << trap.describe() << '\n';
  return kExitTrap;
}

std::string export_names(const runtime::Instance& inst) {
  std::string names;
  for (const auto& [name, ext] : inst.exports) {
    if (std::holds_alternative<runtime::FuncInstance*>(ext)) names += (names.empty() ? "" : ", ") + name;
  }
  return names.empty() ? "none" : names;
}

std::string type_list(const std::vector<wasm::ValType>& types) {
  std::string out;
  for (wasm::ValType t : types) out += (out.empty() ? "" : ", ") + std::string(wasm::name_of(t));
  return out;
}

}  // namespace

int run_main(const RunOptions& o, std::ostream& out, std::ostream& err) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(o.module, ec)) {
    err << fmt::format("wasipy run: {}: no such file; pass the path of a .wasm module\n", o.module);
    return kExitUsage;
  }
  wasi::Config config;
  config.args.push_back(o.argv0.value_or(std::filesystem::path(o.module).filename().string()));
  config.args.insert(config.args.end(), o.args.begin(), o.args.end());
  config.env = o.env;
  for (const DirMapping& d : o.dirs) {
    if (!std::filesystem::is_directory(d.host, ec)) {
      err << fmt::format("wasipy run: --dir {}: no such folder\n", d.host);
      return kExitUsage;
    }
    config.mounts.push_back(wasi::Mount{d.host, d.guest, d.read_only});
  }

  if (!o.invoke) {
    launch::Guest guest;
    guest.module_path = o.module;
    guest.args = config.args;
    guest.env = config.env;
    guest.mounts = config.mounts;
    guest.execution = o.execution;
    // What wasipy wrote so far comes before the guest's output (fds 1 and 2).
    out.flush();
    err.flush();
    auto outcome = launch::run(guest);
    if (!outcome) {
      err << fmt::format("wasipy run: {}\n", outcome.error());
      return kExitFailure;
    }
    return finish_guest_command(*outcome, out, err);
  }

  // The tier outlives the store, whose instances own compiled code.
  auto engine = launch::select_engine(o.execution);
  if (!engine) {
    err << fmt::format("wasipy run: {}\n", engine.error());
    return kExitUsage;
  }
  runtime::Engine& tier = *engine->engine;
  auto program = launch::load(o.module, engine->native);
  if (!program) {
    err << fmt::format("wasipy run: {}\n", program.error());
    return kExitFailure;
  }
  runtime::Store store;
  runtime::Linker linker;
  // An export of a WASI program may need WASI's imports to instantiate.
  auto wasi = wasi::Wasi::create(std::move(config));
  if (!wasi) {
    err << fmt::format("wasipy run: {}\n", wasi.error());
    return kExitUsage;
  }
  (*wasi)->add_to(linker, store);
  auto inst = runtime::instantiate(store, tier, program->module, program->info, linker.resolver());
  if (!inst) {
    const auto& e = inst.error();
    if (e.trap) return finish_with_trap(*e.trap, err);
    const char* what = e.kind == runtime::InstantiateError::Kind::Unlinkable ? "cannot link" : "cannot instantiate";
    err << fmt::format("wasipy run: {} {}: {}\n", what, o.module, e.message);
    return kExitFailure;
  }

  runtime::FuncInstance* f = (*inst)->exported_func(*o.invoke);
  if (!f) {
    err << fmt::format("wasipy run: {} exports no function '{}'; exported functions: {}\n", o.module, *o.invoke,
                       export_names(**inst));
    return kExitUsage;
  }
  const auto& params = f->type->params;
  if (o.args.size() != params.size()) {
    err << fmt::format("wasipy run: '{}' takes {} argument{} ({}), {} given\n", *o.invoke, params.size(),
                       params.size() == 1 ? "" : "s", type_list(params), o.args.size());
    return kExitUsage;
  }
  std::vector<runtime::Value> args;
  for (size_t i = 0; i < params.size(); ++i) {
    auto v = parse_value(params[i], o.args[i]);
    if (!v) {
      err << fmt::format("wasipy run: argument {} of '{}': {}\n", i + 1, *o.invoke, v.error());
      return kExitUsage;
    }
    args.push_back(*v);
  }
  auto results = runtime::invoke(tier, store, *f, args);
  if (!results) return finish_with_trap(results.error(), err);
  for (const runtime::Value& v : *results) out << format_value(v) << '\n';
  out.flush();
  return kExitOk;
}

}  // namespace wasipy::cli
