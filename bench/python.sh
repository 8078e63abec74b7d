#!/usr/bin/env bash
# CPython benchmark: `python -c pass` start-up and a CPU-bound script
# (bench/python/cpu.py), on native python3.11, on the WASI build under wasipy
# and under Node (V8), in the same run; prints times and ratios. A benchmark,
# not a test: it fails only when a runner prints a different result.
#
# usage: bench/python.sh [--runs N] [--wall] [--dist DIR] [--tier native|interp]
#
#   --runs N    timed runs per case and runner, the median is kept (default 3)
#   --wall      compare wall times instead of CPU times (user+sys, the default)
#   --tier T    wasipy's tier (default native; its code cache is filled by
#               the warm-up run, so times are warm-cache times)
#   --dist DIR  a CPython WASI distribution (python.wasm + lib/python3.11/);
#               default: the one src/python/build-cpython.sh builds for the
#               current inputs (built first if missing, which takes minutes)
#
# Environment: WASIPY (default build/wasipy), NODE_RUNNER (default
# ../shared/peers/node-wasi-run.mjs beside the repo), NATIVE_PYTHON (default
# /usr/bin/python3.11), BENCH_OUT (default build/bench).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
OUT="${BENCH_OUT:-$ROOT/build/bench}"
WASIPY="${WASIPY:-$ROOT/build/wasipy}"
NODE_RUNNER="${NODE_RUNNER:-$ROOT/../shared/peers/node-wasi-run.mjs}"
NATIVE_PYTHON="${NATIVE_PYTHON:-/usr/bin/python3.11}"
RUNS=3
METRIC=cpu
DIST=""
CPU_REPS=5
TIER=native

while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="${2:?--runs needs a number}"; shift 2 ;;
    --wall) METRIC=wall; shift ;;
    --dist) DIST="${2:?--dist needs a directory}"; shift 2 ;;
    --tier) TIER="${2:?--tier needs native or interp}"; shift 2 ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "python.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

if [ -z "$DIST" ]; then
  DIST=$("$ROOT/src/python/build-cpython.sh" | tail -n 1)
fi
[ -f "$DIST/python.wasm" ] || { echo "python.sh: no python.wasm in $DIST" >&2; exit 2; }
DIST=$(cd "$DIST" && pwd)
mkdir -p "$OUT/pyroot/tmp"

have_wasipy=1; [ -x "$WASIPY" ] || have_wasipy=0
have_node=1
if ! command -v node >/dev/null || [ ! -f "$NODE_RUNNER" ]; then have_node=0; fi

WASI_MOUNTS=$(python_mounts "$DIST" "$OUT")
cmd_for() { # runner case
  case "$1" in
    native) echo "$NATIVE_PYTHON -I $(python_case_args "$2" host)" ;;
    wasipy) echo "$WASIPY run --tier $TIER $WASI_MOUNTS $DIST/python.wasm -- $(python_case_args "$2" guest)" ;;
    node) echo "node --stack-size=4000 $NODE_RUNNER $WASI_MOUNTS $DIST/python.wasm -- $(python_case_args "$2" guest)" ;;
  esac
}

echo "python benchmark: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, median of $RUNS runs, $([ $METRIC = cpu ] && echo 'CPU seconds (user+sys)' || echo 'wall seconds')"
echo "native: $NATIVE_PYTHON -I ($("$NATIVE_PYTHON" -c 'import sys; print(sys.version.split()[0])'))"
echo "wasm:   $DIST/python.wasm"
echo "wasipy: $([ $have_wasipy = 1 ] && echo "$WASIPY --tier $TIER" || echo "not built ($WASIPY)")"
echo "node:   $([ $have_node = 1 ] && echo "$(node --version) $NODE_RUNNER" || echo "n/a")"
echo

fmt="%-14s %9s %9s %9s %9s %9s %9s\n"
printf "$fmt" case native wasipy node w/native n/native w/node
printf "$fmt" -------------- --------- --------- --------- --------- --------- ---------
status=0
for c in pass cpu; do
  expect=$(output_of "$(cmd_for native $c)")
  t_native=$(pick "$(time_cmd "$(cmd_for native $c)")")
  t_wasipy="not built"; t_node="n/a"; note=""
  for r in wasipy node; do
    [ "$r" = wasipy ] && [ $have_wasipy = 0 ] && continue
    [ "$r" = node ] && [ $have_node = 0 ] && continue
    if got=$(output_of "$(cmd_for $r $c)"); then
      if [ "$got" = "$expect" ]; then t=$(pick "$(time_cmd "$(cmd_for $r $c)")") || t="error"
      else t="WRONG"; note+=" $r printed '$(echo "$got" | head -c 100)';"; status=1; fi
    else
      t="error"; note+=" $r: $(head -n 1 "$OUT/last-stderr" | head -c 120);"
    fi
    if [ "$r" = wasipy ]; then t_wasipy=$t; else t_node=$t; fi
  done
  label=$([ $c = pass ] && echo "-c pass" || echo "cpu.py $CPU_REPS")
  printf "$fmt" "$label" "$t_native" "$t_wasipy" "$t_node" \
    "$(ratio "$t_wasipy" "$t_native")" "$(ratio "$t_node" "$t_native")" "$(ratio "$t_wasipy" "$t_node")"
  [ -z "$note" ] || echo "               note:$note"
done
exit $status
