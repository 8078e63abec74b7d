#!/usr/bin/env bash
# CPython on wasipy's native tier against CPython translated by wabt's wasm2c:
# the issue's reference for the native tier ("wasm2c on python.wasm, gcc -O2
# ... the native tier must compile faster than that and run at least as fast
# as that output does"). Debian ships no WASI host for wasm2c's output, so
# this script links it with bench/wasm2c/wasi_shim.c, a minimal WASI preview1
# host (paths go straight to the host: a harness, not a sandbox).
#
# It translates python.wasm with wasm2c, compiles the C with `gcc -O2 -fPIC
# -shared` on one core (cached under $BENCH_OUT/wasm2c-python/ by the
# module's hash and the tools' versions, so reruns skip it), links the shim
# with wasm-rt-impl, then times `python -c pass` and `bench/python/cpu.py N`
# on native python3.11, under `wasipy run --tier native` (warm code cache)
# and under the wasm2c build, all with bench/python.sh's mounts (stdlib at
# /usr/local/lib, PYTHONHOME=/usr/local). It checks that all print the same
# output, prints median times and the ratios wasipy/wasm2c, wasipy/native and
# wasm2c/native, then the cold compile times: wasm2c + gcc -O2 (one core, as
# measured when the cache was filled) versus `wasipy compile --no-cache -o`
# (all cores). A benchmark, not a test: it fails only when a runner prints a
# different result or something cannot be built.
#
# usage: bench/wasm2c-python.sh [--runs N] [--wall] [--reps N] [--dist DIR]
#                               [--rebuild] [--no-compile]
#
#   --runs N      timed runs per case and runner, the median is kept (default 5)
#   --wall        compare wall times instead of CPU times (user+sys, the default)
#   --reps N      cpu.py's argument (default 5)
#   --dist DIR    a CPython WASI distribution (python.wasm + lib/python3.11/);
#                 default: src/python/build-cpython.sh's for the current inputs
#   --rebuild     translate and compile again (and re-measure) even if cached
#   --no-compile  skip timing `wasipy compile --no-cache` (about a minute)
#
# Environment: WASIPY (default build/wasipy), NATIVE_PYTHON (default
# /usr/bin/python3.11), BENCH_OUT (default build/bench), WASM2C (default
# wasm2c), W2C_CC (default gcc), WASM_RT_DIR (default /usr/share/wabt/wasm2c,
# for wasm-rt-impl.h), WASM_RT_LIB (default: -lwasm-rt-impl, Debian's
# libwasm-rt-impl.a). Results also go to $BENCH_OUT/wasm2c-python-results.tsv.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
OUT="${BENCH_OUT:-$ROOT/build/bench}"
WASIPY="${WASIPY:-$ROOT/build/wasipy}"
NATIVE_PYTHON="${NATIVE_PYTHON:-/usr/bin/python3.11}"
WASM2C="${WASM2C:-wasm2c}"
W2C_CC="${W2C_CC:-gcc}"
WASM_RT_DIR="${WASM_RT_DIR:-/usr/share/wabt/wasm2c}"
WASM_RT_LIB="${WASM_RT_LIB:-}"
SHIM="$ROOT/bench/wasm2c/wasi_shim.c"
RUNS=5
METRIC=cpu
CPU_REPS=5
DIST=""
REBUILD=0
COMPILE=1

while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="${2:?--runs needs a number}"; shift 2 ;;
    --runs=*) RUNS="${1#--runs=}"; shift ;;
    --wall) METRIC=wall; shift ;;
    --reps) CPU_REPS="${2:?--reps needs a number}"; shift 2 ;;
    --dist) DIST="${2:?--dist needs a directory}"; shift 2 ;;
    --rebuild) REBUILD=1; shift ;;
    --no-compile) COMPILE=0; shift ;;
    -h|--help) sed -n '2,37p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "wasm2c-python.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

