# watchdog: softdog + systemd's runtime watchdog reset a hung kernel within 30 s.
is_linux || result skipped "macOS has no userspace watchdog API"
# What pool sets is systemd's runtime watchdog (PID 1 keeps softdog fed): no systemd, nothing to set.
systemd_runs || result skipped "systemd is not running here (its runtime watchdog is what pool sets)"
dropin=/etc/systemd/system.conf.d/60-pool-watchdog.conf
want='# Installed by pool init.
[Manager]
RuntimeWatchdogSec=30s'
load=/etc/modules-load.d/pool-softdog.conf
# Checked where the change takes effect: softdog loaded, and a systemd that runs the watchdog (a
# run that failed at daemon-reexec, or a host without systemd, leaves the files and no watchdog).
running() {
  systemd_runs || return 1
  # A time span (30s), or in microseconds on a systemd that prints the number.
  case "$(systemctl show -p RuntimeWatchdogUSec --value 2>/dev/null)" in 30s | 30000000) ;; *) return 1 ;; esac
}
if [ -d /sys/module/softdog ] && [ "$(cat "$dropin" 2>/dev/null)" = "$want" ] &&
  [ "$(cat "$load" 2>/dev/null)" = softdog ] && running; then
  result already "softdog loaded, RuntimeWatchdogSec=30s"
fi
dry_run && result ok "would load softdog at boot and set RuntimeWatchdogSec=30s"
must modprobe softdog
must mkdir -p /etc/systemd/system.conf.d /etc/modules-load.d
printf '%s\n' softdog >"$load" || result failed "cannot write $load"
printf '%s\n' "$want" >"$dropin" || result failed "cannot write $dropin"
must systemctl daemon-reexec
result ok "softdog loaded, RuntimeWatchdogSec=30s"
