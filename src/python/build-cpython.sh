#!/usr/bin/env bash
# Build CPython for WASI (wasm32-wasi, WASI preview1) from Debian's source
# packages with Debian's wasm32-wasi toolchain, and install a distribution:
#
#   DIST/python.wasm
#   DIST/lib/python3.X/          stdlib, _sysconfigdata*, precompiled .pyc
#   DIST/wasipy-dist.json        version, source, sha256, build date, run recipe
#
# zlib, bzip2, xz (liblzma) and sqlite3 are built for wasm32-wasi from their
# Debian source packages and linked in, so `import zlib, bz2, lzma, sqlite3`
# works. The wasm stack is 8 MiB and the recursion limit the usual 1000
# (CPython 3.11's WASI defaults are 512 KiB and 600).
#
# usage: build-cpython.sh [--source TARBALL] [--jobs N] [--keep-build]
#                         [--refresh-sources] [DIST]
#
# DIST defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/wasipy/python/<key>, where
# <key> hashes every input (CPython tarball, C library tarballs, this script
# and its compat headers, the toolchain's versions). When DIST already holds
# the distribution for the same key, nothing is rebuilt.
#
# Progress goes to stderr; the last line on stdout is the distribution's path.
# Everything the build commands print goes to a log file whose path is shown
# at the start and again on failure. See src/python/README.md.
set -Eeuo pipefail

SCRIPT_PATH=$(readlink -f "${BASH_SOURCE[0]}")
SCRIPT_DIR=$(dirname "$SCRIPT_PATH")
COMPAT_DIR="$SCRIPT_DIR/wasi-compat"

# Build parameters that later CPython releases use for WASI.
WASM_STACK_SIZE=8388608           # 8 MiB (3.11 default: 524288)
WASM_INITIAL_MEMORY=20971520      # 20 MiB: stack first, then data and heap
RECURSION_LIMIT=1000              # 3.11's WASI default: 600

CACHE_ROOT="${WASIPY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/wasipy}"
SOURCES_DIR="$CACHE_ROOT/sources"
LOG_DIR="$CACHE_ROOT/logs"

JOBS=2
SOURCE_TARBALL=""
KEEP_BUILD=0
REFRESH=0
DIST=""

usage() {
  sed -n '/^# usage:/,/^# DIST/p' "$SCRIPT_PATH" | sed 's/^# \{0,1\}//' | head -n 2 >&2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --source) SOURCE_TARBALL=$(readlink -f "${2:?--source needs a tarball}"); shift 2 ;;
    --source=*) SOURCE_TARBALL=$(readlink -f "${1#--source=}"); shift ;;
    --jobs|-j) JOBS="${2:?--jobs needs a number}"; shift 2 ;;
    --jobs=*) JOBS="${1#--jobs=}"; shift ;;
    --keep-build) KEEP_BUILD=1; shift ;;
    --refresh-sources) REFRESH=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "build-cpython: unknown option $1" >&2; usage; exit 2 ;;
    *) [ -z "$DIST" ] || { echo "build-cpython: more than one DIST given" >&2; exit 2; }
       DIST="$1"; shift ;;
  esac
done
if [ -n "$SOURCE_TARBALL" ] && [ ! -f "$SOURCE_TARBALL" ]; then
  echo "build-cpython: --source $SOURCE_TARBALL: no such file" >&2; exit 2
fi

mkdir -p "$SOURCES_DIR" "$LOG_DIR"
LOG="$LOG_DIR/build-cpython-$(date -u +%Y%m%dT%H%M%SZ)-$$.log"
: >"$LOG"

STEP="start"
STEP_NO=0
STEP_COUNT=12
T0=$(date +%s)

say() { echo "build-cpython: $*" >&2; }

step() {
  STEP_NO=$((STEP_NO + 1))
  STEP="$1"
  say "[$STEP_NO/$STEP_COUNT] $1"
  printf '\n===== [%s] step %d: %s =====\n' "$(date -u +%H:%M:%S)" "$STEP_NO" "$1" >>"$LOG"
}

on_error() {
  local rc=$?
  # A failing command substitution reports in the main shell, once.
  [ "$BASHPID" = "$$" ] || exit "$rc"
  say "FAILED at step $STEP_NO/$STEP_COUNT '$STEP' (exit $rc)"
  say "log: $LOG"
  say "last lines of the log:"
  tail -n 25 "$LOG" | cut -c1-300 | sed 's/^/    /' >&2
  exit "$rc"
}
trap on_error ERR

