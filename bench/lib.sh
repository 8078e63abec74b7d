# Shared by the benchmark scripts (sourced): turning timeit.py's "WALL CPU"
# into the chosen metric, ratios and medians. METRIC is the caller's
# ("cpu" or "wall").

# The chosen metric out of time_cmd's "WALL CPU", or the word given instead.
pick() {
  if [[ "$1" =~ ^[0-9.]+\ [0-9.]+$ ]]; then
    if [ "$METRIC" = wall ]; then echo "${1% *}"; else echo "${1#* }"; fi
  else echo "$1"; fi
}

ratio() { # a b -> a/b, or "-"
  if [[ "$1" =~ ^[0-9.]+$ && "$2" =~ ^[0-9.]+$ ]] && awk "BEGIN{exit !($2 > 0)}"; then
    awk "BEGIN{printf \"%.2f\", $1 / $2}"
  else echo "-"; fi
}

median_of() { # numbers... -> their median (non-numbers ignored), or "-"
  printf '%s\n' "$@" | grep -E '^[0-9.]+$' | sort -g | awk '{a[NR]=$1} END {if (NR == 0) {print "-"; exit} m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.2f\n", m}'
}

# ---- CPython guests (bench/python.sh, bench/wasm2c-python.sh) ----

# The recipe of src/python/README.md, as `wasipy run` options (which Node's
# runner and the wasm2c shim also take): DIST's stdlib at /usr/local/lib,
# PYTHONHOME, OUT/pyroot (with a tmp/) at /, the benchmark scripts at /bench.
python_mounts() { # DIST OUT
  echo "--dir $1/lib::/usr/local/lib --dir $2/pyroot::/ --dir $ROOT/bench/python::/bench --env PYTHONHOME=/usr/local"
}

# The interpreter arguments of a case (pass, or cpu with CPU_REPS), for a
# guest (paths under /bench) or for native python3.11 (host paths).
python_case_args() { # CASE guest|host
  case "$1" in
    pass) echo "-c pass" ;;
    cpu) [ "$2" = host ] && echo "$ROOT/bench/python/cpu.py $CPU_REPS" || echo "/bench/cpu.py $CPU_REPS" ;;
  esac
}

output_of() { eval "$1" 2>"$OUT/last-stderr"; }

# "WALL CPU": median wall and CPU (user+sys) seconds of RUNS runs after one
# warm-up run (bench/timeit.py).
time_cmd() {
  # shellcheck disable=SC2086
  python3 "$ROOT/bench/timeit.py" --runs "$RUNS" --warmup 1 -- $1
}

# Paired timing (bench/test.sh --paired, bench/ab.sh): runs command A (a
# string, word-split) and command B at once, A on core 0 and B on core 1,
# then swapped, RUNS times after WARMUP untimed pairs; prints "WALL_A CPU_A
# WALL_B CPU_B", the medians ("error" for a runner that failed).
paired_time() { # A B
  local tmp i a b wa=() ca=() wb=() cb=() fa=0 fb=0
  tmp=$(mktemp -d)
  for ((i = 0; i < WARMUP + RUNS; i++)); do
    local core_a=$((i % 2)) core_b=$(((i + 1) % 2))
    # shellcheck disable=SC2086
    taskset -c $core_a /usr/bin/time -f "%e %U %S" -o "$tmp/a" $1 >/dev/null 2>&1 & a=$!
    # shellcheck disable=SC2086
    taskset -c $core_b /usr/bin/time -f "%e %U %S" -o "$tmp/b" $2 >/dev/null 2>&1 & b=$!
    wait $a || fa=1
    wait $b || fb=1
    [ $i -lt "$WARMUP" ] && continue
    read -r w u s < <(tail -n 1 "$tmp/a"); wa+=("$w"); ca+=("$(awk "BEGIN{print $u + $s}")")
    read -r w u s < <(tail -n 1 "$tmp/b"); wb+=("$w"); cb+=("$(awk "BEGIN{print $u + $s}")")
  done
  rm -rf "$tmp"
  if [ $fa = 1 ]; then printf "error error "; else printf "%s %s " "$(median_of "${wa[@]}")" "$(median_of "${ca[@]}")"; fi
  if [ $fb = 1 ]; then echo "error error"; else echo "$(median_of "${wb[@]}") $(median_of "${cb[@]}")"; fi
}
