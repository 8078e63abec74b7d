/* A minimal WASI preview1 host for a program translated by wabt's wasm2c
 * (bench/wasm2c-python.sh builds CPython's python.wasm with it). A benchmark
 * harness, not a sandbox: guest paths are resolved with openat()/fstatat()
 * against the host directory of the preopen they name, ".." and symlinks
 * included, and the rights of WASI are not enforced.
 *
 *   RUNNER [--dir HOST[::GUEST]]... [--env K=V]... [--argv0 NAME] [--] ARGS...
 *
 * the same options as `wasipy run` (argv[0] defaults to "python.wasm", the
 * module's file name, as in wasipy). Preopens get guest fds 3, 4, ... in
 * order; stdin/stdout/stderr are the host's.
 *
 * Written against wasm2c 1.0.32 (Debian's wabt), whose header for
 * `wasm2c python.wasm -n python` declares every import as
 *   u32 Z_wasi_snapshot_preview1Z_NAME(struct Z_wasi_snapshot_preview1_instance_t*, ...);
 * with i32/i64 parameters as u32/u64, the importing instance as
 *   Z_python_instance_t { ...; wasm_rt_memory_t w2c_memory; ... }
 * and Z_python_instantiate(instance, wasi_instance). The wasi instance is an
 * opaque struct the host defines: here it holds a pointer to the module's
 * memory. W2C_HEADER (the header's file name) and W2C_PREFIX (Z_python)
 * come from the build script. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "wasm-rt-impl.h" /* wasm_rt_impl_try; from /usr/share/wabt/wasm2c */

#include W2C_HEADER

#define W2C_PASTE2(a, b) a##b
#define W2C_PASTE(a, b) W2C_PASTE2(a, b)
#define W2C_INSTANCE_T W2C_PASTE(W2C_PREFIX, _instance_t)
#define WASI(name) Z_wasi_snapshot_preview1Z_##name

struct Z_wasi_snapshot_preview1_instance_t {
  wasm_rt_memory_t *mem;
};
typedef struct Z_wasi_snapshot_preview1_instance_t wasi_t;

/* ---- WASI preview1 constants (witx; wasi-libc's wasi/api.h) ---------------- */
enum {
  E_SUCCESS = 0, E_2BIG = 1, E_ACCES = 2, E_AGAIN = 6, E_BADF = 8, E_BUSY = 10,
  E_EXIST = 20, E_FAULT = 21, E_FBIG = 22, E_INTR = 27, E_INVAL = 28, E_IO = 29,
  E_ISDIR = 31, E_LOOP = 32, E_MFILE = 33, E_MLINK = 34, E_NAMETOOLONG = 37,
  E_NODEV = 43, E_NOENT = 44, E_NOMEM = 48, E_NOSPC = 51, E_NOSYS = 52,
  E_NOTDIR = 54, E_NOTEMPTY = 55, E_NOTSUP = 58, E_NOTTY = 59, E_NXIO = 60,
  E_OVERFLOW = 61, E_PERM = 63, E_PIPE = 64, E_RANGE = 68, E_ROFS = 69,
  E_SPIPE = 70, E_XDEV = 75,
};
enum {
  FT_UNKNOWN = 0, FT_BLOCK = 1, FT_CHAR = 2, FT_DIR = 3, FT_REG = 4,
  FT_SOCK_DGRAM = 5, FT_SOCK_STREAM = 6, FT_SYMLINK = 7,
};
enum { FDFL_APPEND = 1, FDFL_DSYNC = 2, FDFL_NONBLOCK = 4, FDFL_RSYNC = 8, FDFL_SYNC = 16 };
enum { OFL_CREAT = 1, OFL_DIRECTORY = 2, OFL_EXCL = 4, OFL_TRUNC = 8 };
#define RIGHT_FD_READ (1ull << 1)
#define RIGHT_FD_SEEK (1ull << 2)
#define RIGHT_FD_TELL (1ull << 5)
#define RIGHT_FD_WRITE (1ull << 6)
#define RIGHT_FD_ALLOCATE (1ull << 8)
#define RIGHT_FD_READDIR (1ull << 14)
#define RIGHT_FD_FILESTAT_SET_SIZE (1ull << 22)
#define RIGHTS_ALL ((1ull << 30) - 1)

