#!/usr/bin/env bash
# wasipy's native tier against wabt's wasm2c: the freestanding C kernels of
# bench/engine.sh (same wasm32 build, same sizes), each run as native code
# (clang-14 -O2), under `wasipy run --tier native` (warm code cache), as the
# wasm2c translation of the same .wasm compiled with `gcc -O2` and linked with
# wasm-rt-impl, and optionally under the interpreter (--interp). Checks that
# all print the same checksum, prints the median CPU times and the ratios
# wasipy/wasm2c, wasipy/native and wasm2c/native, then the wall time of a
# cold compile of each module: wasm2c + gcc -O2 to a shared object versus
# `wasipy compile --no-cache -o`. A benchmark, not a test: it fails only when
# the runners disagree on a checksum or something cannot be built.
#
# usage: bench/wasm2c.sh [--runs N] [--wall] [--quick] [--interp] [KERNEL...]
#
#   --runs N   timed runs per kernel and runner, the median is kept (default 3)
#   --wall     compare wall times instead of CPU times (user+sys, the default)
#   --quick    engine.sh's ~20x smaller sizes (checks checksums fast)
#   --interp   also time `wasipy run --tier interp` (slow: 5-40x native)
#   KERNEL     a subset: fib sieve sha256 matmul parser nbody hashmap
#
# Environment: WASIPY (default build/wasipy), BENCH_OUT (default build/bench),
# WASM2C (default wasm2c), W2C_CC (default gcc), WASM_RT_DIR (default
# /usr/share/wabt/wasm2c, for wasm-rt-impl.h), WASM_RT_LIB (default: link
# -lwasm-rt-impl, Debian's libwasm-rt-impl.a). The sizes, the wasm32 flags and
# the native flags are read from bench/engine.sh, so both scripts measure the
# same modules. Results also go to $BENCH_OUT/wasm2c-results.tsv.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
KDIR="$ROOT/bench/kernels"
ENGINE="$ROOT/bench/engine.sh"
OUT="${BENCH_OUT:-$ROOT/build/bench}"
WASIPY="${WASIPY:-$ROOT/build/wasipy}"
WASM2C="${WASM2C:-wasm2c}"
W2C_CC="${W2C_CC:-gcc}"
WASM_RT_DIR="${WASM_RT_DIR:-/usr/share/wabt/wasm2c}"
WASM_RT_LIB="${WASM_RT_LIB:-}"
RUNS=3
METRIC=cpu
QUICK=0
INTERP=0
SELECTED=()

while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="${2:?--runs needs a number}"; shift 2 ;;
    --runs=*) RUNS="${1#--runs=}"; shift ;;
    --quick) QUICK=1; shift ;;
    --wall) METRIC=wall; shift ;;
    --interp) INTERP=1; shift ;;
    -h|--help) sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "wasm2c.sh: unknown option $1" >&2; exit 2 ;;
    *) SELECTED+=("$1"); shift ;;
  esac
done

