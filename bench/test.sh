#!/usr/bin/env bash
# `wasipy test` benchmark: Debian-packaged projects' pytest suites — the ones
# the e2e tests run (python3-toolz whole; the python3-mpmath, python3-networkx
# and python3-sympy subsets listed in tests/e2e/subsets/) — under native
# pytest (Debian's python3.11), under `wasipy test` on each of its tiers
# (interp, native), and under Node's WASI with the same CPython build and the
# same guest environment, in the same run; prints wall and CPU seconds and
# the ratios. A benchmark, not a test: it fails only when a runner fails.
#
# usage: bench/test.sh [--runs N] [--warmup N] [--tiers "interp native"] [--paired] [SUITE...]
#
#   SUITE          toolz, mpmath, networkx, sympy (default: all four)
#   --runs N       timed runs per runner, median kept (default 1)
#   --warmup N     untimed runs per runner first (default 1): every runner
#                  then has its bytecode cached, as wasipy test keeps it
#   --tiers LIST   wasipy tiers to time (default: interp and native, when
#                  `wasipy test --tier` exists; else wasipy's default)
#   --paired       time native pytest and each wasipy tier at the same
#                  time, each pinned to its own core (taskset), swapping
#                  cores every run: on a shared, noisy machine both then see
#                  the same conditions, and the ratio is what to read (needs
#                  2 cores; Node is timed alone as usual)
#
# Environment: WASIPY (default build/wasipy), NODE_RUNNER (default
# ../shared/peers/node-wasi-run.mjs beside the repo), NATIVE_PYTHON (default
# /usr/bin/python3.11), BENCH_OUT (default build/bench), SYMPY_FILES and
# MPMATH_FILES (how many files of the subset lists; default the e2e tests'
# defaults, 52 and 7; "all" for every one).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"   # paired_time (its ratio and time_cmd are redefined below)
OUT="${BENCH_OUT:-$ROOT/build/bench}"
WASIPY="${WASIPY:-$ROOT/build/wasipy}"
NODE_RUNNER="${NODE_RUNNER:-$ROOT/../shared/peers/node-wasi-run.mjs}"
NATIVE_PYTHON="${NATIVE_PYTHON:-/usr/bin/python3.11}"
SUBSETS="$ROOT/tests/e2e/subsets"
HOST_ENV=/usr/lib/python3/dist-packages
RUNS=1 WARMUP=1 TIERS= PAIRED=0
SUITES=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="${2:?--runs needs a number}"; shift 2 ;;
    --warmup) WARMUP="${2:?--warmup needs a number}"; shift 2 ;;
    --tiers) TIERS="${2:?--tiers needs a list}"; shift 2 ;;
    --paired) PAIRED=1; shift ;;
    toolz|mpmath|networkx|sympy) SUITES+=("$1"); shift ;;
    -h|--help) sed -n '2,28p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test.sh: unknown argument $1 (suites: toolz mpmath networkx sympy)" >&2; exit 2 ;;
  esac
