#!/bin/sh
# pool's guard for a local child nothing else of pool's would end (its stdin the user's, or
# bytes pool has sent and closed): remote/process.ts starts it beside the child, holding a
# pipe on its stdin that pool never writes. If pool dies, even by SIGKILL, the pipe ends, and
# the guard ends the child's process group: TERM, then KILL 2 s later if it is still there.
# Pool kills the guard once the child has ended.
#
#   sh -c "<this script>" pool-guard PGID
#
# Each signal goes only while the number is still that group's: its leader, started when the
# guard started, or no process of that number (members only: a number in use as a group's is
# never handed out). A leader started since means the group ended and its number went to
# someone else. dash's kill takes `--` only after `-s SIG`.

# When process $1 started, as a token to compare (as remote/_proc.sh's start_of): nothing for
# a process that is gone or a zombie.
start_of() {
  if [ -d /proc/self ]; then
    { read -r stat < "/proc/$1/stat"; } 2>/dev/null || return 0
    set -f
    # shellcheck disable=SC2086 # splitting the fields is the point
    set -- ${stat##*) }
    set +f
    case "$1" in Z | X) return 0 ;; esac
    printf '%s\n' "${20}"
  else
    # shellcheck disable=SC2046 # words, as ps spaces them
    set -- $(ps -o lstart= -p "$1" 2>/dev/null)
    printf '%s\n' "$*"
  fi
}

ours() {
  now=$(start_of "$1")
  [ -z "$now" ] || [ "$now" = "$2" ]
}

leader=$(start_of "$1")
[ -n "$leader" ] || exit 0 # gone before the guard began: nothing to guard
read -r _ || :
ours "$1" "$leader" && kill -s TERM -- "-$1" 2>/dev/null || exit 0
for _ in 1 2 3 4 5 6 7 8 9 10; do
  sleep 0.2 2>/dev/null || sleep 1
  ours "$1" "$leader" && kill -s 0 -- "-$1" 2>/dev/null || exit 0
done
kill -s KILL -- "-$1" 2>/dev/null
