/* Native driver for one kernel: `./NAME SIZE REPS` prints NAME(SIZE, REPS)
 * as a signed 32-bit integer, like `wasipy run --invoke` and Node do.
 * Compiled with -DKERNEL=NAME together with NAME.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int32_t KERNEL(int32_t size, int32_t reps);

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s SIZE REPS\n", argv[0]);
    return 2;
  }
  printf("%d\n", (int)KERNEL((int32_t)atoi(argv[1]), (int32_t)atoi(argv[2])));
  return 0;
}
