# disk-cleanup: the clean script (the same `pool clean` runs) as a daily cron job.
# pool puts the script's text in $POOL_CLEAN_SCRIPT ahead of this file.
is_linux || result skipped "macOS cleans its own logs and temp files (newsyslog, tmp reaping)"
script=/usr/local/sbin/pool-disk-cleanup
cron=/etc/cron.daily/disk-cleanup
# shellcheck disable=SC2016 # the cron file's text, written as it is
cron_text='#!/bin/sh
# Installed by pool init: the same script `pool clean` runs, logged.
/usr/local/sbin/pool-disk-cleanup run >>/var/log/pool-cleanup.log 2>&1'
current_script=$(cat "$script" 2>/dev/null || true)
current_cron=$(cat "$cron" 2>/dev/null || true)
# Only where a cron daemon will run it: the files alone clean nothing.
if [ "$current_script" = "$POOL_CLEAN_SCRIPT" ] && [ "$current_cron" = "$cron_text" ] &&
  [ -x "$cron" ] && [ -x "$script" ] && { has cron || has crond; }; then
  result already "$cron runs $script daily"
fi
dry_run && result ok "would install $script and $cron"
must mkdir -p /usr/local/sbin /etc/cron.daily
install_text() {
  if ! { printf '%s\n' "$1" >"$2.pool-tmp" && chmod 755 "$2.pool-tmp" && mv "$2.pool-tmp" "$2"; }; then
    result failed "cannot write $2"
  fi
}
install_text "$POOL_CLEAN_SCRIPT" "$script"
install_text "$cron_text" "$cron"
has cron || has crond || result ok "installed $cron, but no cron daemon is installed to run it"
result ok "installed $cron, logging to /var/log/pool-cleanup.log"
