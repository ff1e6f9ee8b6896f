#!/bin/sh
# Shared head of every bootstrap payload (pool prepends it to the feature's own
# file). A feature runs as root, as `sh -s -- <apply|dry-run> [arg]`, and ends by
# printing exactly one result line:
#   @@ result ok|already|skipped|failed <one line saying what happened or why>
# "ok" means it changed something, "already" that there was nothing to do.
# Not every feature uses every helper below, nor $arg.
# shellcheck disable=SC2034,SC2317
set -u
LC_ALL=C
export LC_ALL
PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/homebrew/bin:$PATH"
export PATH
mode=${1:-apply}
arg=${2:-}

result() {
  printf '@@ result %s %s\n' "$1" "$2"
  exit 0
}

# Runs a command; on failure the feature fails with the command's last line.
must() {
  out=$("$@" 2>&1)
  status=$?
  if [ "$status" -ne 0 ]; then
    last=$(printf '%s\n' "$out" | sed '/^[[:space:]]*$/d' | tail -n 1)
    case "$last" in "$1:"*) result failed "$last" ;; esac
    result failed "$1: ${last:-exit status $status}"
  fi
}

dry_run() {
  [ "$mode" = dry-run ]
}

is_linux() {
  [ "$(uname -s)" = Linux ]
}

is_macos() {
  [ "$(uname -s)" = Darwin ]
}

has() {
  command -v "$1" >/dev/null 2>&1
}
