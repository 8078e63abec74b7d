#include "wast/runner.h"

#include <fstream>
#include <iterator>
#include <optional>
#include <variant>

#include <fmt/format.h>

#include "runtime/instantiate.h"
#include "wasm/decoder.h"
#include "wasm/validator.h"
#include "wast/convert.h"
#include "wast/spectest.h"
#include "wast/values.h"

namespace wasipy::wast {

namespace fs = std::filesystem;
using runtime::Instance;
using runtime::InstantiateError;
using runtime::Trap;
using runtime::Value;

std::string Result::describe() const {
  return fmt::format("{}:{}: {}: {}", file.string(), line, command, message);
}

Summary& Summary::operator+=(const Summary& other) {
  passed += other.passed;
  failed += other.failed;
  skipped += other.skipped;
  for (const auto& [reason, n] : other.skip_reasons) skip_reasons[reason] += n;
  return *this;
}

void Summary::add(const Result& r) {
  switch (r.outcome) {
    case Outcome::Passed: ++passed; break;
    case Outcome::Failed: ++failed; break;
    case Outcome::Skipped:
      ++skipped;
      ++skip_reasons[r.message];
      break;
  }
}

namespace {

std::string kind_name(wasm::ErrorKind k) {
  switch (k) {
    case wasm::ErrorKind::Malformed: return "malformed";
    case wasm::ErrorKind::Invalid: return "invalid";
    case wasm::ErrorKind::Unsupported: return "unsupported";
  }
  return "?";
}

std::string kind_name(InstantiateError::Kind k) {
  switch (k) {
    case InstantiateError::Kind::Unlinkable: return "unlinkable";
    case InstantiateError::Kind::Uninstantiable: return "uninstantiable";
    case InstantiateError::Kind::Resource: return "resource error";
  }
  return "?";
}

/// The spec's trap texts are sometimes longer than ours ("uninitialized
/// element 2") and sometimes shorter, so either may be a prefix of the other.
bool trap_text_matches(const Trap& trap, const std::string& text) {
  if (trap.message.empty()) return false;
  return trap.message.starts_with(text) || text.starts_with(trap.message);
}

std::string join_values(const std::vector<Value>& vs) {
  std::string out;
  for (const Value& v : vs) out += (out.empty() ? "" : ", ") + format(v);
  return out.empty() ? "()" : out;
}

std::string join_values(const std::vector<JsonValue>& vs) {
  std::string out;
  for (const JsonValue& v : vs) out += (out.empty() ? "" : ", ") + format(v);
  return out.empty() ? "()" : out;
}

std::string describe_action(const Action& a) {
  std::string target = a.module.empty() ? "" : a.module + ".";
  if (a.type == "get") return fmt::format("get {}\"{}\"", target, a.field);
  return fmt::format("invoke {}\"{}\"({})", target, a.field, a.args.empty() ? "" : join_values(a.args));
}

/// A module read from disk, decoded and validated.
struct Loaded {
  std::shared_ptr<const wasm::Module> module;
  std::vector<wasm::FunctionInfo> info;
};

/// Either the module, or why it was rejected (a wasm::Error), or why it
/// could not even be read (a plain string).
using LoadOutcome = std::variant<Loaded, wasm::Error, std::string>;

LoadOutcome load(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fmt::format("cannot read {}", path.string());
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto module = wasm::decode(bytes);
  if (!module) return module.error();
  auto shared = std::make_shared<const wasm::Module>(std::move(*module));
  auto info = wasm::validate(*shared);
  if (!info) return info.error();
  return Loaded{std::move(shared), std::move(*info)};
}

/// What an action came to: results, a trap, or a harness error (missing
/// export, bad argument) that is never what a test expects.
struct ActionOutcome {
  std::vector<Value> results;
  std::optional<Trap> trap;
  std::string error;
};

}  // namespace

struct ScriptRunner::Session {
  Session(const Script& s, const Callbacks& cb, const Options& options)
      : script(s), callbacks(cb) {
    if (options.execution.tier == launch::Tier::Interpreter) {
      engine = std::make_unique<interp::Interpreter>(options.limits);
    } else if (auto e = launch::select_engine(options.execution)) {
      engine = std::move(e->engine);
    } else {
      engine_error = e.error();
      engine = std::make_unique<interp::Interpreter>(options.limits);
    }
  }

