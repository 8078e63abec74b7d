#include "testrun/run.h"

#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <ostream>
#include <sstream>

#include <fmt/format.h>

#include "launch/launch.h"
#include "pyenv/environment.h"
#include "pyenv/project.h"
#include "python/distribution.h"
#include "testrun/pycache.h"
#include "testrun/report.h"

namespace fs = std::filesystem;

namespace wasipy::testrun {

namespace {

constexpr int kBadInput = 2;

/// Started with `python -c`: pytest runs with the project as the current
/// folder, so that its configuration and relative test paths work.
/// site.addsitedir runs the environment's .pth files (which being on
/// PYTHONPATH alone does not); a small plugin records how many tests were
/// collected and whether pytest only collected (--co), for the report.
constexpr const char* kBootstrap =
    "import os, sys, site\n"
    "site.addsitedir('/wasipy/site-packages')\n"
    "os.chdir('/project')\n"
    "sys.argv[0] = 'pytest'\n"
    "import pytest\n"
    "class WasipyCollected:\n"
    "    def pytest_collection_finish(self, session):\n"
    "        with open('/tmp/wasipy-collected.txt', 'w') as f:\n"
    "            f.write('%d %d' % (len(session.items), bool(session.config.option.collectonly)))\n"
    "sys.exit(pytest.main(sys.argv[1:], plugins=[WasipyCollected()]))\n";

constexpr std::chrono::hours kPycacheMaxAge{24 * 30};

/// pytest's own --junit-xml/--junitxml among the arguments after '--': taken
/// out (the guest's folders are not the user's) and returned, to be written
/// on the host like wasipy's --junit-xml.
std::vector<fs::path> take_junit_args(std::vector<std::string>& args) {
  std::vector<fs::path> files;
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool taken = false;
    for (std::string_view opt : {"--junit-xml", "--junitxml"}) {
      if (a == opt && i + 1 < args.size()) {
        files.emplace_back(args[++i]);
        taken = true;
      } else if (a.starts_with(std::string(opt) + "=")) {
        files.emplace_back(a.substr(opt.size() + 1));
        taken = true;
      }
      if (taken) break;
    }
    if (!taken) rest.push_back(a);
  }
  args = std::move(rest);
  return files;
}

struct TempDir {
  fs::path path;
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};

}  // namespace

