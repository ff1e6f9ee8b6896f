# earlyoom: a userspace OOM killer that acts at <10 % free RAM+swap, before the kernel hangs.
is_linux || result skipped "macOS has Jetsam"
if has earlyoom && systemctl is-active --quiet earlyoom 2>/dev/null && systemctl is-enabled --quiet earlyoom 2>/dev/null; then
  result already "earlyoom installed, enabled and active"
fi
has apt-get || result failed "no apt-get: install earlyoom with this system's package manager"
dry_run && result ok "would apt-get install earlyoom and enable it"
if ! has earlyoom; then
  DEBIAN_FRONTEND=noninteractive
  export DEBIAN_FRONTEND
  must apt-get install -y -q -o Dpkg::Options::=--force-confold earlyoom
fi
must systemctl enable --now earlyoom
result ok "earlyoom enabled and active"
