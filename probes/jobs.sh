#!/bin/sh
# pool bg's jobs on this host, from their records under ~/.pool/jobs/ (see
# remote/launch.sh), in one round trip.
# Usage: sh -s -- list [<id>...]     every record, or those named
#        sh -s -- prune <days>       remove ended (or lost) jobs older than <days>
#
# list prints "@@ now <epoch s>", then per job "@@ job <id>", its record as
# written, "cmd <its first line>", and, for each of its processes that still
# runs, "alive <pid> <start time>" (a zombie does not run). Whether that start
# time is the one recorded, and so what became of the job, is the parser's call
# (probes/jobs.ts). prune prints "@@ pruned <id>" for each job it removed and
# "@@ kept <id>" for each it left.
LC_ALL=C
export LC_ALL
dir="$HOME/.pool/jobs"
mode=${1:-list}
# start_of and still_runs come from remote/_proc.sh, sent before this script.
[ "$#" -gt 0 ] && shift

# A job's record, its command's first line, and which of its processes run. Which run is asked
# before the record is shown: the waiter writes the exit line before it ends, so a job that ends
# meanwhile shows its exit, never "nothing runs and no exit" (which reads as lost).
show() {
  job=$1
  record="$dir/$job.job"
  [ -f "$record" ] || return 0
  alive=
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
      'pid '* | 'waiter '*)
        set -f
        # shellcheck disable=SC2086
        set -- $line
        set +f
        start=$(start_of "$2")
        if [ -n "$start" ]; then alive="${alive}alive $2 $start
"
        fi
        ;;
    esac
  done < "$record"
  printf '@@ job %s\n' "$job"
  cat -- "$record"
  # A record cut short of its line end still ends its last line here.
  [ -z "$(tail -c 1 -- "$record")" ] || echo
  if [ -f "$dir/$job.cmd" ]; then
    IFS= read -r first < "$dir/$job.cmd" || true
    printf 'cmd %s\n' "$first"
  fi
  printf '%s' "$alive"
}

ids() {
  for record in "$dir"/*.job; do
    [ -f "$record" ] || continue
    id=${record##*/}
    printf '%s\n' "${id%.job}"
  done
}

valid() {
  case "$1" in '' | *[!A-Za-z0-9_-]*) return 1 ;; esac
}

case "$mode" in
  list)
    printf '@@ now %s\n' "$(date +%s)"
    printf '@@ dir %s\n' "$dir"
    # shellcheck disable=SC2046 # ids are plain words
    if [ "$#" -eq 0 ]; then set -- $(ids); fi
    for id in "$@"; do
      if valid "$id"; then show "$id"; fi
    done
    ;;
  prune)
    days=${1:-7}
    case "$days" in '' | *[!0-9]*) echo "pool: days must be a whole number" >&2 && exit 2 ;; esac
    for id in $(ids); do
      record="$dir/$id.job"
      # A running job stays, however old: only an ended record, or one whose
      # processes are all gone without an end written (lost), goes.
      if { grep -q '^exit ' "$record" || ! still_runs "$record"; } &&
        [ -n "$(find "$record" -mtime +"$days")" ]; then
        rm -f "$record" "$dir/$id.log" "$dir/$id.cmd" "$dir/$id.ready"
        printf '@@ pruned %s\n' "$id"
      else
        printf '@@ kept %s\n' "$id"
      fi
    done
    ;;
  *)
    echo "pool: unknown mode: $mode" >&2
    exit 2
    ;;
esac
printf '@@ end\n'
