// Shared by the golden WASI programs: print results in a form that does not
// depend on the C library's strerror() wording.
#pragma once
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char* errname(int e) {
  switch (e) {
    case 0: return "OK";
    case EACCES: return "EACCES";
    case EBADF: return "EBADF";
    case EEXIST: return "EEXIST";
    case EFAULT: return "EFAULT";
    case EINVAL: return "EINVAL";
    case EISDIR: return "EISDIR";
    case ELOOP: return "ELOOP";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOENT: return "ENOENT";
    case ENOSYS: return "ENOSYS";
    case ENOTCAPABLE: return "ENOTCAPABLE";
    case ENOTDIR: return "ENOTDIR";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ENOTSUP: return "ENOTSUP";
    case EPERM: return "EPERM";
    case EROFS: return "EROFS";
    case ESPIPE: return "ESPIPE";
    case EXDEV: return "EXDEV";
    default: {
      static char buf[32];
      snprintf(buf, sizeof buf, "errno %d", e);
      return buf;
    }
  }
}

/// Prints "what: OK" when `ok`, else "what: ENAME".
#define REPORT(what, ok) printf("%s: %s\n", (what), (ok) ? "OK" : errname(errno))
/// Runs `expr` (an int-returning call, -1 on failure) and reports the outcome.
#define TRY(what, expr)          \
  do {                           \
    errno = 0;                   \
    int rc_ = (expr);            \
    REPORT((what), rc_ >= 0);    \
  } while (0)
