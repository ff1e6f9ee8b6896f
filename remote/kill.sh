#!/bin/sh
# Ends a `pool bg` job and everything it started, for `pool kill`.
# Usage: sh -s -- <job id> <signal name> <grace seconds>
#
# The job's command leads a process group of its own (remote/launch.sh); the
# signal goes to that whole group, and only while the recorded pid still names
# the process the job started (pid + start time) and that process leads it: a
# recycled pid is never signalled, and a record that names pid 0 or 1 (edited
# by hand: `kill -- -1` is every process) is refused. A job whose own process is
# over may have left children running in its group: they get the signal then.
# On Linux, so do the processes that left the group (setsid, a daemon) and still
# carry the job's marker, POOL_JOB=<id>
# (launch.sh; _proc.sh's marked says what it cannot see), each checked by pid and
# start time just before: a process without the marker, or whose environment
# cannot be read, is never signalled. Whatever of all that is left after
# <grace> seconds gets KILL. Then it waits a moment for the job's waiter to
# write down the end.
# Prints "@@ <what>" — missing (no such job), over (it had ended), lost (its
# process is gone without an end written; an exit line that is no exit code, 0-255,
# is none), killed, leftovers (it had ended, and what it left running, in its
# group or carrying its marker, was killed) — then the record.
LC_ALL=C
export LC_ALL
id=$1
signal=$2
grace=$3
case "$id" in '' | *[!A-Za-z0-9_-]*) echo "pool: bad job id: $id" >&2 && exit 2 ;; esac
case "$grace" in '' | *[!0-9]*) echo "pool: grace must be whole seconds" >&2 && exit 2 ;; esac
record="$HOME/.pool/jobs/$id.job"

# Whether any process of group $pgid still runs (zombies, reaped late by init, do not).
group_runs() {
  if [ -d /proc/self ]; then
    for stat_file in /proc/[0-9]*/stat; do
      { read -r stat < "$stat_file"; } 2>/dev/null || continue
      set -f
      # shellcheck disable=SC2086
      set -- ${stat##*) }
      set +f
      if [ "$3" = "$pgid" ] && [ "$1" != Z ] && [ "$1" != X ]; then return 0; fi
    done
    return 1
  fi
  # (A `while read` loop here answered 0 for a group with no process: a loop's status is its
  # last body's, and an `if` that took no branch is 0.)
  ps -A -o pgid=,stat= | awk -v g="$pgid" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}

nap() { sleep 0.1 2>/dev/null || sleep 1; }

# Waits are timed (_proc.sh's timer), not counted in naps: a nap plus a scan of
# /proc can take far longer than 0.1 s on a busy host, and pool's own deadline
# for this script is the grace plus a fixed margin.
trap timer_stop EXIT

show() {
  printf '@@ %s\n' "$1"
  # A record cut short of its line end (a crash mid-write) still ends its last line here.
  awk '{ print }' "$record"
  printf '@@ end\n'
}

# The process group process $1 is in: field 5 of /proc/PID/stat (Linux), else ps's.
group_of() {
  if [ -d /proc/self ]; then
    { read -r stat < "/proc/$1/stat"; } 2>/dev/null || return 0
    set -f
    # shellcheck disable=SC2086
    set -- ${stat##*) }
    set +f
    printf '%s\n' "$3"
  else
    ps -o pgid= -p "$1" 2>/dev/null | tr -d ' '
  fi
}

# Whether what was signalled still runs: the group, or (it led none) the process alone, or
# one of the marked processes.
left() {
  case "$target" in
    -*) group_runs && return 0 ;;
    '') ;;
    *) [ "$(start_of "$pgid")" = "$start" ] && return 0 ;;
  esac
  for mark in $marks; do
    if [ "$(start_of "${mark%%:*}")" = "${mark#*:}" ]; then return 0; fi
  done
  return 1
}

