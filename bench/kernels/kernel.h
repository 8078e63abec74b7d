/* Shared by every benchmark kernel. Kernels are freestanding C: no libc, no
 * headers beyond the compiler's own <stdint.h>, so the same file compiles to
 * a wasm32 module (clang --target=wasm32 -nostdlib) and to native code.
 *
 * Every kernel exports one function `int32_t NAME(int32_t size, int32_t reps)`
 * that returns a checksum; bench/engine.sh checks that native code, wasipy
 * and Node all return the same one.
 */
#ifndef WASIPY_BENCH_KERNEL_H
#define WASIPY_BENCH_KERNEL_H

#include <stdint.h>

/* A small deterministic generator (xorshift32) for inputs. */
static inline uint32_t bench_next(uint32_t *state) {
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return x;
}

#endif
