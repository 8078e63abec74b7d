#include "launch/launch.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "interp/interpreter.h"
#include "native/engine.h"
#include "runtime/instantiate.h"
#include "wasm/decoder.h"
#include "wasm/validator.h"

namespace wasipy::launch {

namespace {

constexpr int kTrapStatus = 134;  // as a native program that aborts (128 + SIGABRT)

}  // namespace

std::optional<Tier> parse_tier(std::string_view name) {
  if (name == "native") return Tier::Native;
  if (name == "interp" || name == "interpreter") return Tier::Interpreter;
  return std::nullopt;
}

std::expected<Engine, std::string> select_engine(const Execution& choice) {
  std::optional<Tier> tier = choice.tier;
  if (!tier) {
    if (const char* env = std::getenv("WASIPY_TIER"); env && *env) {
      tier = parse_tier(env);
      if (!tier) return std::unexpected(fmt::format("WASIPY_TIER={} is not a tier: use native or interp", env));
    }
  }
  Engine e;
  if (choice.train && tier == Tier::Interpreter) return std::unexpected("training is for the native tier: drop --tier interp");
  if (tier != Tier::Interpreter) {
    auto tc = native::find_toolchain();
    if (tc) {
      native::ObtainOptions opts;
      opts.use_cache = choice.use_cache;
      opts.instrument = choice.train;
      // Compiler processes at once (default: one per core); bench/compile.sh
      // measures how compile time scales with it.
      if (const char* jobs = std::getenv("WASIPY_JOBS"); jobs && *jobs) opts.jobs = unsigned(std::max(1, std::atoi(jobs)));
      auto n = std::make_unique<native::NativeEngine>(std::move(*tc), opts);
      e.native = n.get();
      e.engine = std::move(n);
      return e;
    }
    if (tier == Tier::Native || choice.train) {
      return std::unexpected("the native tier needs a C compiler (cc, gcc or clang on PATH, or $WASIPY_CC); install gcc or use --tier interp");
    }
    static bool said = false;
    if (!said) {
      said = true;
      fmt::print(stderr, "wasipy: no C compiler found (cc, gcc, clang or $WASIPY_CC): running on the interpreter\n");
    }
  }
  e.engine = std::make_unique<interp::Interpreter>();
  return e;
}

std::expected<Program, std::string> load(const std::string& module_path, native::NativeEngine* native) {
  struct stat identity {};
  // Mapped, not read: see wasm/bytes.h.
  auto bytes = wasm::Bytes::from_file(module_path, &identity);
  if (!bytes) return std::unexpected(bytes.error());
  // With native code in the cache, nothing reads the function bodies: they
  // are decoded only when it turns out not to be there.
  auto decoded = wasm::decode(std::move(*bytes), native ? wasm::Bodies::Later : wasm::Bodies::Now);
  if (!decoded) return std::unexpected(fmt::format("{} is not a valid module: {}", module_path, decoded.error().message));
  auto module = std::make_shared<wasm::Module>(std::move(*decoded));
  Program p;
  p.module = module;
  if (native) {
    native->note_module_file(p.module, identity);
    if (native->has_cached_code(p.module)) return p;
  }
  if (auto ok = wasm::decode_bodies(*module); !ok) {
    return std::unexpected(fmt::format("{} is not a valid module: {}", module_path, ok.error().message));
  }
  auto info = wasm::validate(*p.module);
  if (!info) return std::unexpected(fmt::format("{} is not a valid module: {}", module_path, info.error().message));
  p.info = std::move(*info);
  return p;
}

std::expected<Outcome, std::string> run(const Guest& guest) {
  // Everything the run makes, in one allocation that the Outcome keeps (see
  // Outcome::remains). Members are destroyed in reverse order: the tier
  // outlives the store, whose instances own compiled code.
  struct Remains {
    Engine selected;
    Program program;
    runtime::Store store;
    runtime::Linker linker;
    std::unique_ptr<wasi::Wasi> wasi;
  };
  auto remains = std::make_shared<Remains>();
  auto selected = select_engine(guest.execution);
  if (!selected) return std::unexpected(selected.error());
  remains->selected = std::move(*selected);
  runtime::Engine& engine = *remains->selected.engine;
  native::NativeEngine* native = remains->selected.native;
  if (native) native->set_module_label(std::filesystem::path(guest.module_path).filename().string());
  auto program = load(guest.module_path, native);
  if (!program) return std::unexpected(program.error());
  remains->program = std::move(*program);
  const auto& module = remains->program.module;
  const auto* info = &remains->program.info;

  runtime::Store& store = remains->store;
  wasi::Config config;
  config.args = guest.args;
  config.env = guest.env;
  config.mounts = guest.mounts;
  config.stdin_fd = guest.stdin_fd;
  config.stdout_fd = guest.stdout_fd;
  config.stderr_fd = guest.stderr_fd;
  auto w = wasi::Wasi::create(std::move(config));
  if (!w) return std::unexpected(w.error());
  remains->wasi = std::move(*w);
  remains->wasi->add_to(remains->linker, store);

  auto inst = runtime::instantiate(store, engine, module, *info, remains->linker.resolver());
  if (!inst) {
    const auto& e = inst.error();
    if (e.trap) return Outcome{kTrapStatus, e.trap->describe(), std::move(remains), {}};
    return std::unexpected(fmt::format("cannot {} {}: {}",
                                       e.kind == runtime::InstantiateError::Kind::Unlinkable ? "link" : "instantiate",
                                       guest.module_path, e.message));
  }
  runtime::FuncInstance* start = (*inst)->exported_func("_start");
  if (!start) return std::unexpected(fmt::format("{} exports no _start function: it is not a WASI program", guest.module_path));
  auto r = runtime::invoke(engine, store, *start, {});
  Outcome outcome;
  if (guest.execution.train && native) {
    // Whatever way the guest ended, what it ran until then counts.
    auto saved = native->save_training();
    if (!saved) return std::unexpected(fmt::format("cannot save the training counts: {}", saved.error()));
    for (const auto& p : *saved) {
      outcome.notes.push_back(fmt::format("wasipy: training counts saved for {} (profile {}); its next compile uses them",
                                          std::filesystem::path(guest.module_path).filename().string(), p.id));
    }
  }
  outcome.remains = std::move(remains);
  if (!r) {
    if (r.error().kind == runtime::TrapKind::Exit) {
      outcome.exit_status = r.error().exit_code;
    } else {
      outcome.exit_status = kTrapStatus;
      outcome.trap = r.error().describe();
    }
  }
  return outcome;
}

}  // namespace wasipy::launch
