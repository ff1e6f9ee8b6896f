#!/bin/sh
# pool's remote supervisor: runs one command so that it never outlives pool.
#
#   sh -c "<this script>" pool-supervise NONCE watch|inherit COMMAND
#
# It says its pid and the login shell's name on stderr first ("@@pool-NONCE
# PID bash"), then runs COMMAND with the login shell as the leader of a
# process group of its own, and ends that whole group — TERM, then KILL 2 s later — when pool signals it (TERM, HUP,
# INT), or, in watch mode, when its stdin reaches end of file: pool holds that
# pipe open and never writes, so end of file means pool, its ssh or the
# connection is gone. In watch mode COMMAND gets no stdin; in inherit mode it
# reads the supervisor's. Exits with COMMAND's status (128+n when signal n
# killed it), or 128+n of the signal that stopped it.
nonce=$1
mode=$2
command=$3
shell=${SHELL:-/bin/sh}
printf '@@pool-%s %s %s\n' "$nonce" "$$" "${SHELL##*/}" >&2

# A background job's stdin is /dev/null unless redirected: keep the real one on fd 3.
exec 3<&0

# The command becomes a group leader through setsid (Linux, BusyBox) or perl
# (macOS, Debian); without either only the command itself can be stopped.
grouped=
if command -v setsid >/dev/null 2>&1 || command -v perl >/dev/null 2>&1; then grouped=1; fi
# A login bash that handed over to this sh lowered SHLVL again (bash -c does,
# before its exec); one level up, the shell below counts as nested and does
# not read ~/.bashrc a second time, as sshd's own shell already did.
case ${SHLVL-} in '' | *[!0-9]*) SHLVL=0 ;; esac
SHLVL=$((SHLVL + 1))
export SHLVL
start() {
  if command -v setsid >/dev/null 2>&1; then
    exec setsid "$shell" -c "$command"
  elif command -v perl >/dev/null 2>&1; then
    exec perl -e 'setpgrp(0, 0); exec @ARGV or die "pool: $ARGV[0]: $!\n"' "$shell" -c "$command"
  fi
  exec "$shell" -c "$command"
}
if [ "$mode" = watch ]; then
  start </dev/null 3<&- &
else
  start <&3 3<&- &
fi
child=$!
# From here on the supervisor's own words (a shell saying "Segmentation fault"
# about its child) would be mistaken for the command's: only the command speaks.
exec 2>/dev/null
target=$child
if [ -n "$grouped" ]; then target=-$child; fi

# shellcheck disable=SC2317 # called from the traps below
stop() {
  # Stopped so early that the group does not exist yet: the command's process
  # is still on its way to setsid, and that pid alone is it.
  kill -TERM "$target" 2>/dev/null || kill -TERM "$child" 2>/dev/null || return 0
  # A process of its own (not a subshell, which would carry the command's text
  # in its argv): KILL in 2 s, unless the group is gone first and it is cancelled.
  sh -c 'sleep 2; kill -KILL "$1"' pool-stop "$target" >/dev/null 2>&1 &
  killer=$!
  wait "$child"
  kill "$killer" 2>/dev/null
  # Whatever of the group ignored TERM (the leader is gone, its children may not be).
  kill -KILL "$target" 2>/dev/null
  return 0
}
trap 'stop; exit 143' TERM
trap 'stop; exit 129' HUP
trap 'stop; exit 130' INT

watcher=
if [ "$mode" = watch ]; then
  ( while IFS= read -r _; do :; done; kill -TERM $$ ) <&3 >/dev/null 2>&1 &
  watcher=$!
fi
exec 3<&-

wait "$child"
status=$?
if [ -n "$watcher" ]; then kill "$watcher" 2>/dev/null; fi
exit "$status"
