#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/wasi_link.h"
#include "interp/interpreter.h"
#include "runtime/instantiate.h"
#include "wasm/decoder.h"
#include "wasm/validator.h"

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
  std::ifstream in(o.module, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    err << fmt::format("wasipy run: cannot read {}; check its permissions\n", o.module);
    return kExitFailure;
  }
  auto decoded = wasm::decode(bytes);
  if (!decoded) {
    err << fmt::format("wasipy run: {} is not a valid module: {}\n", o.module, decoded.error().message);
    return kExitFailure;
  }
  auto module = std::make_shared<const wasm::Module>(std::move(*decoded));
  auto info = wasm::validate(*module);
  if (!info) {
    err << fmt::format("wasipy run: {} is not a valid module: {}\n", o.module, info.error().message);
    return kExitFailure;
  }

  // The tier outlives the store, whose instances own compiled code.
  interp::Interpreter interp;
  runtime::Store store;
  runtime::Linker linker;
  std::unique_ptr<WasiHandle> wasi;
  if (wasi_available()) {
    GuestConfig guest;
    guest.args.push_back(o.argv0.value_or(std::filesystem::path(o.module).filename().string()));
    guest.args.insert(guest.args.end(), o.args.begin(), o.args.end());
    guest.env = o.env;
    guest.dirs = o.dirs;
    auto linked = link_wasi(guest, linker, store);
    if (!linked) {
      err << fmt::format("wasipy run: {}\n", linked.error());
      return kExitUsage;
    }
    wasi = std::move(*linked);
  } else if (!o.invoke) {
    err << "wasipy run: this wasipy was built without WASI, so it cannot run _start; "
           "use --invoke FUNC to call an export\n";
    return kExitUsage;
  }

  auto inst = runtime::instantiate(store, interp, module, *info, linker.resolver());
  if (!inst) {
    const auto& e = inst.error();
    if (e.trap) return finish_with_trap(*e.trap, err);
    const char* what = e.kind == runtime::InstantiateError::Kind::Unlinkable ? "cannot link" : "cannot instantiate";
    err << fmt::format("wasipy run: {} {}: {}\n", what, o.module, e.message);
    return kExitFailure;
  }

  if (!o.invoke) {
    runtime::FuncInstance* start = (*inst)->exported_func("_start");
    if (!start) {
      err << fmt::format("wasipy run: {} exports no _start function; pass --invoke FUNC to call one of: {}\n", o.module,
                         export_names(**inst));
      return kExitFailure;
    }
    auto r = runtime::invoke(interp, store, *start, {});
    if (!r) return finish_with_trap(r.error(), err);
    return kExitOk;
  }

  runtime::FuncInstance* f = (*inst)->exported_func(*o.invoke);
  if (!f) {
    err << fmt::format("wasipy run: {} exports no function '{}'; exported functions: {}\n", o.module, *o.invoke,
                       export_names(**inst));
    return kExitUsage;
  }
  const auto& params = f->type.params;
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
  auto results = runtime::invoke(interp, store, *f, args);
  if (!results) return finish_with_trap(results.error(), err);
  for (const runtime::Value& v : *results) out << format_value(v) << '\n';
  out.flush();
  return kExitOk;
}

}  // namespace wasipy::cli
