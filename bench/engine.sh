#!/usr/bin/env bash
# Engine benchmark: freestanding C kernels (bench/kernels/*.c) compiled to
# wasm32 and natively, run natively, with `wasipy run --invoke` and with Node
# (V8) through ../shared/peers/node-wasi-run.mjs, in the same run. Prints each
# time and the ratios to native and to Node, and the median ratio to native.
# It is a benchmark, not a test: it fails only when the runners disagree on a
# checksum or something cannot be built.
#
# usage: bench/engine.sh [--runs N] [--wall] [--quick] [--tier native|interp] [KERNEL...]
#
#   --runs N   timed runs per kernel and runner, the median is kept (default 3)
#   --wall     compare wall times instead of CPU times (user+sys; the default,
#              steadier on a machine shared with other jobs)
#   --quick    sizes ~20x smaller (a smoke run: checks checksums, times mean little)
#   --tier T   wasipy's tier (default native, warm code cache; targets:
#              native <= ~1.1x, the interpreter <= 8x)
#   KERNEL     a subset: fib sieve sha256 matmul parser nbody hashmap
#
# Environment: WASIPY (default build/wasipy), NODE_RUNNER (default
# ../shared/peers/node-wasi-run.mjs beside the repo), NATIVE_CC (default
# clang-14: the same compiler and optimizer as the wasm build), BENCH_OUT
# (default build/bench). Each case runs once untimed, then --runs times
# (bench/timeit.py); both medians go to build/bench/engine-results.tsv.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
KDIR="$ROOT/bench/kernels"
OUT="${BENCH_OUT:-$ROOT/build/bench}"
WASIPY="${WASIPY:-$ROOT/build/wasipy}"
NODE_RUNNER="${NODE_RUNNER:-$ROOT/../shared/peers/node-wasi-run.mjs}"
NATIVE_CC="${NATIVE_CC:-clang-14}"
RUNS=3
TIER=native
METRIC=cpu
QUICK=0
SELECTED=()

while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="${2:?--runs needs a number}"; shift 2 ;;
    --runs=*) RUNS="${1#--runs=}"; shift ;;
    --quick) QUICK=1; shift ;;
    --tier) TIER="${2:?--tier needs native or interp}"; shift 2 ;;
    --wall) METRIC=wall; shift ;;
    -h|--help) sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "engine.sh: unknown option $1" >&2; exit 2 ;;
    *) SELECTED+=("$1"); shift ;;
  esac
done

# name, then the two arguments (size, reps): native code takes ~0.25-0.35 s
# on the 2-core development machine.
KERNELS=(
  "fib 40 1"
  "sieve 8000000 15"
  "sha256 1000000 72"
  "matmul 256 72"
  "parser 1000000 72"
  "nbody 6000000 1"
  "hashmap 500000 9"
)
QUICK_KERNELS=(
  "fib 34 1"
  "sieve 400000 15"
  "sha256 50000 72"
  "matmul 96 72"
  "parser 50000 72"
  "nbody 300000 1"
  "hashmap 25000 9"
)
[ "$QUICK" = 1 ] && KERNELS=("${QUICK_KERNELS[@]}")
if [ ${#SELECTED[@]} -gt 0 ]; then
  chosen=()
  for s in "${SELECTED[@]}"; do
    found=0
    for k in "${KERNELS[@]}"; do
      if [ "${k%% *}" = "$s" ]; then chosen+=("$k"); found=1; fi
    done
    [ "$found" = 1 ] || { echo "engine.sh: no kernel named $s" >&2; exit 2; }
  done
  KERNELS=("${chosen[@]}")
fi

# ---- tools --------------------------------------------------------------
need_pkgs=()
command -v clang-14 >/dev/null || need_pkgs+=(clang-14)
command -v wasm-ld-14 >/dev/null || need_pkgs+=(lld-14)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "engine.sh: installing ${need_pkgs[*]}" >&2
    apt-get install -y --no-install-recommends "${need_pkgs[@]}" >/dev/null
  else
    echo "engine.sh: needs ${need_pkgs[*]} (apt-get install ${need_pkgs[*]})" >&2; exit 2
  fi
fi
# wasm-ld is found by clang as wasm-ld on PATH; Debian's lld-14 installs
# wasm-ld-14 and, through the lld package, wasm-ld.
mkdir -p "$OUT/bin"
if ! command -v wasm-ld >/dev/null; then ln -sf "$(command -v wasm-ld-14)" "$OUT/bin/wasm-ld"; fi
export PATH="$OUT/bin:$PATH"

have_wasipy=1
wasipy_note=""
if [ ! -x "$WASIPY" ]; then have_wasipy=0; wasipy_note="not built ($WASIPY)"; fi
have_node=1
node_note=""
if ! command -v node >/dev/null; then have_node=0; node_note="node not installed"
elif [ ! -f "$NODE_RUNNER" ]; then have_node=0; node_note="no $NODE_RUNNER"; fi

# ---- build --------------------------------------------------------------
WASM_FLAGS=(--target=wasm32 -O2 -ffreestanding -nostdlib -Wl,--no-entry)
NATIVE_FLAGS=(-O2 -fno-math-errno -ffp-contract=off)
build_kernel() {
  local name=$1
  clang-14 "${WASM_FLAGS[@]}" "-Wl,--export=$name" -o "$OUT/$name.wasm" \
    "$KDIR/$name.c" "$KDIR/wasm_rt.c"
  "$NATIVE_CC" "${NATIVE_FLAGS[@]}" -DKERNEL="$name" -o "$OUT/$name" "$KDIR/driver.c" "$KDIR/$name.c"
}
for k in "nop 1 2" "${KERNELS[@]}"; do build_kernel "${k%% *}"; done

# ---- running ------------------------------------------------------------
# Each runner is a command prefix; the kernel's name, module and two numbers
# are appended.
cmd_for() { # runner name size reps
  case "$1" in
    native) echo "$OUT/$2 $3 $4" ;;
    wasipy) echo "$WASIPY run --tier $TIER --invoke $2 $OUT/$2.wasm $3 $4" ;;
    node) echo "node $NODE_RUNNER --invoke $2 $OUT/$2.wasm $3 $4" ;;
  esac
}

