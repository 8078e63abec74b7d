// `wasipy python ...`: build, add, list and choose CPython WASI
// distributions, and run the default one with the current directory at "/".
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <ostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/parse.h"
#include "native/engine.h"
#include "python/distribution.h"
#include "python/install.h"

namespace wasipy::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPythonUsage =
    "usage: wasipy python [--dir HOST[::GUEST][:ro]]... [--env K=V]... [--dist KEY|VERSION] [--tier T] [--no-cache]\n"
    "                     [--train] [--] [ARGS...]\n"
    "       wasipy python build [--source TARBALL]\n"
    "       wasipy python train [--dist KEY|VERSION]\n"
    "       wasipy python add PATH\n"
    "       wasipy python list\n"
    "       wasipy python default KEY|VERSION\n"
    "\n"
    "Runs the default CPython WASI distribution with ARGS, as python3.X would:\n"
    "  wasipy python -c \"import sys; print(sys.platform)\"     prints wasi\n"
    "  wasipy python script.py ARGS...   wasipy python -m MODULE   wasipy python   (the REPL)\n"
    "The guest sees the current directory as \"/\" (writable), the stdlib read-only at\n"
    "/usr/local/lib/python3.X, and a fresh empty /tmp (TMPDIR=/tmp) that is deleted afterwards.\n"
    "The exit status is the guest's (134 when it traps).\n"
    "\n"
    "wasipy's own options, before ARGS (the first other argument, or '--', ends them):\n"
    "  --dir HOST[::GUEST][:ro]   also mount a host folder (at the same path, or at GUEST; ':ro' read-only)\n"
    "  --env K=V                  set an environment variable in the guest\n"
    "  --dist KEY|VERSION         run that distribution instead of the default\n"
    "  --tier native|interp       native code (the default where a C compiler exists; compiled once\n"
    "                             into the code cache, a minute or two for python.wasm) or the interpreter\n"
    "  --no-cache                 compile native code privately instead of using the code cache\n"
    "  --train                    run on native code instrumented by gcc and keep the counts: the next\n"
    "                             compile of python.wasm is guided by them (see 'train' below)\n"
    "'wasipy python -- --help' shows CPython's own help.\n"
    "\n"
    "  build [--source TARBALL]   build CPython for WASI from Debian's python3.11 source package\n"
    "                             (or a CPython source tarball) into the cache; a few minutes,\n"
    "                             instant when already built for the same inputs\n"
    "  train [--dist KEY|VERSION] make the native code of python.wasm faster: run a bundled workload\n"
    "                             on an instrumented build, then compile again guided by its counts\n"
    "                             (gcc's profile-guided optimization; about three minutes)\n"
    "  add PATH                   register a prebuilt distribution: a folder or .zip holding\n"
    "                             python.wasm + lib/python3.X/ (or one top folder with them)\n"
    "  list                       the installed distributions, the default one marked\n"
    "  default KEY|VERSION        choose the default\n";


std::string describe(const python::Distribution& d) {
  return fmt::format("CPython {}  {}  {}{}", d.version, d.key, d.root.string(), d.is_default ? "  (default)" : "");
}

int build_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app(
      "Build CPython for WASI from Debian's python3.11 source package (or --source TARBALL) with Debian's "
      "wasm32-wasi toolchain, and install it into wasipy's cache. A second build with the same inputs is "
      "instant. The first one built becomes the default, and so does a build of Debian's python3.11 whose "
      "recipe changed (a newer wasipy) when the default is an older build of it.",
      "wasipy python build");
  std::string source;
  app.add_option("--source", source, "a CPython source tarball instead of Debian's python3.11")->type_name("TARBALL");
  if (auto status = parse_args(app, "wasipy python build", args, out, err)) return *status;
  python::BuildOptions o;
  if (app.count("--source")) {
    std::error_code ec;
    if (!fs::is_regular_file(source, ec)) {
      err << fmt::format("wasipy python build: --source {}: no such file; give a CPython source tarball\n", source);
      return kExitUsage;
    }
    o.source = fs::absolute(source).string();
  }
  auto script = python::locate_build_script();
  if (!script) {
    err << "wasipy python build: " << script.error() << '\n';
    return kExitFailure;
  }
  o.script = *script;
  auto r = python::build_distribution(o, [&](const std::string& line) { err << line << '\n' << std::flush; });
  if (!r) {
    err << "wasipy python build: " << r.error() << '\n';
    return kExitFailure;
  }
  out << describe(r->dist) << '\n';
  if (!r->replaced_default.empty()) {
    out << fmt::format("it is now the default, in place of {} (an older build of the same source)\n", r->replaced_default);
  } else if (r->made_default) {
    out << "it is now the default\n";
  }
  return kExitOk;
}

