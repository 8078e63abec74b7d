#include <gtest/gtest.h>

#include "interp/interpreter.h"
#include "runtime/instantiate.h"
#include "support/module_builder.h"
#include "wasm/decoder.h"
#include "wasm/validator.h"

using namespace wasipy;
using namespace wasipy::testing;

namespace {

struct Loaded {
  std::shared_ptr<const wasm::Module> module;
  std::vector<wasm::FunctionInfo> info;
};

Loaded load(const Bytes& bytes) {
  auto m = wasm::decode(bytes);
  EXPECT_TRUE(m.has_value()) << m.error().message;
  auto module = std::make_shared<const wasm::Module>(std::move(*m));
  auto info = wasm::validate(*module);
  EXPECT_TRUE(info.has_value()) << info.error().message;
  return {module, *info};
}

}  // namespace

TEST(Instantiate, MissingImportIsUnlinkableAndNamed) {
  ModuleBuilder b;
  uint32_t t = b.type({}, {});
  b.import_func("env", "missing", t);
  auto l = load(b.build());
  runtime::Store store;
  interp::Interpreter engine;
  runtime::Linker linker;
  auto inst = runtime::instantiate(store, engine, l.module, l.info, linker.resolver());
  ASSERT_FALSE(inst.has_value());
  EXPECT_EQ(inst.error().kind, runtime::InstantiateError::Kind::Unlinkable);
  EXPECT_NE(inst.error().message.find("unknown import env.missing"), std::string::npos) << inst.error().message;
}

TEST(Instantiate, ImportWithTheWrongSignatureIsRefused) {
  ModuleBuilder b;
  uint32_t t = b.type({I32}, {});
  b.import_func("env", "f", t);
  auto l = load(b.build());
  runtime::Store store;
  interp::Interpreter engine;
  runtime::Linker linker;
  auto* host = store.add_host_function(wasm::FuncType{{}, {}}, [](auto&, auto) { return std::nullopt; }, "f");
  linker.define("env", "f", host);
  auto inst = runtime::instantiate(store, engine, l.module, l.info, linker.resolver());
  ASSERT_FALSE(inst.has_value());
  EXPECT_NE(inst.error().message.find("incompatible import type"), std::string::npos);
}

TEST(Instantiate, ExportsAreReachableByName) {
  ModuleBuilder b;
  uint32_t t = b.type({}, {I32});
  b.func(t, {}, {0x41, 0x2A}, "answer");
  auto l = load(b.build());
  runtime::Store store;
  interp::Interpreter engine;
  runtime::Linker linker;
  auto inst = runtime::instantiate(store, engine, l.module, l.info, linker.resolver());
  ASSERT_TRUE(inst.has_value()) << inst.error().message;
  auto* f = (*inst)->exported_func("answer");
  ASSERT_NE(f, nullptr);
  auto r = runtime::invoke(engine, store, *f, {});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ((*r)[0].as_u32(), 42u);
  EXPECT_EQ((*inst)->exported_func("question"), nullptr);
}
