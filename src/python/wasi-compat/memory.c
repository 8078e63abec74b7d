/* memcpy, memmove and memset as single bulk-memory instructions
 * (memory.copy, memory.fill), linked into python.wasm ahead of wasi-libc's
 * word-at-a-time loops. A runtime runs each instruction as one host memmove
 * or memset: under wasipy's native tier, wasi-libc's memcpy was 12% of the
 * instructions of an mpmath test run (callgrind, bench/README). Only this
 * file is built with -mbulk-memory: for CPython's own sources clang 14 then
 * treats wasi-libc's errno as real thread-local storage, which fails to
 * link. */
#include <stddef.h>

/* memory.copy allows overlap, so memcpy and memmove are the same. */
void* memcpy(void* restrict dst, const void* restrict src, size_t n) {
  __builtin_memmove(dst, src, n);
  return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
  __builtin_memmove(dst, src, n);
  return dst;
}

void* memset(void* dst, int c, size_t n) {
  __builtin_memset(dst, c, n);
  return dst;
}
