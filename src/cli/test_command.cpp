// `wasipy test [PROJECT] [options] [-- PYTEST_ARGS...]`
#include <algorithm>
#include <ostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/parse.h"
#include "testrun/run.h"

namespace wasipy::cli {

int test_command_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app(
      "Run a Python project's pytest suite on CPython's WASI build, with its test dependencies installed for the "
      "guest, and say whether the project works on WASI.\nEverything after '--' goes to pytest.",
      "wasipy test");
  testrun::Options o;
  std::string project = ".";
  std::vector<std::string> find_links, host_envs, reqs;
  std::string junit, report;
  app.add_option("project", project, "the project's folder (default: the current one)");
  app.add_option("--python", o.python, "CPython version to use, e.g. 3.11 (default: the default distribution)");
  app.add_option("--find-links", find_links, "a folder of wheels to install test dependencies from (searched first)")->type_name("DIR");
  app.add_option("--host-env", host_envs, "an installed environment to take pure-Python distributions from, e.g. /usr/lib/python3/dist-packages")->type_name("DIR");
  auto* index = app.add_option("--index-url", o.index_url,
                                "the package index for the host's pip, tried after --find-links and --host-env (default: pip's own configuration)")
                    ->type_name("URL");
  app.add_flag("--no-index", o.no_index, "do not download test dependencies with the host's pip")->excludes(index);
  app.add_option("-r,--requirement", reqs, "a requirements file for the tests (replaces the guessed ones)")->type_name("FILE");
  app.add_option("--extra", o.extras, "an extra of the project to install (replaces test/tests/testing)")->type_name("NAME");
  app.add_option("--junit-xml", junit, "write pytest's JUnit XML report to FILE")->type_name("FILE");
  app.add_option("--report-json", report, "write wasipy's report (outcomes, classification, verdict) as JSON")->type_name("FILE");

  TierFlags tier;
  add_tier_options(app, tier);

  auto dash = std::find(args.begin(), args.end(), "--");
  std::vector<std::string> mine(args.begin(), dash);
  if (dash != args.end()) o.pytest_args.assign(dash + 1, args.end());
  if (auto status = parse_args(app, "wasipy test", mine, out, err)) return *status;
  auto execution = to_execution(tier);
  if (!execution) {
    err << "wasipy test: " << execution.error() << '\n';
    return kExitUsage;
  }
  o.execution = *execution;
  o.project = project;
  for (auto& d : find_links) o.find_links.emplace_back(d);
  for (auto& d : host_envs) o.host_envs.emplace_back(d);
  for (auto& r : reqs) o.requirement_files.emplace_back(r);
  if (!junit.empty()) o.junit_xml = junit;
  if (!report.empty()) o.report_json = report;
  return testrun::test_main(o, out, err);
}

}  // namespace wasipy::cli