static uint16_t host_errno(int e) {
  switch (e) {
    case 0: return E_SUCCESS;
    case E2BIG: return E_2BIG;
    case EACCES: return E_ACCES;
    case EAGAIN: return E_AGAIN;
    case EBADF: return E_BADF;
    case EBUSY: return E_BUSY;
    case EEXIST: return E_EXIST;
    case EFAULT: return E_FAULT;
    case EFBIG: return E_FBIG;
    case EINTR: return E_INTR;
    case EINVAL: return E_INVAL;
    case EIO: return E_IO;
    case EISDIR: return E_ISDIR;
    case ELOOP: return E_LOOP;
    case EMFILE: return E_MFILE;
    case EMLINK: return E_MLINK;
    case ENAMETOOLONG: return E_NAMETOOLONG;
    case ENODEV: return E_NODEV;
    case ENOENT: return E_NOENT;
    case ENOMEM: return E_NOMEM;
    case ENOSPC: return E_NOSPC;
    case ENOSYS: return E_NOSYS;
    case ENOTDIR: return E_NOTDIR;
    case ENOTEMPTY: return E_NOTEMPTY;
    case EOPNOTSUPP: return E_NOTSUP;
    case ENOTTY: return E_NOTTY;
    case ENXIO: return E_NXIO;
    case EOVERFLOW: return E_OVERFLOW;
    case EPERM: return E_PERM;
    case EPIPE: return E_PIPE;
    case ERANGE: return E_RANGE;
    case EROFS: return E_ROFS;
    case ESPIPE: return E_SPIPE;
    case EXDEV: return E_XDEV;
    default: return E_IO;
  }
}
#define HOST_ERR() ((u32)host_errno(errno))

/* ---- guest memory ------------------------------------------------------------- */
/* A pointer to guest bytes [off, off+len), or NULL when out of bounds. */
static uint8_t *gptr(wasi_t *w, u32 off, u64 len) {
  if ((u64)off + len > w->mem->size) return NULL;
  return w->mem->data + off;
}
#define GUARD(p) do { if (!(p)) return E_FAULT; } while (0)
static void st8(uint8_t *p, uint8_t v) { *p = v; }
static void st16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void st32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void st64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint16_t ld16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t ld32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t ld64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static u32 put32(wasi_t *w, u32 off, uint32_t v) {
  uint8_t *p = gptr(w, off, 4);
  GUARD(p);
  st32(p, v);
  return E_SUCCESS;
}
static u32 put64(wasi_t *w, u32 off, uint64_t v) {
  uint8_t *p = gptr(w, off, 8);
  GUARD(p);
  st64(p, v);
  return E_SUCCESS;
}

/* A guest path as a NUL-terminated host string (malloc'd), or NULL. */
static char *gpath(wasi_t *w, u32 off, u32 len) {
  uint8_t *p = gptr(w, off, len);
  if (!p || memchr(p, 0, len)) return NULL;
  char *s = malloc((size_t)len + 1);
  if (!s) return NULL;
  memcpy(s, p, len);
  s[len] = 0;
  return s;
}

/* ---- descriptors ------------------------------------------------------------------ */
/* Guest fd -> host fd (-1: free). Preopens also keep their guest path. */
#define MAX_FDS 1024
static int g_host[MAX_FDS];
static const char *g_preopen[MAX_FDS];

static int host_fd(u32 fd) { return fd < MAX_FDS ? g_host[fd] : -1; }

static int new_fd(int host) {
  for (int i = 3; i < MAX_FDS; i++)
    if (g_host[i] < 0) {
      g_host[i] = host;
      g_preopen[i] = NULL;
      return i;
    }
  return -1;
}

#define HOST_OR_BADF(h, fd) int h = host_fd(fd); if (h < 0) return E_BADF

static uint8_t filetype_of(mode_t m) {
  if (S_ISREG(m)) return FT_REG;
  if (S_ISDIR(m)) return FT_DIR;
  if (S_ISCHR(m)) return FT_CHAR;
  if (S_ISBLK(m)) return FT_BLOCK;
  if (S_ISLNK(m)) return FT_SYMLINK;
  if (S_ISSOCK(m)) return FT_SOCK_STREAM;
  return FT_UNKNOWN;
}

static uint64_t ts_ns(struct timespec t) { return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec; }

static void put_filestat(uint8_t *p, const struct stat *st) {
  memset(p, 0, 64);
  st64(p + 0, (uint64_t)st->st_dev);
  st64(p + 8, (uint64_t)st->st_ino);
  st8(p + 16, filetype_of(st->st_mode));
  st64(p + 24, (uint64_t)st->st_nlink);
  st64(p + 32, (uint64_t)st->st_size);
  st64(p + 40, ts_ns(st->st_atim));
  st64(p + 48, ts_ns(st->st_mtim));
  st64(p + 56, ts_ns(st->st_ctim));
}

/* ---- args and environment ------------------------------------------------------ */
static int g_argc, g_envc;
static char **g_argv, **g_envv;

