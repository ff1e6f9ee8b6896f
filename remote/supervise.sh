#!/bin/sh
# pool's remote supervisor: runs one command so that it never outlives pool.
#
#   sh -c "<this script><_supervise_end.sh>" pool-supervise NONCE watch|inherit COMMAND
#
# It says its pid and the login shell's name on stderr first ("@@pool-NONCE
# PID bash"), then runs COMMAND with the login shell as the leader of a
# process group of its own, and ends that whole group — TERM, then KILL 2 s later — when pool signals it (TERM, HUP,
# INT), or, in watch mode, when its stdin reaches end of file: pool holds that
# pipe open and never writes, so end of file means pool, its ssh or the
# connection is gone. In watch mode COMMAND gets no stdin; in inherit mode it
# reads the supervisor's. Exits with COMMAND's status (128+n when signal n
# killed it), or 128+n of the signal that stopped it.
__pool_nonce=$1 __pool_mode=$2 __pool_command=$3
__pool_shell=${SHELL:-/bin/sh}
printf '@@pool-%s %s %s\n' "$__pool_nonce" "$$" "${SHELL##*/}" >&2

# A background job's stdin is /dev/null unless redirected: keep the real one on fd 3.
exec 3<&0

# A login bash that handed over to this sh lowered SHLVL again (bash -c does,
# before its exec); one level up, the shell below counts as nested and does
# not read ~/.bashrc a second time, as sshd's own shell already did.
case ${SHLVL-} in '' | *[!0-9]*) SHLVL=0 ;; esac
SHLVL=$((SHLVL + 1))
export SHLVL
# The command becomes a group leader, with SIGINT and SIGQUIT at their
# defaults (_start_grouped.sh, sent before this script).
if [ "$__pool_mode" = watch ]; then
  __pool_start_grouped "$__pool_shell" -c "$__pool_command" </dev/null 3<&- &
else
  __pool_start_grouped "$__pool_shell" -c "$__pool_command" <&3 3<&- &
fi
__pool_child=$!
# From here on the supervisor's own words (a shell saying "Segmentation fault"
# about its child) would be mistaken for the command's: only the command speaks.
# The real stderr waits on 5 for the last word, the command's exit status.
exec 5>&2 2>/dev/null
__pool_target=$__pool_child
if __pool_groups; then __pool_target=-$__pool_child; fi
__pool_out=1
# _supervise_end.sh follows: the stop, the watcher and the exit.
