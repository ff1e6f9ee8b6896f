# shellcheck shell=bash
# pool's remote supervisor for a bash login shell: supervise.sh's contract,
# run by the login shell itself instead of by sh in front of it.
#
#   set -- NONCE watch|inherit COMMAND
#   <this script>
#
# sent as the command line, so the login shell reads it, and COMMAND runs as
# under supervise.sh (`$SHELL -c COMMAND`, its own process group), but the
# group comes from job control (set -m), not from a setsid process: that
# saves two of supervise.sh's four programs per command. Any other shell stops
# at the first line below, before it runs anything or says the marker, and
# pool sends supervise.sh instead. One difference: job control leaves SIGINT
# and SIGQUIT as they were for COMMAND (supervise.sh's sh ignores them), as a
# plain `ssh host cmd` does.
[ -n "${BASH_VERSINFO-}" ] || exit 97
set -m
case $- in *m*) ;; *) exit 97 ;; esac
__pool_nonce=$1 __pool_mode=$2 __pool_command=$3
printf '@@pool-%s %s\n' "$__pool_nonce" "$$" >&2

# Its own words from here on, and job control's ("[1]+ Done" on stdout), are
# no one's business: the real stdin, stdout and stderr wait on 3, 4 and 5 for
# the command and the watcher.
exec 3<&0 4>&1 5>&2 >/dev/null 2>/dev/null
# The shell running COMMAND is one level below this one, so it does not read
# ~/.bashrc a second time: this shell, sshd's, already did.
if [ "$__pool_mode" = watch ]; then
  (
    exec 1>&4 2>&5 3<&- 4>&- 5>&-
    exec "${SHELL:-/bin/sh}" -c "$__pool_command"
  ) </dev/null &
else
  (
    exec 1>&4 2>&5 3<&- 4>&- 5>&-
    exec "${SHELL:-/bin/sh}" -c "$__pool_command"
  ) &
fi
__pool_child=$!
set +m
exec 4>&- 5>&-

# shellcheck disable=SC2317 # called from the traps below
__pool_stop() {
  kill -TERM -"$__pool_child" 2>/dev/null || kill -TERM "$__pool_child" 2>/dev/null || return 0
  # A process of its own: KILL in 2 s, unless the group is gone first.
  sh -c 'sleep 2; kill -KILL "$1"' pool-stop "-$__pool_child" >/dev/null 2>&1 &
  __pool_killer=$!
  wait "$__pool_child"
  kill "$__pool_killer" 2>/dev/null
  # Whatever of the group ignored TERM.
  kill -KILL -"$__pool_child" 2>/dev/null
  return 0
}
trap '__pool_stop; exit 143' TERM
trap '__pool_stop; exit 129' HUP
trap '__pool_stop; exit 130' INT

__pool_watcher=
if [ "$__pool_mode" = watch ]; then
  # pool holds this stdin and never writes: end of file means pool, its ssh or the link is gone.
  (
    while IFS= read -r _; do :; done
    kill -TERM $$
  ) <&3 >/dev/null 2>&1 &
  __pool_watcher=$!
fi
exec 3<&-

wait "$__pool_child"
__pool_status=$?
if [ -n "$__pool_watcher" ]; then kill "$__pool_watcher" 2>/dev/null; fi
exit "$__pool_status"
