#!/usr/bin/env bash
# `wasipy test` benchmark: a Debian-packaged project's pytest suite (default
# python3-toolz, 180 tests) under `wasipy test`, under native pytest
# (Debian's python3.11) and under Node's WASI with the same CPython build and
# the same guest environment, in the same run; prints wall and CPU seconds
# and the ratios. A benchmark, not a test: it fails only when a runner fails.
#
# usage: bench/test.sh [--runs N] [--package PKG] [-- PYTEST_ARGS...]
#
#   --runs N       timed runs per runner after one warm-up run, median kept (default 1)
#   --package PKG  the Debian package to fetch (scripts/debian-project.sh)
#
# Environment: WASIPY (default build/wasipy), NODE_RUNNER (default
# ../shared/peers/node-wasi-run.mjs beside the repo), NATIVE_PYTHON (default
# /usr/bin/python3.11), BENCH_OUT (default build/bench).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="${BENCH_OUT:-$ROOT/build/bench}"
WASIPY="${WASIPY:-$ROOT/build/wasipy}"
NODE_RUNNER="${NODE_RUNNER:-$ROOT/../shared/peers/node-wasi-run.mjs}"
NATIVE_PYTHON="${NATIVE_PYTHON:-/usr/bin/python3.11}"
HOST_ENV=/usr/lib/python3/dist-packages
RUNS=1
PACKAGE=python3-toolz
PYTEST_ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="${2:?--runs needs a number}"; shift 2 ;;
    --package) PACKAGE="${2:?--package needs a name}"; shift 2 ;;
    --) shift; PYTEST_ARGS=("$@"); break ;;
    -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$WASIPY" ] || { echo "test.sh: no wasipy at $WASIPY; build it or set WASIPY" >&2; exit 2; }

mkdir -p "$OUT"
PROJECT=$("$ROOT/scripts/debian-project.sh" "$PACKAGE" "$OUT/test-$PACKAGE" 2>/dev/null)
NATIVE_COPY="$OUT/test-$PACKAGE-native"
rm -rf "$NATIVE_COPY" && cp -r "$PROJECT" "$NATIVE_COPY"

# wasipy once: builds (or reuses) the guest environment, whose site-packages
# Node's run mounts too.
first=$("$WASIPY" test "$PROJECT" --host-env "$HOST_ENV" -- -q "${PYTEST_ARGS[@]}" 2>&1) || true
key=$(echo "$first" | sed -n 's/^wasipy test: environment \([0-9a-f]*\).*/\1/p' | head -n 1)
CACHE="${WASIPY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/wasipy}"
SITE="$CACHE/envs/$key/site-packages"
DIST=$("$WASIPY" python list | sed -n 's/.*  \(\/[^ ]*\)  (default)$/\1/p')
[ -n "$key" ] && [ -d "$SITE" ] || { echo "test.sh: wasipy test did not set up an environment:"; echo "$first" | tail -n 5; exit 1; }

# Node: the same recipe as wasipy test (src/testrun/run.cpp), by hand, plus the
# host's /dev (Node's WASI has no /dev/null of its own; pytest's logging opens it).
NODE_ROOT="$OUT/test-node-root"
rm -rf "$NODE_ROOT" && mkdir -p "$NODE_ROOT/tmp/home" "$NODE_ROOT/pycache"   # bytecode kept across runs, as wasipy test does
cat > "$NODE_ROOT/boot.py" <<'PY'
import os, sys
os.chdir('/project')
import pytest
sys.exit(pytest.main(sys.argv[1:]))
PY
have_node=1
if ! command -v node >/dev/null || [ ! -f "$NODE_RUNNER" ] || [ -z "$DIST" ]; then have_node=0; fi

time_cmd() { python3 "$ROOT/bench/timeit.py" --runs "$RUNS" --warmup 1 -- "$@" || echo "error error"; }
ratio() {
  if [[ "$1" =~ ^[0-9.]+$ && "$2" =~ ^[0-9.]+$ ]] && awk "BEGIN{exit !($2 > 0)}"; then
    awk "BEGIN{printf \"%.1fx\", $1 / $2}"
  else echo "-"; fi
}

echo "wasipy test benchmark: $PACKAGE, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), median of $RUNS run(s) after a warm-up"
echo "wasipy: $(echo "$first" | grep -E '^[0-9]+ passed|passed, ' | tail -n 1)"
native=$(time_cmd env -C "$NATIVE_COPY" PYTHONDONTWRITEBYTECODE=1 "$NATIVE_PYTHON" -m pytest -q -p no:cacheprovider "${PYTEST_ARGS[@]}")
wasipy=$(time_cmd "$WASIPY" test "$PROJECT" --host-env "$HOST_ENV" -- -q "${PYTEST_ARGS[@]}")
node="n/a n/a"
if [ $have_node = 1 ]; then
  node=$(time_cmd node --stack-size=4000 "$NODE_RUNNER" --dir "$DIST/lib::/usr/local/lib" --dir "$NODE_ROOT::/" \
    --dir "$PROJECT::/project" --dir "$SITE::/wasipy/site-packages" --dir /dev::/dev --env PYTHONHOME=/usr/local \
    --env PYTHONPATH=/project:/wasipy/site-packages --env PYTHONPYCACHEPREFIX=/pycache --env HOME=/tmp/home \
    --env TMPDIR=/tmp "$DIST/python.wasm" -- /boot.py --capture=sys -p no:faulthandler -p no:cacheprovider \
    --basetemp=/tmp/pytest-basetemp -q "${PYTEST_ARGS[@]}")
fi
fmt="%-8s %10s %10s %12s %12s\n"
printf "$fmt" runner wall_s cpu_s wall/native cpu/native
for r in native wasipy node; do
  v=${!r}
  printf "$fmt" "$r" "${v% *}" "${v#* }" "$(ratio "${v% *}" "${native% *}")" "$(ratio "${v#* }" "${native#* }")"
done
printf "wasipy/node: wall %s, cpu %s\n" "$(ratio "${wasipy% *}" "${node% *}")" "$(ratio "${wasipy#* }" "${node#* }")"
