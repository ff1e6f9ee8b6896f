# panic-recovery: reboot 10 s after a kernel panic instead of hanging; OOM is not a panic.
# (The old tool wrote kernel.panic_on_oom, which does not exist: the kernel's knob is vm.panic_on_oom.)
is_linux || result skipped "the Darwin kernel restarts after a panic by itself"
conf=/etc/sysctl.d/60-pool-recovery.conf
want='# Installed by pool init: reboot 10 s after a panic; never panic on OOM.
kernel.panic = 10
vm.panic_on_oom = 0'
if [ "$(cat "$conf" 2>/dev/null)" = "$want" ] && [ "$(sysctl -n kernel.panic 2>/dev/null)" = 10 ] &&
  [ "$(sysctl -n vm.panic_on_oom 2>/dev/null)" = 0 ]; then
  result already "kernel.panic = 10, vm.panic_on_oom = 0"
fi
dry_run && result ok "would write $conf and apply it"
must mkdir -p /etc/sysctl.d
printf '%s\n' "$want" >"$conf" || result failed "cannot write $conf"
must sysctl -p "$conf"
result ok "kernel.panic = 10, vm.panic_on_oom = 0"
