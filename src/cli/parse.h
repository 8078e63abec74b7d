#pragma once
// CLI11 parsing with wasipy's conventions, shared by the subcommands.
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "launch/launch.h"

namespace wasipy::cli {

/// --tier native|interp, --no-cache and --train, as every command that runs a guest has them.
struct TierFlags {
  std::string tier;
  bool no_cache = false;
  bool train = false;  ///< --train
};
void add_tier_options(CLI::App& app, TierFlags& flags);
/// The flags as an execution choice, or a one-line usage error.
std::expected<launch::Execution, std::string> to_execution(const TierFlags& flags);

/// Parses `args` with `app`. Returns an exit status when parsing ends the
/// command — 0 after printing help, kExitUsage after one line on `err`
/// naming `command` ("wasipy python add") — or nullopt to go on.
std::optional<int> parse_args(CLI::App& app, const std::string& command, const std::vector<std::string>& args,
                              std::ostream& out, std::ostream& err);

/// The end of a command that ran a guest's _start: prints the trap, if any,
/// on `err` and returns the guest's exit status. After
/// exit_without_teardown() (the wasipy executable only) it ends the process
/// there instead, with _exit, once `out`, `err` and C stdio are flushed:
/// the outcome's remains and whatever else the caller still holds are never
/// freed, so the caller must have finished its own cleanup (files to
/// delete) first.
int finish_guest_command(const launch::Outcome& outcome, std::ostream& out, std::ostream& err);

}  // namespace wasipy::cli
