// wasm::Bodies::Later: a module decoded with its bodies deferred reads, once
// decode_bodies() has run, exactly as one decoded at once; every module that
// decoding at once rejects is rejected with the same error, by decode() or
// by decode_bodies(); and nothing validates a module whose bodies are unread.
#include <gtest/gtest.h>

#include "support/module_builder.h"
#include "wasm/decoder.h"
#include "wasm/validator.h"

using namespace wasipy;
using namespace wasipy::testing;

namespace {

// Three functions with locals, a data section after the code section and a
// name section: every section the deferral could disturb.
Bytes sample_module() {
  ModuleBuilder b;
  uint32_t t = b.type({I32, I32}, {I32});
  uint32_t v = b.type({}, {});
  b.memory(1);
  b.func(v, {}, {0x01, 0x01});
  uint32_t add = b.func(t, {{1, I32}, {2, I64}}, {0x20, 0x00, 0x20, 0x01, 0x6A}, "add");
  b.func(t, {{3, F64}}, {0x20, 0x01}, "second");
  b.func_name(add, "adder");
  Bytes out = b.build();
  // data section: one active segment at 16 of "abc".
  out.insert(out.end(), {0x0B, 0x09, 0x01, 0x00, 0x41, 0x10, 0x0B, 0x03, 'a', 'b', 'c'});
  return out;
}

std::string describe(const wasm::Module& m) {
  std::string s;
  for (const auto& f : m.functions) {
    s += fmt::format("f type {} locals {} [", f.type_index, f.local_count);
    for (const auto& g : f.locals) s += fmt::format("{}x{:#x} ", g.count, uint8_t(g.type));
    s += fmt::format("] body {}..{}\n", f.body_start, f.body_end);
  }
  s += fmt::format("datas {} exports {} names {}\n", m.datas.size(), m.exports.size(), m.names().functions.size());
  return s;
}

std::string error_text(const wasm::Error& e) { return fmt::format("error {}: {}", int(e.kind), e.message); }

std::string at_once(const Bytes& b) {
  auto m = wasm::decode(b);
  return m ? describe(*m) : error_text(m.error());
}

std::string deferred(const Bytes& b) {
  auto m = wasm::decode(wasm::Bytes(Bytes(b)), wasm::Bodies::Later);
  if (!m) return error_text(m.error());
  if (auto ok = wasm::decode_bodies(*m); !ok) return error_text(ok.error());
  if (m->deferred_code) return "still deferred";
  return describe(*m);
}

}  // namespace

TEST(DeferredBodies, TypesAreKnownBeforeTheBodies) {
  auto m = wasm::decode(wasm::Bytes(sample_module()), wasm::Bodies::Later);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  ASSERT_TRUE(m->deferred_code.has_value());
  ASSERT_EQ(m->functions.size(), 3u);
  EXPECT_EQ(m->functions[0].type_index, 1u);
  EXPECT_EQ(m->functions[1].type_index, 0u);
  EXPECT_EQ(m->func_type(2).params.size(), 2u);
  EXPECT_TRUE(m->functions[1].locals.empty());
  EXPECT_EQ(m->func_display_name(1), "adder");
  EXPECT_EQ(m->datas.size(), 1u);
}

TEST(DeferredBodies, DecodingThemGivesWhatDecodingAtOnceGives) {
  Bytes b = sample_module();
  auto m = wasm::decode(wasm::Bytes(Bytes(b)), wasm::Bodies::Later);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  ASSERT_TRUE(wasm::decode_bodies(*m).has_value());
  EXPECT_FALSE(m->deferred_code.has_value());
  EXPECT_EQ(describe(*m), at_once(b));
  EXPECT_EQ(m->functions[1].local_count, 3u);
  EXPECT_EQ(m->functions[1].locals.size(), 2u);
  // A second call has nothing left to do.
  EXPECT_TRUE(wasm::decode_bodies(*m).has_value());
  EXPECT_EQ(describe(*m), at_once(b));
  EXPECT_TRUE(wasm::validate(*m).has_value());
}

TEST(DeferredBodies, AModuleWithoutCodeHasNothingDeferred) {
  ModuleBuilder b;
  b.type({}, {});
  auto m = wasm::decode(wasm::Bytes(b.build()), wasm::Bodies::Later);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_FALSE(m->deferred_code.has_value());
}

TEST(DeferredBodies, ValidatingUnreadBodiesIsRefusedNotGuessed) {
  auto m = wasm::decode(wasm::Bytes(sample_module()), wasm::Bodies::Later);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  auto v = wasm::validate(*m);
  ASSERT_FALSE(v.has_value());
  EXPECT_NE(v.error().message.find("never decoded"), std::string::npos) << v.error().message;
}

// Every truncation and many one-byte changes: the same module or the same error.
TEST(DeferredBodies, EveryDamageIsReportedAsDecodingAtOnceReportsIt) {
  Bytes full = sample_module();
  size_t rejected = 0;
  for (size_t n = 0; n <= full.size(); ++n) {
    Bytes prefix(full.begin(), full.begin() + n);
    std::string want = at_once(prefix);
    rejected += want.starts_with("error");
    EXPECT_EQ(deferred(prefix), want) << "prefix of " << n << " bytes";
  }
  for (size_t i = 8; i < full.size(); ++i) {
    for (uint8_t v : {uint8_t(0x00), uint8_t(0xFF), uint8_t(0x80), uint8_t(0x7B), uint8_t(0x0B), uint8_t(full[i] ^ 1)}) {
      if (v == full[i]) continue;
      Bytes changed = full;
      changed[i] = v;
      std::string want = at_once(changed);
      rejected += want.starts_with("error");
      EXPECT_EQ(deferred(changed), want) << "byte " << i << " set to " << int(v);
    }
  }
  EXPECT_GT(rejected, full.size());  // the damage did reach the decoder
}

TEST(DeferredBodies, ACodeSectionErrorComesFirstEvenWhenALaterSectionIsDamagedToo) {
  Bytes b = sample_module();
  // The last body's local type (f64, 0x7C) becomes a malformed one, and the
  // data segment's kind becomes one that does not exist.
  auto local = std::find(b.rbegin(), b.rend(), F64);
  ASSERT_NE(local, b.rend());
  *local = 0x10;
  b[b.size() - 8] = 0x05;
  std::string want = at_once(b);
  EXPECT_NE(want.find("code section"), std::string::npos) << want;
  auto m = wasm::decode(wasm::Bytes(Bytes(b)), wasm::Bodies::Later);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(error_text(m.error()), want);
}

TEST(DeferredBodies, AMalformedCodeSectionAloneIsFoundByDecodeBodies) {
  Bytes b = sample_module();
  auto local = std::find(b.rbegin(), b.rend(), F64);
  ASSERT_NE(local, b.rend());
  *local = 0x10;
  auto m = wasm::decode(wasm::Bytes(Bytes(b)), wasm::Bodies::Later);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  auto ok = wasm::decode_bodies(*m);
  ASSERT_FALSE(ok.has_value());
  EXPECT_EQ(error_text(ok.error()), at_once(b));
  EXPECT_NE(ok.error().message.find("malformed value type"), std::string::npos) << ok.error().message;
  EXPECT_TRUE(m->deferred_code.has_value());
  EXPECT_FALSE(wasm::validate(*m).has_value());
}
