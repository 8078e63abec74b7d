#!/usr/bin/env bash
# Golden WASI programs: compile each tests/wasi/programs/NAME.c for wasm32-wasi,
# run it in a fresh fixture, and compare what it printed (stdout, stderr, exit
# status, and the state of a host folder outside the mounts) with NAME.expected.
#
#   tests/wasi/run_golden.sh [--runtime wasipy|node] [--wasipy PATH] [--build-dir DIR]
#                            [--update] [NAME...]
#
# --runtime node   runs the same table on Node's WASI (../shared/peers/node-wasi-run.mjs)
#                  as a reference; programs marked "// SKIP-NODE: why" are skipped there.
# --update         rewrites NAME.expected (NAME.node.expected with node, when that exists)
#                  from this run: check the diff before committing.
# WASIPY_WASI_RESOLVE=walk|openat2 forces wasipy's path resolver (both must pass).
# Program headers: "// ARGS: ...", "// ENV: K=V" (repeatable), "// STDIN: text" (\n escapes),
# "// REQUIRES: read-only mounts" (skipped where the runtime has none).
# Fixture (mounts): HOST/sandbox at /sandbox, HOST/ro at /ro read-only (--dir HOST::GUEST:ro);
# HOST/outside is never mounted. Exit: 0 all passed, 1 a failure, 77 nothing could run.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
runtime=wasipy
wasipy=${WASIPY:-$repo/build/wasipy}
build_dir=${TMPDIR:-/tmp}/wasipy-golden-$(id -u)
update=0
names=()
node_peer=${NODE_WASI_RUN:-$repo/../shared/peers/node-wasi-run.mjs}
[ -f "$node_peer" ] || node_peer=/work/shared/peers/node-wasi-run.mjs
while [ $# -gt 0 ]; do
  case $1 in
    --runtime) runtime=$2; shift 2 ;;
    --wasipy) wasipy=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --update) update=1; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) echo "run_golden.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) names+=("$1"); shift ;;
  esac
done
cc=${WASI_CC:-clang-14}
if ! command -v "$cc" >/dev/null; then
  echo "run_golden.sh: $cc not found; install clang-14 and wasi-libc (apt-get install clang-14 wasi-libc)" >&2
  exit 77
fi
case $runtime in
  wasipy)
    if [ ! -x "$wasipy" ]; then
      echo "run_golden.sh: $wasipy not built; build it first or pass --wasipy PATH" >&2
      exit 77
    fi ;;
  node)
    command -v node >/dev/null || { echo "run_golden.sh: node not found" >&2; exit 77; } ;;
  *) echo "run_golden.sh: --runtime wasipy or node" >&2; exit 2 ;;
