#include <gtest/gtest.h>

#include "wast/script.h"

namespace wasipy::wast {
namespace {

TEST(Script, ParsesWast2jsonCommands) {
  const char* json = R"({"source_filename": "x.wast", "commands": [
    {"type": "module", "line": 1, "name": "$M", "filename": "x.0.wasm"},
    {"type": "register", "line": 2, "name": "$M", "as": "m"},
    {"type": "assert_return", "line": 3,
     "action": {"type": "invoke", "module": "$M", "field": "f", "args": [{"type": "i32", "value": "7"}]},
     "expected": [{"type": "f32", "value": "nan:canonical"}, {"type": "funcref"}]},
    {"type": "assert_malformed", "line": 4, "filename": "x.1.wat", "text": "unknown operator", "module_type": "text"}
  ]})";
  auto s = parse_script(json, "/tmp/dir");
  ASSERT_TRUE(s) << s.error();
  ASSERT_EQ(s->commands.size(), 4u);
  EXPECT_EQ(s->commands[0].type, "module");
  EXPECT_EQ(s->commands[0].name, "$M");
  EXPECT_EQ(s->commands[0].filename, std::filesystem::path("/tmp/dir/x.0.wasm"));
  EXPECT_EQ(s->commands[1].as, "m");
  const Command& a = s->commands[2];
  EXPECT_EQ(a.line, 3);
  ASSERT_TRUE(a.action);
  EXPECT_EQ(a.action->field, "f");
  EXPECT_EQ(a.action->module, "$M");
  ASSERT_EQ(a.action->args.size(), 1u);
  EXPECT_EQ(a.action->args[0].value, "7");
  ASSERT_EQ(a.expected.size(), 2u);
  EXPECT_EQ(a.expected[0].value, "nan:canonical");
  EXPECT_FALSE(a.expected[1].value.has_value());
  EXPECT_EQ(s->commands[3].module_type, "text");
  EXPECT_EQ(s->commands[3].text, "unknown operator");
}

TEST(Script, RejectsWhatIsNotAScript) {
  EXPECT_FALSE(parse_script("not json", "/tmp"));
  EXPECT_FALSE(parse_script(R"({"commands": 3})", "/tmp"));
  EXPECT_FALSE(parse_script(R"([1, 2])", "/tmp"));
}

TEST(Script, AssertionsAreTheAssertCommands) {
  EXPECT_TRUE(is_assertion("assert_return"));
  EXPECT_TRUE(is_assertion("assert_trap"));
  EXPECT_FALSE(is_assertion("module"));
  EXPECT_FALSE(is_assertion("action"));
}

}  // namespace
}  // namespace wasipy::wast
