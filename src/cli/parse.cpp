#include "cli/parse.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"

namespace wasipy::cli {

namespace {
bool exit_directly = false;
}  // namespace

void exit_without_teardown() { exit_directly = true; }

int finish_guest_command(const launch::Outcome& outcome, std::ostream& out, std::ostream& err) {
  if (!outcome.trap.empty()) err << outcome.trap << '\n';
  for (const auto& note : outcome.notes) err << note << '\n';
  if (exit_directly) {
    // Nothing is lost: WASI's fd_write goes straight to the host's fds (no
    // buffer in between), so what is left to write is in these streams and
    // C stdio. Freeing the guest's store, module and engine (python.wasm's:
    // ~2 ms, unmapping and thousands of frees) is work the kernel does
    // anyway at exit.
    out.flush();
    err.flush();
    std::fflush(nullptr);
    ::_exit(outcome.exit_status);
  }
  return outcome.exit_status;
}

std::optional<int> parse_args(CLI::App& app, const std::string& command, const std::vector<std::string>& args,
                              std::ostream& out, std::ostream& err) {
  try {
    // CLI11 takes a vector in reverse order (it pops from the back).
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    err << fmt::format("{}: {}; see '{} --help'\n", command, e.what(), command);
    return kExitUsage;
  }
  return std::nullopt;
}

void add_tier_options(CLI::App& app, TierFlags& flags) {
  app.add_option("--tier", flags.tier,
                 "native (machine code compiled by the system C compiler, cached; the default where a compiler "
                 "exists) or interp (the interpreter)")
      ->type_name("native|interp");
  app.add_flag("--no-cache", flags.no_cache, "compile native code without reading or filling the code cache");
  app.add_flag("--train", flags.train,
               "run on native code instrumented by gcc and keep the counts as the module's training profile: its "
               "next compile is guided by them (profile-guided optimization)");
}

std::expected<launch::Execution, std::string> to_execution(const TierFlags& flags) {
  launch::Execution e;
  e.use_cache = !flags.no_cache;
  e.train = flags.train;
  if (!flags.tier.empty()) {
    e.tier = launch::parse_tier(flags.tier);
    if (!e.tier) return std::unexpected(fmt::format("--tier {}: use native or interp", flags.tier));
  }
  return e;
}

}  // namespace wasipy::cli
