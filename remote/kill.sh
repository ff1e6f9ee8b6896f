#!/bin/sh
# Ends a `pool bg` job and everything it started, for `pool kill`.
# Usage: sh -s -- <job id> <signal name> <grace seconds>
#
# The job's command leads a process group of its own (remote/launch.sh); the
# signal goes to that whole group, and only while the recorded pid still names
# the process the job started (pid + start time): a recycled pid is never
# signalled. Whatever of the group is left after <grace> seconds gets KILL.
# Then it waits a moment for the job's waiter to write down the end.
# Prints "@@ <what>" — missing (no such job), over (it had ended), lost (its
# process is gone without an end written), killed — then the record.
LC_ALL=C
export LC_ALL
id=$1
signal=$2
grace=$3
case "$id" in '' | *[!A-Za-z0-9_-]*) echo "pool: bad job id: $id" >&2 && exit 2 ;; esac
case "$grace" in '' | *[!0-9]*) echo "pool: grace must be whole seconds" >&2 && exit 2 ;; esac
record="$HOME/.pool/jobs/$id.job"

# Whether any process of group $1 still runs (zombies, reaped late by init, do not).
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
  ps -A -o pgid=,stat= | while read -r group state; do
    if [ "$group" = "$pgid" ]; then case "$state" in Z*) ;; *) exit 0 ;; esac; fi
  done
}

nap() { sleep 0.1 2>/dev/null || sleep 1; }

show() {
  printf '@@ %s\n' "$1"
  cat "$record"
  printf '@@ end\n'
}

if [ ! -f "$record" ]; then
  printf '@@ missing\n@@ end\n'
  exit 0
fi
if grep -q '^exit ' "$record"; then show over && exit 0; fi
line=$(grep '^pid ' "$record")
rest=${line#* }
pgid=${rest%% *}
if [ -z "$pgid" ] || [ "$(start_of "$pgid")" != "${rest#* }" ]; then
  # Gone since the look above, maybe: its waiter writes the exit line just after it ends.
  ticks=20
  until grep -q '^exit ' "$record" || [ "$ticks" -eq 0 ]; do
    nap
    ticks=$((ticks - 1))
  done
  if grep -q '^exit ' "$record"; then show over; else show lost; fi
  exit 0
fi

# The group, or (no setsid or perl when it started) the process alone.
kill -s "$signal" -- "-$pgid" 2>/dev/null || kill -s "$signal" "$pgid" || exit 1
ticks=$((grace * 10))
while group_runs && [ "$ticks" -gt 0 ]; do
  nap
  ticks=$((ticks - 1))
done
if group_runs; then
  kill -s KILL -- "-$pgid" 2>/dev/null || kill -s KILL "$pgid" 2>/dev/null
  ticks=50
  while group_runs && [ "$ticks" -gt 0 ]; do
    nap
    ticks=$((ticks - 1))
  done
fi
ticks=50
until grep -q '^ended ' "$record" || [ "$ticks" -eq 0 ]; do
  nap
  ticks=$((ticks - 1))
done
show killed
