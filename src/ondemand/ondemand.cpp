// The libzip and libcrypto functions wasipy calls, defined here and
// forwarding to the real ones in libraries opened on first use (see
// CMakeLists.txt): the executable does not link them, so most runs never
// load them. Each function resolves its target once (a thread-safe static).
// A library that cannot be loaded ends the process with one line saying
// which; without the lazy loading it would not have started at all.
#include <dlfcn.h>
#include <openssl/evp.h>
#include <zip.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace {

struct Library {
  explicit Library(const char* name) : soname(name) {}
  const char* soname;
  void* handle = nullptr;
  const char* error = nullptr;
  std::once_flag once;
};

Library libzip(WASIPY_LIBZIP_SONAME);
Library libcrypto(WASIPY_LIBCRYPTO_SONAME);

template <class F>
F resolve(Library& lib, const char* name) {
  std::call_once(lib.once, [&] {
    lib.handle = dlopen(lib.soname, RTLD_NOW | RTLD_LOCAL);
    if (!lib.handle) lib.error = dlerror();
  });
  void* p = lib.handle ? dlsym(lib.handle, name) : nullptr;
  if (!p) {
    std::fprintf(stderr, "wasipy: cannot use %s from %s: %s (is the package that provides it installed?)\n", name,
                 lib.soname, lib.handle ? dlerror() : lib.error);
    std::exit(1);
  }
  return reinterpret_cast<F>(p);
}

}  // namespace

// fn is the real function, of the same type as the one being defined.
#define WASIPY_FORWARD(lib, name) static const auto fn = resolve<decltype(&::name)>(lib, #name)

extern "C" {

zip_t* zip_open(const char* path, int flags, int* errorp) {
  WASIPY_FORWARD(libzip, zip_open);
  return fn(path, flags, errorp);
}
int zip_close(zip_t* za) {
  WASIPY_FORWARD(libzip, zip_close);
  return fn(za);
}
void zip_discard(zip_t* za) {
  WASIPY_FORWARD(libzip, zip_discard);
  fn(za);
}
void zip_error_init_with_code(zip_error_t* e, int code) {
  WASIPY_FORWARD(libzip, zip_error_init_with_code);
  fn(e, code);
}
const char* zip_error_strerror(zip_error_t* e) {
  WASIPY_FORWARD(libzip, zip_error_strerror);
  return fn(e);
}
void zip_error_fini(zip_error_t* e) {
  WASIPY_FORWARD(libzip, zip_error_fini);
  fn(e);
}
zip_error_t* zip_get_error(zip_t* za) {
  WASIPY_FORWARD(libzip, zip_get_error);
  return fn(za);
}
zip_error_t* zip_file_get_error(zip_file_t* zf) {
  WASIPY_FORWARD(libzip, zip_file_get_error);
  return fn(zf);
}
const char* zip_strerror(zip_t* za) {
  WASIPY_FORWARD(libzip, zip_strerror);
  return fn(za);
}
zip_int64_t zip_get_num_entries(zip_t* za, zip_flags_t flags) {
  WASIPY_FORWARD(libzip, zip_get_num_entries);
  return fn(za, flags);
}
const char* zip_get_name(zip_t* za, zip_uint64_t index, zip_flags_t flags) {
  WASIPY_FORWARD(libzip, zip_get_name);
  return fn(za, index, flags);
}
zip_int64_t zip_name_locate(zip_t* za, const char* name, zip_flags_t flags) {
  WASIPY_FORWARD(libzip, zip_name_locate);
  return fn(za, name, flags);
}
int zip_file_get_external_attributes(zip_t* za, zip_uint64_t index, zip_flags_t flags, zip_uint8_t* opsys,
                                     zip_uint32_t* attributes) {
  WASIPY_FORWARD(libzip, zip_file_get_external_attributes);
  return fn(za, index, flags, opsys, attributes);
}
void zip_stat_init(zip_stat_t* st) {
  WASIPY_FORWARD(libzip, zip_stat_init);
  fn(st);
}
int zip_stat_index(zip_t* za, zip_uint64_t index, zip_flags_t flags, zip_stat_t* st) {
  WASIPY_FORWARD(libzip, zip_stat_index);
  return fn(za, index, flags, st);
}
zip_file_t* zip_fopen_index(zip_t* za, zip_uint64_t index, zip_flags_t flags) {
  WASIPY_FORWARD(libzip, zip_fopen_index);
  return fn(za, index, flags);
}
zip_int64_t zip_fread(zip_file_t* zf, void* buf, zip_uint64_t n) {
  WASIPY_FORWARD(libzip, zip_fread);
  return fn(zf, buf, n);
}
int zip_fclose(zip_file_t* zf) {
  WASIPY_FORWARD(libzip, zip_fclose);
  return fn(zf);
}

const EVP_MD* EVP_sha256(void) {
  WASIPY_FORWARD(libcrypto, EVP_sha256);
  return fn();
}
EVP_MD_CTX* EVP_MD_CTX_new(void) {
  WASIPY_FORWARD(libcrypto, EVP_MD_CTX_new);
  return fn();
}
void EVP_MD_CTX_free(EVP_MD_CTX* ctx) {
  WASIPY_FORWARD(libcrypto, EVP_MD_CTX_free);
  fn(ctx);
}
int EVP_DigestInit_ex(EVP_MD_CTX* ctx, const EVP_MD* type, ENGINE* impl) {
  WASIPY_FORWARD(libcrypto, EVP_DigestInit_ex);
  return fn(ctx, type, impl);
}
int EVP_DigestUpdate(EVP_MD_CTX* ctx, const void* d, size_t cnt) {
  WASIPY_FORWARD(libcrypto, EVP_DigestUpdate);
  return fn(ctx, d, cnt);
}
int EVP_DigestFinal_ex(EVP_MD_CTX* ctx, unsigned char* md, unsigned int* s) {
  WASIPY_FORWARD(libcrypto, EVP_DigestFinal_ex);
  return fn(ctx, md, s);
}
int EVP_Digest(const void* data, size_t count, unsigned char* md, unsigned int* size, const EVP_MD* type,
               ENGINE* impl) {
  WASIPY_FORWARD(libcrypto, EVP_Digest);
  return fn(data, count, md, size, type, impl);
}

}  // extern "C"
