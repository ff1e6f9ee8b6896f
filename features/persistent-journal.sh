# persistent-journal: the evidence of a crash survives the reboot that follows it.
is_linux || result skipped "macOS's unified log is persistent already"
has journalctl || result skipped "no systemd journal on this host"
[ -d /var/log/journal ] && result already "/var/log/journal exists"
dry_run && result ok "would create /var/log/journal and restart journald"
must mkdir -p /var/log/journal
has systemd-tmpfiles && must systemd-tmpfiles --create --prefix /var/log/journal
must systemctl restart systemd-journald
result ok "journal now kept in /var/log/journal"