/* Writes the strings' pointers at ptrs and the strings at buf. */
static u32 put_strings(wasi_t *w, char **v, int n, u32 ptrs, u32 buf) {
  for (int i = 0; i < n; i++) {
    size_t len = strlen(v[i]) + 1;
    uint8_t *d = gptr(w, buf, len);
    GUARD(d);
    memcpy(d, v[i], len);
    if (put32(w, ptrs + 4u * (u32)i, buf)) return E_FAULT;
    buf += (u32)len;
  }
  return E_SUCCESS;
}
static u32 put_sizes(wasi_t *w, char **v, int n, u32 count_ptr, u32 size_ptr) {
  u64 total = 0;
  for (int i = 0; i < n; i++) total += strlen(v[i]) + 1;
  if (put32(w, count_ptr, (u32)n) || put32(w, size_ptr, (u32)total)) return E_FAULT;
  return E_SUCCESS;
}

u32 WASI(args_get)(wasi_t *w, u32 argv, u32 buf) { return put_strings(w, g_argv, g_argc, argv, buf); }
u32 WASI(args_sizes_get)(wasi_t *w, u32 c, u32 s) { return put_sizes(w, g_argv, g_argc, c, s); }
u32 WASI(environ_get)(wasi_t *w, u32 env, u32 buf) { return put_strings(w, g_envv, g_envc, env, buf); }
u32 WASI(environ_sizes_get)(wasi_t *w, u32 c, u32 s) { return put_sizes(w, g_envv, g_envc, c, s); }

/* ---- clocks, randomness, scheduling, exit ------------------------------------------ */
static int host_clock(u32 id, clockid_t *out) {
  switch (id) {
    case 0: *out = CLOCK_REALTIME; return 1;
    case 1: *out = CLOCK_MONOTONIC; return 1;
    case 2: *out = CLOCK_PROCESS_CPUTIME_ID; return 1;
    case 3: *out = CLOCK_THREAD_CPUTIME_ID; return 1;
    default: return 0;
  }
}
u32 WASI(clock_res_get)(wasi_t *w, u32 id, u32 out) {
  clockid_t c;
  struct timespec ts;
  if (!host_clock(id, &c)) return E_INVAL;
  if (clock_getres(c, &ts) != 0) return HOST_ERR();
  return put64(w, out, ts_ns(ts));
}
u32 WASI(clock_time_get)(wasi_t *w, u32 id, u64 precision, u32 out) {
  (void)precision;
  clockid_t c;
  struct timespec ts;
  if (!host_clock(id, &c)) return E_INVAL;
  if (clock_gettime(c, &ts) != 0) return HOST_ERR();
  return put64(w, out, ts_ns(ts));
}
u32 WASI(random_get)(wasi_t *w, u32 buf, u32 len) {
  uint8_t *p = gptr(w, buf, len);
  GUARD(p);
  while (len > 0) {
    ssize_t n = getrandom(p, len, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return HOST_ERR();
    }
    p += n;
    len -= (u32)n;
  }
  return E_SUCCESS;
}
u32 WASI(sched_yield)(wasi_t *w) {
  (void)w;
  sched_yield();
  return E_SUCCESS;
}
void WASI(proc_exit)(wasi_t *w, u32 code) {
  (void)w;
  fflush(NULL);
  _exit((int)code);
}

/* poll_oneoff: clock subscriptions become poll()'s timeout, fd subscriptions
 * poll() entries. Subscriptions are 48 bytes (userdata u64, tag u8 at 8,
 * clock {id u32 at 16, timeout u64 at 24, precision at 32, flags u16 at 40}
 * or fd u32 at 16); events 32 bytes (userdata, error u16 at 8, type u8 at
 * 10, nbytes u64 at 16, flags u16 at 24). */
