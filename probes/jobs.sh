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
# start_of, still_runs, this_machine and elsewhere come from remote/_proc.sh, sent before this.
[ "$#" -gt 0 ] && shift
machine=$(this_machine)

# A job's record, its command's first line, and which of its processes run. Which run is asked
# before the record is shown: the waiter writes the exit line before it ends, so a job that ends
# meanwhile shows its exit, never "nothing runs and no exit" (which reads as lost). A record with
# its exit line needs no asking: built-ins only, so thousands of old records cost no processes.
show() {
  job=$1
  record="$dir/$job.job"
  [ -f "$record" ] || return 0
  lines=
  ended=
  while IFS= read -r line || [ -n "$line" ]; do
    lines="$lines$line
"
    case "$line" in
      'exit '*) ended=1 ;;
      # Another machine's job, in a home they share: not this host's to show.
      'machine '*) [ "${line#machine }" = "$machine" ] || return 0 ;;
    esac
  done < "$record"
  alive=
  if [ -z "$ended" ]; then
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
        'exit '*) ended=1 ;;
      esac
    done < "$record"
    # Ended while we looked: the record as it is now.
    if [ -n "$ended" ]; then
      alive=
      lines=
      while IFS= read -r line || [ -n "$line" ]; do lines="$lines$line
"; done < "$record"
    fi
  fi
  # A record cut short of its line end still ends its last line here.
  printf '@@ job %s\n%s' "$job" "$lines"
  # The command, a line each: its first line, then the rest while they stay within 1 KiB, and
  # `cmdcut` where it went on (dash reads a file a byte at a time: three thousand records, some
  # of them heredocs, must still answer within pool's deadline).
  if [ -f "$dir/$job.cmd" ]; then
    sent=0
    while IFS= read -r line || [ -n "$line" ]; do
      if [ "$sent" -gt 0 ] && [ $((sent + ${#line})) -gt 1024 ]; then
        printf 'cmdcut\n'
        break
      fi
      printf 'cmd %s\n' "$line"
      sent=$((sent + ${#line} + 1))
    done < "$dir/$job.cmd"
  fi
  printf '%s' "$alive"
}

valid() {
  case "$1" in '' | *[!A-Za-z0-9_-]*) return 1 ;; esac
}

# Whether record $1 has its exit line, read with built-ins.
has_exit() {
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in 'exit '*) return 0 ;; esac
  done < "$1"
  return 1
}

# Removes the jobs named (plain words), in one rm, and says so for each.
remove() {
  [ "$#" -gt 0 ] || return 0
  for id in "$@"; do
    set -- "$@" "$dir/$id.job" "$dir/$id.log" "$dir/$id.cmd" "$dir/$id.ready"
  done
  files_from=$(($# / 5))
  shift "$files_from"
  rm -f "$@"
  for record in "$@"; do
    case "$record" in *.job) id=${record##*/} && printf '@@ pruned %s\n' "${id%.job}" ;; esac
  done
}

case "$mode" in
  list)
    printf '@@ now %s\n' "$(date +%s)"
    printf '@@ dir %s\n' "$dir"
    # Every record's name, whole: a name with a space in it is one name (that valid refuses),
    # never two ids of other jobs.
    if [ "$#" -eq 0 ]; then
      for record in "$dir"/*.job; do
        id=${record##*/}
        set -- "$@" "${id%.job}"
      done
    fi
    for id in "$@"; do
      if valid "$id"; then show "$id"; fi
    done
    ;;
  prune)
    days=${1:-7}
    case "$days" in '' | *[!0-9]*) echo "pool: days must be a whole number" >&2 && exit 2 ;; esac
    # The records older than that, in one look; removed in batches, not a process each.
    old=$(find "$dir" -name '*.job' -mtime +"$days" 2>/dev/null)
    batch=
    count=0
    for record in "$dir"/*.job; do
      id=${record##*/}
      id=${id%.job}
      # Only a job id pool made: any other name (a space, a glob, an ESC sequence) is not a job
      # of pool's, and in the batch below it would split into others' ids, running ones too.
      if [ ! -f "$record" ] || ! valid "$id"; then continue; fi
      gone=
      case "$old
" in *"$record
"*)
        # A running job stays, however old: only an ended record, or one whose
        # processes are all gone without an end written (lost), goes. Another
        # machine's is not this host's to judge: its pids mean nothing here.
        if elsewhere "$record" "$machine"; then continue; fi
        if has_exit "$record" || ! still_runs "$record"; then gone=1; fi
        ;;
      esac
      if [ -n "$gone" ]; then
        batch="$batch $id"
        count=$((count + 1))
        if [ "$count" -ge 200 ]; then
          # shellcheck disable=SC2086 # ids are plain words
          remove $batch
          batch=
          count=0
        fi
      else
        printf '@@ kept %s\n' "$id"
      fi
    done
    # shellcheck disable=SC2086 # ids are plain words
    remove $batch
    ;;
  *)
    echo "pool: unknown mode: $mode" >&2
    exit 2
    ;;
esac
printf '@@ end\n'