# Runs a command with its output in the log; prints a heartbeat while it runs.
run() {
  echo "+ $*" >>"$LOG"
  "$@" >>"$LOG" 2>&1 &
  local pid=$! start=$SECONDS next=30
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if [ $((SECONDS - start)) -ge "$next" ]; then
      say "    ... still at '$STEP' ($((SECONDS - start)) s)"
      next=$((next + 30))
    fi
  done
  wait "$pid"
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else say "need root for: $*"; return 1
  fi
}

sha256() { sha256sum "$1" | cut -d' ' -f1; }

# --------------------------------------------------------------------------
step "toolchain (clang-14, lld-14, wasi-libc, compiler-rt for wasm32, build Python)"
NEED_PKGS=(clang-14 lld-14 llvm-14 wasi-libc libclang-rt-14-dev-wasm32 make pkg-config tcl xz-utils bzip2 gcc libc6-dev)
missing=()
for p in "${NEED_PKGS[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "    installing with apt-get: ${missing[*]}"
  run as_root apt-get update
  run as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
else
  echo "all present: ${NEED_PKGS[*]}" >>"$LOG"
fi

# --------------------------------------------------------------------------
step "sources (apt-get source python3.11 zlib bzip2 xz-utils sqlite3)"
SUITE=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")

have_deb_src() {
  local out
  out=$(apt-cache showsrc --only-source zlib 2>/dev/null || true)
  [[ "$out" == *"Package: zlib"* ]]
}

ensure_deb_src() {
  have_deb_src && return 0
  local f=/etc/apt/sources.list.d/wasipy-deb-src.sources
  if [ ! -e "$f" ]; then
    say "    adding a deb-src entry for $SUITE in $f"
    as_root tee "$f" >/dev/null <<EOF
# Added by wasipy (src/python/build-cpython.sh): Debian source packages, used
# to build CPython and its compression/sqlite libraries for wasm32-wasi.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  fi
  run as_root apt-get update
  have_deb_src || { say "apt still finds no source packages after adding $f"; return 1; }
}

# Newest upstream ("orig") tarball of a source package in SOURCES_DIR.
orig_tarball() {
  find "$SOURCES_DIR" -maxdepth 1 -name "${1}_*.orig.tar.*" ! -name '*.asc' \
    | grep -E "/${1}_[^/]*\.orig\.tar\.(gz|bz2|xz)$" | sort -V | tail -n 1
}

fetch_source() {
  local pkg=$1
  if [ "$REFRESH" = 0 ] && [ -n "$(orig_tarball "$pkg")" ]; then
    echo "$pkg: using $(orig_tarball "$pkg")" >>"$LOG"
    return 0
  fi
  ensure_deb_src
  # Only the upstream tarball is used. apt-get fails the whole download when
  # a mirror lacks the .dsc or Debian diff, so its status is judged by the
  # tarball being there.
  (cd "$SOURCES_DIR" && run apt-get source --download-only "$pkg") || true
  # The newest version may be a security update whose mirror lacks the
  # upstream tarball (seen for zlib 1.2.13.dfsg-1+deb12u1: 404): the
  # release's own version has the same upstream tarball in the main archive.
  if [ -z "$(orig_tarball "$pkg")" ]; then
    (cd "$SOURCES_DIR" && run apt-get source --download-only "$pkg/$SUITE") || true
  fi
  [ -n "$(orig_tarball "$pkg")" ] || { say "apt-get source $pkg (and $pkg/$SUITE) gave no upstream tarball in $SOURCES_DIR"; return 1; }
}

if [ -n "$SOURCE_TARBALL" ]; then
  PY_TARBALL=$SOURCE_TARBALL
  listing=$(tar -tf "$PY_TARBALL" 2>>"$LOG" || true)
  if [[ "$listing" != *Include/patchlevel.h* ]]; then
    say "--source $PY_TARBALL is not a CPython source tarball (no Include/patchlevel.h in it)"
    false
  fi
  unset listing
else
  fetch_source python3.11
  PY_TARBALL=$(orig_tarball python3.11)
fi
LIB_PKGS=(zlib bzip2 xz-utils sqlite3)
declare -A LIB_TARBALL
for p in "${LIB_PKGS[@]}"; do
  fetch_source "$p"
  LIB_TARBALL[$p]=$(orig_tarball "$p")