u32 WASI(poll_oneoff)(wasi_t *w, u32 in, u32 out, u32 nsubs, u32 nevents_ptr) {
  if (nsubs == 0) return E_INVAL;
  uint8_t *subs = gptr(w, in, (u64)nsubs * 48);
  uint8_t *evs = gptr(w, out, (u64)nsubs * 32);
  GUARD(subs);
  GUARD(evs);
  struct pollfd *pfds = calloc(nsubs, sizeof *pfds);
  if (!pfds) return E_NOMEM;
  int64_t timeout_ns = -1; /* -1: none */
  u32 clock_sub = 0, nfds = 0, nev = 0;
  for (u32 i = 0; i < nsubs; i++) {
    uint8_t *s = subs + 48u * i;
    uint8_t tag = s[8];
    pfds[i].fd = -1;
    if (tag == 0) {
      uint64_t t = ld64(s + 24);
      if (ld16(s + 40) & 1) { /* absolute */
        clockid_t c;
        struct timespec now;
        if (!host_clock(ld32(s + 16), &c)) c = CLOCK_MONOTONIC;
        clock_gettime(c, &now);
        t = t > ts_ns(now) ? t - ts_ns(now) : 0;
      }
      if (timeout_ns < 0 || (int64_t)t < timeout_ns) {
        timeout_ns = (int64_t)(t > INT64_MAX ? INT64_MAX : t);
        clock_sub = i;
      }
    } else if (tag == 1 || tag == 2) {
      int h = host_fd(ld32(s + 16));
      if (h < 0) { /* reported at once as an error event */
        uint8_t *e = evs + 32u * nev++;
        memset(e, 0, 32);
        st64(e, ld64(s));
        st16(e + 8, E_BADF);
        st8(e + 10, tag);
        continue;
      }
      pfds[i].fd = h;
      pfds[i].events = tag == 1 ? POLLIN : POLLOUT;
      nfds++;
    }
  }
  if (nev == 0) {
    int ms = timeout_ns < 0 ? -1 : (int)((timeout_ns + 999999) / 1000000);
    if (nfds == 0 && timeout_ns >= 0) {
      struct timespec ts = {timeout_ns / 1000000000, timeout_ns % 1000000000};
      while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
    } else {
      int r = poll(pfds, nsubs, ms);
      if (r < 0) {
        free(pfds);
        return HOST_ERR();
      }
    }
    for (u32 i = 0; i < nsubs; i++) {
      uint8_t *s = subs + 48u * i;
      if (pfds[i].fd >= 0 && pfds[i].revents) {
        uint8_t *e = evs + 32u * nev++;
        memset(e, 0, 32);
        st64(e, ld64(s));
        st8(e + 10, s[8]);
        if (pfds[i].revents & POLLHUP) st16(e + 24, 1);
        if (pfds[i].revents & POLLNVAL) st16(e + 8, E_BADF);
      }
    }
    if (nev == 0 && timeout_ns >= 0) { /* the clock fired */
      uint8_t *e = evs;
      memset(e, 0, 32);
      st64(e, ld64(subs + 48u * clock_sub));
      st8(e + 10, 0);
      nev = 1;
    }
  }
  free(pfds);
  return put32(w, nevents_ptr, nev);
}

/* ---- preopens --------------------------------------------------------------------- */
u32 WASI(fd_prestat_get)(wasi_t *w, u32 fd, u32 out) {
  if (host_fd(fd) < 0 || !g_preopen[fd]) return E_BADF;
  uint8_t *p = gptr(w, out, 8);
  GUARD(p);
  memset(p, 0, 8);
  st32(p + 4, (u32)strlen(g_preopen[fd]));
  return E_SUCCESS;
}
u32 WASI(fd_prestat_dir_name)(wasi_t *w, u32 fd, u32 buf, u32 len) {
  if (host_fd(fd) < 0 || !g_preopen[fd]) return E_BADF;
  size_t n = strlen(g_preopen[fd]);
  if (len < n) return E_NAMETOOLONG;
  uint8_t *p = gptr(w, buf, n);
  GUARD(p);
  memcpy(p, g_preopen[fd], n);
  return E_SUCCESS;
}

/* ---- reading and writing ------------------------------------------------------------- */
/* The guest's iovec array (8 bytes each: buf u32, len u32) as host iovecs. */
static u32 host_iovs(wasi_t *w, u32 iovs, u32 n, struct iovec **out) {
  uint8_t *a = gptr(w, iovs, (u64)n * 8);
  GUARD(a);
  struct iovec *v = calloc(n ? n : 1, sizeof *v);
  if (!v) return E_NOMEM;
  for (u32 i = 0; i < n; i++) {
    u32 base = ld32(a + 8u * i), len = ld32(a + 8u * i + 4);
    uint8_t *p = gptr(w, base, len);
    if (!p) {
      free(v);
      return E_FAULT;
    }
    v[i].iov_base = p;
    v[i].iov_len = len;
  }
  *out = v;
  return E_SUCCESS;
}

