/* Force-included (clang -include) when src/python/build-cpython.sh compiles
 * liblzma (xz-utils) for wasm32-wasi.
 *
 * With threads disabled, xz's src/common/mythread.h still defines an inline
 * helper around sigprocmask() (used only by the xz command-line tool, which
 * is not built). wasi-libc's <signal.h> hides sigset_t and sigprocmask, so
 * the header would not parse: give it wasi-libc's own placeholder type and a
 * declaration. Nothing in liblzma calls it, so nothing needs to define it.
 */
#ifndef WASIPY_WASI_XZ_COMPAT_H
#define WASIPY_WASI_XZ_COMPAT_H

#ifndef _WASI_EMULATED_SIGNAL
#define _WASI_EMULATED_SIGNAL 1
#endif
#include <signal.h>
#include <__typedef_sigset_t.h>

int sigprocmask(int how, const sigset_t *restrict set, sigset_t *restrict oset);

#endif
