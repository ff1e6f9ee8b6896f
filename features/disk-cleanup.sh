# disk-cleanup: the clean script (the same `pool clean` runs) as a daily cron job.
# pool puts the script's text in $POOL_CLEAN_SCRIPT ahead of this file.
is_linux || result skipped "macOS cleans its own logs and temp files (newsyslog, tmp reaping)"
script=/usr/local/sbin/pool-disk-cleanup
# Only where a cron daemon will run it: the files alone clean nothing, so none are written.
has cron || has crond || result failed "no cron daemon to run it: install one (cron, cronie), then run init again"
# Installed is not running: Arch's cronie, for one, is not enabled when installed.
if systemd_runs && ! systemctl is-active --quiet cron 2>/dev/null &&
  ! systemctl is-active --quiet crond 2>/dev/null && ! systemctl is-active --quiet cronie 2>/dev/null; then
  result failed "no cron service is running to run it: enable yours (systemctl enable --now cron, crond or cronie)"
fi
# Where that daemon looks for daily jobs: /etc/cron.daily, or BusyBox crond's
# /etc/periodic/daily (Alpine), which never reads /etc/cron.daily.
daily=/etc/cron.daily
if [ ! -d "$daily" ] && [ -d /etc/periodic/daily ]; then daily=/etc/periodic/daily; fi
cron=$daily/disk-cleanup
# shellcheck disable=SC2016 # the cron file's text, written as it is
cron_text='#!/bin/sh
# Installed by pool init: the same script `pool clean` runs, logged.
/usr/local/sbin/pool-disk-cleanup run >>/var/log/pool-cleanup.log 2>&1'
current_script=$(cat "$script" 2>/dev/null || true)
current_cron=$(cat "$cron" 2>/dev/null || true)
if [ "$current_script" = "$POOL_CLEAN_SCRIPT" ] && [ "$current_cron" = "$cron_text" ] &&
  [ -x "$cron" ] && [ -x "$script" ]; then
  result already "$cron runs $script daily"
fi
dry_run && result ok "would install $script and $cron"
must mkdir -p /usr/local/sbin "$daily"
install_text() {
  if ! { printf '%s\n' "$1" >"$2.pool-tmp" && chmod 755 "$2.pool-tmp" && mv "$2.pool-tmp" "$2"; }; then
    result failed "cannot write $2"
  fi
}
install_text "$POOL_CLEAN_SCRIPT" "$script"
install_text "$cron_text" "$cron"
result ok "installed $cron, logging to /var/log/pool-cleanup.log"
