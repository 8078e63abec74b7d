#include "wast/script.h"

#include <nlohmann/json.hpp>

namespace wasipy::wast {
namespace {

using nlohmann::json;

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<JsonValue> values(const json& j, const char* key) {
  std::vector<JsonValue> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const json& v : *it) {
    JsonValue value{str(v, "type"), std::nullopt};
    if (auto val = v.find("value"); val != v.end()) {
      // v128 values come as an array of lanes; keep them as one text so
      // that the runner can at least name them.
      value.value = val->is_string() ? val->get<std::string>() : val->dump();
    }
    out.push_back(std::move(value));
  }
  return out;
}

}  // namespace

bool is_assertion(std::string_view type) { return type.starts_with("assert_"); }

std::expected<Script, std::string> parse_script(std::string_view text, const std::filesystem::path& dir) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return std::unexpected(std::string("wast2json output is not valid JSON"));
  auto commands = doc.find("commands");
  if (commands == doc.end() || !commands->is_array())
    return std::unexpected(std::string("wast2json output has no \"commands\" array"));

  Script script;
  if (auto src = doc.find("source_filename"); src != doc.end() && src->is_string())
    script.source = src->get<std::string>();
  for (const json& c : *commands) {
    if (!c.is_object()) return std::unexpected(std::string("wast2json output has a command that is not an object"));
    Command cmd;
    cmd.type = str(c, "type");
    if (auto line = c.find("line"); line != c.end() && line->is_number_integer()) cmd.line = line->get<int>();
    cmd.name = str(c, "name");
    cmd.as = str(c, "as");
    if (auto file = str(c, "filename"); !file.empty()) cmd.filename = dir / file;
    cmd.module_type = str(c, "module_type");
    cmd.text = str(c, "text");
    if (auto a = c.find("action"); a != c.end() && a->is_object()) {
      cmd.action = Action{str(*a, "type"), str(*a, "module"), str(*a, "field"), values(*a, "args")};
    }
    cmd.expected = values(c, "expected");
    script.commands.push_back(std::move(cmd));
  }
  return script;
}

}  // namespace wasipy::wast