# ---- what engine.sh measures ----------------------------------------------
# Its kernel tables ("name size reps" lines inside KERNELS=( ... ) and
# QUICK_KERNELS=( ... )) and its WASM_FLAGS / NATIVE_FLAGS arrays.
kernel_table() { # KERNELS | QUICK_KERNELS
  awk -v t="$1" '$0 ~ "^"t"=\\(" {on=1; next} on && /^\)/ {exit} on {gsub(/"/, ""); sub(/^ +/, ""); if ($0 != "") print}' "$ENGINE"
}
mapfile -t KERNELS < <(kernel_table KERNELS)
mapfile -t QUICK_KERNELS < <(kernel_table QUICK_KERNELS)
flags_src=$(grep -E '^(WASM_FLAGS|NATIVE_FLAGS)=\(' "$ENGINE" || true)
[ ${#KERNELS[@]} -gt 0 ] && [ ${#QUICK_KERNELS[@]} -gt 0 ] && [ "$(printf '%s\n' "$flags_src" | wc -l)" = 2 ] ||
  { echo "wasm2c.sh: cannot read the kernel tables and flags from $ENGINE" >&2; exit 2; }
eval "$flags_src"
[ "$QUICK" = 1 ] && KERNELS=("${QUICK_KERNELS[@]}")
if [ ${#SELECTED[@]} -gt 0 ]; then
  chosen=()
  for s in "${SELECTED[@]}"; do
    found=0
    for k in "${KERNELS[@]}"; do
      if [ "${k%% *}" = "$s" ]; then chosen+=("$k"); found=1; fi
    done
    [ "$found" = 1 ] || { echo "wasm2c.sh: no kernel named $s" >&2; exit 2; }
  done
  KERNELS=("${chosen[@]}")
fi

# ---- tools ------------------------------------------------------------------
for tool in clang-14 wasm-ld-14 "$WASM2C" "$W2C_CC"; do
  command -v "$tool" >/dev/null || { echo "wasm2c.sh: needs $tool (apt-get install clang-14 lld-14 wabt gcc)" >&2; exit 2; }
done
[ -f "$WASM_RT_DIR/wasm-rt-impl.h" ] || { echo "wasm2c.sh: no $WASM_RT_DIR/wasm-rt-impl.h (package wabt)" >&2; exit 2; }
[ -x "$WASIPY" ] || { echo "wasm2c.sh: no wasipy at $WASIPY (set WASIPY)" >&2; exit 2; }
if [ -n "$WASM_RT_LIB" ]; then rt_link=("$WASM_RT_LIB"); else rt_link=(-lwasm-rt-impl); fi
mkdir -p "$OUT/bin" "$OUT/wasm2c"
if ! command -v wasm-ld >/dev/null; then ln -sf "$(command -v wasm-ld-14)" "$OUT/bin/wasm-ld"; fi
export PATH="$OUT/bin:$PATH"
W2C="$OUT/wasm2c"

# ---- build ------------------------------------------------------------------
# engine.sh's two builds (same commands, same outputs), then wasm2c's: NAME.c
# and NAME.h from the module, compiled with gcc -O2 and the driver.
W2C_CFLAGS=(-O2)
build_kernel() {
  local name=$1
  clang-14 "${WASM_FLAGS[@]}" "-Wl,--export=$name" -o "$OUT/$name.wasm" \
    "$KDIR/$name.c" "$KDIR/wasm_rt.c"
  clang-14 "${NATIVE_FLAGS[@]}" -DKERNEL="$name" -o "$OUT/$name" "$KDIR/driver.c" "$KDIR/$name.c"
  "$WASM2C" "$OUT/$name.wasm" -n "$name" -o "$W2C/$name.c"
  # wasm2c 1.0.32 names the export Z_<module>Z_<export> and the instance type
  # Z_<module>_instance_t; read both from the header rather than guess the
  # mangling.
  local hdr="$W2C/$name.h" sym prefix
  sym=$(grep -A1 -F "/* export: '$name' */" "$hdr" | tail -n 1 | sed -nE 's/^[A-Za-z0-9_ ]+[ *]([A-Za-z0-9_]+)\(.*/\1/p')
  prefix=$(sed -nE 's/^void ([A-Za-z0-9_]+)_instantiate\(.*/\1/p' "$hdr")
  [ -n "$sym" ] && [ -n "$prefix" ] || { echo "wasm2c.sh: cannot find export $name in $hdr" >&2; return 1; }
  "$W2C_CC" "${W2C_CFLAGS[@]}" -I"$W2C" -I"$WASM_RT_DIR" -DW2C_HEADER="\"$name.h\"" \
    -DW2C_PREFIX="$prefix" -DW2C_EXPORT="$sym" -o "$W2C/$name" \
    "$KDIR/wasm2c_driver.c" "$W2C/$name.c" "${rt_link[@]}" -lm
}
for k in "nop 1 2" "${KERNELS[@]}"; do build_kernel "${k%% *}"; done

# Which bounds-check mode the wasm2c build used: wasm-rt.h's default on 64-bit
# hosts is WASM_RT_MEMCHECK_SIGNAL_HANDLER=1 (4 GiB reservation + guard pages,
# no explicit checks; later wabt versions call it WASM_RT_MEMCHECK_GUARD_PAGES).
memcheck_mode=$(printf '#include "wasm-rt.h"\n#if defined(WASM_RT_MEMCHECK_GUARD_PAGES)\nguard-pages=WASM_RT_MEMCHECK_GUARD_PAGES\n#elif defined(WASM_RT_MEMCHECK_SIGNAL_HANDLER)\nsignal-handler=WASM_RT_MEMCHECK_SIGNAL_HANDLER\n#endif\n' |
  "$W2C_CC" "${W2C_CFLAGS[@]}" -E -P -x c - 2>/dev/null | grep -E '^(guard-pages|signal-handler)=' || echo unknown)
case "$memcheck_mode" in
  signal-handler=1|guard-pages=1) memcheck_note="guard pages + SIGSEGV handler, no explicit bounds checks ($memcheck_mode)" ;;
  signal-handler=0|guard-pages=0) memcheck_note="explicit bounds checks ($memcheck_mode)" ;;
  *) memcheck_note="unknown ($memcheck_mode)" ;;
esac

# ---- running ----------------------------------------------------------------
cmd_for() { # runner name size reps -> the command, one word per line
  case "$1" in
    native) printf '%s\n' "$OUT/$2" "$3" "$4" ;;
    wasipy) printf '%s\n' "$WASIPY" run --tier native --invoke "$2" "$OUT/$2.wasm" "$3" "$4" ;;
    interp) printf '%s\n' "$WASIPY" run --tier interp --invoke "$2" "$OUT/$2.wasm" "$3" "$4" ;;
    wasm2c) printf '%s\n' "$W2C/$2" "$3" "$4" ;;
  esac
}

