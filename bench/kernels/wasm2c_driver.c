/* Driver for a kernel translated by wabt's wasm2c (bench/wasm2c.sh):
 * `./NAME SIZE REPS` instantiates the module and prints NAME(SIZE, REPS) as a
 * signed 32-bit integer, like driver.c and `wasipy run --invoke` do.
 *
 * Written against wasm2c 1.0.32 (Debian's wabt), whose generated header for
 * `wasm2c NAME.wasm -n NAME` declares
 *   typedef struct Z_NAME_instance_t {...} Z_NAME_instance_t;
 *   void Z_NAME_init_module(void);
 *   void Z_NAME_instantiate(Z_NAME_instance_t*);
 *   void Z_NAME_free(Z_NAME_instance_t*);
 *   u32 Z_NAMEZ_NAME(Z_NAME_instance_t*, u32, u32);   // export 'NAME'
 * bench/wasm2c.sh reads the prefix (Z_NAME) and the export's symbol from the
 * header and passes them as W2C_PREFIX and W2C_EXPORT, with W2C_HEADER the
 * header's file name. The runtime (wasm-rt-impl) must be initialised with
 * wasm_rt_init() first; traps longjmp back to wasm_rt_impl_try(). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "wasm-rt-impl.h" /* wasm_rt_impl_try; from /usr/share/wabt/wasm2c */

#include W2C_HEADER

#define W2C_PASTE2(a, b) a##b
#define W2C_PASTE(a, b) W2C_PASTE2(a, b)
#define W2C_INSTANCE_T W2C_PASTE(W2C_PREFIX, _instance_t)

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s SIZE REPS\n", argv[0]);
    return 2;
  }
  uint32_t size = (uint32_t)(int32_t)atoi(argv[1]);
  uint32_t reps = (uint32_t)(int32_t)atoi(argv[2]);

  wasm_rt_init();
  W2C_PASTE(W2C_PREFIX, _init_module)();
  static W2C_INSTANCE_T instance;
  W2C_PASTE(W2C_PREFIX, _instantiate)(&instance);

  int status = 0;
  wasm_rt_trap_t trap = wasm_rt_impl_try();
  if (trap == WASM_RT_TRAP_NONE) {
    uint32_t result = W2C_EXPORT(&instance, size, reps);
    printf("%d\n", (int)(int32_t)result);
  } else {
    fprintf(stderr, "trap: %s\n", wasm_rt_strerror(trap));
    status = 1;
  }

  W2C_PASTE(W2C_PREFIX, _free)(&instance);
  wasm_rt_free();
  return status;
}
