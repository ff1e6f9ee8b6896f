# no-sleep (macOS): a FileVault Mac that sleeps or locks drops its network, and with it every build.
is_macos || result skipped "Linux servers do not display-sleep"
# Sleep is system-wide (pmset, as root); the screensaver's idle time is a preference of the user at
# the screen, so it is read and written as that user, in that user's -currentHost domain.
user=$(mac_user) || user=
settings=$(pmset -g 2>/dev/null)
value() { printf '%s\n' "$settings" | awk -v k="$1" '$1 == k { print $2; exit }'; }
sleep_off=no
if [ "$(value displaysleep)" = 0 ] && [ "$(value sleep)" = 0 ] && [ "$(value disksleep)" = 0 ]; then
  sleep_off=yes
fi
idle=unknown
if [ -n "$user" ]; then
  idle=$(as_user "$user" defaults -currentHost read com.apple.screensaver idleTime 2>/dev/null) || idle=none
fi
if [ "$sleep_off" = yes ] && [ "$idle" = 0 ]; then
  result already "display, system and disk sleep off; $user's screensaver idle 0"
fi
if dry_run; then
  [ -n "$user" ] || result ok "would set pmset displaysleep 0 sleep 0 disksleep 0 (no console user for the screensaver)"
  result ok "would set pmset displaysleep 0 sleep 0 disksleep 0 and $user's screensaver idleTime 0"
fi
[ "$sleep_off" = yes ] || must pmset -a displaysleep 0 sleep 0 disksleep 0
[ -n "$user" ] || result failed "sleep off, but the screensaver is a user's setting and nobody is logged in at the console (log in at the Mac, or add the host with its own user and --sudo)"
[ "$idle" = 0 ] || must as_user "$user" defaults -currentHost write com.apple.screensaver idleTime -int 0
result ok "sleep off; $user's screensaver idle 0"
