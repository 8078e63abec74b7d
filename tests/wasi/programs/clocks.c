// Clocks and sleeping: clock_gettime/getres on all four clocks, nanosleep,
// clock_nanosleep (relative and absolute), poll() as a timer, sched_yield.
// SKIP-NODE: Node's poll_oneoff clock subscription never fires, so sleeping hangs
#include <poll.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static long long ns(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void) {
  const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID};
  const char* names[] = {"realtime", "monotonic", "process_cputime", "thread_cputime"};
  for (int i = 0; i < 4; ++i) {
    struct timespec r, t;
    int a = clock_getres(ids[i], &r), b = clock_gettime(ids[i], &t);
    printf("%s: getres=%d res_positive=%d gettime=%d\n", names[i], a,
           r.tv_sec > 0 || r.tv_nsec > 0, b);
  }
  printf("realtime after 2020: %d\n", ns(CLOCK_REALTIME) > 1577836800LL * 1000000000LL);
  long long m0 = ns(CLOCK_MONOTONIC);
  printf("monotonic does not go back: %d\n", ns(CLOCK_MONOTONIC) >= m0);

  struct timespec req = {0, 50 * 1000000};
  long long t0 = ns(CLOCK_MONOTONIC);
  TRY("nanosleep 50ms", nanosleep(&req, NULL));
  long long slept = ns(CLOCK_MONOTONIC) - t0;
  printf("slept at least 50ms: %d, less than 2s: %d\n", slept >= 50000000, slept < 2000000000);

  t0 = ns(CLOCK_MONOTONIC);
  usleep(30000);
  printf("usleep 30ms: %d\n", ns(CLOCK_MONOTONIC) - t0 >= 30000000);

  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_nsec += 40000000;
  if (until.tv_nsec >= 1000000000) until.tv_sec++, until.tv_nsec -= 1000000000;
  t0 = ns(CLOCK_MONOTONIC);
  int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
  printf("clock_nanosleep absolute monotonic=%d waited: %d\n", r, ns(CLOCK_MONOTONIC) - t0 >= 35000000);

  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_nsec += 40000000;
  if (until.tv_nsec >= 1000000000) until.tv_sec++, until.tv_nsec -= 1000000000;
  t0 = ns(CLOCK_MONOTONIC);
  r = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &until, NULL);
  printf("clock_nanosleep absolute realtime=%d waited: %d\n", r, ns(CLOCK_MONOTONIC) - t0 >= 30000000);

  t0 = ns(CLOCK_MONOTONIC);
  printf("poll(NULL, 0, 20)=%d\n", poll(NULL, 0, 20));
  printf("poll waited: %d\n", ns(CLOCK_MONOTONIC) - t0 >= 20000000);
  TRY("sched_yield", sched_yield());
  long long c0 = ns(CLOCK_PROCESS_CPUTIME_ID);
  volatile unsigned x = 0;
  for (unsigned i = 0; i < 20000000; ++i) x += i;
  printf("cpu time advances: %d\n", ns(CLOCK_PROCESS_CPUTIME_ID) > c0);
  return 0;
}
