#!/bin/bash
# usage: check_spec.sh WASIPY MIN_PASSED FILE.wast...
# Runs `wasipy wast` on the files; fails when it fails or when fewer than
# MIN_PASSED assertions passed.
set -euo pipefail
wasipy=$1 min=$2
shift 2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
"$wasipy" wast "$@" | tee "$out" || status=$?
summary=$(tail -n 1 "$out")
passed=${summary%% passed*}
if [[ $status -ne 0 ]]; then
  echo "check_spec: wasipy wast exited with $status"
  exit 1
fi
if ! [[ $passed =~ ^[0-9]+$ ]] || (( passed < min )); then
  echo "check_spec: expected at least $min passed assertions, the summary says: $summary"
  exit 1
fi