int test_main(const Options& o, std::ostream& out, std::ostream& err) {
  auto bad = [&](const std::string& msg) {
    err << "wasipy test: " << msg << '\n';
    return kBadInput;
  };
  pyenv::DiscoverOptions dopts{o.requirement_files, o.extras};
  auto project = pyenv::discover(o.project, dopts);
  if (!project) return bad(project.error());
  auto dist = o.python.empty() ? python::default_distribution() : python::find_distribution(o.python);
  if (!dist) return bad(dist.error());
  if (!project->compiled.empty())
    return bad(fmt::format("{} builds compiled extensions ({}); wasipy test runs pure-Python projects only", project->name,
                           project->compiled));
  for (const std::string& w : project->warnings) err << "wasipy test: note: " << w << '\n';

  pyenv::ResolveInput in;
  in.requirements = project->requirements;
  in.project_key = project->key;
  in.find_links = o.find_links;
  in.host_envs = o.host_envs;
  in.pip.enabled = !o.no_index;
  in.pip.index_url = o.index_url;
  in.pip.python_version = dist->minor;
  in.pip.cache = python::cache_root() / "wheels";
  // The host's pip is `python3 -m pip`; WASIPY_PIP names another program that
  // takes pip's arguments (tests use a fake one).
  if (const char* pip = getenv("WASIPY_PIP"); pip && *pip) in.pip.command = {pip};
  in.env = pyenv::MarkerEnv::wasi_guest(dist->minor, dist->version);
  for (const char* x : {"test", "tests", "testing"}) in.env.extras.insert(x);
  for (const std::string& x : o.extras) in.env.extras.insert(pyenv::normalize_name(x));
  for (const fs::path& d : o.find_links)
    if (!fs::is_directory(d)) return bad(fmt::format("--find-links {}: no such folder", d.string()));
  for (const fs::path& d : o.host_envs)
    if (!fs::is_directory(d)) return bad(fmt::format("--host-env {}: no such folder", d.string()));
  auto res = pyenv::resolve(in);
  if (!res) return bad(res.error());
  auto env = pyenv::install(*res, python::cache_root(), dist->key);
  if (!env) return bad(env.error());

  std::string names;
  for (const auto& c : res->chosen) names += fmt::format("{}{} {}", names.empty() ? "" : ", ", c.name, c.version);
  out << fmt::format("wasipy test: {} {} ({} layout) on CPython {} (WASI)\n", project->name, project->version,
                     project->import_root.empty() ? "flat" : "src/", dist->version);
  out << fmt::format("wasipy test: environment {}{}: {}\n", env->key, env->reused ? " (reused)" : "", names.empty() ? "nothing" : names);
  std::vector<std::string> skipped;
  for (const auto& s : res->skipped) {
    skipped.push_back(fmt::format("{}: {}", s.requirement, s.reason));
    out << fmt::format("wasipy test: not installed (optional for testing): {}: {}\n", s.requirement, s.reason);
  }
  for (const std::string& n : res->notes) out << "wasipy test: " << n << '\n';
  out.flush();

  // A writable root for /tmp and HOME; the project and site-packages read-only.
  TempDir tmp;
  {
    std::string templ = (fs::temp_directory_path() / "wasipy-test-XXXXXX").string();
    if (!mkdtemp(templ.data())) return bad(fmt::format("cannot create a temporary folder in {}", fs::temp_directory_path().string()));
    tmp.path = templ;
    std::error_code ec;
    for (const char* d : {"tmp/home", "project", "wasipy/site-packages", "wasipy/pycache"}) fs::create_directories(tmp.path / d, ec);
  }
  // Bytecode of the project and of the environment goes to a cache of its
  // own (PYTHONPYCACHEPREFIX), kept between runs: compiling every module
  // from source on each run costs more than the tests on the interpreter.
  // Held (shared lock) for the whole run, so that pruning never removes it;
  // then the caches of projects or environments that are gone, or unused for
  // 30 days, are pruned.
  fs::path pycache_root = python::cache_root() / "pycache";
  auto lease = use_pycache(pycache_root, pyenv::short_hash(project->root.string() + "\n" + env->key), project->root, env->root);
  if (!lease) return bad(lease.error());
  fs::path pycache = lease->dir();
  if (auto pruned = prune_pycaches(pycache_root, kPycacheMaxAge); !pruned.empty()) {
    std::string why;
    for (const Pruned& p : pruned) why += fmt::format("{}{} ({})", why.empty() ? "" : ", ", p.dir.filename().string(), p.reason);
    out << fmt::format("wasipy test: pruned {} bytecode cache{}: {}\n", pruned.size(), pruned.size() == 1 ? "" : "s", why);
  }
  std::vector<wasi::Mount> mounts{
      {tmp.path.string(), "/", false},
      {project->root.string(), kGuestProject, true},
      {env->site_packages.string(), kGuestSitePackages, true},
      {pycache.string(), kGuestPycache, false},
  };
  std::string code_root = project->import_root.empty() ? kGuestProject : fmt::format("{}/{}", kGuestProject, project->import_root);
  std::vector<std::string> genv{
      fmt::format("PYTHONPATH={}:{}", code_root, kGuestSitePackages),
      fmt::format("PYTHONPYCACHEPREFIX={}", kGuestPycache),
      "PYTHONUNBUFFERED=1",
      "HOME=/tmp/home",
      "TMPDIR=/tmp",
  };
  if (const char* term = getenv("TERM")) genv.push_back(fmt::format("TERM={}", term));
  if (const char* cols = getenv("COLUMNS")) genv.push_back(fmt::format("COLUMNS={}", cols));
  std::vector<std::string> args{"-c", kBootstrap,
                                "--capture=sys", "-p", "no:faulthandler",
                                "-o", "cache_dir=/tmp/pytest-cache",
                                // Without it pytest (7.2) checks the owner of its shared temporary
                                // root with os.getuid(), which WASI lacks; tmp_path works with it.
                                "--basetemp=/tmp/pytest-basetemp",
                                "--junit-xml=/tmp/wasipy-junit.xml", "-o", "junit_family=xunit1"};
  std::vector<std::string> pytest_args = o.pytest_args;
  std::vector<fs::path> junit_outputs = take_junit_args(pytest_args);
  if (o.junit_xml) junit_outputs.insert(junit_outputs.begin(), *o.junit_xml);
  args.insert(args.end(), pytest_args.begin(), pytest_args.end());
  launch::Guest guest = python::python_guest(*dist, args, std::move(mounts), std::move(genv));
  guest.execution = o.execution;
  auto outcome = launch::run(guest);
  if (!outcome) return bad(fmt::format("cannot start CPython: {}", outcome.error()));
  if (!outcome->trap.empty()) err << "wasipy test: CPython trapped: " << outcome->trap << '\n';
  for (const auto& note : outcome->notes) err << note << '\n';

  std::vector<TestCase> tests;
  fs::path junit = tmp.path / "tmp" / "wasipy-junit.xml";
  std::error_code ec;
  if (fs::is_regular_file(junit, ec)) {
    std::ifstream f(junit, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    auto parsed = parse_junit(s.str());
    if (parsed) tests = std::move(*parsed);
    else err << "wasipy test: cannot read pytest's JUnit report: " << parsed.error() << '\n';
    for (const fs::path& to : junit_outputs) {
      fs::copy_file(junit, to, fs::copy_options::overwrite_existing, ec);
      if (ec) err << fmt::format("wasipy test: cannot write {}: {}\n", to.string(), ec.message());
    }
  }
  std::optional<int> collect_only;
  {
    std::ifstream f(tmp.path / "tmp" / "wasipy-collected.txt");
    int n = 0, only = 0;
    if (f >> n >> only && only) collect_only = n;
  }
  Report report = make_report(project->name, dist->version, tests, outcome->exit_status, project->declares_wasi(), collect_only);
  report.skipped_requirements = skipped;
  out << format_summary(report);
  out.flush();
  if (o.report_json) {
    std::ofstream j(*o.report_json);
    j << to_json(report);
    if (!j) err << fmt::format("wasipy test: cannot write {}\n", o.report_json->string());
  }
  if (report.verdict == Verdict::NoTests)
    err << fmt::format("wasipy test: no tests collected in {}; pass test paths after '--' or set testpaths in its pytest configuration\n",
                       project->root.string());
  return outcome->exit_status;
}

}  // namespace wasipy::testrun