done
[ ${#SUITES[@]} -gt 0 ] || SUITES=(toolz mpmath networkx sympy)
[ -x "$WASIPY" ] || { echo "test.sh: no wasipy at $WASIPY; build it or set WASIPY" >&2; exit 2; }
if [ $PAIRED = 1 ]; then
  [ "$(nproc)" -ge 2 ] || { echo "test.sh: --paired needs two cores" >&2; exit 2; }
  case "$ROOT$OUT$WASIPY$NATIVE_PYTHON" in *" "*) echo "test.sh: --paired needs paths without spaces" >&2; exit 2 ;; esac
fi
if [ -z "$TIERS" ]; then
  if "$WASIPY" test --help 2>/dev/null | grep -q -- '--tier'; then TIERS="interp native"; else TIERS=default; fi
fi
DIST=$("$WASIPY" python list | sed -n 's/.*  \(\/[^ ]*\)  (default)$/\1/p')
have_node=1
if ! command -v node >/dev/null || [ ! -f "$NODE_RUNNER" ] || [ -z "$DIST" ]; then have_node=0; fi
mkdir -p "$OUT"

# The first N test paths of a subset list (comments and blank lines dropped).
listed() { sed 's/#.*//; s/[[:space:]]*$//; /^$/d' "$SUBSETS/$1" | { if [ "$2" = all ]; then cat; else head -n "$2"; fi; }; }

time_cmd() { python3 "$ROOT/bench/timeit.py" --runs "$RUNS" --warmup "$WARMUP" -- "$@" || echo "error error"; }

ratio() {
  if [[ "$1" =~ ^[0-9.]+$ && "$2" =~ ^[0-9.]+$ ]] && awk "BEGIN{exit !($2 > 0)}"; then
    awk "BEGIN{printf \"%.1fx\", $1 / $2}"
  else echo "-"; fi
}

echo "wasipy test benchmark: ${SUITES[*]}, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), median of $RUNS run(s) after $WARMUP warm-up(s), wasipy tiers: $TIERS$([ $PAIRED = 1 ] && echo ", each paired with native pytest (one core each)")"
RESULTS="$OUT/test-results.tsv"
printf "suite\trunner\twall_s\tcpu_s\n" > "$RESULTS"

for suite in "${SUITES[@]}"; do
  WASIPY_OPTS=() PYTEST_ARGS=()
  case $suite in
    toolz) PACKAGE=python3-toolz ;;
    mpmath) PACKAGE=python3-mpmath; mapfile -t PYTEST_ARGS < <(listed python3-mpmath.txt "${MPMATH_FILES:-7}") ;;
    networkx) PACKAGE=python3-networkx; mapfile -t PYTEST_ARGS < <(listed python3-networkx.txt all) ;;
    sympy) PACKAGE=python3-sympy; mapfile -t PYTEST_ARGS < <(listed python3-sympy.txt "${SYMPY_FILES:-52}")
           WASIPY_OPTS=(-r "$SUBSETS/python3-sympy-requirements.txt") ;;
  esac
  PROJECT=$("$ROOT/scripts/debian-project.sh" "$PACKAGE" "$OUT/test-$PACKAGE" 2>/dev/null)
  NATIVE_COPY="$OUT/test-$PACKAGE-native"
  rm -rf "$NATIVE_COPY" && cp -r "$PROJECT" "$NATIVE_COPY"

  # wasipy once: builds (or reuses) the guest environment, whose
  # site-packages Node's run mounts too; and says how many tests ran.
  first=$("$WASIPY" test "$PROJECT" --no-index --host-env "$HOST_ENV" "${WASIPY_OPTS[@]}" -- -q "${PYTEST_ARGS[@]}" 2>&1) || true
  key=$(echo "$first" | sed -n 's/^wasipy test: environment \([0-9a-f]*\).*/\1/p' | head -n 1)
  CACHE="${WASIPY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/wasipy}"
  SITE="$CACHE/envs/$key/site-packages"
  [ -n "$key" ] && [ -d "$SITE" ] || { echo "test.sh: wasipy test did not set up an environment for $PACKAGE:"; echo "$first" | tail -n 5; exit 1; }

  echo
  echo "== $suite ($PACKAGE, ${#PYTEST_ARGS[@]} test paths): $(echo "$first" | grep -E '^[0-9]+ passed, ' | tail -n 1)"
  # Native: its bytecode cached between runs too (outside the copy).
  native_cmd=(env -C "$NATIVE_COPY" PYTHONPYCACHEPREFIX="$OUT/test-native-pycache" "$NATIVE_PYTHON" -m pytest -q -p no:cacheprovider "${PYTEST_ARGS[@]}")
  declare -A wasi=()
  if [ $PAIRED = 0 ]; then
    native=$(time_cmd "${native_cmd[@]}")
  fi
  for tier in $TIERS; do
    topt=(); [ "$tier" = default ] || topt=(--tier "$tier")
    wasi_cmd=("$WASIPY" test "${topt[@]}" "$PROJECT" --no-index --host-env "$HOST_ENV" "${WASIPY_OPTS[@]}" -- -q "${PYTEST_ARGS[@]}")
    if [ $PAIRED = 1 ]; then
      # Paths here have no spaces (checked at the start), so the commands pass as strings.
      read -r nw nc ww wc < <(paired_time "${native_cmd[*]}" "${wasi_cmd[*]}")
      native="$nw $nc"; wasi[$tier]="$ww $wc"
      echo "paired with $tier: native $nc s, wasipy $wc s of CPU"
    else
      wasi[$tier]=$(time_cmd "${wasi_cmd[@]}")
    fi
    printf "%s\twasipy-%s\t%s\t%s\n" "$suite" "$tier" "${wasi[$tier]% *}" "${wasi[$tier]#* }" >> "$RESULTS"
  done
  printf "%s\tnative\t%s\t%s\n" "$suite" "${native% *}" "${native#* }" >> "$RESULTS"
  node="n/a n/a"
  if [ $have_node = 1 ]; then
    # The same recipe as wasipy test (src/testrun/run.cpp), by hand, plus the
    # host's /dev (Node's WASI has no /dev/null of its own; pytest's logging opens it).
    NODE_ROOT="$OUT/test-node-root-$PACKAGE"
    rm -rf "$NODE_ROOT" && mkdir -p "$NODE_ROOT/tmp/home" "$NODE_ROOT/pycache"   # bytecode kept across runs, as wasipy test does
    # (On the sympy subset Node 20.20 crashes — SIGSEGV, or V8's "Fatal error:
    # unreachable code" in a garbage collection inside memory.grow — at
    # varying points; the row then says "error".)
    cat > "$NODE_ROOT/boot.py" <<'PY'
