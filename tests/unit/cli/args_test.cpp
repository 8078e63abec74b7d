#include <gtest/gtest.h>

#include "cli/args.h"

namespace wasipy::cli {
namespace {

using runtime::Value;
using runtime::ValType;

uint64_t bits(ValType t, std::string_view text) {
  auto v = parse_value(t, text);
  EXPECT_TRUE(v) << text << ": " << (v ? "" : v.error());
  return v ? v->bits : 0xDEAD;
}

TEST(Args, IntegersSignedUnsignedAndHex) {
  EXPECT_EQ(bits(ValType::I32, "42"), 42u);
  EXPECT_EQ(bits(ValType::I32, "-1"), 0xFFFFFFFFu);
  EXPECT_EQ(bits(ValType::I32, "4294967295"), 0xFFFFFFFFu);
  EXPECT_EQ(bits(ValType::I32, "-2147483648"), 0x80000000u);
  EXPECT_EQ(bits(ValType::I32, "0x10"), 16u);
  EXPECT_EQ(bits(ValType::I64, "-9223372036854775808"), 0x8000000000000000ull);
  EXPECT_EQ(bits(ValType::I64, "18446744073709551615"), ~0ull);
  EXPECT_EQ(bits(ValType::I64, "42n"), 42u);  // Node's BigInt spelling
}

TEST(Args, IntegersOutOfRangeOrMalformedAreErrors) {
  EXPECT_FALSE(parse_value(ValType::I32, "4294967296"));
  EXPECT_FALSE(parse_value(ValType::I32, "-2147483649"));
  EXPECT_FALSE(parse_value(ValType::I64, "18446744073709551616"));
  EXPECT_FALSE(parse_value(ValType::I32, "12abc"));
  EXPECT_FALSE(parse_value(ValType::I32, ""));
  EXPECT_FALSE(parse_value(ValType::I32, "1.5"));
  auto err = parse_value(ValType::I32, "x");
  ASSERT_FALSE(err);
  EXPECT_NE(err.error().find("'x'"), std::string::npos);
}

TEST(Args, Floats) {
  EXPECT_EQ(bits(ValType::F32, "1.5"), 0x3FC00000u);
  EXPECT_EQ(bits(ValType::F64, "-0"), 0x8000000000000000ull);
  EXPECT_EQ(bits(ValType::F32, "nan"), 0x7FC00000u);
  EXPECT_EQ(bits(ValType::F32, "-nan"), 0xFFC00000u);
  EXPECT_EQ(bits(ValType::F32, "nan:0x200000"), 0x7FA00000u);
  EXPECT_EQ(bits(ValType::F64, "inf"), 0x7FF0000000000000ull);
  EXPECT_EQ(bits(ValType::F64, "-inf"), 0xFFF0000000000000ull);
  EXPECT_EQ(bits(ValType::F64, "0x1p-1"), 0x3FE0000000000000ull);
  EXPECT_FALSE(parse_value(ValType::F32, "one"));
  EXPECT_FALSE(parse_value(ValType::F32, "nan:0x0"));
  EXPECT_FALSE(parse_value(ValType::F32, "nan:0x800000"));  // payload wider than the mantissa
  EXPECT_FALSE(parse_value(ValType::F64, "1.0x"));
}

TEST(Args, References) {
  EXPECT_EQ(bits(ValType::FuncRef, "null"), 0u);
  EXPECT_EQ(bits(ValType::ExternRef, "null"), 0u);
  EXPECT_EQ(bits(ValType::ExternRef, "5"), 6u);
  EXPECT_FALSE(parse_value(ValType::FuncRef, "1"));
}

TEST(Args, FormatsResultsPlainly) {
  EXPECT_EQ(format_value(Value::i32(0xFFFFFFFF)), "-1");
  EXPECT_EQ(format_value(Value::i64(0x8000000000000000ull)), "-9223372036854775808");
  EXPECT_EQ(format_value(Value::f64(0.1)), "0.1");
  EXPECT_EQ(format_value(Value::f32(1.5f)), "1.5");
  EXPECT_EQ(format_value(Value::f32_bits(0x7FC00000)), "nan");
  EXPECT_EQ(format_value(Value::f64_bits(0xFFF0000000000000ull)), "-inf");
  EXPECT_EQ(format_value(Value::ref(ValType::FuncRef, 0)), "null");
}

TEST(Args, DirAndEnvSpecs) {
  auto same = parse_dir("/data");
  ASSERT_TRUE(same);
  EXPECT_EQ(same->host, "/data");
  EXPECT_EQ(same->guest, "/data");
  auto mapped = parse_dir("./src::/app");
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->host, "./src");
  EXPECT_EQ(mapped->guest, "/app");
  EXPECT_FALSE(parse_dir("::/app"));
  EXPECT_FALSE(parse_dir("/x::"));
  EXPECT_TRUE(parse_env("A=1"));
  EXPECT_TRUE(parse_env("EMPTY="));
  EXPECT_FALSE(parse_env("NOEQUALS"));
  EXPECT_FALSE(parse_env("=1"));
}

TEST(Args, RunArgumentsAfterTheModuleBelongToTheGuest) {
  auto s = split_run_args({"--dir", "a::b", "--invoke", "f", "m.wasm", "--verbose", "-x", "1"});
  EXPECT_EQ(s.options, (std::vector<std::string>{"--dir", "a::b", "--invoke", "f"}));
  EXPECT_EQ(s.module, "m.wasm");
  EXPECT_EQ(s.guest, (std::vector<std::string>{"--verbose", "-x", "1"}));

  auto dashes = split_run_args({"--env", "K=V", "m.wasm", "--", "--help"});
  EXPECT_EQ(dashes.module, "m.wasm");
  EXPECT_EQ(dashes.guest, (std::vector<std::string>{"--help"}));

  auto before = split_run_args({"--", "-odd-name.wasm", "arg"});
  EXPECT_EQ(before.module, "-odd-name.wasm");
  EXPECT_EQ(before.guest, (std::vector<std::string>{"arg"}));

  auto tier = split_run_args({"--tier", "interp", "--no-cache", "m.wasm", "1"});
  EXPECT_EQ(tier.options, (std::vector<std::string>{"--tier", "interp", "--no-cache"}));
  EXPECT_EQ(tier.module, "m.wasm");
  EXPECT_EQ(tier.guest, (std::vector<std::string>{"1"}));

  auto none = split_run_args({"--invoke", "f"});
  EXPECT_TRUE(none.module.empty());
}

}  // namespace
}  // namespace wasipy::cli