done
say "    CPython: $PY_TARBALL"
for p in "${LIB_PKGS[@]}"; do say "    $p: ${LIB_TARBALL[$p]}"; done

# --------------------------------------------------------------------------
step "cache key"
CLANG_VERSION=$(clang-14 --version | head -n 1)
WASI_LIBC_VERSION=$(dpkg-query -W -f='${Version}' wasi-libc)
KEY_INPUT=$(
  echo "cpython $(basename "$PY_TARBALL") $(sha256 "$PY_TARBALL")"
  for p in "${LIB_PKGS[@]}"; do echo "$p $(basename "${LIB_TARBALL[$p]}") $(sha256 "${LIB_TARBALL[$p]}")"; done
  echo "script $(sha256 "$SCRIPT_PATH")"
  for h in "$COMPAT_DIR"/*.h "$COMPAT_DIR"/*.c; do echo "compat $(basename "$h") $(sha256 "$h")"; done
  echo "clang $CLANG_VERSION"
  echo "wasi-libc $WASI_LIBC_VERSION"
)
KEY=$(printf '%s\n' "$KEY_INPUT" | sha256sum | cut -c1-16)
printf '%s\n' "$KEY_INPUT" >>"$LOG"
[ -n "$DIST" ] || DIST="$CACHE_ROOT/python/$KEY"
DIST=$(readlink -m "$DIST")
say "    key $KEY -> $DIST"

dist_key() { sed -n 's/^ *"key": *"\([0-9a-f]*\)".*/\1/p' "$1/wasipy-dist.json" 2>/dev/null | head -n 1; }

reuse_if_built() {
  if [ -f "$DIST/wasipy-dist.json" ] && [ -f "$DIST/python.wasm" ] && [ "$(dist_key "$DIST")" = "$KEY" ]; then
    if grep -q "\"python_wasm_sha256\": \"$(sha256 "$DIST/python.wasm")\"" "$DIST/wasipy-dist.json"; then
      say "already built for these inputs: $DIST"
      rm -f "$LOG"
      echo "$DIST"
      exit 0
    fi
    say "    $DIST/python.wasm does not match its wasipy-dist.json: rebuilding"
  fi
}
reuse_if_built
if [ -e "$DIST" ] && [ ! -f "$DIST/wasipy-dist.json" ] && [ -n "$(ls -A "$DIST" 2>/dev/null)" ]; then
  say "$DIST exists and is not a wasipy distribution: choose another directory"
  exit 2
fi

# One build per key at a time: a second caller waits, then reuses the result.
mkdir -p "$CACHE_ROOT/build"
exec 9>"$CACHE_ROOT/build/python-$KEY.lock"
if ! flock -n 9; then
  say "    another build for key $KEY is running: waiting for it"
  flock 9
  reuse_if_built
fi

ln -sfn "$(basename "$LOG")" "$LOG_DIR/build-cpython-latest.log"
WORK="$CACHE_ROOT/build/python-$KEY"
PREFIX="$WORK/wasm32-wasi"        # the C libraries: lib/*.a, include/, lib/pkgconfig/
TOOLS="$WORK/bin"
mkdir -p "$WORK/src" "$PREFIX/lib/pkgconfig" "$PREFIX/include" "$TOOLS"
echo "work dir $WORK" >>"$LOG"
say "    work dir $WORK (log: $LOG)"

# Compiler wrappers: Debian's clang-14 finds wasi-libc's headers and libraries
# for --target=wasm32-wasi by itself (no --sysroot).
cat >"$TOOLS/wasm32-wasi-clang" <<'EOF'
#!/bin/sh
exec clang-14 --target=wasm32-wasi "$@"
EOF
cat >"$TOOLS/wasm32-wasi-clang-cpp" <<'EOF'
#!/bin/sh
exec clang-14 --target=wasm32-wasi -E "$@"
EOF
cat >"$TOOLS/wasm32-wasi-clang++" <<'EOF'
#!/bin/sh
exec clang++-14 --target=wasm32-wasi "$@"
EOF
chmod +x "$TOOLS"/wasm32-wasi-clang*
WCC="$TOOLS/wasm32-wasi-clang"
export AR=llvm-ar-14 RANLIB=llvm-ranlib-14

# Unpacks TARBALL into $WORK/src/NAME (fresh) and prints that directory.
unpack() {
  local tarball=$1 name=$2 dir="$WORK/src/$2"
  rm -rf "$dir" "$dir.tmp"
  mkdir -p "$dir.tmp"
  tar -xf "$tarball" -C "$dir.tmp" >>"$LOG" 2>&1
  local top
  top=$(find "$dir.tmp" -mindepth 1 -maxdepth 1)
  if [ "$(echo "$top" | wc -l)" = 1 ] && [ -d "$top" ]; then mv "$top" "$dir"; rmdir "$dir.tmp"
  else mv "$dir.tmp" "$dir"; fi
  echo "$dir"
}

done_stamp() { [ -f "$WORK/.done-$1" ]; }
mark_done() { touch "$WORK/.done-$1"; }

upstream_version() { basename "$1" | sed -E 's/^[^_]+_([^-]+)\.orig\.tar\..*/\1/; s/\.dfsg.*//'; }

# --------------------------------------------------------------------------
step "zlib $(upstream_version "${LIB_TARBALL[zlib]}") for wasm32-wasi"
if ! done_stamp zlib; then
  d=$(unpack "${LIB_TARBALL[zlib]}" zlib)
  cd "$d"
  run env CC="$WCC" CFLAGS="-O2" ./configure --static --prefix="$PREFIX"
  run make -j"$JOBS" libz.a
  run make install
  mark_done zlib
fi

# --------------------------------------------------------------------------
step "bzip2 $(upstream_version "${LIB_TARBALL[bzip2]}") for wasm32-wasi"
if ! done_stamp bzip2; then
  d=$(unpack "${LIB_TARBALL[bzip2]}" bzip2)
  cd "$d"
  run make -j"$JOBS" libbz2.a CC="$WCC" AR="$AR" RANLIB="$RANLIB" CFLAGS="-O2 -D_FILE_OFFSET_BITS=64"
  cp libbz2.a "$PREFIX/lib/"
  cp bzlib.h "$PREFIX/include/"
  BZ_VERSION=$(upstream_version "${LIB_TARBALL[bzip2]}")
  cat >"$PREFIX/lib/pkgconfig/bzip2.pc" <<EOF
prefix=$PREFIX
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: bzip2
Description: bzip2 compression library (wasm32-wasi, static)
Version: $BZ_VERSION
Libs: -L\${libdir} -lbz2
Cflags: -I\${includedir}
EOF
  mark_done bzip2
fi

# --------------------------------------------------------------------------
step "xz (liblzma) $(upstream_version "${LIB_TARBALL[xz-utils]}") for wasm32-wasi"
if ! done_stamp xz; then
  d=$(unpack "${LIB_TARBALL[xz-utils]}" xz)
  cd "$d"
  run env CC="$WCC" CFLAGS="-O2 -include $COMPAT_DIR/xz.h" ./configure \
    --host=wasm32-unknown-wasi --build="$(./build-aux/config.guess)" --prefix="$PREFIX" \
    --disable-shared --enable-static --disable-threads \
    --disable-xz --disable-xzdec --disable-lzmadec --disable-lzmainfo --disable-lzma-links \
    --disable-scripts --disable-doc --disable-nls
  run make -C src/liblzma -j"$JOBS"
  run make -C src/liblzma install
  mark_done xz
fi

# --------------------------------------------------------------------------
# SQLite for WASI: one process, no threads, no mmap, no shared-memory WAL, no
# POSIX advisory locks, no loadable extensions. wasi-compat/sqlite.h supplies
# what the unix VFS expects from fcntl/fchmod/fchown/geteuid. Temporary
# tables live in memory (a sandbox often has no writable /tmp).
SQLITE_DEFINES=(
  -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_OMIT_WAL
  -DSQLITE_MAX_MMAP_SIZE=0 -DSQLITE_TEMP_STORE=2
  -DHAVE_USLEEP=1 -DHAVE_LOCALTIME_R=1 -D_WASI_EMULATED_GETPID
  -DSQLITE_ENABLE_FTS3 -DSQLITE_ENABLE_FTS3_PARENTHESIS -DSQLITE_ENABLE_FTS4
  -DSQLITE_ENABLE_FTS5 -DSQLITE_ENABLE_RTREE -DSQLITE_ENABLE_MATH_FUNCTIONS
  -DSQLITE_ENABLE_COLUMN_METADATA -DSQLITE_ENABLE_DBSTAT_VTAB
)
step "sqlite3 $(upstream_version "${LIB_TARBALL[sqlite3]}") for wasm32-wasi (amalgamation made natively with tclsh)"
if ! done_stamp sqlite3; then
  d=$(unpack "${LIB_TARBALL[sqlite3]}" sqlite3)
  mkdir -p "$d/amalgamation"
  cd "$d/amalgamation"
  # Debian's orig tarball is SQLite's full source tree: generate sqlite3.c
  # with the host's compiler and tclsh, then compile it for wasm32-wasi.
  run env CC=gcc ../configure --disable-tcl --disable-readline
  run make -j"$JOBS" sqlite3.c
  run "$WCC" -O2 -include "$COMPAT_DIR/sqlite.h" "${SQLITE_DEFINES[@]}" -c sqlite3.c -o sqlite3.o
  rm -f libsqlite3.a
  run "$AR" rcs libsqlite3.a sqlite3.o
  cp libsqlite3.a "$PREFIX/lib/"
  cp sqlite3.h sqlite3ext.h "$PREFIX/include/"
  SQ_VERSION=$(sed -n 's/^#define SQLITE_VERSION *"\(.*\)"/\1/p' sqlite3.h)
  cat >"$PREFIX/lib/pkgconfig/sqlite3.pc" <<EOF
prefix=$PREFIX
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: SQLite
Description: SQL database engine (wasm32-wasi, static)
Version: $SQ_VERSION
Libs: -L\${libdir} -lsqlite3
Cflags: -I\${includedir}
EOF
  mark_done sqlite3
fi

# --------------------------------------------------------------------------
step "configure CPython for wasm32-wasi"
PY_SRC="$WORK/src/cpython"
if ! done_stamp configure; then
  PY_SRC=$(unpack "$PY_TARBALL" cpython)
fi
PY_VERSION=$(sed -n 's/^#define PY_VERSION[[:space:]]*"\(.*\)"/\1/p' "$PY_SRC/Include/patchlevel.h")
PY_MINOR=$(echo "$PY_VERSION" | cut -d. -f1,2)
BUILD_PYTHON="/usr/bin/python$PY_MINOR"
if [ ! -x "$BUILD_PYTHON" ]; then
  say "    installing python$PY_MINOR (configure needs a build Python of the same minor version)"
  run as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "python$PY_MINOR"
fi
say "    CPython $PY_VERSION, build Python $BUILD_PYTHON"
BUILDDIR="$PY_SRC/builddir/wasi"
mkdir -p "$BUILDDIR"
if ! done_stamp configure; then
  cd "$BUILDDIR"
  # The C libraries: pkg-config sees only the wasm32-wasi prefix (never the
  # host's .pc files), and the *_CFLAGS/*_LIBS that configure reads are set
  # explicitly too.
  run env \
    CONFIG_SITE="$PY_SRC/Tools/wasm/config.site-wasm32-wasi" \
    CC="$TOOLS/wasm32-wasi-clang" CPP="$TOOLS/wasm32-wasi-clang-cpp" CXX="$TOOLS/wasm32-wasi-clang++" \
    LDSHARED=wasm-ld-14 AR="$AR" RANLIB="$RANLIB" \
    PKG_CONFIG=pkg-config PKG_CONFIG_LIBDIR="$PREFIX/lib/pkgconfig" PKG_CONFIG_PATH= \
    ZLIB_CFLAGS="-I$PREFIX/include" ZLIB_LIBS="-L$PREFIX/lib -lz" \
    BZIP2_CFLAGS="-I$PREFIX/include" BZIP2_LIBS="-L$PREFIX/lib -lbz2" \
    LIBLZMA_CFLAGS="-I$PREFIX/include" LIBLZMA_LIBS="-L$PREFIX/lib -llzma" \
    LIBSQLITE3_CFLAGS="-I$PREFIX/include" LIBSQLITE3_LIBS="-L$PREFIX/lib -lsqlite3" \
    ../../configure -C \
      --host=wasm32-unknown-wasi --build="$(../../config.guess)" \
      --with-build-python="$BUILD_PYTHON" --with-pymalloc
  for m in zlib _bz2 _lzma _sqlite3; do
    if ! grep -Eq "checking for stdlib extension module $m\.\.\. yes" "$LOG"; then
      say "configure will not build the $m module (see 'checking for stdlib extension module $m' in the log)"
      false
    fi
  done
  mark_done configure
fi

# --------------------------------------------------------------------------
step "build python.wasm (make -j$JOBS; stack $WASM_STACK_SIZE bytes, recursion limit $RECURSION_LIMIT)"
# 3.11's configure appends "-z stack-size=524288 ... --initial-memory=10485760"
# to its LDFLAGS_NODIST; the make-time LDFLAGS_NODIST comes after it on the
# link line, and wasm-ld takes the last value. Py_DEFAULT_RECURSION_LIMIT is
# guarded by #ifndef in Include/internal/pycore_ceval.h. wasi-compat/cpython.h
# works around wasi-libc's utimensat/futimens "now" (make time only: in
# configure's CFLAGS it would hide utimensat from the function checks).
# configure runs --with-pymalloc: measured with callgrind on
# bench/python/cpu.py under the native tier, dlmalloc/dlfree cost a third of
# the eval loop; 3.11's configure turns pymalloc off for WASI, but it needs
# nothing WASI lacks (its arenas come from malloc). (-mbulk-memory, to turn
# memcpy/memset into memory.copy/fill, makes clang 14 treat wasi-libc's
# errno as real thread-local storage and fail: not used.)
# wasi-compat/memory.c: memcpy/memmove/memset as memory.copy/fill, built
# alone with -mbulk-memory and linked ahead of wasi-libc's (see the file).
MEMORY_O="$WORK/compat-memory.o"
run "$WCC" -O2 -mbulk-memory -c "$COMPAT_DIR/memory.c" -o "$MEMORY_O"
MAKE_VARS=(
  "LDFLAGS_NODIST=-z stack-size=$WASM_STACK_SIZE -Wl,--initial-memory=$WASM_INITIAL_MEMORY $MEMORY_O"
  "CFLAGS_NODIST=-DPy_DEFAULT_RECURSION_LIMIT=$RECURSION_LIMIT -include $COMPAT_DIR/cpython.h"
)
if ! done_stamp make; then
  cd "$BUILDDIR"
  run make -j"$JOBS" "${MAKE_VARS[@]}"
  mark_done make
fi

# --------------------------------------------------------------------------
step "check python.wasm (modules linked in, stack size)"
cd "$BUILDDIR"
[ -f python.wasm ] || { say "make left no python.wasm in $BUILDDIR"; false; }
for init in PyInit_zlib PyInit__bz2 PyInit__lzma PyInit__sqlite3; do
  grep -q "$init" Modules/config.c || { say "$init is not in Modules/config.c: the module is not linked in"; false; }
done
# memcpy is wasi-compat/memory.c's (one memory.copy), not wasi-libc's loop.
llvm-objdump-14 -d python.wasm | grep -A8 '^[0-9a-f]* <memcpy>:' | grep -q 'memory.copy' ||
  { say "python.wasm's memcpy is not wasi-compat/memory.c's memory.copy: wasi-libc's was linked"; false; }
# The first global of a wasm-ld module is __stack_pointer; with --stack-first
# its initial value is the stack size (rounded up to 16).
STACK_TOP=$("$BUILD_PYTHON" - python.wasm <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
def leb(pos, signed=False):
    result = shift = 0
    while True:
        b = data[pos]; pos += 1
        result |= (b & 0x7F) << shift; shift += 7
        if b < 0x80:
            if signed and b & 0x40:
                result -= 1 << shift
            return result, pos
pos = 8
while pos < len(data):
    sec = data[pos]; size, pos = leb(pos + 1)
    if sec == 6:  # global section
        _count, p = leb(pos)
        _type, _mut = data[p], data[p + 1]
        assert data[p + 2] == 0x41, "first global is not i32.const"
        print(leb(p + 3, signed=True)[0]); break
    pos += size
EOF
)
say "    __stack_pointer starts at $STACK_TOP"
if [ "$STACK_TOP" -lt "$WASM_STACK_SIZE" ]; then
  say "the wasm stack is $STACK_TOP bytes, expected $WASM_STACK_SIZE: LDFLAGS_NODIST did not take effect"
  false
fi

# --------------------------------------------------------------------------
step "install the distribution into $DIST"
STAGE="$DIST.partial-$$"
rm -rf "$STAGE"
mkdir -p "$STAGE/lib"
LIBDEST="$STAGE/lib/python$PY_MINOR"
GUEST_LIBDEST="/usr/local/lib/python$PY_MINOR"
# Without DWARF (13 MB of the 23, read at every start and never used); the
# name section stays, for wasm backtraces.
llvm-strip-14 --strip-debug -o "$STAGE/python.wasm" python.wasm
# The stdlib as in the source tree (mtimes preserved, so the .pyc below stay
# valid), plus what the build generated: _sysconfigdata* from
# build/lib.wasi-wasm32-X.Y. Tests (Lib/test) are kept: `python -m test`
# is how the distribution is checked.
cp -a "$PY_SRC/Lib" "$LIBDEST"
find "$LIBDEST" -name __pycache__ -type d -prune -exec rm -rf {} +
PYBUILDDIR=$(cat pybuilddir.txt)
cp -a "$PYBUILDDIR"/_sysconfigdata*.py "$LIBDEST/"
mkdir -p "$LIBDEST/lib-dynload" "$LIBDEST/site-packages"   # getpath's exec_prefix landmark
cp "$PY_SRC/LICENSE" "$LIBDEST/LICENSE.txt"
# Bytecode made by the build Python (same minor version, same magic number),
# with the paths the guest sees, so the guest never has to write __pycache__.
run env -u PYTHONPATH -u PYTHONHOME "$BUILD_PYTHON" -E -Wi -m compileall -q -j"$JOBS" \
  -d "$GUEST_LIBDEST" -x 'bad_coding|badsyntax|site-packages|lib2to3/tests/data' "$LIBDEST" || true

WASM_SHA=$(sha256 "$STAGE/python.wasm")
BUILD_SECONDS=$(( $(date +%s) - T0 ))
env -u PYTHONPATH -u PYTHONHOME "$BUILD_PYTHON" -E - "$STAGE/wasipy-dist.json" <<EOF
import json, sys, datetime
libs = {}
for line in """$(for p in "${LIB_PKGS[@]}"; do echo "$p $(upstream_version "${LIB_TARBALL[$p]}") $(basename "${LIB_TARBALL[$p]}") $(sha256 "${LIB_TARBALL[$p]}")"; done)""".splitlines():
    name, version, tarball, digest = line.split()
    libs[name] = {"version": version, "tarball": tarball, "sha256": digest}
dist = {
    "format": 1,
    "implementation": "cpython",
    "version": "$PY_VERSION",
    "python": "$PY_MINOR",
    "target": "wasm32-wasi",
    "key": "$KEY",
    "source": {"tarball": "$(basename "$PY_TARBALL")", "sha256": "$(sha256 "$PY_TARBALL")",
               "from": "$( [ -n "$SOURCE_TARBALL" ] && echo "--source" || echo "apt-get source python3.11 ($SUITE)")"},
    "libraries": libs,
    "toolchain": {"clang": "$CLANG_VERSION", "wasi-libc": "$WASI_LIBC_VERSION"},
    "python_wasm": "python.wasm",
    "python_wasm_sha256": "$WASM_SHA",
    "python_wasm_bytes": $(stat -c %s "$STAGE/python.wasm"),
    "stdlib": "lib/python$PY_MINOR",
    "wasm_stack_size": $WASM_STACK_SIZE,
    "recursion_limit": $RECURSION_LIMIT,
    "run": {
        "mounts": [{"host": "lib", "guest": "/usr/local/lib"}],
        "env": {"PYTHONHOME": "/usr/local"},
        "argv0": "python$PY_MINOR",
        "note": "also mount a directory at / (wasi-libc refuses paths under no mount); see src/python/README.md",
    },
    "build_seconds": $BUILD_SECONDS,
    "build_date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
}
with open(sys.argv[1], "w") as f:
    json.dump(dist, f, indent=2)
    f.write("\n")
EOF
rm -rf "$DIST.old-$$"
[ ! -e "$DIST" ] || mv "$DIST" "$DIST.old-$$"
mkdir -p "$(dirname "$DIST")"
mv "$STAGE" "$DIST"
rm -rf "$DIST.old-$$"

# --------------------------------------------------------------------------
step "clean up"
if [ "$KEEP_BUILD" = 1 ]; then
  say "    build tree kept: $BUILDDIR"
else
  rm -rf "$WORK"
fi
say "done in $(( $(date +%s) - T0 )) s: $DIST (python.wasm $(stat -c %s "$DIST/python.wasm") bytes; log: $LOG)"
echo "$DIST"
