#!/bin/bash
# usage: check_spec.sh WASIPY MIN_PASSED FILE.wast...
# Runs `wasipy wast` on the files (in two processes, half the files each:
# the native tier spends most of its time in the C compiler, once per
# module); fails when any fails or when fewer than MIN_PASSED assertions
# passed in total. WASIPY_TIER picks the tier.
set -euo pipefail
wasipy=$1 min=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
files=("$@")
half=$(( (${#files[@]} + 1) / 2 ))
"$wasipy" wast "${files[@]:0:half}" > "$tmp/a" 2>&1 &
pid_a=$!
status=0
if (( ${#files[@]} > half )); then
  "$wasipy" wast "${files[@]:half}" > "$tmp/b" 2>&1 || status=$?
else
  echo "0 passed, 0 failed, 0 skipped" > "$tmp/b"
fi
wait $pid_a || status=$?
cat "$tmp/a" "$tmp/b"
passed=0 failed=0 skipped=0
for part in a b; do
  summary=$(tail -n 1 "$tmp/$part")
  if ! [[ $summary =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
    echo "check_spec: no summary line from wasipy wast (last line: $summary)"
    exit 1
  fi
  passed=$(( passed + BASH_REMATCH[1] )) failed=$(( failed + BASH_REMATCH[2] )) skipped=$(( skipped + BASH_REMATCH[3] ))
done
echo "total (${WASIPY_TIER:-default} tier): $passed passed, $failed failed, $skipped skipped"
if [[ $status -ne 0 ]]; then
  echo "check_spec: wasipy wast exited with $status"
  exit 1
fi
if (( passed < min )); then
  echo "check_spec: expected at least $min passed assertions, got $passed"
  exit 1
fi
