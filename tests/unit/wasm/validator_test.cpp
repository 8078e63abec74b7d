#include <gtest/gtest.h>

#include "support/module_builder.h"
#include "wasm/decoder.h"
#include "wasm/validator.h"

using namespace wasipy;
using namespace wasipy::testing;

namespace {

wasm::Expected<std::vector<wasm::FunctionInfo>> check(const Bytes& bytes) {
  auto m = wasm::decode(bytes);
  if (!m) return std::unexpected(m.error());
  return wasm::validate(*m);
}

}  // namespace

TEST(Validator, TypeMismatchNamesTheInstructionOffsetAndFunction) {
  ModuleBuilder b;
  uint32_t t = b.type({}, {I32});
  // i64.const 1; i32.const 2; i32.add  -> i32.add sees an i64
  b.func(t, {}, {0x42, 0x01, 0x41, 0x02, 0x6A});
  auto v = check(b.build());
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().kind, wasm::ErrorKind::Invalid);
  const auto& msg = v.error().message;
  EXPECT_NE(msg.find("type mismatch in i32.add: expected i32, got i64"), std::string::npos) << msg;
  EXPECT_NE(msg.find("in function 0"), std::string::npos) << msg;
  EXPECT_NE(msg.find("byte offset"), std::string::npos) << msg;
}

TEST(Validator, ReportsTheDeepestOperandStack) {
  ModuleBuilder b;
  uint32_t t = b.type({}, {I32});
  // three constants, then two adds: the stack is three deep at most
  b.func(t, {}, {0x41, 0x01, 0x41, 0x02, 0x41, 0x03, 0x6A, 0x6A});
  auto v = check(b.build());
  ASSERT_TRUE(v.has_value()) << v.error().message;
  ASSERT_EQ(v->size(), 1u);
  EXPECT_EQ((*v)[0].max_stack, 3u);
}

TEST(Validator, UnreachableCodeIsTypedPolymorphically) {
  ModuleBuilder b;
  uint32_t t = b.type({}, {I32});
  // unreachable; i32.add  -> valid: both operands come from the polymorphic stack
  b.func(t, {}, {0x00, 0x6A});
  auto v = check(b.build());
  EXPECT_TRUE(v.has_value()) << v.error().message;
}

TEST(Validator, BranchDepthOutOfRangeIsUnknownLabel) {
  ModuleBuilder b;
  uint32_t t = b.type({}, {});
  b.func(t, {}, {0x0C, 0x05});
  auto v = check(b.build());
  ASSERT_FALSE(v.has_value());
  EXPECT_NE(v.error().message.find("unknown label 5"), std::string::npos) << v.error().message;
}

TEST(Validator, MalformedBodyWinsOverAnEarlierTypeError) {
  ModuleBuilder b;
  uint32_t t = b.type({}, {});
  b.func(t, {}, {0x6A});        // invalid: i32.add on an empty stack
  b.func(t, {}, {0x41});        // malformed: i32.const without its immediate... then end is read as it
  b.func(t, {}, {0xFF});        // malformed: no such opcode
  auto v = check(b.build());
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().kind, wasm::ErrorKind::Malformed) << v.error().message;
}

TEST(Validator, LocalIndexOutOfRange) {
  ModuleBuilder b;
  uint32_t t = b.type({I32}, {});
  b.func(t, {{2, I64}}, {0x20, 0x03, 0x1A});  // local.get 3 of 3 locals
  auto v = check(b.build());
  ASSERT_FALSE(v.has_value());
  EXPECT_NE(v.error().message.find("unknown local 3"), std::string::npos);
}

TEST(Validator, FunctionTypeIndexIsCheckedBeforeAnyCallUsesIt) {
  // Found by the fuzzer: function 1 declares type 7 of 1, and function 0
  // calls it before function 1 itself is validated.
  Bytes m = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00,
             0x01, 0x04, 0x01, 0x60, 0x00, 0x00,          // type section: () -> ()
             0x03, 0x03, 0x02, 0x00, 0x07,                // functions: type 0, type 7
             0x0A, 0x09, 0x02, 0x04, 0x00, 0x10, 0x01, 0x0B, 0x02, 0x00, 0x0B};
  auto v = check(m);
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().kind, wasm::ErrorKind::Invalid);
  EXPECT_NE(v.error().message.find("unknown type 7 for function 1"), std::string::npos) << v.error().message;
}

TEST(Validator, NamesInMessagesAreEscapedOntoOneLine) {
  ModuleBuilder b;
  uint32_t t = b.type({}, {});
  b.func(t, {}, {}, "a\nb\"c");
  b.func(t, {}, {}, "a\nb\"c");  // a duplicate export name
  auto v = check(b.build());
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().message.find('\n'), std::string::npos) << v.error().message;
  EXPECT_NE(v.error().message.find("duplicate export name \"a\\x0ab\\x22c\""), std::string::npos) << v.error().message;
}

TEST(Validator, ImplementationLimitOnLocalsIsAClearRejection) {
  ModuleBuilder b;
  uint32_t t = b.type({}, {});
  b.func(t, {{4000000000u, I32}}, {});
  auto m = wasm::decode(b.build());
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().message.find("wasipy supports at most 50000"), std::string::npos) << m.error().message;
}
