#!/usr/bin/env bash
# End to end: `wasipy python` on a real CPython WASI build. The distribution
# comes from `wasipy python build`, which reuses the one cached outside the
# clone under its input key (a second run takes about a second; .ci/run builds
# it before ctest) and builds it on a brand-new machine (a few minutes).
# Exit 77 (skipped) only when that build is impossible here, with its reason.
#
# usage: python_e2e.sh WASIPY
set -uo pipefail
WASIPY=$(readlink -f "${1:?usage: python_e2e.sh WASIPY}")
[ -x "$WASIPY" ] || { echo "SKIP: $WASIPY is not built"; exit 77; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/wasipy-python-e2e.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# --- the distribution ---------------------------------------------------------
if ! "$WASIPY" python build >"$WORK/build.out" 2>"$WORK/build.err"; then
  echo "SKIP: 'wasipy python build' cannot build CPython for WASI here: $(tail -n 1 "$WORK/build.err")"
  exit 77
fi
# "CPython 3.11.2  KEY  PATH  [(default)]"
read -r _ VERSION KEY DIST _ < <(head -n 1 "$WORK/build.out")
echo "distribution: CPython $VERSION, key $KEY, $DIST"
[ -f "$DIST/python.wasm" ] || { echo "FAIL: build printed '$(head -n 1 "$WORK/build.out")', no python.wasm there"; exit 1; }
MINOR=${VERSION%.*}
PY=("$WASIPY" python --dist "$KEY")

"$WASIPY" python list >"$WORK/list.out" 2>&1
grep -q "^CPython $VERSION  $KEY  $DIST" "$WORK/list.out" && grep -q '(default)' "$WORK/list.out" \
  && pass "python list shows it, and a default" || fail "python list: $(cat "$WORK/list.out")"

# --- running it -----------------------------------------------------------------
mkdir -p "$WORK/cwd" && cd "$WORK/cwd" || exit 1

# As documented: no flag but -c.
out=$("$WASIPY" python -c "import sys; print(sys.platform)" 2>&1)
[ "$out" = wasi ] && pass "python -c prints wasi" || fail "python -c printed '$out'"

out=$("${PY[@]}" -c "import sys, zlib, bz2, lzma, sqlite3; print(sys.version_info[:2], sys.getrecursionlimit(), sys.argv)" 2>&1)
[ "$out" = "(${MINOR/./, }) 1000 ['-c']" ] \
  && pass "stdlib C modules, recursion limit 1000, argv" || fail "stdlib check printed '$out'"

# A script in the current directory, which the guest sees as "/": arguments,
# a file written there, and the exit status.
cat >script.py <<'PY'
import os, sys, tempfile
print(sys.argv[1:], os.getcwd())
with open("written.txt", "w") as f:
    f.write("from the guest\n")
with tempfile.NamedTemporaryFile(dir=None) as t:
    print("tmp", os.path.dirname(t.name))
sys.exit(int(sys.argv[1]))
PY
out=$("${PY[@]}" script.py 3 -c --dir 2>&1); status=$?
[ "$status" = 3 ] && pass "exit status is the guest's" || fail "script.py exited $status: $out"
[ "$out" = $'[\'3\', \'-c\', \'--dir\'] /\ntmp /tmp' ] && pass "script arguments pass through; cwd is /; /tmp works" \
  || fail "script.py printed '$out'"
[ "$(cat written.txt 2>/dev/null)" = "from the guest" ] && pass "the current directory is writable" \
  || fail "written.txt is missing or wrong"

# The REPL, fed from a pipe (-i forces it when stdin is not a terminal).
out=$(printf 'print(6*7)\nimport sys; sys.exit(5)\n' | "${PY[@]}" -i -q 2>&1); status=$?
[[ "$out" == *42* && "$status" = 5 ]] && pass "REPL reads stdin" || fail "REPL: status $status, '$out'"

# -m and stdin as a program.
out=$("${PY[@]}" -m json.tool <<<'{"a": [1, 2]}' 2>&1 | tr -d ' \n')
[ "$out" = '{"a":[1,2]}' ] && pass "python -m json.tool" || fail "-m json.tool printed '$out'"

# wasipy's own options: a read-only mount and an environment variable.
mkdir -p "$WORK/data" && echo hello >"$WORK/data/in.txt"
out=$("${PY[@]}" --dir "$WORK/data::/data:ro" --env GREETING=hi -- -c "
import os
print(open('/data/in.txt').read().strip(), os.environ['GREETING'], os.environ['PYTHONHOME'])
try:
    open('/data/out.txt', 'w')
except OSError as e:
    print('refused', e.errno)
" 2>&1)
[ "$out" = $'hello hi /usr/local\nrefused 69' ] && pass "--dir ...:ro and --env" || fail "--dir/--env printed '$out'"

# The stdlib is read-only, and an uncaught exception exits 1 with a traceback.
out=$("${PY[@]}" -c "open('/usr/local/lib/python$MINOR/os.py', 'a')" 2>&1); status=$?
[[ "$status" = 1 && "$out" == *"Read-only file system"* ]] && pass "stdlib mount is read-only" \
  || fail "writing the stdlib: status $status, '$out'"

# --- add: pack the built distribution as a zip (one top folder) and register it
# in a private cache, then run it from there.
if python3 - "$DIST" "$WORK/dist.zip" <<'PY'
import os, sys, zipfile
root, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
    z.write(os.path.join(root, "python.wasm"), "cpython-wasi/python.wasm")
    for d, _, files in os.walk(os.path.join(root, "lib")):
        for f in files:
            p = os.path.join(d, f)
            z.write(p, "cpython-wasi/" + os.path.relpath(p, root))
PY
then
  out=$(WASIPY_CACHE_DIR="$WORK/cache" "$WASIPY" python add "$WORK/dist.zip" 2>&1); status=$?
  [[ "$status" = 0 && "$out" == "added: CPython $VERSION "*"(default)" ]] && pass "python add ZIP of the build" \
    || fail "python add: status $status, '$out'"
  rm -f "$WORK/dist.zip"
  # On the interpreter: this cache is a fresh one, and compiling python.wasm
  # into it again would only repeat what the main cache already holds.
  out=$(WASIPY_CACHE_DIR="$WORK/cache" "$WASIPY" python --tier interp -c "import sys; print(sys.platform)" 2>&1)
  [ "$out" = wasi ] && pass "the added distribution runs" || fail "added distribution printed '$out'"
else
  fail "could not pack $DIST with the host's python3"
fi

echo "$failures failed"
[ "$failures" = 0 ]
