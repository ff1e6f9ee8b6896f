# no-sleep (macOS): a FileVault Mac that sleeps or locks drops its network, and with it every build.
is_macos || result skipped "Linux servers do not display-sleep"
settings=$(pmset -g 2>/dev/null)
idle=$(defaults -currentHost read com.apple.screensaver idleTime 2>/dev/null || echo unset)
value() { printf '%s\n' "$settings" | awk -v k="$1" '$1 == k { print $2; exit }'; }
if [ "$(value displaysleep)" = 0 ] && [ "$(value sleep)" = 0 ] && [ "$(value disksleep)" = 0 ] && [ "$idle" = 0 ]; then
  result already "display, system and disk sleep off; screensaver idle 0"
fi
dry_run && result ok "would set pmset displaysleep 0 sleep 0 disksleep 0 and screensaver idleTime 0"
must pmset -a displaysleep 0 sleep 0 disksleep 0
must defaults -currentHost write com.apple.screensaver idleTime 0
result ok "sleep off; screensaver idle 0"
