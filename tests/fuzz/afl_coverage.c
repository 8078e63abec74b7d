/* Edge coverage for AFL++ from GCC's -fsanitize-coverage=trace-pc.
 *
 * Why not libFuzzer: clang 14 cannot compile the code base (libstdc++ 12's
 * <expected> needs a newer compiler), and AFL++'s GCC plugin in bookworm is
 * built for another GCC build. GCC's trace-pc calls this function at every
 * basic block; it feeds AFL++'s shared map the way its own instrumentation
 * does (previous block shifted, xor current), and afl-compiler-rt.o supplies
 * the map, the fork server and the persistent loop that libAFLDriver uses. */
#include <stdint.h>

extern uint8_t* __afl_area_ptr;
static __thread uintptr_t prev_block;

void __sanitizer_cov_trace_pc(void) {
  uintptr_t pc = (uintptr_t)__builtin_return_address(0);
  uintptr_t block = (pc ^ (pc >> 16)) & 0xFFFF;
  __afl_area_ptr[block ^ prev_block]++;
  prev_block = block >> 1;
}
