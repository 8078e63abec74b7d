/* Force-included (clang -include, through make's CFLAGS_NODIST) into
 * CPython's own C files by src/python/build-cpython.sh.
 *
 * Debian's wasi-libc (0.0~git20220510) gets "now" wrong in utimensat() and
 * futimens(): times == NULL sets both timestamps to 0 (the epoch) instead
 * of the current time, and a UTIME_NOW field fails with EINVAL. It happens
 * on every runtime (checked on wasipy and on Node's WASI: the runtimes do
 * set the current time when asked with the *_NOW flags directly), and it is
 * what os.utime(path) and pathlib's Path.touch() call. These wrappers turn
 * NULL, UTIME_NOW and UTIME_OMIT into explicit times before calling
 * wasi-libc.
 */
#ifndef WASIPY_WASI_CPYTHON_COMPAT_H
#define WASIPY_WASI_CPYTHON_COMPAT_H

#ifdef __wasi__
/* This file is read before CPython's pyconfig.h, so the system headers below
 * must not be read with fewer features than pyconfig.h asks for (their
 * include guards would keep declarations hidden for the rest of the file):
 * define its _GNU_SOURCE (everything visible) first. pyconfig.h defines it
 * only #ifndef. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

static inline int wasipy_times_omit(const struct timespec *times) {
  return times != NULL && (times[0].tv_nsec == UTIME_OMIT || times[1].tv_nsec == UTIME_OMIT);
}

/* out[0] = access time, out[1] = modification time; `old` is read only for
 * UTIME_OMIT. */
static inline void wasipy_times_resolve(const struct timespec *times, const struct stat *old,
                                        struct timespec out[2]) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  for (int i = 0; i < 2; i++) {
    if (times == NULL || times[i].tv_nsec == UTIME_NOW)
      out[i] = now;
    else if (times[i].tv_nsec == UTIME_OMIT)
      out[i] = i == 0 ? old->st_atim : old->st_mtim;
    else
      out[i] = times[i];
  }
}

static inline int wasipy_utimensat(int dirfd, const char *path, const struct timespec times[2],
                                   int flag) {
  struct stat old;
  struct timespec fixed[2];
  if (wasipy_times_omit(times) && fstatat(dirfd, path, &old, flag & AT_SYMLINK_NOFOLLOW) != 0)
    return -1;
  wasipy_times_resolve(times, &old, fixed);
  return utimensat(dirfd, path, fixed, flag);
}

static inline int wasipy_futimens(int fd, const struct timespec times[2]) {
  struct stat old;
  struct timespec fixed[2];
  if (wasipy_times_omit(times) && fstat(fd, &old) != 0) return -1;
  wasipy_times_resolve(times, &old, fixed);
  return futimens(fd, fixed);
}

#define utimensat wasipy_utimensat
#define futimens wasipy_futimens
#endif

#endif
