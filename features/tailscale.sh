# tailscale, headless: installed, not logged in (`tailscale up` needs a person).
if has tailscale; then result already "tailscale $(tailscale version 2>/dev/null | head -n 1)"; fi
if is_macos; then
  has brew || result failed "Homebrew not found (https://brew.sh)"
  dry_run && result ok "would brew install tailscale and start it as a service"
  must brew install tailscale
  must brew services start tailscale
  result ok "installed with brew; run 'tailscale up' to log in"
fi
has curl || result failed "curl not found"
dry_run && result ok "would install with https://tailscale.com/install.sh"
installer=$(mktemp) || result failed "mktemp failed"
trap 'rm -f "$installer"' EXIT
must curl -fsSL --max-time 20 -o "$installer" https://tailscale.com/install.sh
must sh "$installer"
result ok "installed; run 'tailscale up' to log in"