/// A fresh host folder for the guest's /tmp, deleted when the run ends. Its
/// name carries wasipy's pid, so that the folders of runs that were killed
/// (Ctrl-C, SIGKILL) are swept by a later run.
class ScratchDir {
 public:
  ScratchDir() {
    std::error_code ec;
    fs::path base = fs::temp_directory_path(ec);
    if (ec) base = "/tmp";
    sweep(base);
    std::string templ = (base / fmt::format("wasipy-python-{}-XXXXXX", ::getpid())).string();
    if (::mkdtemp(templ.data())) path_ = templ;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  static void sweep(const fs::path& base) {
    std::error_code ec;
    for (fs::directory_iterator it(base, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      // Exactly "wasipy-python-PID-XXXXXX", as made below.
      if (!name.starts_with("wasipy-python-")) continue;
      char* rest = nullptr;
      const long pid = std::strtol(name.c_str() + 14, &rest, 10);
      if (pid <= 0 || rest == name.c_str() + 14 || *rest != '-' || std::strlen(rest) != 7) continue;
      if (::kill(pid_t(pid), 0) != 0 && errno == ESRCH) {
        std::error_code rm;
        fs::remove_all(it->path(), rm);
      }
    }
  }
  fs::path path_;
};

int train_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app(
      "Make the native code of a CPython WASI distribution faster with profile-guided optimization: compile "
      "python.wasm instrumented by gcc, run a bundled workload on it (src/python/train.py: big integers, "
      "floats, strings, containers, classes, parsing and compiling code, unittest), keep the counts, and "
      "compile python.wasm again guided by them into the code cache, where run, python and test find it. "
      "A second run with the same python.wasm, wasipy and compiler only makes sure that build is in the cache; "
      "upgrading wasipy or the compiler needs training again (the counts belong to one translator and compiler).",
      "wasipy python train");
  std::string which;
  bool retrain = false;
  app.add_option("--dist", which, "the distribution to train (default: the default one)")->type_name("KEY|VERSION");
  app.add_flag("--retrain", retrain, "drop the counts of earlier training and train again");
  if (auto status = parse_args(app, "wasipy python train", args, out, err)) return *status;
  auto dist = which.empty() ? python::default_distribution() : python::find_distribution(which);
  if (!dist) {
    err << "wasipy python train: " << dist.error() << '\n';
    return kExitFailure;
  }
  launch::Execution choice;
  choice.tier = launch::Tier::Native;
  auto engine = launch::select_engine(choice);
  if (!engine) {
    err << "wasipy python train: " << engine.error() << '\n';
    return kExitFailure;
  }
  if (!engine->native->toolchain().profile_guided) {
    err << fmt::format("wasipy python train: training needs gcc as the C compiler, and {} is not gcc\n",
                       engine->native->toolchain().compiler);
    return kExitFailure;
  }
  auto program = launch::load(dist->python_wasm().string());
  if (!program) {
    err << "wasipy python train: " << program.error() << '\n';
    return kExitFailure;
  }
  engine->native->set_module_label(dist->python_wasm().filename().string());
  const native::ObtainOptions cache;
  const std::string key =
      native::cache_key(native::module_hash(program->module->bytes), engine->native->toolchain());
  if (retrain) {
    std::error_code ec;
    fs::remove_all(native::profile_dir(cache.cache_dir, key), ec);
  }
  if (auto p = native::stored_profile(cache.cache_dir, key)) {
    auto artifact = engine->native->compile(*program->module);
    if (!artifact) {
      err << fmt::format("wasipy python train: cannot compile {}: {}\n", dist->python_wasm().string(), artifact.error());
      return kExitFailure;
    }
    out << fmt::format("already trained: {} (profile {}); --retrain to train again\n",
                       artifact->shared_object.string(), p->id);
    return kExitOk;
  }
  auto script = python::locate_share_file("train.py");
  if (!script) {
    err << "wasipy python train: " << script.error() << '\n';
    return kExitFailure;
  }
  ScratchDir scratch;
  if (scratch.path().empty()) {
    err << "wasipy python train: cannot create a scratch folder for the guest's /tmp\n";
    return kExitFailure;
  }
  std::vector<wasi::Mount> mounts = {
      wasi::Mount{script->parent_path().string(), "/wasipy-train", true},
      wasi::Mount{scratch.path().string(), "/tmp", false},
  };
  launch::Guest guest = python::python_guest(*dist, {"/wasipy-train/" + script->filename().string()},
                                             std::move(mounts), {"TMPDIR=/tmp", "PYTHONDONTWRITEBYTECODE=1"});
  guest.execution.tier = launch::Tier::Native;
  guest.execution.train = true;
  err << fmt::format("wasipy python train: running {} on an instrumented build of {}\n", script->string(),
                     guest.module_path)
      << std::flush;
  {
    auto outcome = launch::run(guest);
    if (!outcome) {
      err << fmt::format("wasipy python train: {}\n", outcome.error());
      return kExitFailure;
    }
    if (outcome->exit_status != 0) {
      err << fmt::format("wasipy python train: the workload failed (exit status {}{}); no faster build made\n",
                         outcome->exit_status, outcome->trap.empty() ? "" : ", " + outcome->trap);
      return kExitFailure;
    }
  }
  // Now the build that the counts guide, into the cache.
  auto artifact = engine->native->compile(*program->module);
  if (!artifact) {
    err << fmt::format("wasipy python train: cannot compile {}: {}\n", guest.module_path, artifact.error());
    return kExitFailure;
  }
  out << fmt::format("trained: {} (profile {})\n", artifact->shared_object.string(),
                     artifact->profile ? artifact->profile->id : "none");
  return kExitOk;
}

int add_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app(
      "Register a prebuilt CPython WASI distribution: a folder or .zip laid out as python.wasm + lib/python3.X/ "
      "(or with one top folder holding them). It is copied into wasipy's cache; the first one becomes the default.",
      "wasipy python add");
  std::string path;
  app.add_option("path", path, "a folder or .zip")->required();
  if (auto status = parse_args(app, "wasipy python add", args, out, err)) return *status;
  auto r = python::add_distribution(path);
  if (!r) {
    err << "wasipy python add: " << r.error() << '\n';
    return kExitFailure;
  }
  out << (r->already_installed ? "already installed: " : "added: ") << describe(r->dist) << '\n';
  return kExitOk;
}

