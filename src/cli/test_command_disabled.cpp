// `wasipy test` in a build without WASI / src/python.
#include <ostream>

#include "cli/commands.h"

namespace wasipy::cli {

int test_command_main(const std::vector<std::string>&, std::ostream&, std::ostream& err) {
  err << "wasipy test: this build has no WASI CPython support (src/python); rebuild with it\n";
  return kExitUsage;
}

}  // namespace wasipy::cli
