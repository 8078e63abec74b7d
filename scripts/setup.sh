#!/bin/bash
# Installs what building and testing wasipy needs, from Debian (bookworm).
# Idempotent, and quick when everything is already there: apt-get runs only
# for packages that `dpkg -s` does not find installed.
#
#   scripts/setup.sh            build + test dependencies
#   scripts/setup.sh --fuzz     also AFL++ for tests/fuzz/campaign.sh
set -euo pipefail

packages=(
  g++ cmake ninja-build pkgconf     # GCC 12 (C++23), the build
  libfmt-dev libcli11-dev nlohmann-json3-dev libgtest-dev
  libzip-dev libssl-dev             # `wasipy python add` (zip), sha256 of python.wasm
  libtomlplusplus-dev               # `wasipy test`: pyproject.toml
  libxxhash-dev gcc                 # the native tier: code cache hashes; the C compiler it runs
  python3-pytest python3-pip python3-setuptools python3-wheel   # `wasipy test` e2e: host env, wheelhouse, native runs
  python3-mpmath                    # e2e.test_sympy_subset: sympy's dependency, from the host env (guest) and for the native run
  wabt                              # wast2json, for `wasipy wast` and the spec tests
  clang-14 lld-14 llvm-14 wasi-libc libclang-rt-14-dev-wasm32   # wasm32 guests for tests/wasi and bench/; llvm-strip for python.wasm
)
for arg in "$@"; do
  case $arg in
    --fuzz) packages+=(afl++) ;;
    *) echo "setup.sh: unknown option $arg; use --fuzz or nothing" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  # `dpkg -s` says "install ok installed" only for a package that is fully installed.
  if ! dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed'; then
    missing+=("$p")
  fi
done
if (( ${#missing[@]} == 0 )); then
  echo "setup.sh: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo=()
if (( EUID != 0 )); then
  command -v sudo >/dev/null || { echo "setup.sh: installing ${missing[*]} needs root; run as root or install sudo" >&2; exit 1; }
  sudo=(sudo)
fi
echo "setup.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
