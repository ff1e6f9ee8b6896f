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

# The watcher reads the real stdin from fd 3.
exec 3<&0
# The shell running COMMAND sees the shell level supervise.sh's would: this
# shell's own, as if the login shell had handed over to it (bash -c does).
if [ "$__pool_mode" = watch ]; then
  (
    exec 3<&-
    SHLVL=$((SHLVL - 1)) exec "${SHELL:-/bin/sh}" -c "$__pool_command"
  ) </dev/null &
else
  (
    exec 3<&-
    SHLVL=$((SHLVL - 1)) exec "${SHELL:-/bin/sh}" -c "$__pool_command"
  ) &
fi
__pool_child=$!
set +m
# From here on the supervisor's own words would be mistaken for the command's.
exec 2>/dev/null

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
