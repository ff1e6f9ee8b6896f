# persistent-journal: the evidence of a crash survives the reboot that follows it.
is_linux || result skipped "macOS's unified log is persistent already"
{ systemd_runs && has journalctl; } || result skipped "no systemd journal on this host"
dropin_dir=/etc/systemd/journald.conf.d
# Named to sort after other drop-ins: journald reads them in name order and the last Storage= wins.
dropin=$dropin_dir/zz-pool-persistent.conf
# journald's Storage= as configured: the last one set in journald.conf and its drop-ins; auto if none.
storage() {
  text=
  has systemd-analyze && text=$(systemd-analyze cat-config systemd/journald.conf 2>/dev/null)
  [ -n "$text" ] || text=$(cat /etc/systemd/journald.conf "$dropin_dir"/*.conf 2>/dev/null)
  value=$(printf '%s\n' "$text" | sed -n 's/^[[:space:]]*Storage[[:space:]]*=[[:space:]]*\([a-z]*\).*/\1/p' | tail -n 1)
  echo "${value:-auto}"
}
machine=$(cat /etc/machine-id 2>/dev/null)
# Persistent in fact: journald running, with its journal file in /var/log/journal.
writing() {
  systemctl is-active --quiet systemd-journald 2>/dev/null && [ -n "$machine" ] &&
    [ -f "/var/log/journal/$machine/system.journal" ]
}
configured() {
  case "$(storage)" in
  persistent) return 0 ;;
  auto) [ -d /var/log/journal ] ;;
  *) return 1 ;;
  esac
}
if configured && writing; then
  result already "journal kept in /var/log/journal (Storage=$(storage))"
fi
before=$(storage)
if dry_run; then
  case "$before" in
  persistent | auto) result ok "would create /var/log/journal and restart journald" ;;
  *) result ok "would set Storage=persistent (now $before) in $dropin and restart journald" ;;
  esac
fi
case "$before" in
persistent | auto) ;;
*)
  must mkdir -p "$dropin_dir"
  printf '# Installed by pool init: keep the journal across reboots.\n[Journal]\nStorage=persistent\n' >"$dropin" ||
    result failed "cannot write $dropin"
  ;;
esac
# With Storage=auto, the directory is the setting: made before checking that it took.
must mkdir -p /var/log/journal
configured || result failed "Storage=$(storage) is still set after $dropin (a drop-in that sorts after it?)"
has systemd-tmpfiles && must systemd-tmpfiles --create --prefix /var/log/journal
must systemctl restart systemd-journald
# Moves what the journal holds in /run to /var now, rather than at the next boot.
journalctl --flush >/dev/null 2>&1
tries=0
until writing; do
  tries=$((tries + 1))
  [ "$tries" -le 10 ] || result failed "journald restarted, but writes no journal in /var/log/journal/$machine"
  sleep 1
done
[ "$before" = persistent ] || [ "$before" = auto ] || result ok "Storage=persistent (was $before); journal now kept in /var/log/journal"
result ok "journal now kept in /var/log/journal"
