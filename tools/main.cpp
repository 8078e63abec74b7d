// The wasipy command: everything lives in src/cli.
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  wasipy::cli::exit_without_teardown();
  return wasipy::cli::main(args, std::cout, std::cerr);
}
