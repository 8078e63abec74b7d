// wasm::Bytes: a module read from a file (mapped when large, read when
// small) decodes to the same module as the same bytes in memory.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/module_builder.h"
#include "wasm/bytes.h"
#include "wasm/decoder.h"

using namespace wasipy;
using namespace wasipy::testing;

namespace {

namespace fs = std::filesystem;

// A module of about `nops` bytes: one function of that many nops, one that
// adds, named, so that bodies and the name section are all read from it.
Bytes module_of_size(size_t nops) {
  ModuleBuilder b;
  uint32_t t = b.type({I32, I32}, {I32});
  b.func(b.type({}, {}), {}, Bytes(nops, 0x01), "spin");
  uint32_t add = b.func(t, {{1, I32}}, {0x20, 0x00, 0x20, 0x01, 0x6A}, "add");
  b.func_name(add, "adder");
  return b.build();
}

class BytesFromFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "wasipy-bytes-XXXXXX").string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string write(const std::string& name, const Bytes& bytes) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    return p.string();
  }
  // Decoding the file gives what decoding the same bytes in memory gives.
  void expect_same_module(const Bytes& source, const wasm::Bytes& from_file) {
    ASSERT_EQ(from_file.size(), source.size());
    EXPECT_TRUE(std::equal(from_file.begin(), from_file.end(), source.begin()));
    auto a = wasm::decode(source);
    auto b = wasm::decode(from_file);
    ASSERT_TRUE(a.has_value()) << a.error().message;
    ASSERT_TRUE(b.has_value()) << b.error().message;
    // The module shares the file's bytes rather than copying them.
    EXPECT_EQ(b->bytes.data(), from_file.data());
    ASSERT_EQ(a->functions.size(), b->functions.size());
    for (size_t i = 0; i < a->functions.size(); ++i) {
      auto ba = a->body(a->functions[i]);
      auto bb = b->body(b->functions[i]);
      EXPECT_TRUE(std::equal(ba.begin(), ba.end(), bb.begin(), bb.end())) << "function " << i;
      EXPECT_EQ(a->functions[i].local_count, b->functions[i].local_count);
    }
    ASSERT_EQ(b->exports.size(), 2u);
    EXPECT_EQ(b->exports[1].name, "add");
    EXPECT_EQ(b->func_display_name(1), "adder");
    EXPECT_EQ(a->func_display_name(1), b->func_display_name(1));
  }
  fs::path dir_;
};

}  // namespace

TEST_F(BytesFromFile, ALargeModuleIsMappedAndDecodesTheSame) {
  Bytes source = module_of_size(2 * wasm::Bytes::kMapAtLeast);
  struct stat st {};
  auto bytes = wasm::Bytes::from_file(write("large.wasm", source), &st);
  ASSERT_TRUE(bytes.has_value()) << bytes.error();
  EXPECT_TRUE(bytes->mapped());
  EXPECT_EQ(uint64_t(st.st_size), source.size());
  expect_same_module(source, *bytes);
}

TEST_F(BytesFromFile, ASmallModuleIsReadAndDecodesTheSame) {
  Bytes source = module_of_size(16);
  auto bytes = wasm::Bytes::from_file(write("small.wasm", source));
  ASSERT_TRUE(bytes.has_value()) << bytes.error();
  EXPECT_FALSE(bytes->mapped());
  expect_same_module(source, *bytes);
}

TEST_F(BytesFromFile, TheModuleKeepsAMappingAliveAfterTheBytesGo) {
  Bytes source = module_of_size(2 * wasm::Bytes::kMapAtLeast);
  std::string path = write("large.wasm", source);
  std::optional<wasm::Module> m;
  {
    auto bytes = wasm::Bytes::from_file(path);
    ASSERT_TRUE(bytes.has_value()) << bytes.error();
    auto decoded = wasm::decode(*bytes);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
    m = std::move(*decoded);
  }
  // Replacing the file by renaming a new one into place (as installers do)
  // leaves the mapped old file intact.
  fs::rename(write("other.wasm", module_of_size(3 * wasm::Bytes::kMapAtLeast)), path);
  auto body = m->body(m->functions[1]);
  Bytes want = {0x20, 0x00, 0x20, 0x01, 0x6A, 0x0B};
  EXPECT_TRUE(std::equal(body.begin(), body.end(), want.begin(), want.end()));
  EXPECT_EQ(m->func_display_name(1), "adder");
}

TEST_F(BytesFromFile, MissingFilesAndFoldersAreErrorsNamingThem) {
  auto missing = wasm::Bytes::from_file((dir_ / "nowhere.wasm").string());
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().find("nowhere.wasm"), std::string::npos) << missing.error();
  auto folder = wasm::Bytes::from_file(dir_.string());
  ASSERT_FALSE(folder.has_value());
  EXPECT_NE(folder.error().find("not a regular file"), std::string::npos) << folder.error();
}

TEST(Bytes, CopiesShareTheBytes) {
  wasm::Bytes a(std::vector<uint8_t>{1, 2, 3});
  wasm::Bytes b = a;
  EXPECT_EQ(a.data(), b.data());
  EXPECT_EQ(b.size(), 3u);
  EXPECT_EQ(b[2], 3);
  EXPECT_TRUE(wasm::Bytes().empty());
}