/* kind: 0 readv, 1 writev, 2 preadv, 3 pwritev */
static u32 rw(wasi_t *w, u32 fd, u32 iovs, u32 n, u64 off, u32 result, int kind) {
  HOST_OR_BADF(h, fd);
  struct iovec *v;
  u32 e = host_iovs(w, iovs, n, &v);
  if (e) return e;
  ssize_t r;
  do {
    switch (kind) {
      case 0: r = readv(h, v, (int)n); break;
      case 1: r = writev(h, v, (int)n); break;
      case 2: r = preadv(h, v, (int)n, (off_t)off); break;
      default: r = pwritev(h, v, (int)n, (off_t)off); break;
    }
  } while (r < 0 && errno == EINTR);
  free(v);
  if (r < 0) return HOST_ERR();
  return put32(w, result, (u32)r);
}
u32 WASI(fd_read)(wasi_t *w, u32 fd, u32 iovs, u32 n, u32 res) { return rw(w, fd, iovs, n, 0, res, 0); }
u32 WASI(fd_write)(wasi_t *w, u32 fd, u32 iovs, u32 n, u32 res) { return rw(w, fd, iovs, n, 0, res, 1); }
u32 WASI(fd_pread)(wasi_t *w, u32 fd, u32 iovs, u32 n, u64 off, u32 res) { return rw(w, fd, iovs, n, off, res, 2); }
u32 WASI(fd_pwrite)(wasi_t *w, u32 fd, u32 iovs, u32 n, u64 off, u32 res) { return rw(w, fd, iovs, n, off, res, 3); }

u32 WASI(fd_seek)(wasi_t *w, u32 fd, u64 offset, u32 whence, u32 out) {
  HOST_OR_BADF(h, fd);
  int wh = whence == 0 ? SEEK_SET : whence == 1 ? SEEK_CUR : whence == 2 ? SEEK_END : -1;
  if (wh < 0) return E_INVAL;
  off_t r = lseek(h, (off_t)offset, wh);
  if (r < 0) return HOST_ERR();
  return put64(w, out, (u64)r);
}
u32 WASI(fd_tell)(wasi_t *w, u32 fd, u32 out) {
  HOST_OR_BADF(h, fd);
  off_t r = lseek(h, 0, SEEK_CUR);
  if (r < 0) return HOST_ERR();
  return put64(w, out, (u64)r);
}
u32 WASI(fd_close)(wasi_t *w, u32 fd) {
  (void)w;
  HOST_OR_BADF(h, fd);
  g_host[fd] = -1;
  g_preopen[fd] = NULL;
  if (fd > 2 && close(h) != 0) return HOST_ERR();
  return E_SUCCESS;
}
u32 WASI(fd_sync)(wasi_t *w, u32 fd) {
  (void)w;
  HOST_OR_BADF(h, fd);
  return fsync(h) == 0 ? E_SUCCESS : HOST_ERR();
}
u32 WASI(fd_datasync)(wasi_t *w, u32 fd) {
  (void)w;
  HOST_OR_BADF(h, fd);
  return fdatasync(h) == 0 ? E_SUCCESS : HOST_ERR();
}
u32 WASI(fd_advise)(wasi_t *w, u32 fd, u64 off, u64 len, u32 advice) {
  (void)w; (void)off; (void)len; (void)advice;
  return host_fd(fd) < 0 ? E_BADF : E_SUCCESS;
}
u32 WASI(fd_allocate)(wasi_t *w, u32 fd, u64 off, u64 len) {
  (void)w; (void)off; (void)len;
  return host_fd(fd) < 0 ? E_BADF : E_NOSYS;
}

/* ---- descriptor status ------------------------------------------------------------------ */
/* fdstat: filetype u8, flags u16 at 2, rights_base u64 at 8, inheriting at 16.
 * The rights only say what wasi-libc reads back: O_RDONLY/O_WRONLY/O_RDWR
 * (FD_READ, FD_WRITE) and, for isatty(), no SEEK/TELL on a terminal. */