for tool in "$WASM2C" "$W2C_CC" "$NATIVE_PYTHON" python3 sha256sum; do
  command -v "$tool" >/dev/null || { echo "wasm2c-python.sh: needs $tool (apt-get install wabt gcc python3.11)" >&2; exit 2; }
done
[ -f "$WASM_RT_DIR/wasm-rt-impl.h" ] || { echo "wasm2c-python.sh: no $WASM_RT_DIR/wasm-rt-impl.h (package wabt)" >&2; exit 2; }
[ -x "$WASIPY" ] || { echo "wasm2c-python.sh: no wasipy at $WASIPY (set WASIPY)" >&2; exit 2; }
if [ -n "$WASM_RT_LIB" ]; then rt_link=("$WASM_RT_LIB"); else rt_link=(-lwasm-rt-impl); fi

if [ -z "$DIST" ]; then
  DIST=$("$ROOT/src/python/build-cpython.sh" | tail -n 1)
fi
[ -f "$DIST/python.wasm" ] || { echo "wasm2c-python.sh: no python.wasm in $DIST" >&2; exit 2; }
DIST=$(cd "$DIST" && pwd)
WASM="$DIST/python.wasm"
mkdir -p "$OUT/pyroot/tmp"

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# ---- the wasm2c build ---------------------------------------------------------
# Cached by the module's hash and the translator's and compiler's versions:
# python.c/.h (wasm2c), python.so (gcc -O2 -fPIC -shared, one process: one
# core) and compile-times (their wall/user/sys seconds when measured). The
# runner (the shim, linked with python.so and wasm-rt-impl) is relinked every
# time: a second, and always the current shim.
w2c_version=$("$WASM2C" --version)
cc_version="$W2C_CC $("$W2C_CC" -dumpfullversion)"
key=$( { sha256sum <"$WASM"; echo "$w2c_version"; echo "$cc_version"; } | sha256sum | cut -c1-16)
W2C="$OUT/wasm2c-python/$key"
mkdir -p "$W2C"
W2C_CFLAGS=(-O2 -fPIC -shared)

timed() { # LOG CMD... -> "WALL USER SYS" of CMD (its output to LOG); fails with it
  local log=$1; shift
  /usr/bin/time -f "%e %U %S" -o "$log.time" "$@" >"$log" 2>&1 || { cat "$log" >&2; return 1; }
  cat "$log.time"
}

if [ "$REBUILD" = 1 ] || [ ! -f "$W2C/python.so" ] || [ ! -f "$W2C/compile-times" ]; then
  rm -f "$W2C/python.so" "$W2C/compile-times"
  echo "building the wasm2c translation of $WASM in $W2C (gcc -O2 on one core: minutes)..." >&2
  t_tr=$(timed "$W2C/wasm2c.log" "$WASM2C" "$WASM" -n python -o "$W2C/python.c") ||
    { echo "wasm2c-python.sh: wasm2c failed" >&2; exit 2; }
  t_cc=$(timed "$W2C/gcc.log" nice -n 10 "$W2C_CC" "${W2C_CFLAGS[@]}" -I"$WASM_RT_DIR" \
    -o "$W2C/python.so" "$W2C/python.c") || { echo "wasm2c-python.sh: $W2C_CC failed on $W2C/python.c" >&2; exit 2; }
  printf 'wasm2c %s\ncc %s\nwhen %s\nload %s\n' "$t_tr" "$t_cc" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(loadavg)" >"$W2C/compile-times"
fi
# The header names the instance type Z_python_instance_t and _start's export
# Z_pythonZ__start in wasm2c 1.0.32; the shim builds those names from
# W2C_PREFIX, read here from the header rather than guessed.
prefix=$(sed -nE 's/^void ([A-Za-z0-9_]+)_instantiate\(.*/\1/p' "$W2C/python.h")
if [ -z "$prefix" ] || ! grep -qF "${prefix}Z__start(" "$W2C/python.h"; then
  echo "wasm2c-python.sh: no _instantiate / _start in $W2C/python.h" >&2; exit 2
