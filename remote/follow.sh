#!/bin/sh
# Prints a `pool bg` job's log, and with follow keeps printing what it adds
# until the job ends, for `pool logs`. Run as a remote command (not a payload
# on stdin), so that it ends when pool stops waiting.
# Usage: sh -c "<this script>" pool-logs <job id> <lines: all or N> <follow: 0 or 1>
#
# Bytes are counted, not lines: each round prints exactly what the log gained
# since the last, partial lines included. The end is read from the job's
# record before the log's size, so the last output is never missed; a job
# whose processes are gone without an end written (lost) stops it too.
# Exits 3 when there is no such job here.
LC_ALL=C
export LC_ALL
id=$1
lines=$2
follow=$3
case "$id" in '' | *[!A-Za-z0-9_-]*) echo "pool: bad job id: $id" >&2 && exit 2 ;; esac
dir="$HOME/.pool/jobs"
log="$dir/$id.log"
record="$dir/$id.job"
machine=$(this_machine)
# Another machine's job, in a home they share, is not here.
if [ ! -f "$record" ] || elsewhere "$record" "$machine"; then
  echo "pool: no job $id on this host" >&2
  exit 3
fi
[ -f "$log" ] || : > "$log"

size() {
  n=$(wc -c < "$log")
  printf '%s\n' "$((n + 0))"
}

offset=$(size)
if [ "$lines" = all ]; then
  head -c "$offset" "$log"
else
  # A count tail cannot take is a failure, never an empty log.
  head -c "$offset" "$log" | tail -n "$lines" || exit 1
fi
[ "$follow" = 1 ] || exit 0
while :; do
  ended=
  if ended "$record" || ! still_runs "$record"; then ended=1; fi
  now=$(size)
  if [ "$now" -lt "$offset" ]; then offset=0; fi # truncated under us: start again
  if [ "$now" -gt "$offset" ]; then
    tail -c +"$((offset + 1))" "$log" | head -c "$((now - offset))"
    offset=$now
  fi
  if [ -n "$ended" ]; then exit 0; fi
  sleep 0.2 2>/dev/null || sleep 1
done
