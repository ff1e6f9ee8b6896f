# tailscale, headless: installed, not logged in (`tailscale up` needs a person).
if is_macos; then
  # The Mac App Store or standalone app brings its own daemon: a second one would fight it.
  [ -d /Applications/Tailscale.app ] && result already "the Tailscale app is installed"
  brew=$(command -v brew) || result failed "Homebrew not found (https://brew.sh)"
  user=$(mac_user) || result failed "Homebrew refuses root, and nobody is logged in at the console: log in at the Mac, or add the host with its own user and --sudo"
  # Installed by that user's Homebrew; the daemon run by root (`brew services` as root makes it a
  # LaunchDaemon, started at boot: tailscaled needs root), which is where pool looks for both.
  installed=no
  as_user "$user" "$brew" list --formula tailscale >/dev/null 2>&1 && installed=yes
  state=$("$brew" services list 2>/dev/null | awk '$1 == "tailscale" { print $2 }')
  if [ "$installed" = yes ] && [ "$state" = started ]; then
    result already "tailscale installed by $user's Homebrew, its daemon started"
  fi
  if dry_run; then
    [ "$installed" = yes ] && result ok "would start tailscale's daemon (brew services, as root)"
    result ok "would brew install tailscale as $user and start its daemon (brew services, as root)"
  fi
  [ "$installed" = yes ] || must as_user "$user" "$brew" install tailscale
  must "$brew" services start tailscale
  result ok "installed with $user's Homebrew, daemon started; run 'tailscale up' to log in"
fi
if has tailscale; then
  version=$(tailscale version 2>/dev/null | head -n 1)
  # Installed is not running: dnf's, pacman's and apk's packages leave tailscaled off.
  if ! systemd_runs || { systemctl is-enabled --quiet tailscaled 2>/dev/null &&
    systemctl is-active --quiet tailscaled 2>/dev/null; }; then
    result already "tailscale $version"
  fi
  dry_run && result ok "would enable and start tailscaled (tailscale $version is installed)"
  must systemctl enable --now tailscaled
  result ok "tailscaled enabled and started (tailscale $version); run 'tailscale up' to log in"
fi
has curl || result failed "curl not found"
dry_run && result ok "would install with https://tailscale.com/install.sh"
installer=$(mktemp) || result failed "mktemp failed"
trap 'rm -f "$installer"' EXIT
must curl -fsSL --max-time 20 -o "$installer" https://tailscale.com/install.sh
must sh "$installer"
result ok "installed; run 'tailscale up' to log in"
