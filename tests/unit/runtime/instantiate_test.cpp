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

TEST(Instantiate, FunctionsShareTheStoresTypesAndKeepTheirOwnFields) {
  runtime::Store store;
  // Host functions first: their types are interned as the module's are.
  auto* h = store.add_host_function(wasm::FuncType{{wasm::ValType::I32}, {}},
                                    [](auto&, auto) { return std::nullopt; }, "env.h");
  ModuleBuilder b;
  uint32_t t = b.type({I32}, {});
  uint32_t u = b.type({}, {I32});
  b.import_func("env", "h", t);
  b.func(u, {}, {0x41, 0x01}, "one");
  b.func(t, {}, {}, "sink");
  b.func(u, {}, {0x41, 0x02}, "two");
  auto l = load(b.build());
  interp::Interpreter engine;
  runtime::Linker linker;
  linker.define("env", "h", h);
  auto inst = runtime::instantiate(store, engine, l.module, l.info, linker.resolver());
  ASSERT_TRUE(inst.has_value()) << inst.error().message;
  auto* one = (*inst)->exported_func("one");
  auto* sink = (*inst)->exported_func("sink");
  auto* two = (*inst)->exported_func("two");
  ASSERT_TRUE(one && sink && two);
  EXPECT_EQ(one->type, two->type);  // one interned copy, not one per function
  EXPECT_EQ(sink->type, h->type);
  EXPECT_EQ(one->type, store.type(one->type_id));
  EXPECT_EQ(one->type->results.size(), 1u);
  EXPECT_EQ(sink->type->params.size(), 1u);
  EXPECT_EQ(two->index, 3u);
  EXPECT_EQ(one->index, 1u);
  EXPECT_EQ(one->instance, *inst);
  EXPECT_FALSE(one->is_host());
  EXPECT_TRUE(h->is_host());
  EXPECT_EQ(h->display_name(), "env.h");
  EXPECT_EQ(one->display_name(), "one");
  // Types interned later leave earlier pointers where they were.
  const wasm::FuncType* before = one->type;
  for (int i = 0; i < 1000; ++i) store.intern(wasm::FuncType{std::vector<wasm::ValType>(size_t(i % 40), wasm::ValType::I64), {}});
  EXPECT_EQ(store.type(one->type_id), before);
  EXPECT_EQ(before->results.size(), 1u);
  auto r = runtime::invoke(engine, store, *two, {});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ((*r)[0].as_u32(), 2u);
}
