/* fib: naive doubly recursive Fibonacci. Measures calls and returns. */
#include "kernel.h"

static uint32_t fib_rec(uint32_t n) {
  return n < 2 ? n : fib_rec(n - 1) + fib_rec(n - 2);
}

int32_t fib(int32_t n, int32_t reps) {
  uint32_t acc = 0;
  for (int32_t r = 0; r < reps; r++) acc = acc * 31u + fib_rec((uint32_t)(n - (r & 1)));
  return (int32_t)acc;
}