  const Script& script;
  const Callbacks& callbacks;
  // The store (and the compiled code its instances own) goes before the tier.
  std::unique_ptr<runtime::Engine> engine;
  std::string engine_error;  ///< why the chosen tier is unavailable (every module fails)
  runtime::Store store;
  runtime::Linker linker;
  std::map<std::string, Instance*, std::less<>> named;
  Instance* current = nullptr;
  /// Set once a module needed a feature the engine lacks: what follows depends on it.
  std::optional<std::string> unsupported;
  Summary summary;

  void report(const Command& c, Outcome outcome, std::string message = {}) {
    Result r{script.source, c.line, c.type, outcome, std::move(message)};
    summary.add(r);
    if (callbacks.on_result) callbacks.on_result(r);
  }
  void pass(const Command& c) { report(c, Outcome::Passed); }
  void fail(const Command& c, std::string why) { report(c, Outcome::Failed, std::move(why)); }
  void skip(const Command& c, std::string why) { report(c, Outcome::Skipped, std::move(why)); }

  void run_all() {
    if (!engine_error.empty()) {
      Command c;
      c.type = "engine";
      fail(c, engine_error);
      return;
    }
    if (auto spectest = define_spectest(linker, store); !spectest) {
      Command c;
      c.type = "spectest";
      fail(c, spectest.error());
      return;
    }
    for (const Command& c : script.commands) {
      if (callbacks.on_command) callbacks.on_command(c);
      if (unsupported) {
        if (is_assertion(c.type)) skip(c, *unsupported);
        continue;
      }
      run_one(c);
    }
  }

  void run_one(const Command& c) {
    const std::string& t = c.type;
    if (t == "module") return do_module(c);
    if (t == "register") return do_register(c);
    if (t == "action") return do_action(c);
    if (t == "assert_return") return do_assert_return(c);
    if (t == "assert_trap" || t == "assert_exhaustion") {
      if (!c.action) return do_assert_module_trap(c);
      return do_assert_trap(c, t == "assert_exhaustion");
    }
    if (t == "assert_invalid") return do_assert_rejected(c, wasm::ErrorKind::Invalid);
    if (t == "assert_malformed") return do_assert_rejected(c, wasm::ErrorKind::Malformed);
    if (t == "assert_unlinkable") return do_assert_unlinkable(c);
    if (t == "assert_uninstantiable") return do_assert_module_trap(c);
    fail(c, fmt::format("unknown command type \"{}\"", t));
  }

  /// Instantiates a loaded module against the linker.
  std::expected<Instance*, InstantiateError> instantiate(const Loaded& m) {
    return runtime::instantiate(store, *engine, m.module, m.info, linker.resolver());
  }

  void do_module(const Command& c) {
    current = nullptr;  // a failed module leaves nothing to invoke
    LoadOutcome loaded = load(c.filename);
    if (auto* io = std::get_if<std::string>(&loaded)) return fail(c, *io);
    if (auto* err = std::get_if<wasm::Error>(&loaded)) {
      if (err->kind == wasm::ErrorKind::Unsupported) {
        unsupported = err->message;
        return;
      }
      return fail(c, fmt::format("module rejected as {}: {}", kind_name(err->kind), err->message));
    }
    auto inst = instantiate(std::get<Loaded>(loaded));
    if (!inst) return fail(c, fmt::format("module not instantiated ({}): {}", kind_name(inst.error().kind),
                                          inst.error().message));
    current = *inst;
    if (!c.name.empty()) named[c.name] = current;
  }

  Instance* instance_for(const std::string& name) {
    if (name.empty()) return current;
    auto it = named.find(name);
    return it == named.end() ? nullptr : it->second;
  }

