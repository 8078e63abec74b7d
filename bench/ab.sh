#!/usr/bin/env bash
# A/B of two wasipy builds (or two CPython WASI distributions) on the native
# tier, made to be believed on a noisy shared machine:
#  - instructions: callgrind's count for one run of each (deterministic, so
#    a 1% change shows; it does not weigh cache misses or dependencies);
#  - CPU time in pairs: A and B at the same time, each pinned to one core
#    (taskset), cores swapped every run, medians compared; a change of a
#    few percent still needs several sets of pairs to be told from noise.
# A benchmark, not a test: it fails only when A and B print different output.
#
# usage: bench/ab.sh [--pairs N] [--case cpu|bigint] WASIPY_A WASIPY_B [DIST_A [DIST_B]]
#
#   --pairs N   timed pairs (default 10; 0 = instructions only)
#   --case C    cpu: bench/python/cpu.py (1 round counted, 3 timed);
#               bigint: bench/python/bigint.py (30 rounds counted, 400 timed)
#   DIST_A/B    distribution folders (python.wasm + lib/); default: the
#               default distribution, for both
#
# Both builds fill their code cache first (untimed). Compare a build of an
# older commit by building it in a git worktree: its cache entries have
# their own keys, so both share ~/.cache/wasipy. Environment: BENCH_OUT
# (default build/bench).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
OUT="${BENCH_OUT:-$ROOT/build/bench}"
PAIRS=10
CASE=cpu
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) PAIRS="${2:?--pairs needs a number}"; shift 2 ;;
    --case) CASE="${2:?--case needs cpu or bigint}"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "ab.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -ge 2 ] || { echo "usage: bench/ab.sh [--pairs N] [--case cpu|bigint] WASIPY_A WASIPY_B [DIST_A [DIST_B]]" >&2; exit 2; }
A=$(readlink -f "$1"); B=$(readlink -f "$2")
for w in "$A" "$B"; do [ -x "$w" ] || { echo "ab.sh: $w is not an executable" >&2; exit 2; }; done
DIST_A=${3:-$("$A" python list | sed -n 's/.*  \(\/[^ ]*\)  (default)$/\1/p')}
DIST_B=${4:-$DIST_A}
for d in "$DIST_A" "$DIST_B"; do [ -f "$d/python.wasm" ] || { echo "ab.sh: no python.wasm in '$d'" >&2; exit 2; }; done
case "$CASE" in
  cpu) COUNT_ARGS="/bench/cpu.py 1"; TIME_ARGS="/bench/cpu.py 3" ;;
  bigint) COUNT_ARGS="/bench/bigint.py 30"; TIME_ARGS="/bench/bigint.py 400" ;;
  *) echo "ab.sh: unknown case $CASE (cpu or bigint)" >&2; exit 2 ;;
esac
command -v valgrind >/dev/null || { echo "ab.sh: valgrind is needed for instruction counts (apt-get install valgrind)" >&2; exit 2; }
mkdir -p "$OUT/pyroot/tmp"
run_cmd() { # WASIPY DIST ARGS
  echo "$1 run --tier native $(python_mounts "$2" "$OUT") $2/python.wasm -- $3"
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "A/B on the native tier: $(date -u +%Y-%m-%dT%H:%M:%SZ), case $CASE, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  A: $A on $DIST_A"
echo "  B: $B on $DIST_B"
# shellcheck disable=SC2046
$(run_cmd "$A" "$DIST_A" "$COUNT_ARGS") >"$tmp/out-a"
# shellcheck disable=SC2046
$(run_cmd "$B" "$DIST_B" "$COUNT_ARGS") >"$tmp/out-b"
cmp -s "$tmp/out-a" "$tmp/out-b" || { echo "ab.sh: A and B print different output:"; diff "$tmp/out-a" "$tmp/out-b" | head -n 5; exit 1; }

count() { # WASIPY DIST -> instructions
  # --trace-children: A or B may be a script that sets the environment.
  # shellcheck disable=SC2046
  valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$tmp/cg.%p" $(run_cmd "$1" "$2" "$COUNT_ARGS") 2>&1 >/dev/null |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p' | tail -n 1
}
ia=$(count "$A" "$DIST_A"); ib=$(count "$B" "$DIST_B")
printf "instructions (%s): A %d  B %d  B/A %s\n" "$COUNT_ARGS" "$ia" "$ib" "$(awk "BEGIN{printf \"%.4f\", $ib / $ia}")"

[ "$PAIRS" -gt 0 ] || exit 0
WARMUP=0 RUNS=$PAIRS
read -r _ ca _ cb < <(paired_time "$(run_cmd "$A" "$DIST_A" "$TIME_ARGS")" "$(run_cmd "$B" "$DIST_B" "$TIME_ARGS")")
[ "$ca" != error ] && [ "$cb" != error ] || { echo "ab.sh: a timed run failed" >&2; exit 1; }
echo "median CPU s of $PAIRS pairs ($TIME_ARGS): A $ca  B $cb  B/A $(awk "BEGIN{printf \"%.3f\", $cb / $ca}")"
