#pragma once
// CLI11 parsing with wasipy's conventions, shared by the subcommands.
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace wasipy::cli {

/// Parses `args` with `app`. Returns an exit status when parsing ends the
/// command — 0 after printing help, kExitUsage after one line on `err`
/// naming `command` ("wasipy python add") — or nullopt to go on.
std::optional<int> parse_args(CLI::App& app, const std::string& command, const std::vector<std::string>& args,
                              std::ostream& out, std::ostream& err);

}  // namespace wasipy::cli
