#!/bin/bash
# A fuzzing campaign on decode+validate with AFL++ (Debian package afl++).
#
#   tests/fuzz/campaign.sh [SECONDS]        default 600
#
# Builds the instrumented target in build-fuzz/ (ASan+UBSan), seeds it with
# the binary modules of the spec testsuite (via wast2json) and the committed
# corpus, fuzzes for SECONDS on one core, then minimizes what it found
# (afl-cmin, AFL++'s counterpart of libFuzzer's -merge=1) into
# tests/fuzz/corpus/ and copies crashes and hangs into tests/fuzz/crashes/.
# Prints the campaign's figures at the end; tests/fuzz/CAMPAIGN.md records them.
set -euo pipefail

seconds=${1:-600}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
testsuite=${WASIPY_TESTSUITE_DIR:-$root/../shared/wasm-testsuite}
build=$root/build-fuzz
# Kept after the run for a look at the queue; afl-cmin refuses to work under /tmp.
work=$build/campaign

for tool in afl-fuzz afl-cmin wast2json cmake; do
  command -v "$tool" >/dev/null || { echo "campaign.sh: $tool not found; run scripts/setup.sh" >&2; exit 2; }
done

echo "== building the fuzz target in $build"
rm -rf "$work"
mkdir -p "$build"
cmake -S "$root" -B "$build" -DWASIPY_FUZZ=ON -DWASIPY_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 --target fuzz_decode
target=$build/tests/fuzz/fuzz_decode

echo "== seeding from $testsuite and $here/corpus"
mkdir -p "$work/wast" "$work/seeds"
for wast in "$testsuite"/*.wast; do
  name=$(basename "$wast" .wast)
  wast2json "$wast" -o "$work/wast/$name.json" >/dev/null 2>&1 || echo "campaign.sh: wast2json failed on $wast (skipped)"
done
# Small modules mutate faster; the large ones add little the small ones lack.
find "$work/wast" -name '*.wasm' -size -16k -exec cp -t "$work/seeds" {} +
find "$here/corpus" -type f -size -64k -exec cp -t "$work/seeds" {} + 2>/dev/null || true
echo "$(ls "$work/seeds" | wc -l) seeds"

# AFL++ needs abort_on_error and symbolize=0; a 2 GiB allocation cap turns
# "allocates memory in proportion to a count field" into a reported crash.
export ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_leaks=0:max_allocation_size_mb=2048:allocator_may_return_null=0
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:symbolize=0
export AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1

echo "== fuzzing for $seconds s"
afl-fuzz -i "$work/seeds" -o "$work/out" -V "$seconds" -t 1000 -- "$target" >"$work/afl.log" 2>&1 || {
  tail -20 "$work/afl.log" >&2
  exit 1
}
stats=$work/out/default/fuzzer_stats
value() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
echo "== campaign finished $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "duration:      $(value run_time) s"
echo "execs:         $(value execs_done) ($(value execs_per_sec)/s)"
echo "queue:         $(value corpus_count) inputs"
echo "edges:         $(value edges_found) ($(value bitmap_cvg) of the map)"
echo "crashes:       $(value saved_crashes)"
echo "hangs:         $(value saved_hangs)"

echo "== minimizing the queue into $here/corpus"
afl-cmin -i "$work/out/default/queue" -o "$work/min" -t 1000 -- "$target" >"$work/cmin.log" 2>&1 || {
  tail -20 "$work/cmin.log" >&2
  exit 1
}
rm -rf "$here/corpus"
mkdir -p "$here/corpus"
n=0
for f in "$work/min"/*; do
  cp "$f" "$here/corpus/$(sha1sum "$f" | cut -c1-16)"
  n=$((n + 1))
done

echo "corpus:        $n inputs in tests/fuzz/corpus ($(du -sh "$here/corpus" | cut -f1))"

found=0
for kind in crashes hangs; do
  for f in "$work/out/default/$kind"/id:*; do
    [[ -e $f ]] || continue
    mkdir -p "$here/crashes"
    cp "$f" "$here/crashes/$kind-$(sha1sum "$f" | cut -c1-16)"
    found=$((found + 1))
  done
done

if (( found > 0 )); then
  echo "inputs saved to tests/fuzz/crashes/: replay one with $build/tests/fuzz/fuzz_decode FILE"
fi
