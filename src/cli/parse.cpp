#include "cli/parse.h"

#include <fmt/format.h>

#include "cli/commands.h"

namespace wasipy::cli {

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

}  // namespace wasipy::cli
