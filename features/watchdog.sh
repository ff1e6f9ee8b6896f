# watchdog: softdog + systemd's runtime watchdog reset a hung kernel within 30 s.
is_linux || result skipped "macOS has no userspace watchdog API"
dropin=/etc/systemd/system.conf.d/60-pool-watchdog.conf
want='# Installed by pool init.
[Manager]
RuntimeWatchdogSec=30s'
load=/etc/modules-load.d/pool-softdog.conf
if [ -d /sys/module/softdog ] && [ "$(cat "$dropin" 2>/dev/null)" = "$want" ] && [ "$(cat "$load" 2>/dev/null)" = softdog ]; then
  result already "softdog loaded, RuntimeWatchdogSec=30s"
fi
dry_run && result ok "would load softdog at boot and set RuntimeWatchdogSec=30s"
must modprobe softdog
must mkdir -p /etc/systemd/system.conf.d /etc/modules-load.d
printf '%s\n' softdog >"$load" || result failed "cannot write $load"
printf '%s\n' "$want" >"$dropin" || result failed "cannot write $dropin"
must systemctl daemon-reexec
result ok "softdog loaded, RuntimeWatchdogSec=30s"