  void do_register(const Command& c) {
    Instance* inst = instance_for(c.name);
    if (!inst) return fail(c, fmt::format("no module {} to register as \"{}\"", c.name.empty() ? "(current)" : c.name, c.as));
    linker.define_instance(c.as, *inst);
  }

  ActionOutcome perform(const Action& a) {
    ActionOutcome out;
    Instance* inst = instance_for(a.module);
    if (!inst) {
      out.error = a.module.empty() ? "no module is instantiated" : fmt::format("no module named {}", a.module);
      return out;
    }
    if (a.type == "get") {
      auto ext = inst->export_named(a.field);
      auto* global = ext ? std::get_if<runtime::Global*>(&*ext) : nullptr;
      if (!global) {
        out.error = fmt::format("no exported global \"{}\"", a.field);
        return out;
      }
      out.results.push_back(Value{(*global)->type.type, (*global)->value});
      return out;
    }
    if (a.type != "invoke") {
      out.error = fmt::format("unknown action type \"{}\"", a.type);
      return out;
    }
    runtime::FuncInstance* f = inst->exported_func(a.field);
    if (!f) {
      out.error = fmt::format("no exported function \"{}\"", a.field);
      return out;
    }
    std::vector<Value> args;
    for (const JsonValue& j : a.args) {
      auto v = parse_arg(j);
      if (!v) {
        out.error = v.error();
        return out;
      }
      args.push_back(*v);
    }
    if (args.size() != f->type->params.size()) {
      out.error = fmt::format("\"{}\" takes {} arguments, the script passes {}", a.field, f->type->params.size(), args.size());
      return out;
    }
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i].type != f->type->params[i]) {
        out.error = fmt::format("argument {} of \"{}\" is {}, the script passes {}", i, a.field,
                                wasm::name_of(f->type->params[i]), format(args[i]));
        return out;
      }
    }
    auto results = runtime::invoke(*engine, store, *f, args);
    if (results) out.results = std::move(*results);
    else out.trap = std::move(results.error());
    return out;
  }

  void do_action(const Command& c) {
    ActionOutcome out = perform(*c.action);
    if (!out.error.empty()) return fail(c, fmt::format("{}: {}", describe_action(*c.action), out.error));
    if (out.trap) return fail(c, fmt::format("{}: unexpected trap: {}", describe_action(*c.action), out.trap->message));
  }

  void do_assert_return(const Command& c) {
    if (!c.action) return fail(c, "assert_return without an action");
    for (const JsonValue& e : c.expected) {
      if (!parse_type(e.type)) return skip(c, fmt::format("unsupported value type {}", e.type));
    }
    std::string what = describe_action(*c.action);
    ActionOutcome out = perform(*c.action);
    if (!out.error.empty()) return fail(c, fmt::format("{}: {}", what, out.error));
    if (out.trap) return fail(c, fmt::format("{}: expected {}, got trap: {}", what, join_values(c.expected), out.trap->message));
    bool ok = out.results.size() == c.expected.size();
    for (size_t i = 0; ok && i < c.expected.size(); ++i) {
      auto m = matches(c.expected[i], out.results[i]);
      if (!m) return fail(c, fmt::format("{}: {}", what, m.error()));
      ok = *m;
    }
    if (!ok) return fail(c, fmt::format("{}: expected {}, got {}", what, join_values(c.expected), join_values(out.results)));
    pass(c);
  }

  void do_assert_trap(const Command& c, bool exhaustion) {
    std::string what = describe_action(*c.action);
    ActionOutcome out = perform(*c.action);
    if (!out.error.empty()) return fail(c, fmt::format("{}: {}", what, out.error));
    if (!out.trap) return fail(c, fmt::format("{}: expected trap \"{}\", got {}", what, c.text, join_values(out.results)));
    bool kind_ok = !exhaustion || out.trap->kind == runtime::TrapKind::StackExhausted;
    if (!kind_ok || !trap_text_matches(*out.trap, c.text))
      return fail(c, fmt::format("{}: expected trap \"{}\", got trap \"{}\"", what, c.text, out.trap->message));
    pass(c);
  }

  /// Loads an assertion's module; reports and returns nullopt when it cannot.
  std::optional<Loaded> load_for_assertion(const Command& c) {
    if (c.module_type == "text") {
      skip(c, kTextModuleSkip);
      return std::nullopt;
    }
    LoadOutcome loaded = load(c.filename);
    if (auto* io = std::get_if<std::string>(&loaded)) {
      fail(c, *io);
      return std::nullopt;
    }
    if (auto* err = std::get_if<wasm::Error>(&loaded)) {
      if (err->kind == wasm::ErrorKind::Unsupported) skip(c, err->message);
      else fail(c, fmt::format("expected \"{}\", but the module was rejected as {}: {}", c.text, kind_name(err->kind), err->message));
      return std::nullopt;
    }
    return std::get<Loaded>(std::move(loaded));
  }

  void do_assert_rejected(const Command& c, wasm::ErrorKind expected) {
    if (c.module_type == "text") return skip(c, kTextModuleSkip);
    LoadOutcome loaded = load(c.filename);
    if (auto* io = std::get_if<std::string>(&loaded)) return fail(c, *io);
    if (std::holds_alternative<Loaded>(loaded))
      return fail(c, fmt::format("expected {} module (\"{}\"), but it decoded and validated", kind_name(expected), c.text));
    const auto& err = std::get<wasm::Error>(loaded);
    if (err.kind == wasm::ErrorKind::Unsupported) return skip(c, err.message);
    if (err.kind != expected)
      return fail(c, fmt::format("expected {} module (\"{}\"), but it was rejected as {}: {}", kind_name(expected), c.text,
                                 kind_name(err.kind), err.message));
    pass(c);
  }

  void do_assert_unlinkable(const Command& c) {
    auto loaded = load_for_assertion(c);
    if (!loaded) return;
    auto inst = instantiate(*loaded);
    if (inst) return fail(c, fmt::format("expected unlinkable (\"{}\"), but the module instantiated", c.text));
    if (inst.error().kind != InstantiateError::Kind::Unlinkable)
      return fail(c, fmt::format("expected unlinkable (\"{}\"), got {}: {}", c.text, kind_name(inst.error().kind), inst.error().message));
    pass(c);
  }

  /// assert_uninstantiable, and assert_trap on a module: the start function
  /// or a segment traps while instantiating.
  void do_assert_module_trap(const Command& c) {
    auto loaded = load_for_assertion(c);
    if (!loaded) return;
    auto inst = instantiate(*loaded);
    if (inst) return fail(c, fmt::format("expected trap \"{}\" while instantiating, but the module instantiated", c.text));
    const InstantiateError& e = inst.error();
    if (e.kind != InstantiateError::Kind::Uninstantiable || !e.trap)
      return fail(c, fmt::format("expected trap \"{}\" while instantiating, got {}: {}", c.text, kind_name(e.kind), e.message));
    if (!trap_text_matches(*e.trap, c.text))
      return fail(c, fmt::format("expected trap \"{}\" while instantiating, got trap \"{}\"", c.text, e.trap->message));
    pass(c);
  }
};

ScriptRunner::ScriptRunner(Callbacks callbacks, Options options)
    : callbacks_(std::move(callbacks)), options_(std::move(options)) {}
ScriptRunner::~ScriptRunner() = default;

Summary ScriptRunner::run(const Script& script) {
  auto session = std::make_unique<Session>(script, callbacks_, options_);
  session->run_all();
  return session->summary;
}

Summary ScriptRunner::run_file(const fs::path& wast) {
  auto converted = convert(wast, options_.wast2json);
  if (!converted) {
    Summary s;
    Result r{wast, 0, "wast2json", Outcome::Failed, converted.error()};
    s.add(r);
    if (callbacks_.on_result) callbacks_.on_result(r);
    return s;
  }
  return run(converted->script);
}

}  // namespace wasipy::wast
