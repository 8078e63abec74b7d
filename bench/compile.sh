#!/usr/bin/env bash
# Cold compile of a module (default: python.wasm) to native code, with 1 and
# with all cores: `wasipy compile --no-cache -o`, so nothing is read from or
# left in the code cache. Prints wall and CPU seconds and the speed-up. A
# benchmark, not a test.
#
# usage: bench/compile.sh [MODULE.wasm]
#
# Environment: WASIPY (default build/wasipy), BENCH_OUT (default build/bench).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="${BENCH_OUT:-$ROOT/build/bench}"
WASIPY="${WASIPY:-$ROOT/build/wasipy}"
MODULE="${1:-}"
if [ -z "$MODULE" ]; then
  MODULE="$("$ROOT/src/python/build-cpython.sh" | tail -n 1)/python.wasm"
fi
[ -f "$MODULE" ] || { echo "compile.sh: no module $MODULE" >&2; exit 2; }
mkdir -p "$OUT"
cores=$(nproc)

echo "native-tier compile: $(date -u +%Y-%m-%dT%H:%M:%SZ), $MODULE ($(stat -c %s "$MODULE") bytes), $cores cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-8s %10s %10s\n" jobs wall cpu
declare -A wall
for jobs in 1 "$cores"; do
  [ "$jobs" = 1 ] || [ "$jobs" != "${prev:-}" ] || continue
  prev=$jobs
  line=$(WASIPY_JOBS=$jobs /usr/bin/time -f "%e %U %S" "$WASIPY" compile --no-cache -o "$OUT/compile-bench.so" "$MODULE" 2>&1 >/dev/null | tail -n 1)
  read -r w u s <<<"$line"
  wall[$jobs]=$w
  printf "%-8s %10s %10s\n" "$jobs" "$w" "$(awk "BEGIN{print $u + $s}")"
done
rm -f "$OUT/compile-bench.so"
if [ "$cores" != 1 ]; then
  echo "speed-up with $cores jobs: $(awk "BEGIN{printf \"%.2f\", ${wall[1]} / ${wall[$cores]}}")x (target: python.wasm in <= 60 s on 2 cores)"
fi
