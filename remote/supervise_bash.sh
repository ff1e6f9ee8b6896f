# shellcheck shell=bash
# pool's remote supervisor for a bash login shell: supervise.sh's contract,
# run by the login shell itself instead of by sh in front of it.
#
#   eval 'test -n "${BASH_VERSION-}"' || sh -c 'echo @@pool-NONCE refused >&2; exit 1' || exit 97
#   set -- NONCE watch|inherit COMMAND
#   eval '<this script><_supervise_end.sh>'
#
# sent as the command line (exec.ts), so the login shell reads it, and
# COMMAND runs as under supervise.sh (`$SHELL -c COMMAND`, its own process
# group), but the group comes from job control (set -m), not from a setsid
# process: that saves two of supervise.sh's four programs per command. pool
# sends it only where supervise.sh has said the login shell is bash. Any other
# shell (fish too, which parses the whole line first: hence the eval), or a
# bash without job control, stops before it runs anything, saying so
# ("@@pool-NONCE refused"), and pool sends supervise.sh instead.
# Job control leaves SIGINT and SIGQUIT as they were for COMMAND, as a plain
# `ssh host cmd` does (supervise.sh sets them back for it: _start_grouped.sh).
__pool_refuse() {
  printf '@@pool-%s refused\n' "$1" >&2
  exit 97
}
[ -n "${BASH_VERSINFO-}" ] || __pool_refuse "$1"
set -m
case $- in *m*) ;; *) __pool_refuse "$1" ;; esac
__pool_nonce=$1 __pool_mode=$2 __pool_command=$3
printf '@@pool-%s %s\n' "$__pool_nonce" "$$" >&2

# Its own words from here on, and job control's ("[1]+ Done" on stdout), are
# no one's business: the real stdin, stdout and stderr wait on 3, 4 and 5 for
# the command and the watcher.
exec 3<&0 4>&1 5>&2 >/dev/null 2>/dev/null
# The shell running COMMAND is one level below this one, so it does not read
# ~/.bashrc a second time: this shell, sshd's, already did.
# In watch mode COMMAND gets no stdin; in inherit mode the supervisor's (job
# control leaves a background job's stdin as it is).
(
  if [ "$__pool_mode" = watch ]; then exec </dev/null; fi
  exec 1>&4 2>&5 3<&- 4>&- 5>&-
  exec "${SHELL:-/bin/sh}" -c "$__pool_command"
) &
__pool_child=$!
set +m
# 5, the real stderr, stays for the last word: the command's exit status; 4, the real
# stdout, for the watcher to watch (_supervise_end.sh closes it then).
__pool_out=4
__pool_target=-$__pool_child
# _supervise_end.sh follows: the stop, the watcher and the exit.