int list_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app("List the installed CPython WASI distributions, one per line: version, key, folder, (default).",
               "wasipy python list");
  if (auto status = parse_args(app, "wasipy python list", args, out, err)) return *status;
  auto dists = python::list_distributions();
  if (!dists) {
    err << "wasipy python list: " << dists.error() << '\n';
    return kExitFailure;
  }
  if (dists->empty()) {
    err << fmt::format(
        "no CPython WASI distribution in {}; run 'wasipy python build' or 'wasipy python add PATH'\n",
        python::registry_dir().string());
    return kExitOk;
  }
  for (const auto& d : *dists) out << describe(d) << '\n';
  return kExitOk;
}

int default_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app("Choose the default CPython WASI distribution by key (or a unique prefix of one) or by version.",
               "wasipy python default");
  std::string which;
  app.add_option("which", which, "a key or a version such as 3.11")->required()->type_name("KEY|VERSION");
  if (auto status = parse_args(app, "wasipy python default", args, out, err)) return *status;
  auto d = python::set_default(which);
  if (!d) {
    err << "wasipy python default: " << d.error() << '\n';
    return kExitFailure;
  }
  out << describe(*d) << '\n';
  return kExitOk;
}


}  // namespace

PythonRunSplit split_python_args(const std::vector<std::string>& args) {
  PythonRunSplit s;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "--help" || a == "-h") {
      s.help = true;
      continue;
    }
    if (a == "--no-cache") {
      s.no_cache = true;
      continue;
    }
    if (a == "--train") {
      s.train = true;
      continue;
    }
    bool matched = false;
    for (const char* name : {"--dir", "--env", "--dist", "--tier"}) {
      const std::string n = name;
      std::optional<std::string> value;
      if (a == n) {
        if (i + 1 >= args.size()) {
          s.error = fmt::format("{} needs a value", n);
          return s;
        }
        value = args[++i];
      } else if (a.starts_with(n + "=")) {
        value = a.substr(n.size() + 1);
      }
      if (!value) continue;
      matched = true;
      if (n == "--dir") s.dirs.push_back(*value);
      else if (n == "--env") s.env.push_back(*value);
      else if (n == "--tier") s.tier = *value;
      else s.dist = *value;
      break;
    }
    if (!matched) break;
  }
  s.guest.assign(args.begin() + long(i), args.end());
  return s;
}

