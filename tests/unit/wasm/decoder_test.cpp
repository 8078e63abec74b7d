#include <gtest/gtest.h>

#include "support/module_builder.h"
#include "wasm/decoder.h"
#include "wasm/validator.h"

using namespace wasipy;
using namespace wasipy::testing;

namespace {

Bytes header() { return {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00}; }

Bytes add_type_module() {
  ModuleBuilder b;
  uint32_t t = b.type({I32, I32}, {I32});
  b.func(t, {}, {0x20, 0x00, 0x20, 0x01, 0x6A}, "add");
  return b.build();
}

}  // namespace

TEST(Decoder, AcceptsAMinimalModule) {
  auto m = wasm::decode(header());
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_TRUE(m->functions.empty());
}

TEST(Decoder, RejectsBadMagicAtOffsetZero) {
  Bytes b = header();
  b[1] = 'b';
  auto m = wasm::decode(b);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().kind, wasm::ErrorKind::Malformed);
  EXPECT_NE(m.error().message.find("magic header not detected"), std::string::npos);
  EXPECT_NE(m.error().message.find("offset 0"), std::string::npos);
}

TEST(Decoder, RejectsUnknownVersion) {
  Bytes b = header();
  b[4] = 2;
  auto m = wasm::decode(b);
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().message.find("unknown binary version"), std::string::npos);
}

TEST(Decoder, DecodesFunctionsAndExports) {
  auto m = wasm::decode(add_type_module());
  ASSERT_TRUE(m.has_value()) << m.error().message;
  ASSERT_EQ(m->functions.size(), 1u);
  ASSERT_EQ(m->exports.size(), 1u);
  EXPECT_EQ(m->exports[0].name, "add");
  EXPECT_EQ(m->func_type(0).params.size(), 2u);
}

TEST(Decoder, NeverCrashesOnAnyTruncation) {
  // A prefix that ends between sections is a smaller valid module; one that
  // cuts the header or the last section (the code) must be rejected, with a message.
  Bytes full = add_type_module();
  for (size_t n = 0; n < full.size(); ++n) {
    Bytes prefix(full.begin(), full.begin() + n);
    auto m = wasm::decode(prefix);
    bool cuts = n < 8 || n > full.size() - 8;
    if (m) {
      auto v = wasm::validate(*m);
      if (cuts) {
        EXPECT_FALSE(v.has_value()) << "prefix of " << n << " bytes was accepted";
      }
    } else {
      EXPECT_FALSE(m.error().message.empty());
    }
  }
}

TEST(Decoder, LebThatIsTooLongIsMalformed) {
  // A type section whose size is encoded in six bytes.
  Bytes b = header();
  b.insert(b.end(), {0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00});
  auto m = wasm::decode(b);
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().message.find("integer representation too long"), std::string::npos) << m.error().message;
}

TEST(Decoder, LebWithUnusedBitsSetIsTooLarge) {
  Bytes b = header();
  b.insert(b.end(), {0x01, 0x80, 0x80, 0x80, 0x80, 0x70});
  auto m = wasm::decode(b);
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().message.find("integer too large"), std::string::npos) << m.error().message;
}

TEST(Decoder, SectionsOutOfOrderNameTheSectionAndOffset) {
  Bytes b = header();
  // An empty function section (id 3) followed by an empty type section (id 1).
  b.insert(b.end(), {0x03, 0x01, 0x00, 0x01, 0x01, 0x00});
  auto m = wasm::decode(b);
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().message.find("type section at byte offset 11"), std::string::npos) << m.error().message;
}

TEST(Decoder, SimdIsReportedAsUnsupportedWithItsOffset) {
  Bytes b = header();
  // type section: one func type () -> (v128)
  b.insert(b.end(), {0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7B});
  auto m = wasm::decode(b);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().kind, wasm::ErrorKind::Unsupported);
  EXPECT_NE(m.error().message.find("unsupported feature: simd (at byte offset 14)"), std::string::npos)
      << m.error().message;
}

TEST(Decoder, SimdInstructionInABodyIsUnsupported) {
  ModuleBuilder b;
  uint32_t t = b.type({}, {});
  b.func(t, {}, {0xFD, 0x0C});
  auto m = wasm::decode(b.build());
  ASSERT_TRUE(m.has_value());
  auto v = wasm::validate(*m);
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().kind, wasm::ErrorKind::Unsupported);
  EXPECT_NE(v.error().message.find("unsupported feature: simd"), std::string::npos);
}

TEST(Decoder, NameSectionGivesFunctionNames) {
  ModuleBuilder b;
  uint32_t t = b.type({}, {});
  uint32_t f = b.func(t, {}, {});
  b.func_name(f, "my_function");
  auto m = wasm::decode(b.build());
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->func_display_name(f), "my_function");
  EXPECT_EQ(m->func_display_name(f + 1), "func[1]");
}

TEST(Decoder, DamagedNameSectionIsIgnored) {
  Bytes b = header();
  // custom section "name" whose subsection claims more bytes than it has
  b.insert(b.end(), {0x00, 0x07, 0x04, 'n', 'a', 'm', 'e', 0x01, 0x7F});
  auto m = wasm::decode(b);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_TRUE(m->names().functions.empty());
}

TEST(Decoder, InvalidUtf8NameIsMalformed) {
  Bytes b = header();
  b.insert(b.end(), {0x00, 0x03, 0x02, 0xC0, 0x80});  // overlong encoding of NUL
  auto m = wasm::decode(b);
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().message.find("malformed UTF-8"), std::string::npos);
}