fi
"$W2C_CC" -O2 -Wall -I"$W2C" -I"$WASM_RT_DIR" -DW2C_HEADER='"python.h"' -DW2C_PREFIX="$prefix" \
  -o "$W2C/python-w2c" "$SHIM" "$W2C/python.so" -Wl,-rpath,"$W2C" -rdynamic "${rt_link[@]}" -lm -lpthread ||
  { echo "wasm2c-python.sh: cannot link the shim" >&2; exit 2; }

memcheck_mode=$(printf '#include "wasm-rt.h"\n#if defined(WASM_RT_MEMCHECK_GUARD_PAGES)\nguard-pages=WASM_RT_MEMCHECK_GUARD_PAGES\n#elif defined(WASM_RT_MEMCHECK_SIGNAL_HANDLER)\nsignal-handler=WASM_RT_MEMCHECK_SIGNAL_HANDLER\n#endif\n' |
  "$W2C_CC" -O2 -E -P -x c - 2>/dev/null | grep -E '^(guard-pages|signal-handler)=' || echo unknown)

# ---- running ------------------------------------------------------------------
# bench/python.sh's guests (bench/lib.sh); the shim takes `wasipy run`'s options.
WASI_MOUNTS=$(python_mounts "$DIST" "$OUT")
cmd_for() { # runner case
  case "$1" in
    native) echo "$NATIVE_PYTHON -I $(python_case_args "$2" host)" ;;
    wasipy) echo "$WASIPY run --tier native $WASI_MOUNTS $WASM -- $(python_case_args "$2" guest)" ;;
    wasm2c) echo "$W2C/python-w2c $WASI_MOUNTS -- $(python_case_args "$2" guest)" ;;
  esac
}

echo "CPython: wasipy native tier vs wasm2c: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load $(loadavg), median of $RUNS runs, $([ $METRIC = cpu ] && echo 'CPU seconds (user+sys)' || echo 'wall seconds')"
echo "module: $WASM ($(stat -c %s "$WASM") bytes)"
echo "native: $NATIVE_PYTHON -I ($("$NATIVE_PYTHON" -c 'import sys; print(sys.version.split()[0])'))"
echo "wasipy: $WASIPY run --tier native (warm code cache)"
echo "wasm2c: $w2c_version + $cc_version ${W2C_CFLAGS[*]}, wasm-rt-impl ${rt_link[*]}, memory checks: $memcheck_mode; WASI: bench/wasm2c/wasi_shim.c"
echo

fmt="%-14s %9s %9s %9s %9s %9s %9s\n"
printf "$fmt" case native wasipy wasm2c w/wasm2c w/native c/native
printf "$fmt" -------------- --------- --------- --------- --------- --------- ---------
printf 'what\tcase\tnative_wall_s\tnative_cpu_s\twasipy_wall_s\twasipy_cpu_s\twasm2c_wall_s\twasm2c_cpu_s\n' >"$OUT/wasm2c-python-results.tsv"
wall_cpu() { if [[ "$1" == *" "* ]]; then echo "${1% *}"$'\t'"${1#* }"; else echo "$1"$'\t'"$1"; fi; }
status=0
for c in pass cpu; do
  expect=$(output_of "$(cmd_for native $c)") || { echo "wasm2c-python.sh: native python failed" >&2; exit 2; }
  tm_native=$(time_cmd "$(cmd_for native $c)")
  declare -A tms=()
  note=""
  for r in wasipy wasm2c; do
    # (For wasipy this run also fills the code cache: the timed runs are warm.)
    if got=$(output_of "$(cmd_for $r $c)"); then
      if [ "$got" = "$expect" ]; then tm=$(time_cmd "$(cmd_for $r $c)") || tm="error"
      else tm="WRONG"; note+=" $r printed '$(echo "$got" | head -c 100)';"; status=1; fi
    else
      tm="error"; note+=" $r: $(head -n 1 "$OUT/last-stderr" | head -c 120);"; status=1
    fi
    tms[$r]=$tm
  done
  tn=$(pick "$tm_native"); tw=$(pick "${tms[wasipy]}"); tc=$(pick "${tms[wasm2c]}")
  label=$([ $c = pass ] && echo "-c pass" || echo "cpu.py $CPU_REPS")
  printf "$fmt" "$label" "$tn" "$tw" "$tc" "$(ratio "$tw" "$tc")" "$(ratio "$tw" "$tn")" "$(ratio "$tc" "$tn")"
  [ -z "$note" ] || echo "               note:$note"
  printf 'run\t%s\t%s\t%s\t%s\n' "$label" "$(wall_cpu "$tm_native")" "$(wall_cpu "${tms[wasipy]}")" "$(wall_cpu "${tms[wasm2c]}")" >>"$OUT/wasm2c-python-results.tsv"
  unset tms
