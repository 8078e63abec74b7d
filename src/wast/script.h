#pragma once
// A spec-test script as wast2json writes it: a list of commands whose modules
// are binary files beside the JSON.
#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wasipy::wast {

/// One value in an action's arguments or an assertion's expected results,
/// as wast2json spells it: a type and the value's text ("42", "nan:canonical",
/// "null"); `value` is absent for "any non-null reference" expectations.
struct JsonValue {
  std::string type;
  std::optional<std::string> value;
};

struct Action {
  std::string type;    ///< "invoke" or "get"
  std::string module;  ///< "$name", or empty for the current module
  std::string field;
  std::vector<JsonValue> args;
};

struct Command {
  std::string type;  ///< "module", "register", "action", "assert_return", ...
  int line = 0;
  std::string name;         ///< module: its "$name"; register: which module
  std::string as;           ///< register: the import name it is registered as
  std::filesystem::path filename;  ///< module commands: absolute path of the .wasm
  std::string module_type;  ///< "binary" or "text" (assert_malformed/invalid/...)
  std::string text;         ///< the expected failure message
  std::optional<Action> action;
  std::vector<JsonValue> expected;
};

struct Script {
  std::filesystem::path source;  ///< the .wast it came from (for messages)
  std::vector<Command> commands;
};

/// Parses wast2json's JSON; module file names are resolved against `dir`.
std::expected<Script, std::string> parse_script(std::string_view json, const std::filesystem::path& dir);

/// True for commands that are assertions (they count in a run's summary).
bool is_assertion(std::string_view type);

}  // namespace wasipy::wast
