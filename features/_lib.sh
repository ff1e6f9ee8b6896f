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
# The system's directories first: a root login or sudo may hand over a PATH without sbin.
# POOL_PAYLOAD_PATH replaces the whole PATH: the fake-userland tests set it so that a payload
# finds their fake commands and nothing else, never a real system tool.
PATH=${POOL_PAYLOAD_PATH:-"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/homebrew/bin:/usr/local/Homebrew/bin:$PATH"}
export PATH
mode=${1:-apply}
arg=${2:-}

result() {
  printf '@@ result %s %s\n' "$1" "$2"
  exit 0
}

# Runs a command; on failure the feature fails with the command's last line, named by the
# program that failed (brew, not as_user or /opt/homebrew/bin/brew).
must() {
  name=$1
  [ "$1" = as_user ] && name=$3
  [ "$1" = apt_get ] && name=apt-get
  name=${name##*/}
  out=$("$@" 2>&1)
  status=$?
  if [ "$status" -ne 0 ]; then
    last=$(printf '%s\n' "$out" | sed '/^[[:space:]]*$/d' | tail -n 1)
    case "$last" in "$name:"*) result failed "$last" ;; esac
    result failed "$name: ${last:-exit status $status}"
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

# systemd is this host's init (sd_booted()'s test): a systemctl installed in a container, or
# beside another init, starts nothing. POOL_SYSTEMD_RUN stands in for the folder in the
# fake-userland tests.
systemd_runs() {
  [ -d "${POOL_SYSTEMD_RUN:-/run/systemd/system}" ]
}

# A whole number, or 0: an empty or garbled reading must not abort the payload before its result.
num() {
  case "$1" in '' | *[!0-9]*) echo 0 ;; *) echo "$1" ;; esac
}

# macOS: the user whose session the Mac serves. Homebrew refuses root, and `defaults` writes the
# preferences of whoever runs it, so both run as this user: the owner of /dev/console (the person
# logged in at the screen), else the user pool logged in as (sudo's SUDO_USER). Nothing when
# neither is a person: the login window owns the console as root, and a root login has no user.
mac_user() {
  who=$(stat -f %Su /dev/console 2>/dev/null)
  case "$who" in '' | root | _mbsetupuser | loginwindow) who=${SUDO_USER:-} ;; esac
  case "$who" in '' | root) return 1 ;; esac
  printf '%s\n' "$who"
}

# Runs a command as that user, with that user's HOME (sudo from root asks no password).
as_user() {
  as=$1
  shift
  sudo -n -H -u "$as" "$@"
}