done
[ -z "$expect" ] || echo "(cpu.py's output, the same for all: $expect)"
echo "load after the runs: $(loadavg)"

# ---- compile time -----------------------------------------------------------------
# wasm2c + gcc -O2 as measured when the cache was filled (--rebuild measures
# again), one process each, so one core; wasipy compile --no-cache measured
# now, with its default jobs (one unit per core).
echo
read -r _ tr_w tr_u tr_s < <(grep '^wasm2c ' "$W2C/compile-times")
read -r _ cc_w cc_u cc_s < <(grep '^cc ' "$W2C/compile-times")
w2c_when=$(sed -n 's/^when //p' "$W2C/compile-times"); w2c_load=$(sed -n 's/^load //p' "$W2C/compile-times")
w2c_wall=$(awk "BEGIN{printf \"%.1f\", $tr_w + $cc_w}")
w2c_cpu=$(awk "BEGIN{printf \"%.1f\", $tr_u + $tr_s + $cc_u + $cc_s}")
echo "cold compile of python.wasm to a shared object, seconds:"
cfmt="%-44s %8s %8s\n"
printf "$cfmt" "" wall cpu
printf "$cfmt" "wasm2c + $W2C_CC -O2 -fPIC -shared (1 core)" "$w2c_wall" "$w2c_cpu"
printf "$cfmt" "  of which wasm2c" "$tr_w" "$(awk "BEGIN{printf \"%.1f\", $tr_u + $tr_s}")"
echo "  (measured $w2c_when, load at its end $w2c_load; C file $(stat -c %s "$W2C/python.c") bytes)"
if [ "$COMPILE" = 1 ]; then
  if t_wp=$(timed "$OUT/wasipy-compile.log" "$WASIPY" compile --no-cache -o "$W2C/wasipy-python.so" "$WASM"); then
    read -r wp_w wp_u wp_s <<<"$t_wp"
    wp_cpu=$(awk "BEGIN{printf \"%.1f\", $wp_u + $wp_s}")
    printf "$cfmt" "wasipy compile --no-cache ($(nproc) cores)" "$wp_w" "$wp_cpu"
    echo "  (measured now, load $(loadavg))"
    echo "wall ratio wasipy/wasm2c+gcc: $(ratio "$wp_w" "$w2c_wall")   CPU ratio: $(ratio "$wp_cpu" "$w2c_cpu")   (the issue's goal: wall < 1)"
    printf 'compile\twasipy\t-\t-\t%s\t%s\t-\t-\n' "$wp_w" "$wp_cpu" >>"$OUT/wasm2c-python-results.tsv"
  else
    echo "wasipy compile failed (see $OUT/wasipy-compile.log)"; status=1
  fi
  rm -f "$W2C/wasipy-python.so"
fi
printf 'compile\twasm2c+gcc\t-\t-\t-\t-\t%s\t%s\n' "$w2c_wall" "$w2c_cpu" >>"$OUT/wasm2c-python-results.tsv"
echo "results: $OUT/wasm2c-python-results.tsv"
exit $status