# The result as a signed 32-bit integer: the last integer the runner printed
# on stdout (whatever the format around it), reduced mod 2^32.
checksum_of() {
  local out
  out=$(eval "$1" 2>"$OUT/last-stderr") || return 1
  local n
  n=$(printf '%s\n' "$out" | grep -oE -- '-?[0-9]+' | tail -n 1)
  [ -n "$n" ] || return 1
  python3 -c "import sys; v = int(sys.argv[1]) % 2**32; print(v - 2**32 if v >= 2**31 else v)" "$n"
}

# Median wall time in seconds of RUNS runs (after one warm-up run).
# "WALL CPU": median wall and CPU (user+sys) seconds of RUNS runs after one
# warm-up run (bench/timeit.py).
time_cmd() {
  # shellcheck disable=SC2086
  python3 "$ROOT/bench/timeit.py" --runs "$RUNS" --warmup 1 -- $1
}

echo "engine benchmark: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, median of $RUNS runs, $([ $METRIC = cpu ] && echo 'CPU seconds (user+sys)' || echo 'wall seconds')"
echo "native: $NATIVE_CC ${NATIVE_FLAGS[*]}; wasm: clang-14 ${WASM_FLAGS[*]}"
echo "wasipy: $([ $have_wasipy = 1 ] && echo "$WASIPY" || echo "$wasipy_note")"
echo "node:   $([ $have_node = 1 ] && echo "$(node --version) $NODE_RUNNER" || echo "$node_note")"
echo

fmt="%-8s %-15s %12s %9s %9s %9s %8s %8s %8s\n"
printf "$fmt" kernel args checksum native wasipy node w/native n/native w/node
printf "$fmt" -------- --------------- ------------ --------- --------- --------- -------- -------- --------

status=0
w_ratios=()
n_ratios=()
wn_ratios=()
row() { # name size reps [startup]
  local name=$1 size=$2 reps=$3
  local expect tm_native tm_wasipy="not built" tm_node="n/a" sum_note=""
  expect=$(checksum_of "$(cmd_for native "$name" "$size" "$reps")") || { echo "engine.sh: native $name failed" >&2; return 1; }
  tm_native=$(time_cmd "$(cmd_for native "$name" "$size" "$reps")")
  local r got tm
  for r in wasipy node; do
    [ "$r" = wasipy ] && [ $have_wasipy = 0 ] && continue
    [ "$r" = node ] && [ $have_node = 0 ] && continue
    if got=$(checksum_of "$(cmd_for $r "$name" "$size" "$reps")"); then
      if [ "$got" = "$expect" ]; then tm=$(time_cmd "$(cmd_for $r "$name" "$size" "$reps")") || tm="error"
      else tm="WRONG"; sum_note+=" $r gave $got;"; status=1; fi
    else
      tm="error"; sum_note+=" $r: $(head -n 1 "$OUT/last-stderr" | head -c 120);"
    fi
    if [ "$r" = wasipy ]; then tm_wasipy=$tm; else tm_node=$tm; fi
  done
  local t_native t_wasipy t_node rw rn rwn
  t_native=$(pick "$tm_native"); t_wasipy=$(pick "$tm_wasipy"); t_node=$(pick "$tm_node")
  rw=$(ratio "$t_wasipy" "$t_native"); rn=$(ratio "$t_node" "$t_native"); rwn=$(ratio "$t_wasipy" "$t_node")
  if [ "${4:-}" != startup ]; then w_ratios+=("$rw"); n_ratios+=("$rn"); wn_ratios+=("$rwn"); fi
  printf "$fmt" "$name" "$size $reps" "$expect" "$t_native" "$t_wasipy" "$t_node" "$rw" "$rn" "$rwn"
  [ -z "$sum_note" ] || echo "         note:$sum_note"
  wall_cpu() { if [[ "$1" == *" "* ]]; then echo "${1% *}"$'\t'"${1#* }"; else echo "$1"$'\t'"$1"; fi; }
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$size $reps" "$expect" \
    "$(wall_cpu "$tm_native")" "$(wall_cpu "$tm_wasipy")" "$(wall_cpu "$tm_node")" >>"$OUT/engine-results.tsv"
}

printf 'kernel\targs\tchecksum\tnative_wall_s\tnative_cpu_s\twasipy_wall_s\twasipy_cpu_s\tnode_wall_s\tnode_cpu_s\n' >"$OUT/engine-results.tsv"
row nop 1 2 startup
for k in "${KERNELS[@]}"; do
  # shellcheck disable=SC2086
  row $k
done
echo
echo "(nop: each runner's fixed cost per run, not in the medians)"
echo "median ratio to native: wasipy $(median_of "${w_ratios[@]}")  node $(median_of "${n_ratios[@]}")   (wasipy tier: $TIER)"
echo "median ratio wasipy/node: $(median_of "${wn_ratios[@]}")"
echo "results: $OUT/engine-results.tsv"
exit $status
