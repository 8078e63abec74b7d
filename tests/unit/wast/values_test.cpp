#include <gtest/gtest.h>

#include "wast/values.h"

namespace wasipy::wast {
namespace {

using runtime::Value;
using runtime::ValType;

JsonValue jv(std::string type, std::optional<std::string> value) { return JsonValue{std::move(type), std::move(value)}; }

TEST(Values, ParsesNumbersAsUnsignedBits) {
  auto v = parse_arg(jv("i32", "4294967295"));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->type, ValType::I32);
  EXPECT_EQ(v->bits, 0xFFFFFFFFu);
  auto f = parse_arg(jv("f64", "9221120237041090560"));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->type, ValType::F64);
  EXPECT_EQ(f->bits, 0x7FF8000000000000ull);
}

TEST(Values, RejectsOutOfRangeAndGarbage) {
  EXPECT_FALSE(parse_arg(jv("i32", "4294967296")));
  EXPECT_FALSE(parse_arg(jv("i64", "-1")));
  EXPECT_FALSE(parse_arg(jv("i32", "12x")));
  EXPECT_FALSE(parse_arg(jv("v128", "0")));
  EXPECT_FALSE(parse_arg(jv("i32", std::nullopt)));
}

TEST(Values, ExternrefIsShiftedByOneSoThatZeroStaysNull) {
  auto null = parse_arg(jv("externref", "null"));
  ASSERT_TRUE(null);
  EXPECT_EQ(null->bits, 0u);
  auto one = parse_arg(jv("externref", "0"));
  ASSERT_TRUE(one);
  EXPECT_EQ(one->bits, 1u);
  EXPECT_EQ(*matches(jv("externref", "0"), Value::ref(ValType::ExternRef, 1)), true);
  EXPECT_EQ(*matches(jv("externref", "0"), Value::ref(ValType::ExternRef, 0)), false);
}

TEST(Values, CanonicalNanAcceptsOnlyTheCanonicalPayloadOfEitherSign) {
  auto canonical = jv("f32", "nan:canonical");
  EXPECT_TRUE(*matches(canonical, Value::f32_bits(0x7FC00000)));
  EXPECT_TRUE(*matches(canonical, Value::f32_bits(0xFFC00000)));
  EXPECT_FALSE(*matches(canonical, Value::f32_bits(0x7FC00001)));
  EXPECT_FALSE(*matches(canonical, Value::f32_bits(0x7F800000)));  // infinity
  auto canonical64 = jv("f64", "nan:canonical");
  EXPECT_TRUE(*matches(canonical64, Value::f64_bits(0xFFF8000000000000ull)));
  EXPECT_FALSE(*matches(canonical64, Value::f64_bits(0x7FF8000000000001ull)));
}

TEST(Values, ArithmeticNanNeedsTheQuietBit) {
  auto arithmetic = jv("f64", "nan:arithmetic");
  EXPECT_TRUE(*matches(arithmetic, Value::f64_bits(0x7FF8000000000001ull)));
  EXPECT_TRUE(*matches(arithmetic, Value::f64_bits(0xFFF8000000000000ull)));
  EXPECT_FALSE(*matches(arithmetic, Value::f64_bits(0x7FF0000000000001ull)));  // signalling
  EXPECT_FALSE(*matches(jv("f32", "nan:arithmetic"), Value::f32_bits(0x7FA00000)));
}

TEST(Values, NumbersCompareBitsAndTypes) {
  EXPECT_TRUE(*matches(jv("f32", "2147483648"), Value::f32_bits(0x80000000)));  // -0.0
  EXPECT_FALSE(*matches(jv("f32", "0"), Value::f32_bits(0x80000000)));
  EXPECT_FALSE(*matches(jv("i64", "1"), Value::i32(1)));
  EXPECT_TRUE(*matches(jv("i32", "1"), Value::i32(1)));
}

TEST(Values, ReferenceExpectations) {
  EXPECT_TRUE(*matches(jv("funcref", "null"), Value::ref(ValType::FuncRef, 0)));
  EXPECT_FALSE(*matches(jv("funcref", "null"), Value::ref(ValType::FuncRef, 0x1234)));
  // No value: any non-null reference (wast2json's `ref.func`).
  EXPECT_TRUE(*matches(jv("funcref", std::nullopt), Value::ref(ValType::FuncRef, 0x1234)));
  EXPECT_FALSE(*matches(jv("funcref", std::nullopt), Value::ref(ValType::FuncRef, 0)));
  EXPECT_FALSE(*matches(jv("externref", "null"), Value::ref(ValType::FuncRef, 0)));
}

TEST(Values, FormatsWithBitsForFloats) {
  EXPECT_EQ(format(Value::i32(0xFFFFFFFF)), "i32:-1");
  EXPECT_EQ(format(Value::f32_bits(0x7FC00000)), "f32:nan (0x7fc00000)");
  EXPECT_EQ(format(Value::ref(ValType::ExternRef, 3)), "externref:2");
  EXPECT_EQ(format(jv("f32", "nan:canonical")), "f32:nan:canonical");
  EXPECT_EQ(format(jv("i64", "18446744073709551615")), "i64:-1");
}

}  // namespace
}  // namespace wasipy::wast