u32 WASI(fd_fdstat_get)(wasi_t *w, u32 fd, u32 out) {
  HOST_OR_BADF(h, fd);
  struct stat st;
  if (fstat(h, &st) != 0) return HOST_ERR();
  int fl = fcntl(h, F_GETFL);
  if (fl < 0) return HOST_ERR();
  uint16_t flags = 0;
  if (fl & O_APPEND) flags |= FDFL_APPEND;
  if (fl & O_NONBLOCK) flags |= FDFL_NONBLOCK;
  if (fl & O_DSYNC) flags |= FDFL_DSYNC;
  if ((fl & O_SYNC) == O_SYNC) flags |= FDFL_SYNC;
  uint64_t rights = RIGHTS_ALL;
  if ((fl & O_ACCMODE) == O_RDONLY) rights &= ~RIGHT_FD_WRITE;
  if ((fl & O_ACCMODE) == O_WRONLY) rights &= ~(RIGHT_FD_READ | RIGHT_FD_READDIR);
  if (isatty(h)) rights &= ~(RIGHT_FD_SEEK | RIGHT_FD_TELL);
  uint8_t *p = gptr(w, out, 24);
  GUARD(p);
  memset(p, 0, 24);
  st8(p, filetype_of(st.st_mode));
  st16(p + 2, flags);
  st64(p + 8, rights);
  st64(p + 16, RIGHTS_ALL);
  return E_SUCCESS;
}
u32 WASI(fd_fdstat_set_flags)(wasi_t *w, u32 fd, u32 flags) {
  (void)w;
  HOST_OR_BADF(h, fd);
  int fl = fcntl(h, F_GETFL);
  if (fl < 0) return HOST_ERR();
  fl &= ~(O_APPEND | O_NONBLOCK);
  if (flags & FDFL_APPEND) fl |= O_APPEND;
  if (flags & FDFL_NONBLOCK) fl |= O_NONBLOCK;
  return fcntl(h, F_SETFL, fl) == 0 ? E_SUCCESS : HOST_ERR();
}
u32 WASI(fd_filestat_get)(wasi_t *w, u32 fd, u32 out) {
  HOST_OR_BADF(h, fd);
  struct stat st;
  if (fstat(h, &st) != 0) return HOST_ERR();
  uint8_t *p = gptr(w, out, 64);
  GUARD(p);
  put_filestat(p, &st);
  return E_SUCCESS;
}
u32 WASI(fd_filestat_set_size)(wasi_t *w, u32 fd, u64 size) {
  (void)w;
  HOST_OR_BADF(h, fd);
  return ftruncate(h, (off_t)size) == 0 ? E_SUCCESS : HOST_ERR();
}
u32 WASI(fd_filestat_set_times)(wasi_t *w, u32 fd, u64 a, u64 m, u32 flags) {
  (void)w; (void)a; (void)m; (void)flags;
  return host_fd(fd) < 0 ? E_BADF : E_NOSYS;
}

/* fd_readdir: entries from index `cookie` on, each a 24-byte dirent (d_next
 * u64, d_ino u64, d_namlen u32 at 16, d_type u8 at 20) then the name, the
 * last one cut off when the buffer is full (wasi-libc then retries with a
 * larger buffer). d_next is the next entry's index. The directory is read
 * afresh through a new descriptor each call: simple, and cheap enough. */
