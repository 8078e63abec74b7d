// `wasipy python` in a build without src/python (no WASI yet).
#include <ostream>

#include "cli/commands.h"

namespace wasipy::cli {

PythonRunSplit split_python_args(const std::vector<std::string>& args) {
  PythonRunSplit s;
  s.guest = args;
  return s;
}

int python_main(const std::vector<std::string>&, std::ostream&, std::ostream& err) {
  err << "wasipy python: this wasipy was built without WASI, so it cannot run CPython\n";
  return kExitUsage;
}

}  // namespace wasipy::cli
