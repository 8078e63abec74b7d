#pragma once
// Fake CPython WASI distributions for the tests: a tiny valid wasm module as
// python.wasm (a custom section carries the version string that CPython's
// data segment would), lib/python3.X/os.py, and zips of them made with libzip.
#include <stdlib.h>
#include <unistd.h>
#include <zip.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "support/module_builder.h"

namespace wasipy::testing {

namespace fs = std::filesystem;

/// A module whose _start calls proc_exit(exit_code), with `version` as a
/// NUL-terminated string in a custom section.
inline Bytes fake_python_wasm(const std::string& version, int exit_code = 0) {
  ModuleBuilder b;
  uint32_t exit_type = b.type({0x7F}, {});
  uint32_t start_type = b.type({}, {});
  uint32_t proc_exit = b.import_func("wasi_snapshot_preview1", "proc_exit", exit_type);
  b.memory(1);
  Bytes body{0x41};
  sleb(body, exit_code);
  body.push_back(0x10);
  leb(body, proc_exit);
  b.func(start_type, {}, body, "_start");
  Bytes out = b.build();
  Bytes content;
  name(content, "wasipy-test-version");
  content.push_back(0);
  content.insert(content.end(), version.begin(), version.end());
  content.push_back(0);
  out.push_back(0);
  leb(out, content.size());
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

inline void write_file(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

inline void write_bytes(const fs::path& p, const Bytes& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

/// DIR/python.wasm + DIR/lib/python<minor>/{os.py,_sysconfigdata__wasi_wasm32-wasi.py}.
inline void make_layout(const fs::path& dir, const std::string& version, int exit_code = 0) {
  const std::string minor = version.substr(0, version.find('.', 2));
  write_bytes(dir / "python.wasm", fake_python_wasm(version, exit_code));
  write_file(dir / "lib" / ("python" + minor) / "os.py", "# os\n");
  write_file(dir / "lib" / ("python" + minor) / "_sysconfigdata__wasi_wasm32-wasi.py",
             "build_time_vars = {'VERSION': '" + minor + "'}\n");
  write_file(dir / "lib" / ("python" + minor) / "json" / "__init__.py", "");
}

/// Zips every file under `dir` into `zip_path`, under `top` ("" or "name/");
/// `store`: uncompressed, so a test can find and damage a file's bytes.
inline void zip_folder(const fs::path& dir, const fs::path& zip_path, const std::string& top = "", bool store = false) {
  int err = 0;
  zip_t* za = zip_open(zip_path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  ASSERT_NE(za, nullptr) << err;
  if (!top.empty()) zip_dir_add(za, top.substr(0, top.size() - 1).c_str(), ZIP_FL_ENC_UTF_8);
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
    const std::string rel = top + fs::relative(it->path(), dir).string();
    if (it->is_directory()) {
      zip_dir_add(za, rel.c_str(), ZIP_FL_ENC_UTF_8);
    } else {
      zip_source_t* src = zip_source_file(za, it->path().c_str(), 0, -1);
      ASSERT_NE(src, nullptr);
      zip_int64_t index = zip_file_add(za, rel.c_str(), src, ZIP_FL_ENC_UTF_8);
      ASSERT_GE(index, 0) << zip_strerror(za);
      if (store) zip_set_file_compression(za, zip_uint64_t(index), ZIP_CM_STORE, 0);
    }
  }
  ASSERT_EQ(zip_close(za), 0);
}

/// A private cache ($WASIPY_CACHE_DIR) and scratch folder per test.
class DistTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    tmp_ = fs::temp_directory_path() /
           ("wasipy-python-test-" + std::to_string(::getpid()) + "-" + info->test_suite_name() + "-" + info->name());
    fs::remove_all(tmp_);
    fs::create_directories(tmp_ / "cache");
    ::setenv("WASIPY_CACHE_DIR", (tmp_ / "cache").c_str(), 1);
  }
  void TearDown() override {
    ::unsetenv("WASIPY_CACHE_DIR");
    std::error_code ec;
    fs::remove_all(tmp_, ec);
  }
  fs::path tmp_;
};

}  // namespace wasipy::testing