import os, sys, site
site.addsitedir('/wasipy/site-packages')
os.chdir('/project')
import pytest
sys.exit(pytest.main(sys.argv[1:]))
PY
    node=$(time_cmd node --stack-size=4000 "$NODE_RUNNER" --dir "$DIST/lib::/usr/local/lib" --dir "$NODE_ROOT::/" \
      --dir "$PROJECT::/project" --dir "$SITE::/wasipy/site-packages" --dir /dev::/dev --env PYTHONHOME=/usr/local \
      --env PYTHONPATH=/project:/wasipy/site-packages --env PYTHONPYCACHEPREFIX=/pycache --env HOME=/tmp/home \
      --env TMPDIR=/tmp "$DIST/python.wasm" -- /boot.py --capture=sys -p no:faulthandler -p no:cacheprovider \
      --basetemp=/tmp/pytest-basetemp -q "${PYTEST_ARGS[@]}")
  fi
  printf "%s\tnode\t%s\t%s\n" "$suite" "${node% *}" "${node#* }" >> "$RESULTS"
  fmt="%-14s %10s %10s %12s %12s %12s\n"
  printf "$fmt" runner wall_s cpu_s wall/native cpu/native cpu/node
  printf "$fmt" native "${native% *}" "${native#* }" 1.0x 1.0x "$(ratio "${native#* }" "${node#* }")"
  for tier in $TIERS; do
    v=${wasi[$tier]}
    printf "$fmt" "wasipy $tier" "${v% *}" "${v#* }" "$(ratio "${v% *}" "${native% *}")" "$(ratio "${v#* }" "${native#* }")" "$(ratio "${v#* }" "${node#* }")"
  done
  printf "$fmt" node "${node% *}" "${node#* }" "$(ratio "${node% *}" "${native% *}")" "$(ratio "${node#* }" "${native#* }")" 1.0x
  unset wasi
done
echo
echo "results: $RESULTS"
