#!/usr/bin/env bash
# Runs CPython's own test modules (regrtest, from the distribution's
# lib/python3.X/test) on a CPython WASI distribution under a WASI runtime,
# one module per run, and prints a table of tests ran / passed / skipped /
# failed per module, to compare runtimes side by side.
#
# usage: src/python/cpython-tests.sh [--runner node|wasipy] [--dist DIR]
#                                    [--timeout SECONDS] [--out FILE] [MODULE...]
#
#   --runner   node (../shared/peers/node-wasi-run.mjs under node --stack-size=4000)
#              or wasipy (build/wasipy run); default node
#   --dist     the distribution; default: the one build-cpython.sh builds for
#              the current inputs (built first if missing)
#   --timeout  per module (default 900 s): a module still running then counts
#              as "timeout" (Node's WASI never returns from time.sleep)
#   --out      also write the table as TSV to FILE
#   MODULE     default: the modules issue 3 names
#
# Each module runs as `python -m test -v MODULE` with the mount recipe of
# src/python/README.md and a fresh scratch directory (with tmp/) at /. Its
# full output is kept in build/cpython-tests/<runner>/MODULE.log.
# Environment: WASIPY (default build/wasipy), NODE_RUNNER.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WASIPY="${WASIPY:-$ROOT/build/wasipy}"
NODE_RUNNER="${NODE_RUNNER:-$ROOT/../shared/peers/node-wasi-run.mjs}"
RUNNER=node
DIST=""
TIMEOUT=900
OUT_TSV=""
MODULES=()

while [ $# -gt 0 ]; do
  case "$1" in
    --runner) RUNNER="${2:?}"; shift 2 ;;
    --dist) DIST="${2:?}"; shift 2 ;;
    --timeout) TIMEOUT="${2:?}"; shift 2 ;;
    --out) OUT_TSV="${2:?}"; shift 2 ;;
    -h|--help) sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "cpython-tests.sh: unknown option $1" >&2; exit 2 ;;
    *) MODULES+=("$1"); shift ;;
  esac
done
[ ${#MODULES[@]} -gt 0 ] || MODULES=(test_os test_posixpath test_pathlib test_shutil test_tempfile
  test_io test_fileio test_file test_glob test_json test_re test_unicode test_math
  test_datetime test_time test_zlib test_bz2 test_lzma test_sqlite3)

case "$RUNNER" in
  node) command -v node >/dev/null && [ -f "$NODE_RUNNER" ] || { echo "cpython-tests.sh: needs node and $NODE_RUNNER" >&2; exit 2; }
        RUN=(node --stack-size=4000 "$NODE_RUNNER") ;;
  wasipy) [ -x "$WASIPY" ] || { echo "cpython-tests.sh: $WASIPY is not built" >&2; exit 2; }
        RUN=("$WASIPY" run) ;;
  *) echo "cpython-tests.sh: --runner is node or wasipy" >&2; exit 2 ;;
esac

[ -n "$DIST" ] || DIST=$("$ROOT/src/python/build-cpython.sh" | tail -n 1)
DIST=$(cd "$DIST" && pwd)
LOGDIR="$ROOT/build/cpython-tests/$RUNNER"
SCRATCH="$ROOT/build/cpython-tests/scratch-$RUNNER"
mkdir -p "$LOGDIR"

fmt="%-16s %6s %6s %7s %6s %6s  %-9s %7s\n"
printf "$fmt" module ran passed skipped failed errors result seconds
[ -z "$OUT_TSV" ] || printf 'module\tran\tpassed\tskipped\tfailed\terrors\tresult\tseconds\n' >"$OUT_TSV"
for m in "${MODULES[@]}"; do
  rm -rf "$SCRATCH"
  mkdir -p "$SCRATCH/tmp"
  log="$LOGDIR/$m.log"
  start=$(date +%s)
  rc=0
  # (in a subshell, so that bash's own "Segmentation fault" report of a
  # crashed runner goes to the log too)
  (timeout "$TIMEOUT" "${RUN[@]}" --dir "$DIST/lib::/usr/local/lib" --dir "$SCRATCH::/" \
    --env PYTHONHOME=/usr/local --env TMPDIR=/tmp \
    "$DIST/python.wasm" -- -m test -v "$m") >"$log" 2>&1 || rc=$?
  secs=$(( $(date +%s) - start ))
  ran=$(grep -E '^Ran [0-9]+ tests? in' "$log" | tail -n 1 | awk '{print $2}' || true)
  summary=$(grep -E '^(OK|FAILED)( \(|$)' "$log" | tail -n 1 || true)
  num() { echo "$summary" | grep -oE "$1=[0-9]+" | cut -d= -f2 || true; }
  skipped=$(num skipped); failed=$(num failures); errors=$(num errors)
  skipped=${skipped:-0}; failed=${failed:-0}; errors=${errors:-0}
  if [ "$rc" = 124 ]; then result=timeout
  elif grep -qE "^$m skipped" "$log"; then result=skipped; ran=${ran:-0}
  elif [[ "$summary" == OK* ]]; then result=OK
  elif [[ "$summary" == FAILED* ]]; then result=FAILED
  else result="crash($rc)"
  fi
  if [ -n "$ran" ]; then passed=$(( ran - skipped - failed - errors )); else ran="-"; passed="-"; fi
  printf "$fmt" "$m" "$ran" "$passed" "$skipped" "$failed" "$errors" "$result" "$secs"
  [ -z "$OUT_TSV" ] || printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$m" "$ran" "$passed" "$skipped" "$failed" "$errors" "$result" "$secs" >>"$OUT_TSV"
done
echo "logs: $LOGDIR/"