# The processes that carry the job's marker, outside what $target signals (a process in the
# group it signals gets one signal, not two: a second INT can cut a Python's clean-up short), as
# "<pid>:<start>" words in $marks. Never pid 0 or 1, nor this script.
marks=
mark() {
  marks=
  found_marks=$(marked "$id")
  while read -r p g _ t _; do
    case "$p" in '' | *[!0-9]* | 0* | 1) continue ;; esac
    [ "$p" != "$$" ] || continue
    case "$target" in
      -*) [ "-$g" != "$target" ] || continue ;;
      ?*) [ "$p" != "$target" ] || continue ;;
    esac
    marks="$marks $p:$t"
  done <<EOF
$found_marks
EOF
}

# Signal $1 to each marked process, while its pid still names the process that carried the marker.
send() {
  for mark in $marks; do
    if [ "$(start_of "${mark%%:*}")" = "${mark#*:}" ]; then
      kill -s "$1" "${mark%%:*}" 2>/dev/null || :
    fi
  done
}

machine=$(this_machine)
# Another machine's job, in a home they share, is not here.
if [ ! -f "$record" ] || elsewhere "$record" "$machine"; then
  printf '@@ missing\n@@ end\n'
  exit 0
fi
# The last pid line, as the parser takes it.
line=
while IFS= read -r l || [ -n "$l" ]; do
  case "$l" in 'pid '*) line=$l ;; esac
done < "$record"
rest=${line#pid }
pgid=${rest%% *}
case "$rest" in *' '*) start=${rest#* } ;; *) start= ;; esac
# Group 1 is every process (`kill -- -1`), 0 the signaller's own: no job's process has either
# number (nor one written with a leading 0), whatever a record edited by hand says.
case "$pgid" in
  *[!0-9]* | 0* | 1)
    echo "pool: job $id's record names pid $pgid, not a job's: nothing was signalled" >&2
    exit 1
    ;;
esac
found=killed
target=-$pgid
if ended "$record"; then
  found=over
elif [ -z "$pgid" ] || [ "$(start_of "$pgid")" != "$start" ]; then
  # Gone since the look above, maybe: its waiter writes the exit line just after it ends.
  timer_start 2
  until ended "$record" || ! timer_runs; do
    nap
  done
  if ended "$record"; then found=over; else found=lost; fi
fi
if [ "$found" != killed ]; then
  # Its own process is over; what it forked may still run in its group. The group is the job's
  # only while no other process holds its number: a group keeps its number from being handed
  # out again while it has members, so with the number free, its members are the job's. A
  # process that has the number now (another start time) leads a group of its own, or none.
  # What left the group and carries the job's marker is the job's whatever became of the group.
  owner=$(start_of "$pgid" any)
  if [ -z "$pgid" ] || { [ -n "$owner" ] && [ "$owner" != "$start" ]; } || ! group_runs; then
    target=
  fi
  mark
  if [ -z "$target$marks" ]; then show "$found" && exit 0; fi
  found=leftovers
else
  # The group only while the job's process leads it (its pid is the group's number), as launch.sh
  # makes it: a record edited to name another process never gets that process's group signalled.
  # Where it leads none (no setsid or perl when it started), the process alone.
  if [ "$(group_of "$pgid")" != "$pgid" ]; then target=$pgid; fi
  mark
fi
if [ -n "$target" ]; then kill -s "$signal" -- "$target" || exit 1; fi
send "$signal"
if [ "$grace" -gt 0 ]; then
  timer_start "$grace"
  while left && timer_runs; do
    nap
  done
fi
if left; then
  if [ -n "$target" ]; then kill -s KILL -- "$target" 2>/dev/null; fi
  # What a marked process started since (a daemon that respawns its workers) gets it too.
  mark
  send KILL
  timer_start 5
  while left && timer_runs; do
    nap
  done
fi
timer_start 5
until grep -q '^ended ' "$record" || ! timer_runs; do
  nap
done
show "$found"
