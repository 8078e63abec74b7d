/* Force-included (clang -include) when src/python/build-cpython.sh compiles
 * SQLite's amalgamation for wasm32-wasi.
 *
 * SQLite 3.40's unix VFS assumes POSIX advisory locks (fcntl F_GETLK/F_SETLK),
 * fchmod, fchown and geteuid, none of which wasi-libc has: WASI has no file
 * locks, no owners and no permission bits. A WASI guest is a single process
 * with nobody else sharing its files through locks, so the locks are
 * reported as granted (SQLite still serialises connections of the same
 * process on its own inode table) and ownership/permission changes are
 * accepted and ignored. mmap and WAL are compiled out instead (see the
 * SQLITE_* flags in build-cpython.sh).
 */
#ifndef WASIPY_WASI_SQLITE_COMPAT_H
#define WASIPY_WASI_SQLITE_COMPAT_H

#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef F_GETLK
#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
#endif
#ifndef F_RDLCK
#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2
#endif

static int wasipy_sqlite_fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  if (cmd == F_GETLK) {
    struct flock *lock = va_arg(ap, struct flock *);
    va_end(ap);
    lock->l_type = F_UNLCK; /* nobody else holds a lock */
    return 0;
  }
  if (cmd == F_SETLK || cmd == F_SETLKW) {
    va_end(ap);
    return 0; /* granted: single process, no other lock holder */
  }
  int arg = va_arg(ap, int);
  va_end(ap);
  return fcntl(fd, cmd, arg);
}

static int wasipy_sqlite_fchmod(int fd, mode_t mode) {
  (void)fd;
  (void)mode;
  return 0;
}

static int wasipy_sqlite_fchown(int fd, uid_t uid, gid_t gid) {
  (void)fd;
  (void)uid;
  (void)gid;
  return 0;
}

/* Not root: SQLite then never tries to chown the files it creates. */
static uid_t wasipy_sqlite_geteuid(void) { return 1000; }

#define fcntl wasipy_sqlite_fcntl
#define fchmod wasipy_sqlite_fchmod
#define fchown wasipy_sqlite_fchown
#define geteuid wasipy_sqlite_geteuid

#endif
