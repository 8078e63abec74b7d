#include <filesystem>
#include <ostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "wast/runner.h"

namespace wasipy::cli {

int wast_main(const WastOptions& options, std::ostream& out, std::ostream& err) {
  for (const std::string& f : options.files) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(f, ec)) {
      err << fmt::format("wasipy wast: {}: no such file; pass the paths of .wast scripts\n", f);
      return kExitUsage;
    }
  }
  wast::Callbacks callbacks;
  callbacks.on_result = [&](const wast::Result& r) {
    if (r.outcome == wast::Outcome::Failed || (options.verbose && r.outcome == wast::Outcome::Skipped))
      out << r.describe() << '\n' << std::flush;
  };
  wast::Options wo;
  wo.execution = options.execution;
  wast::ScriptRunner runner(callbacks, wo);
  wast::Summary total;
  for (const std::string& f : options.files) {
    wast::Summary s = runner.run_file(f);
    // Unsupported features skip whole files: say so once per file and reason.
    if (!options.verbose) {
      for (const auto& [reason, n] : s.skip_reasons) {
        if (reason != wast::kTextModuleSkip)
          out << fmt::format("{}: {} skipped: {}\n", f, n, reason) << std::flush;
      }
    }
    total += s;
  }
  out << fmt::format("{} passed, {} failed, {} skipped\n", total.passed, total.failed, total.skipped);
  return total.failed == 0 ? kExitOk : kExitFailure;
}

}  // namespace wasipy::cli
