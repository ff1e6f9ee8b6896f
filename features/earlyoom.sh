# earlyoom: a userspace OOM killer that acts at <10 % free RAM+swap, before the kernel hangs.
is_linux || result skipped "macOS has Jetsam"
# Enabled and running, as a systemd unit or an OpenRC service (Alpine).
running() {
  if systemd_runs; then
    systemctl is-active --quiet earlyoom 2>/dev/null && systemctl is-enabled --quiet earlyoom 2>/dev/null
  elif has rc-service; then
    rc-service earlyoom status >/dev/null 2>&1 && rc-update show default 2>/dev/null | grep -q '^ *earlyoom '
  else
    return 1
  fi
}
if has earlyoom && running; then
  result already "earlyoom installed, enabled and active"
fi
systemd_runs || has rc-service || result failed "neither systemd nor OpenRC here to run earlyoom as a service"
manager=
for m in apt-get dnf yum zypper pacman apk; do
  if has "$m"; then
    manager=$m
    break
  fi
done
if ! has earlyoom && [ -z "$manager" ]; then
  result failed "no package manager pool knows (apt-get, dnf, yum, zypper, pacman, apk): install earlyoom, then run init again"
fi
if dry_run; then
  has earlyoom && result ok "would enable and start earlyoom"
  result ok "would $manager install earlyoom and enable it"
fi
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
  case "$manager" in
  apt-get)
    # No package lists (a fresh image) or stale ones (the mirror says 404): update, then install.
    apt-cache show earlyoom >/dev/null 2>&1 || must apt_get update -q
    if ! apt_get install -y -q -o Dpkg::Options::=--force-confold earlyoom >/dev/null; then
      must apt_get update -q
      must apt_get install -y -q -o Dpkg::Options::=--force-confold earlyoom
    fi
    ;;
  dnf | yum) must "$manager" install -y earlyoom ;;
  zypper) must zypper --non-interactive install earlyoom ;;
  pacman) must pacman -S --noconfirm --needed earlyoom ;;
  apk) must apk add earlyoom ;;
  esac
fi
if systemd_runs; then
  must systemctl enable --now earlyoom
else
  must rc-update add earlyoom default
  rc-service earlyoom status >/dev/null 2>&1 || must rc-service earlyoom start
fi
result ok "earlyoom enabled and active"
