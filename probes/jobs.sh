#!/bin/sh
# pool bg's jobs on this host, from their records under ~/.pool/jobs/ (see
# remote/launch.sh), in one round trip.
# Usage: sh -s -- list [<id>...]     every record, or those named
#        sh -s -- prune <days>       remove ended (or lost) jobs older than <days>
#
# list prints "@@ now <epoch s>", then per job "@@ job <id>" and its record, each
# line as "rec <line>" (a record is the job's own to write: no line of it may
# read as one of ours, "@@ job" or "alive"), "cut" when the record goes on past
# its first 4 KiB (only those are read), "cmd <its first line>", for each of its
# processes that still runs "alive <pid> <start time>" (a zombie does not run),
# and on Linux "group <n>": how many processes of the job's process group run, and
# of those that left it and still carry its marker (_proc.sh's marked), once its
# own process is over.
# Then, for the jobs with no exit line, "@@ seen <id> <epoch s>": when their
# record or log last changed, the last sign of life a lost job left. Whether
# a start time is the one recorded, and so what became of the job, is the
# parser's call (probes/jobs.ts). prune prints "@@ pruned <id>" for each job it
# removed and "@@ kept <id>" for each it left.
LC_ALL=C
export LC_ALL
dir="$HOME/.pool/jobs"
mode=${1:-list}
# start_of, still_runs, this_machine and elsewhere come from remote/_proc.sh, sent before this.
[ "$#" -gt 0 ] && shift
machine=$(this_machine)
linux=
if [ -d /proc/self ]; then linux=1; fi

# The most of a record or command read. dash reads a file a byte at a time, and a record is a
# few hundred bytes: one that someone filled with megabytes took minutes, and the whole listing
# with it. The files past the cap are found in one look, and only their first bytes read.
cap=4096
big=

# Linux: process $1's start time into $start (nothing for one gone or a zombie), read with
# built-ins: a subshell (start_of) per pid cost seconds for a thousand records.
proc_start() {
  start=
  { read -r stat < "/proc/$1/stat"; } 2>/dev/null || return 0
  set -f
  # shellcheck disable=SC2086 # splitting the fields is the point
  set -- ${stat##*) }
  set +f
  case "$1" in Z | X) ;; *) start=${20} ;; esac
}

# Linux: every process that runs, read once with built-ins, when a group is to be counted:
# " pid:start " words in $procs, and " pgid,sid,start " words in $members. Only then: on a
# busy host the walk is most of a listing's time.
procs=
members=
snapshot() {
  procs=' '
  members=' '
  for stat_file in /proc/[0-9]*/stat; do
    { read -r stat < "$stat_file"; } 2>/dev/null || continue
    pid=${stat%% *}
    set -f
    # shellcheck disable=SC2086 # splitting the fields is the point
    set -- ${stat##*) }
    set +f
    case "$1" in Z | X) continue ;; esac
    procs="$procs$pid:${20} "
    members="$members$3,$4,${20} "
  done
}

# Record $1 into $lines ("rec " before each), and what of it this needs: $ended, $pid and
# $pid_start, $waiter, $cut. Fails for another machine's record.
load() {
  lines=
  ended=
  cut=
  pid=
  pid_start=
  waiter=
  case "
$big
" in
    *"
$1
"*)
      cut=1
      text=$(head -c "$cap" "$1" 2>/dev/null)
      while IFS= read -r line; do take "$line" || return 1; done <<EOF
$text
EOF
      ;;
    *)
      while IFS= read -r line || [ -n "$line" ]; do take "$line" || return 1; done < "$1"
      ;;
  esac
}

take() {
  case "$1" in
    # The last exit line decides, as the parser reads it: one it reads as none is no end, and the
    # job, still running, would show as lost.
    exit | 'exit '*) if exit_code_in "$1"; then ended=1; else ended=; fi ;;
    # Another machine's job, in a home they share: not this host's to show.
    'machine '*) [ "${1#machine }" = "$machine" ] || return 1 ;;
    'pid '*)
      rest=${1#pid }
      pid=${rest%% *}
      pid_start=${rest#* }
      ;;
    'waiter '*)
      rest=${1#waiter }
      waiter=${rest%% *}
      ;;
  esac
  lines="${lines}rec $1
"
}

# "alive <pid> <start>" into $alive when process $1 runs.
alive_of() {
  number "$1" || return 0
  if [ -n "$linux" ]; then proc_start "$1"; else start=$(start_of "$1"); fi
  [ -n "$start" ] || return 0
  alive="${alive}alive $1 $start
"
}

# How many processes of the group job leader $1 (started at $2) led run now, from the
# snapshot ($grouped set when the group is the job's), taken once a group answers `kill -0` (a
# group long gone, as most are, costs no walk). Its members are those of its session too
# (launch.sh's setsid), and none started before it: a number freed and taken by another group is
# that group's. While the number is a running process's of another start time, the group is that
# one's.
group_of() {
  count=0
  grouped=
  kill -0 -"$1" 2>/dev/null || return 0
  [ -n "$procs" ] || snapshot
  case "$members" in *" $1,$1,"*) ;; *) return 0 ;; esac
  case "$procs" in *" $1:"*)
    rest=${procs#*" $1:"}
    [ "${rest%% *}" = "$2" ] || return 0
    ;;
  esac
  grouped=1
  rest=$members
  while :; do
    case "$rest" in *" $1,$1,"*) ;; *) break ;; esac
    rest=${rest#*" $1,$1,"}
    start=${rest%% *}
    rest=${rest#"$start"}
    [ "$start" -lt "$2" ] || count=$((count + 1))
  done
}

# Linux: the processes that carry a job's marker (launch.sh), read once in a listing, when the
# first job whose own process is over is shown: " id,pid,group,session,start " words in $marks.
marks=
marks_of() {
  [ -z "$marks" ] || return 0
  marks=' '
  # shellcheck disable=SC2086 # ids are plain words
  found=$(marked $ids)
  while read -r p g s t i; do
    case "$p" in '' | *[!0-9]*) continue ;; esac
    marks="$marks$i,$p,$g,$s,$t "
  done <<EOF
$found
EOF
}