# The result as a signed 32-bit integer: the last integer printed on stdout,
# reduced mod 2^32. (For wasipy --tier native this run also fills the code
# cache, so the timed runs below are warm.)
checksum_of() { # runner name size reps
  local -a cmd
  mapfile -t cmd < <(cmd_for "$@")
  local out n
  out=$("${cmd[@]}" 2>"$OUT/last-stderr") || return 1
  n=$(printf '%s\n' "$out" | grep -oE -- '-?[0-9]+' | tail -n 1)
  [ -n "$n" ] || return 1
  python3 -c "import sys; v = int(sys.argv[1]) % 2**32; print(v - 2**32 if v >= 2**31 else v)" "$n"
}

# "WALL CPU": medians of RUNS runs after one untimed warm-up (bench/timeit.py).
time_cmd() { # runner name size reps
  local -a cmd
  mapfile -t cmd < <(cmd_for "$@")
  python3 "$ROOT/bench/timeit.py" --runs "$RUNS" --warmup 1 -- "${cmd[@]}"
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

RUNNERS=(wasipy wasm2c)
[ "$INTERP" = 1 ] && RUNNERS+=(interp)

echo "wasipy native tier vs wasm2c: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load $(loadavg), median of $RUNS runs, $([ $METRIC = cpu ] && echo 'CPU seconds (user+sys)' || echo 'wall seconds')"
echo "native: clang-14 ${NATIVE_FLAGS[*]}; wasm: clang-14 ${WASM_FLAGS[*]}"
echo "wasipy: $WASIPY run --tier native (warm code cache)$([ "$INTERP" = 1 ] && echo '; interp: --tier interp')"
echo "wasm2c: $("$WASM2C" --version) + $W2C_CC $("$W2C_CC" -dumpfullversion) ${W2C_CFLAGS[*]}, wasm-rt-impl ${rt_link[*]}; memory: $memcheck_note"
echo

if [ "$INTERP" = 1 ]; then
  fmt="%-8s %-15s %12s %9s %9s %9s %9s %8s %8s %8s %8s\n"
  printf "$fmt" kernel args checksum native wasipy wasm2c interp w/wasm2c w/native c/native i/native
  printf "$fmt" -------- --------------- ------------ --------- --------- --------- --------- -------- -------- -------- --------
else
  fmt="%-8s %-15s %12s %9s %9s %9s %8s %8s %8s\n"
  printf "$fmt" kernel args checksum native wasipy wasm2c w/wasm2c w/native c/native
  printf "$fmt" -------- --------------- ------------ --------- --------- --------- -------- -------- --------
fi

status=0
wc_ratios=()
wn_ratios=()
cn_ratios=()
in_ratios=()
row() { # name size reps [startup]
  local name=$1 size=$2 reps=$3
  local expect sum_note="" r got tm
  declare -A tms=([wasipy]="-" [wasm2c]="-" [interp]="-")
  expect=$(checksum_of native "$name" "$size" "$reps") || { echo "wasm2c.sh: native $name failed" >&2; return 1; }
  local tm_native
  tm_native=$(time_cmd native "$name" "$size" "$reps")
  for r in "${RUNNERS[@]}"; do
    if got=$(checksum_of "$r" "$name" "$size" "$reps"); then
      if [ "$got" = "$expect" ]; then tm=$(time_cmd "$r" "$name" "$size" "$reps") || tm="error"
      else tm="WRONG"; sum_note+=" $r gave $got;"; status=1; fi
    else
      tm="error"; sum_note+=" $r: $(head -n 1 "$OUT/last-stderr" | head -c 120);"; status=1
    fi
    tms[$r]=$tm
  done
  local tn tw tc ti rwc rwn rcn rin
  tn=$(pick "$tm_native"); tw=$(pick "${tms[wasipy]}"); tc=$(pick "${tms[wasm2c]}"); ti=$(pick "${tms[interp]}")
  rwc=$(ratio "$tw" "$tc"); rwn=$(ratio "$tw" "$tn"); rcn=$(ratio "$tc" "$tn"); rin=$(ratio "$ti" "$tn")
  if [ "${4:-}" != startup ]; then wc_ratios+=("$rwc"); wn_ratios+=("$rwn"); cn_ratios+=("$rcn"); in_ratios+=("$rin"); fi
  if [ "$INTERP" = 1 ]; then
    printf "$fmt" "$name" "$size $reps" "$expect" "$tn" "$tw" "$tc" "$ti" "$rwc" "$rwn" "$rcn" "$rin"
  else
    printf "$fmt" "$name" "$size $reps" "$expect" "$tn" "$tw" "$tc" "$rwc" "$rwn" "$rcn"
  fi
  [ -z "$sum_note" ] || echo "         note:$sum_note"
  wall_cpu() { if [[ "$1" == *" "* ]]; then echo "${1% *}"$'\t'"${1#* }"; else echo "$1"$'\t'"$1"; fi; }
  printf 'run\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$size $reps" "$expect" \
    "$(wall_cpu "$tm_native")" "$(wall_cpu "${tms[wasipy]}")" "$(wall_cpu "${tms[wasm2c]}")" "$(wall_cpu "${tms[interp]}")" >>"$OUT/wasm2c-results.tsv"
}

printf 'what\tkernel\targs\tchecksum\tnative_wall_s\tnative_cpu_s\twasipy_wall_s\twasipy_cpu_s\twasm2c_wall_s\twasm2c_cpu_s\tinterp_wall_s\tinterp_cpu_s\n' >"$OUT/wasm2c-results.tsv"
row nop 1 2 startup
for k in "${KERNELS[@]}"; do
  # shellcheck disable=SC2086
  row $k
done
echo
echo "(nop: each runner's fixed cost per run, not in the medians; w = wasipy --tier native, c = wasm2c, i = interp)"
echo "median ratio wasipy/wasm2c: $(median_of "${wc_ratios[@]}")   (the issue's goal: <= 1)"
echo "median ratio to native: wasipy $(median_of "${wn_ratios[@]}")  wasm2c $(median_of "${cn_ratios[@]}")$([ "$INTERP" = 1 ] && echo "  interp $(median_of "${in_ratios[@]}")")"
echo "load after the runs: $(loadavg)"

# ---- compile time -------------------------------------------------------------
# Cold compile of each module to a shared object, wall seconds (median of
# RUNS): wasm2c + gcc -O2 -fPIC -shared on the generated C (the module's code
# only: no driver, no runtime) versus wasipy compile --no-cache -o (all its
# steps: decode, validate, translate, cc -O1 in parallel units, link).
echo
echo "cold compile to a shared object, wall seconds (CPU in $OUT/wasm2c-results.tsv), median of $RUNS, load $(loadavg):"
cfmt="%-8s %8s %14s %14s %9s\n"
printf "$cfmt" kernel "wasm B" "wasm2c+gcc-O2" "wasipy-compile" "w/wasm2c"
printf "$cfmt" -------- -------- -------------- -------------- ---------
compile_ratios=()
for k in "nop 1 2" "${KERNELS[@]}"; do
  name=${k%% *}
  tw2c=$(python3 "$ROOT/bench/timeit.py" --runs "$RUNS" --warmup 0 -- sh -c \
    '"$1" "$2" -n "$3" -o "$4.c" && "$5" -O2 -fPIC -shared -I"$6" -o "$4.so" "$4.c"' \
    sh "$WASM2C" "$OUT/$name.wasm" "$name" "$W2C/cc-$name" "$W2C_CC" "$WASM_RT_DIR") || tw2c="error"
  twp=$(python3 "$ROOT/bench/timeit.py" --runs "$RUNS" --warmup 0 -- \
    "$WASIPY" compile --no-cache -o "$W2C/wasipy-$name.so" "$OUT/$name.wasm") || twp="error"
  rm -f "$W2C/cc-$name.c" "$W2C/cc-$name.h" "$W2C/cc-$name.so" "$W2C/wasipy-$name.so"
  a=${tw2c% *}; b=${twp% *}
  rc=$(ratio "$b" "$a")
  [ "$name" = nop ] || compile_ratios+=("$rc")
  printf "$cfmt" "$name" "$(stat -c %s "$OUT/$name.wasm")" "$a" "$b" "$rc"
  printf 'compile\t%s\t-\t-\t-\t-\t%s\t%s\t%s\t%s\t-\t-\n' "$name" "${twp% *}" "${twp#* }" "${tw2c% *}" "${tw2c#* }" >>"$OUT/wasm2c-results.tsv"
done
echo "median compile-time ratio wasipy/wasm2c+gcc: $(median_of "${compile_ratios[@]}")"
echo "results: $OUT/wasm2c-results.tsv"
exit $status
