#!/bin/bash
# Unpacks a Debian-packaged Python project (with its tests) without installing
# it: `apt-get download` + `dpkg -x` into DIR, then prints the folder that
# `wasipy test` takes (DIR/usr/lib/python3/dist-packages).
#
#   scripts/debian-project.sh PACKAGE DIR      e.g. python3-toolz /tmp/toolz
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: scripts/debian-project.sh PACKAGE DIR   (e.g. python3-toolz /tmp/toolz)" >&2
  exit 2
fi
package=$1 dir=$2
dl=$(mktemp -d)
trap 'rm -rf "$dl"' EXIT
chmod 755 "$dl"   # apt's _apt user downloads into it
(cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "$package" >&2) || {
  echo "debian-project.sh: apt-get download $package failed; check the name and that apt can reach a Debian mirror (apt-get update)" >&2
  exit 1
}
rm -rf "$dir"
dpkg -x "$dl"/*.deb "$dir"
echo "$dir/usr/lib/python3/dist-packages"
