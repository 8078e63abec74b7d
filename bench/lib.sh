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
