#!/bin/sh
# pool's guard for a local child nothing else of pool's would end (its stdin the user's, or
# bytes pool has sent and closed): remote/process.ts starts it beside the child, holding a
# pipe on its stdin that pool never writes. If pool dies, even by SIGKILL, the pipe ends, and
# the guard ends the child's process group: TERM, then KILL 2 s later if it is still there;
# then it waits out the host's end of the command. Pool kills the guard once the child has ended.
#
#   sh -c "<this script>" pool-guard PGID
#   sh -c "<this script>" pool-guard PID pid
#
# Each signal goes only while the number is still that group's: its leader, started when the
# guard started, or no process of that number (members only: a number in use as a group's is
# never handed out). A leader started since means the group ended and its number went to
# someone else. dash's kill takes `--` only after `-s SIG`. remote/scripts.ts puts
# remote/_proc.sh (start_of) before this script.
#
# With `pid`, the child alone: one that stays in pool's own group, the terminal's (`on -t`'s
# ssh), whose number is no group's to signal. A pid is anyone's once its process is gone, so
# each signal goes only while a process of that number started when the guard started.

ours() {
  now=$(start_of "$1")
  [ -z "$now" ] || [ "$now" = "$2" ]
}

# Ends the group: TERM, then KILL 2 s later if it is still there.
end_group() {
  ours "$1" "$leader" && kill -s TERM -- "-$1" 2>/dev/null || return 0
  # A group pool stopped with itself (Ctrl-Z, then kill -9) takes its TERM once continued.
  kill -s CONT -- "-$1" 2>/dev/null
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    sleep 0.2 2>/dev/null || sleep 1
    ours "$1" "$leader" && kill -s 0 -- "-$1" 2>/dev/null || return 0
  done
  kill -s KILL -- "-$1" 2>/dev/null
}

# Ends the one process: TERM (continued, as a group is), then KILL 2 s later if it is still there.
end_one() {
  [ "$(start_of "$1")" = "$leader" ] && kill -s TERM -- "$1" 2>/dev/null || return 0
  # Left in a group the shell no longer gives the terminal, it stops (SIGTTIN) when it reads.
  kill -s CONT -- "$1" 2>/dev/null
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    sleep 0.2 2>/dev/null || sleep 1
    [ "$(start_of "$1")" = "$leader" ] || return 0
  done
  kill -s KILL -- "$1" 2>/dev/null
}

leader=$(start_of "$1")
[ -n "$leader" ] || exit 0 # gone before the guard began: nothing to guard
read -r _ || :
if [ "${2:-}" = pid ]; then end_one "$1"; else end_group "$1"; fi
# A route's lease names this guard as its carrier (process.ts): it lives on while the host ends
# the command, whose supervisor sees the channel go within 2 s and allows it 2 s from TERM to KILL.
sleep 5
