/* Force-included (clang -include, through make's CFLAGS_NODIST) into
 * CPython's own C files by src/python/build-cpython.sh. Three things: errno
 * as a plain global under -mbulk-memory, utimensat/futimens "now", and
 * two finalisation helpers kept out of line under -flto (each below).
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

/* With -mbulk-memory (so that clang emits memory.copy / memory.fill for
 * memcpy / memset) clang 14 keeps _Thread_local variables as real
 * thread-local storage, and wasi-libc's <__errno.h> declares errno
 * _Thread_local: the backend then stops ("only -ftls-model=local-exec is
 * supported"); -ftls-model=local-exec would address errno through
 * __tls_base, while libc.a (built without bulk memory or atomics, where
 * clang lowers TLS to plain globals) defines it as an ordinary global.
 * Without atomics there are no threads: declare errno as what libc.a
 * defines, a plain global, and keep <__errno.h> out. */
#if defined(__wasm_bulk_memory__) && !defined(__wasm_atomics__) && !defined(__wasilibc___errno_h)
#define __wasilibc___errno_h
extern int errno;
#define errno errno
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

/* With link-time optimisation, clang inlines _PyStaticUnicode_Dealloc
 * (Objects/unicodeobject.c) into each of its ~2,600 calls in the generated
 * _Py_Deepfreeze_Fini (Python/deepfreeze/deepfreeze.c), which grows from
 * 40 KB to 520 KB of wasm: a function that runs once, at exit, and that
 * wasipy's native tier then spends most of a minute compiling (python.wasm
 * took about 1.8x the CPU time to compile; with these calls kept, 1.3x). Keep them
 * calls; _PyStaticCode_Dealloc, the other 774 calls there, is not inlined by
 * clang 14 today and is kept out of line in case a later clang would. */
struct _object;
struct PyCodeObject;
extern void _PyStaticUnicode_Dealloc(struct _object *op) __attribute__((noinline));
extern void _PyStaticCode_Dealloc(struct PyCodeObject *co) __attribute__((noinline));
#endif

#endif