# Adds to $count the processes that carry job $1's marker and were not counted in its group
# (leader $2, started at $3): those that left it (setsid, a daemon), or all, where the group
# is not the job's.
add_marked() {
  marks_of
  rest=$marks
  while :; do
    case "$rest" in *" $1,"*) ;; *) break ;; esac
    rest=${rest#*" $1,"}
    word=${rest%% *}
    rest=${rest#"$word"}
    # pid,group,session,start
    g=${word#*,}
    s=${g#*,}
    t=${s#*,}
    g=${g%%,*}
    s=${s%%,*}
    if [ -n "$grouped" ] && [ "$g" = "$2" ] && [ "$s" = "$2" ] && [ "$t" -ge "$3" ] 2>/dev/null; then
      continue
    fi
    count=$((count + 1))
  done
}

# A job's record, its command's first line, which of its processes run, and on Linux how many
# of its group once its own process is over. Which run is asked before the record is read
# again: the waiter writes the exit line before it ends, so a job that ends meanwhile shows its
# exit, never "nothing runs and no exit" (which reads as lost). A record with its exit line
# needs no asking.
unended=
show() {
  job=$1
  record="$dir/$job.job"
  [ -f "$record" ] || return 0
  load "$record" || return 0
  alive=
  if [ -z "$ended" ]; then
    alive_of "$pid"
    alive_of "$waiter"
    load "$record" || return 0
    # Ended while we looked: the record as it is now.
    [ -z "$ended" ] || alive=
  fi
  [ -n "$ended" ] || unended="$unended $job"
  printf '@@ job %s\n%s' "$job" "$lines"
  if [ -n "$cut" ]; then printf 'cut\n'; fi
  # The command, a line each: its first line, then the rest while they stay within 1 KiB, and
  # `cmdcut` where it went on (or past its first 4 KiB: only those are read).
  cmd="$dir/$job.cmd"
  if [ -f "$cmd" ]; then
    case "
$big
" in
      *"
$cmd
"*)
        text=$(head -c "$cap" "$cmd" 2>/dev/null)
        commands <<EOF || printf 'cmdcut\n'
$text
EOF
        ;;
      *) commands < "$cmd" ;;
    esac
  fi
  printf '%s' "$alive"
  # Its own process still runs: nothing is left behind yet (pid 1 is no job's, and -1 is all).
  case "
$alive" in *"
alive $pid $pid_start
"*) return 0 ;; esac
  if [ -n "$linux" ] && number "$pid" && [ "$pid" -gt 1 ] && number "$pid_start"; then
    leader=$pid
    group_of "$leader" "$pid_start" # (snapshot sets $pid)
    add_marked "$job" "$leader" "$pid_start"
    printf 'group %s\n' "$count"
  fi
}

# Prints stdin's lines as "cmd" lines while they stay within 1 KiB, then `cmdcut`; fails
# when it printed them all (a command cut at 4 KiB still went on: its caller says `cmdcut`).
commands() {
  sent=0
  while IFS= read -r line || [ -n "$line" ]; do
    if [ "$sent" -gt 0 ] && [ $((sent + ${#line})) -gt 1024 ]; then
      printf 'cmdcut\n'
      return 0
    fi
    printf 'cmd %s\n' "$line"
    sent=$((sent + ${#line} + 1))
  done
  return 1
}

# "@@ seen <id>.job|log <epoch s>" for the records and logs of jobs $@, a few hundred to a
# `stat` that writes the lines itself (read back by this shell, a byte at a time, they cost more).
seen() {
  while [ "$#" -gt 0 ]; do
    batch=0
    files=
    while [ "$#" -gt 0 ] && [ "$batch" -lt 200 ]; do
      files="$files $1.job $1.log"
      batch=$((batch + 1))
      shift
    done
    (
      cd "$dir" || exit 0
      set -f
      # shellcheck disable=SC2086 # ids are plain words
      set -- $files
      # GNU (and busybox) stat, else BSD's: `stat -f` is another thing in GNU's.
      stat -c '@@ seen %n %Y' -- "$@" 2>/dev/null || [ -d /proc/self ] ||
        stat -f '@@ seen %N %m' -- "$@" 2>/dev/null
    )
  done
}

number() {
  case "$1" in '' | *[!0-9]*) return 1 ;; esac
}

valid() {
  case "$1" in '' | *[!A-Za-z0-9_-]*) return 1 ;; esac
}

# Whether record $1 holds the job's end (ended: remote/_proc.sh, sent before this): a running
# job whose record holds an exit line the parser reads as none (cut short, edited) is not pruned.
has_exit() {
  ended "$1"
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
    big=$(find "$dir" -size +"$cap"c \( -name '*.job' -o -name '*.cmd' \) 2>/dev/null)
    ids=
    for id in "$@"; do
      if valid "$id"; then ids="$ids $id"; fi
    done
    for id in "$@"; do
      if valid "$id"; then show "$id"; fi
    done
    # shellcheck disable=SC2086 # ids are plain words
    seen $unended
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
