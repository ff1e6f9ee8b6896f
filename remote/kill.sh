#!/bin/sh
# Ends a `pool bg` job and everything it started, for `pool kill`.
# Usage: sh -s -- <job id> <signal name> <grace seconds>
#
# The job's command leads a process group of its own (remote/launch.sh); the
# signal goes to that whole group, and only while the recorded pid still names
# the process the job started (pid + start time): a recycled pid is never
# signalled. A job whose own process is over may have left children running
# in its group: they get the signal then. Whatever of the group is left after
# <grace> seconds gets KILL. Then it waits a moment for the job's waiter to
# write down the end.
# Prints "@@ <what>" — missing (no such job), over (it had ended), lost (its
# process is gone without an end written), killed, leftovers (it had ended,
# and what it left running was killed) — then the record.
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

machine=$(this_machine)
# Another machine's job, in a home they share, is not here.
if [ ! -f "$record" ] || elsewhere "$record" "$machine"; then
  printf '@@ missing\n@@ end\n'
  exit 0
fi
line=$(grep '^pid ' "$record")
rest=${line#* }
pgid=${rest%% *}
found=killed
if grep -q '^exit ' "$record"; then
  found=over
elif [ -z "$pgid" ] || [ "$(start_of "$pgid")" != "${rest#* }" ]; then
  # Gone since the look above, maybe: its waiter writes the exit line just after it ends.
  timer_start 2
  until grep -q '^exit ' "$record" || ! timer_runs; do
    nap
  done
  if grep -q '^exit ' "$record"; then found=over; else found=lost; fi
fi
if [ "$found" != killed ]; then
  # Its own process is over; what it forked may still run in its group. The group is the job's
  # only while no other process holds its number: a group keeps its number from being handed
  # out again while it has members, so with the number free, its members are the job's. A
  # process that has the number now (another start time) leads a group of its own, or none.
  owner=$(start_of "$pgid" any)
  if [ -z "$pgid" ] || { [ -n "$owner" ] && [ "$owner" != "${rest#* }" ]; } || ! group_runs; then
    show "$found" && exit 0
  fi
  found=leftovers
  kill -s "$signal" -- "-$pgid" 2>/dev/null || exit 1
else
  # The group, or (no setsid or perl when it started) the process alone.
  kill -s "$signal" -- "-$pgid" 2>/dev/null || kill -s "$signal" "$pgid" || exit 1
fi
if [ "$grace" -gt 0 ]; then
  timer_start "$grace"
  while group_runs && timer_runs; do
    nap
  done
fi
if group_runs; then
  kill -s KILL -- "-$pgid" 2>/dev/null || { [ "$found" = killed ] && kill -s KILL "$pgid" 2>/dev/null; }
  timer_start 5
  while group_runs && timer_runs; do
    nap
  done
fi
timer_start 5
until grep -q '^ended ' "$record" || ! timer_runs; do
  nap
done
show "$found"