esac
mkdir -p "$build_dir"
if [ ${#names[@]} -eq 0 ]; then
  for f in "$here"/programs/*.c; do names+=("$(basename "$f" .c)"); done
fi

# Can this runtime mount a folder read-only (--dir HOST::GUEST:ro)? Programs
# with "// REQUIRES: read-only mounts" are skipped, with the reason, where not.
ro_mounts=no
if [ "$runtime" = wasipy ] && "$cc" --target=wasm32-wasi -O2 -o "$build_dir/probe_ro.wasm" "$here/probe_ro.c"; then
  probe=$(mktemp -d "$build_dir/probe.XXXXXX")
  if [ "$("$wasipy" run --dir "$probe::/p:ro" "$build_dir/probe_ro.wasm" 2>/dev/null)" = read-only ] &&
     [ ! -e "$probe/probe" ]; then
    ro_mounts=yes
  fi
  rm -rf "$probe"
fi

header() {  # header FILE KEY -> the values of "// KEY: value" lines
  sed -n "s|^// $2: \\(.*\\)\$|\\1|p" "$1"
}

passed=0 failed=0 skipped=0
for name in "${names[@]}"; do
  src=$here/programs/$name.c
  expected=$here/programs/$name.expected
  # Where Node's WASI is known to behave differently (it is no sandbox: see
  # escape.node.expected), NAME.node.expected records what it does.
  if [ "$runtime" = node ] && [ -f "$here/programs/$name.node.expected" ]; then
    expected=$here/programs/$name.node.expected
  fi
  wasm=$build_dir/$name.wasm
  if [ ! -f "$wasm" ] || [ "$src" -nt "$wasm" ] || [ "$here/programs/common.h" -nt "$wasm" ]; then
    if ! "$cc" --target=wasm32-wasi -O2 -o "$wasm" "$src" 2>"$build_dir/$name.cc.log"; then
      echo "FAIL $name (does not compile; see $build_dir/$name.cc.log)"
      failed=$((failed + 1)); continue
    fi
  fi
  if [ "$runtime" = node ] && reason=$(header "$src" SKIP-NODE) && [ -n "$reason" ]; then
    echo "SKIP $name (node: $reason)"
    skipped=$((skipped + 1)); continue
  fi

  if [ "$(header "$src" REQUIRES)" = "read-only mounts" ] && [ "$ro_mounts" != yes ]; then
    echo "SKIP $name ($runtime run has no read-only --dir HOST::GUEST:ro)"
    skipped=$((skipped + 1)); continue
  fi

  fx=$(mktemp -d "$build_dir/fixture.XXXXXX")
  mkdir -p "$fx/sandbox/sub" "$fx/sandbox/traps" "$fx/ro/inner" "$fx/outside"
  printf 'hello\n' >"$fx/sandbox/hello.txt"
  printf 'read only\n' >"$fx/ro/data.txt"
  printf 'secret\n' >"$fx/outside/secret"
  ln -s "$fx/outside/secret" "$fx/sandbox/traps/abs"
  ln -s ../../outside/secret "$fx/sandbox/traps/rel"
  ln -s ../../outside "$fx/sandbox/traps/out"
  ln -s / "$fx/sandbox/traps/slash"

  args=()
  if a=$(header "$src" ARGS) && [ -n "$a" ]; then eval "args=($a)"; fi
  envs=()
  while IFS= read -r e; do [ -n "$e" ] && envs+=(--env "$e"); done < <(header "$src" ENV)
  stdin_text=$(header "$src" STDIN)
  printf '%b' "$stdin_text" >"$fx/stdin"

  if [ "$runtime" = wasipy ]; then
    cmd=("$wasipy" run --dir "$fx/sandbox::/sandbox" --dir "$fx/ro::/ro:ro" "${envs[@]}" "$wasm" -- "${args[@]}")
  else
    cmd=(node --stack-size=4000 "$node_peer" --dir "$fx/sandbox::/sandbox" --dir "$fx/ro::/ro" "${envs[@]}"
         --argv0 "$name.wasm" "$wasm" -- "${args[@]}")
  fi
  (cd "$fx" && timeout 60 "${cmd[@]}" <"$fx/stdin" >"$fx/out" 2>"$fx/err")
  status=$?
  # Node announces that WASI is experimental; that is not the program's output.
  grep -v -e 'ExperimentalWarning: WASI' -e 'node --trace-warnings' "$fx/err" >"$fx/err2"
  {
    cat "$fx/out"
    if [ -s "$fx/err2" ]; then echo "--- stderr"; cat "$fx/err2"; fi
    echo "--- exit $status"
    echo "--- outside: $(cd "$fx/outside" && ls -A | tr '\n' ' ')"
    echo "--- outside/secret: $(cat "$fx/outside/secret" 2>/dev/null || echo "(deleted)")"
  } >"$fx/actual"

  if [ "$update" = 1 ]; then
    cp "$fx/actual" "$expected"
    echo "UPDATED $name"
    passed=$((passed + 1))
  elif [ -f "$expected" ] && diff -u "$expected" "$fx/actual" >"$fx/diff"; then
    echo "PASS $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name ($runtime)"
    if [ -f "$expected" ]; then sed 's/^/    /' "$fx/diff"; else echo "    no $expected"; fi
    failed=$((failed + 1))
    continue  # keep the fixture for a look
  fi
  rm -rf "$fx"
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] || exit 1
[ "$passed" -gt 0 ] || exit 77
exit 0
