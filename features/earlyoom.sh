# earlyoom: a userspace OOM killer that acts at <10 % free RAM+swap, before the kernel hangs.
is_linux || result skipped "macOS has Jetsam"
if has earlyoom && systemctl is-active --quiet earlyoom 2>/dev/null && systemctl is-enabled --quiet earlyoom 2>/dev/null; then
  result already "earlyoom installed, enabled and active"
fi
has apt-get || result failed "no apt-get: install earlyoom with this system's package manager"
dry_run && result ok "would apt-get install earlyoom and enable it"
DEBIAN_FRONTEND=noninteractive
export DEBIAN_FRONTEND
# apt-get, waiting while another apt or dpkg holds the lock (a fresh host's unattended-upgrades):
# apt waits by itself with DPkg::Lock::Timeout; an older apt fails at once, so this waits too.
apt_get() {
  waited=0
  while :; do
    apt_out=$(apt-get -o DPkg::Lock::Timeout=300 "$@" 2>&1) && return 0
    case "$apt_out" in
    *"Could not get lock"* | *"Unable to lock"* | *"Unable to acquire"*) ;;
    *)
      printf '%s\n' "$apt_out"
      return 1
      ;;
    esac
    if [ "$waited" -ge 300 ]; then
      printf '%s\n' "$apt_out"
      return 1
    fi
    sleep 5
    waited=$((waited + 5))
  done
}
if ! has earlyoom; then
  # No package lists (a fresh image) or stale ones (the mirror says 404): update, then install.
  apt-cache show earlyoom >/dev/null 2>&1 || must apt_get update -q
  if ! apt_get install -y -q -o Dpkg::Options::=--force-confold earlyoom >/dev/null; then
    must apt_get update -q
    must apt_get install -y -q -o Dpkg::Options::=--force-confold earlyoom
  fi
fi
must systemctl enable --now earlyoom
result ok "earlyoom enabled and active"
