#!/usr/bin/env bash
# Builds the fresh Debian 12 root filesystem the first-run check uses (tests/vm/fresh_root.ts): a
# minimal debootstrap with git and nothing else a test needs, as a newcomer's machine would be.
#
#   tests/vm/build-fresh-root.sh [DIR]      (root; default DIR: $POOL_VM_DIR or /var/tmp/pool-vm)
#
# DIR gets fresh-root/. A stamp of this script's hash makes a second run a no-op. Needs
# debootstrap, util-linux (flock) and the Debian mirror the host's apt uses.
set -euo pipefail
dir=${1:-${POOL_VM_DIR:-/var/tmp/pool-vm}}
mirror=${POOL_VM_MIRROR:-http://deb.debian.org/debian}
stamp=$(sha256sum "$0" | cut -c1-16)
root="$dir/fresh-root"
mkdir -p "$dir"
exec 9>"$dir/.fresh-root.lock"
flock 9
if [ -f "$dir/fresh-root.stamp" ] && [ "$(cat "$dir/fresh-root.stamp")" = "$stamp" ] && [ -d "$root" ]; then
  echo "fresh root up to date in $root"
  exit 0
fi
rm -rf "$root" "$dir/fresh-root.stamp"
echo "debootstrap a minimal bookworm into $root (a few minutes)"
debootstrap --variant=minbase --include=git bookworm "$root" "$mirror" >"$dir/fresh-root.log" 2>&1 || {
  tail -20 "$dir/fresh-root.log"
  exit 1
}
# As debootstrap leaves it, less the downloaded packages.
rm -f "$root"/var/cache/apt/archives/*.deb
echo "$stamp" >"$dir/fresh-root.stamp"
echo "fresh root built in $root"
