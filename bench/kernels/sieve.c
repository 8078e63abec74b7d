/* sieve: sieve of Eratosthenes over a byte array. Measures byte loads and
 * stores in tight loops. */
#include "kernel.h"

#define SIEVE_MAX (1 << 23)
static uint8_t composite[SIEVE_MAX];

int32_t sieve(int32_t n, int32_t reps) {
  if (n > SIEVE_MAX) n = SIEVE_MAX;
  if (n < 2) return 0;
  uint32_t acc = 0;
  for (int32_t r = 0; r < reps; r++) {
    int32_t limit = n - (r & 7); /* vary a little so nothing is hoisted */
    for (int32_t i = 0; i < limit; i++) composite[i] = 0;
    uint32_t count = 0, last = 0;
    for (int32_t i = 2; i < limit; i++) {
      if (composite[i]) continue;
      count++;
      last = (uint32_t)i;
      for (int64_t j = (int64_t)i * i; j < limit; j += i) composite[j] = 1;
    }
    acc = acc * 31u + count * 7u + last;
  }
  return (int32_t)acc;
}