u32 WASI(fd_readdir)(wasi_t *w, u32 fd, u32 buf, u32 len, u64 cookie, u32 used_ptr) {
  HOST_OR_BADF(h, fd);
  uint8_t *out = gptr(w, buf, len);
  GUARD(out);
  int dfd = openat(h, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return HOST_ERR();
  DIR *d = fdopendir(dfd);
  if (!d) {
    close(dfd);
    return HOST_ERR();
  }
  u32 used = 0;
  u64 index = 0;
  struct dirent *e;
  while (used < len && (e = readdir(d)) != NULL) {
    if (index++ < cookie) continue;
    uint8_t ent[24] = {0};
    size_t namlen = strlen(e->d_name);
    uint8_t type;
    switch (e->d_type) {
      case DT_REG: type = FT_REG; break;
      case DT_DIR: type = FT_DIR; break;
      case DT_CHR: type = FT_CHAR; break;
      case DT_BLK: type = FT_BLOCK; break;
      case DT_LNK: type = FT_SYMLINK; break;
      case DT_SOCK: type = FT_SOCK_STREAM; break;
      default: type = FT_UNKNOWN; break;
    }
    st64(ent, index);
    st64(ent + 8, (uint64_t)e->d_ino);
    st32(ent + 16, (u32)namlen);
    st8(ent + 20, type);
    u32 n = len - used < 24 ? len - used : 24;
    memcpy(out + used, ent, n);
    used += n;
    n = len - used < namlen ? len - used : (u32)namlen;
    memcpy(out + used, e->d_name, n);
    used += n;
  }
  closedir(d);
  return put32(w, used_ptr, used);
}

/* ---- paths ---------------------------------------------------------------------------------- */
#define PATH_OR_FAIL(s, off, len) char *s = gpath(w, off, len); if (!s) return E_FAULT

u32 WASI(path_open)(wasi_t *w, u32 dirfd, u32 dirflags, u32 path, u32 path_len, u32 oflags,
                    u64 rights, u64 inheriting, u32 fdflags, u32 out) {
  (void)inheriting;
  HOST_OR_BADF(h, dirfd);
  PATH_OR_FAIL(s, path, path_len);
  int fl = O_CLOEXEC;
  int wr = (rights & (RIGHT_FD_WRITE | RIGHT_FD_ALLOCATE | RIGHT_FD_FILESTAT_SET_SIZE)) != 0;
  int rd = (rights & (RIGHT_FD_READ | RIGHT_FD_READDIR)) != 0;
  if (oflags & OFL_DIRECTORY) fl |= O_RDONLY | O_DIRECTORY;
  else if (wr && rd) fl |= O_RDWR;
  else if (wr) fl |= O_WRONLY;
  else fl |= O_RDONLY;
  if (oflags & OFL_CREAT) fl |= O_CREAT;
  if (oflags & OFL_EXCL) fl |= O_EXCL;
  if (oflags & OFL_TRUNC) fl |= O_TRUNC;
  if (!(dirflags & 1)) fl |= O_NOFOLLOW;
  if (fdflags & FDFL_APPEND) fl |= O_APPEND;
  if (fdflags & FDFL_NONBLOCK) fl |= O_NONBLOCK;
  if (fdflags & (FDFL_SYNC | FDFL_RSYNC)) fl |= O_SYNC;
  if (fdflags & FDFL_DSYNC) fl |= O_DSYNC;
  int r = openat(h, s, fl, 0666);
  /* A directory asked for with write rights (wasi-libc's O_RDWR default for
   * some opens): open it read-only, as a WASI host would. */
  if (r < 0 && errno == EISDIR && !(oflags & (OFL_CREAT | OFL_TRUNC)))
    r = openat(h, s, (fl & ~O_ACCMODE) | O_RDONLY, 0666);
  free(s);
  if (r < 0) return HOST_ERR();
  int g = new_fd(r);
  if (g < 0) {
    close(r);
    return E_MFILE;
  }
  return put32(w, out, (u32)g);
}
u32 WASI(path_filestat_get)(wasi_t *w, u32 dirfd, u32 flags, u32 path, u32 path_len, u32 out) {
  HOST_OR_BADF(h, dirfd);
  PATH_OR_FAIL(s, path, path_len);
  struct stat st;
  int r = fstatat(h, s, &st, (flags & 1) ? 0 : AT_SYMLINK_NOFOLLOW);
  free(s);
  if (r != 0) return HOST_ERR();
  uint8_t *p = gptr(w, out, 64);
  GUARD(p);
  put_filestat(p, &st);
  return E_SUCCESS;
}
u32 WASI(path_create_directory)(wasi_t *w, u32 dirfd, u32 path, u32 path_len) {
  HOST_OR_BADF(h, dirfd);
  PATH_OR_FAIL(s, path, path_len);
  int r = mkdirat(h, s, 0777);
  free(s);
  return r == 0 ? E_SUCCESS : HOST_ERR();
}
u32 WASI(path_unlink_file)(wasi_t *w, u32 dirfd, u32 path, u32 path_len) {
  HOST_OR_BADF(h, dirfd);
  PATH_OR_FAIL(s, path, path_len);
  int r = unlinkat(h, s, 0);
  free(s);
  return r == 0 ? E_SUCCESS : HOST_ERR();
}
u32 WASI(path_remove_directory)(wasi_t *w, u32 dirfd, u32 path, u32 path_len) {
  HOST_OR_BADF(h, dirfd);
  PATH_OR_FAIL(s, path, path_len);
  int r = unlinkat(h, s, AT_REMOVEDIR);
  free(s);
  return r == 0 ? E_SUCCESS : HOST_ERR();
}
u32 WASI(path_rename)(wasi_t *w, u32 fd1, u32 p1, u32 l1, u32 fd2, u32 p2, u32 l2) {
  HOST_OR_BADF(h1, fd1);
  HOST_OR_BADF(h2, fd2);
  PATH_OR_FAIL(a, p1, l1);
  char *b = gpath(w, p2, l2);
  if (!b) {
    free(a);
    return E_FAULT;
  }
  int r = renameat(h1, a, h2, b);
  free(a);
  free(b);
  return r == 0 ? E_SUCCESS : HOST_ERR();
}
u32 WASI(path_readlink)(wasi_t *w, u32 dirfd, u32 path, u32 path_len, u32 buf, u32 len, u32 used) {
  HOST_OR_BADF(h, dirfd);
  PATH_OR_FAIL(s, path, path_len);
  uint8_t *p = gptr(w, buf, len);
  if (!p) {
    free(s);
    return E_FAULT;
  }
  ssize_t r = readlinkat(h, s, (char *)p, len);
  free(s);
  if (r < 0) return HOST_ERR();
  return put32(w, used, (u32)r);
}
u32 WASI(path_filestat_set_times)(wasi_t *w, u32 fd, u32 fl, u32 p, u32 l, u64 a, u64 m, u32 f) {
  (void)w; (void)fl; (void)p; (void)l; (void)a; (void)m; (void)f;
  return host_fd(fd) < 0 ? E_BADF : E_NOSYS;
}
u32 WASI(path_link)(wasi_t *w, u32 fd1, u32 fl, u32 p1, u32 l1, u32 fd2, u32 p2, u32 l2) {
  (void)w; (void)fd1; (void)fl; (void)p1; (void)l1; (void)fd2; (void)p2; (void)l2;
  return E_NOSYS;
}
u32 WASI(path_symlink)(wasi_t *w, u32 p1, u32 l1, u32 fd, u32 p2, u32 l2) {
  (void)w; (void)p1; (void)l1; (void)fd; (void)p2; (void)l2;
  return E_NOSYS;
}

/* ---- sockets: none ------------------------------------------------------------------------------ */
u32 WASI(sock_accept)(wasi_t *w, u32 fd, u32 flags, u32 out) {
  (void)w; (void)flags; (void)out;
  return host_fd(fd) < 0 ? E_BADF : E_NOSYS;
}
u32 WASI(sock_recv)(wasi_t *w, u32 fd, u32 a, u32 b, u32 c, u32 d, u32 e) {
  (void)w; (void)a; (void)b; (void)c; (void)d; (void)e;
  return host_fd(fd) < 0 ? E_BADF : E_NOSYS;
}
u32 WASI(sock_send)(wasi_t *w, u32 fd, u32 a, u32 b, u32 c, u32 d) {
  (void)w; (void)a; (void)b; (void)c; (void)d;
  return host_fd(fd) < 0 ? E_BADF : E_NOSYS;
}
u32 WASI(sock_shutdown)(wasi_t *w, u32 fd, u32 how) {
  (void)w; (void)how;
  return host_fd(fd) < 0 ? E_BADF : E_NOSYS;
}

/* ---- main ------------------------------------------------------------------------------------------- */
static void usage(const char *self) {
  fprintf(stderr, "usage: %s [--dir HOST[::GUEST]]... [--env K=V]... [--argv0 NAME] [--] ARGS...\n", self);
  exit(2);
}

static int g_status;

/* Runs _start; on a thread of its own so that the guest's C stack (wasm2c
 * code recurses on the host stack) can be large: 256 MiB, as wasipy gives
 * its native tier. wasm-rt-impl's signal handler (out-of-bounds accesses,
 * stack exhaustion) uses an alternate stack that is per thread, so the
 * runtime is initialised here. */
static void *run(void *arg) {
  (void)arg;
  wasm_rt_init();
  W2C_PASTE(W2C_PREFIX, _init_module)();
  static W2C_INSTANCE_T instance;
  static wasi_t wasi;
  wasi.mem = &instance.w2c_memory;
  W2C_PASTE(W2C_PREFIX, _instantiate)(&instance, &wasi);
  wasm_rt_trap_t trap = wasm_rt_impl_try();
  if (trap == WASM_RT_TRAP_NONE) {
    W2C_PASTE(W2C_PREFIX, Z__start)(&instance);
    g_status = 0;
  } else {
    fprintf(stderr, "wasm trap: %s\n", wasm_rt_strerror(trap));
    g_status = 134;
  }
  fflush(NULL);
  return NULL;
}

int main(int argc, char **argv) {
  for (int i = 0; i < MAX_FDS; i++) g_host[i] = -1;
  g_host[0] = 0;
  g_host[1] = 1;
  g_host[2] = 2;
  g_envv = calloc((size_t)argc + 1, sizeof *g_envv);
  g_argv = calloc((size_t)argc + 2, sizeof *g_argv);
  g_argv[g_argc++] = "python.wasm";
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    } else if (strcmp(a, "--dir") == 0 && i + 1 < argc) {
      char *spec = argv[++i];
      char *sep = strstr(spec, "::");
      const char *guest = spec;
      if (sep) {
        *sep = 0;
        guest = sep + 2;
      }
      int h = open(spec, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (h < 0) {
        fprintf(stderr, "%s: cannot open directory %s: %s\n", argv[0], spec, strerror(errno));
        return 2;
      }
      int g = new_fd(h);
      g_preopen[g] = guest;
    } else if (strcmp(a, "--env") == 0 && i + 1 < argc) {
      g_envv[g_envc++] = argv[++i];
    } else if (strcmp(a, "--argv0") == 0 && i + 1 < argc) {
      g_argv[0] = argv[++i];
    } else if (a[0] == '-' && a[1] == '-') {
      usage(argv[0]);
    } else {
      break;
    }
  }
  for (; i < argc; i++) g_argv[g_argc++] = argv[i];

  pthread_attr_t attr;
  pthread_t t;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, (size_t)256 << 20);
  if (pthread_create(&t, &attr, run, NULL) != 0) {
    fprintf(stderr, "%s: cannot start the guest thread\n", argv[0]);
    return 2;
  }
  pthread_join(t, NULL);
  return g_status;
}