int python_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (!args.empty()) {
    const std::string& sub = args[0];
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (sub == "build") return build_command(rest, out, err);
    if (sub == "add") return add_command(rest, out, err);
    if (sub == "train") return train_command(rest, out, err);
    if (sub == "list") return list_command(rest, out, err);
    if (sub == "default") return default_command(rest, out, err);
  }
  PythonRunSplit split = split_python_args(args);
  if (!split.error.empty()) {
    err << fmt::format("wasipy python: {}; see 'wasipy python --help'\n", split.error);
    return kExitUsage;
  }
  if (split.help) {
    out << kPythonUsage;
    return kExitOk;
  }

  std::vector<wasi::Mount> mounts;
  std::error_code ec;
  const fs::path cwd = fs::current_path(ec);
  if (ec) {
    err << fmt::format("wasipy python: cannot read the current directory: {}\n", ec.message());
    return kExitFailure;
  }
  mounts.push_back(wasi::Mount{cwd.string(), "/", false});
  bool user_tmp = false;
  for (const std::string& spec : split.dirs) {
    auto m = parse_dir(spec);
    if (!m) {
      err << "wasipy python: " << m.error() << '\n';
      return kExitUsage;
    }
    if (!fs::is_directory(m->host, ec)) {
      err << fmt::format("wasipy python: --dir {}: no such folder\n", m->host);
      return kExitUsage;
    }
    if (m->guest == "/tmp" || m->guest == "/tmp/") user_tmp = true;
    mounts.push_back(wasi::Mount{fs::absolute(m->host).string(), m->guest, m->read_only});
  }
  std::vector<std::string> env;
  bool user_tmpdir = false;
  for (const std::string& e : split.env) {
    auto kv = parse_env(e);
    if (!kv) {
      err << "wasipy python: " << kv.error() << '\n';
      return kExitUsage;
    }
    if (kv->starts_with("TMPDIR=")) user_tmpdir = true;
    env.push_back(*kv);
  }

  auto dist = split.dist ? python::find_distribution(*split.dist) : python::default_distribution();
  if (!dist) {
    err << "wasipy python: " << dist.error() << '\n';
    return kExitFailure;
  }

  std::optional<ScratchDir> scratch;
  if (!user_tmp) {
    scratch.emplace();
    if (!scratch->path().empty()) {
      mounts.push_back(wasi::Mount{scratch->path().string(), "/tmp", false});
      if (!user_tmpdir) env.push_back("TMPDIR=/tmp");
    }
  }

  launch::Guest guest = python::python_guest(*dist, split.guest, std::move(mounts), std::move(env));
  auto execution = to_execution(TierFlags{split.tier.value_or(""), split.no_cache, split.train});
  if (!execution) {
    err << "wasipy python: " << execution.error() << '\n';
    return kExitUsage;
  }
  guest.execution = *execution;
  out.flush();
  err.flush();
  auto outcome = launch::run(guest);
  if (!outcome) {
    err << fmt::format("wasipy python: cannot run {}: {}\n", dist->python_wasm().string(), outcome.error());
    return kExitFailure;
  }
  scratch.reset();  // deletes the guest's /tmp: the process may end in finish_guest_command
  return finish_guest_command(*outcome, out, err);
}

}  // namespace wasipy::cli
