#!/bin/sh
# pool bg's jobs: which of the pids given as arguments still run here, each
# with its start time, so a pid the kernel handed to another process is not
# taken for the job (Linux: field 22 of /proc/PID/stat, in clock ticks since
# boot; elsewhere `ps -o lstart`). A zombie (finished, not yet reaped) is not running.
#
# Sent after probes/host.sh, whose answer it ends (`list`, `route`), and alone by
# `pool leases`, which needs nothing else from a host. POSIX sh, as host.sh. The C locale
# (LC_ALL, below): macOS ps writes lstart in the locale's words, and launch.sh records it in C.
LC_ALL=C
export LC_ALL
# One pid: "<pid> <start time>" while it runs (start_of: remote/_proc.sh, sent before this).
groups=
alive() {
  start=$(start_of "$1")
  if [ -n "$start" ]; then
    printf '%s %s\n' "$1" "$start"
    groups="$groups $1"
  fi
}

# An argument group:<id> asks whether the process group of job <id> runs on after its leader
# (the command, which leads it: launch.sh) has ended: `sleep 300 &; exit 0`, or a launcher that
# starts `nohup python train.py &` and returns, leaves its work there, holding the job's memory
# and GPUs. Linux only (elsewhere nothing is said, and the leader alone keeps its lease).
#
# The leader's pid is the group's number, and the kernel hands a number on only once no process
# has it as its pid, group or session: while one process of the group runs, the number is the
# job's. Once the group has emptied, the number may come back as another group's. So a group
# counts only while it holds a witness: a process that started no later than the leader ended
# (the record's `ended`, in seconds, + 1 for its rounding), which was running then, in the job's
# group, and has been since, so the group never emptied. Every process of a witnessed group is
# the job's. Before `ended` is written (the leader a zombie, or its waiter still writing) any
# process is a witness. Not witnessed: a group whose witnesses have all ended while processes
# they started later run on (these lapse with the lease), and a clock stepped since the leader
# ended moves the bound by as much. Noted as "<group>:<bound in ticks since boot, or ->:<id>:<n>"
# (n numbers the notes: two records may name one number, an old job's and the one it went to).
orphaned=
notes=0
machine=''
boot=''
hz=''
orphan() {
  [ -d /proc/self ] || return 0
  record="$HOME/.pool/jobs/$1.job"
  [ -f "$record" ] || return 0
  machine=${machine:-$(this_machine)}
  ! elsewhere "$record" "$machine" || return 0
  leader='' waiter='' ended=''
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
    'pid '*) leader=${line#pid } ;;
    'waiter '*) waiter=${line#waiter } ;;
    'ended '*) ended=${line#ended } ;;
    esac
  done < "$record"
  leader_start=${leader#* }
  leader=${leader%% *}
  waiter_start=${waiter#* }
  waiter=${waiter%% *}
  case "$leader" in '' | *[!0-9]*) return 0 ;; esac
  now=$(start_of "$leader" any)
  if [ -n "$now" ]; then
    # Its pid runs: the leader (its own line holds the lease), another process (the number
    # was handed on: the group emptied before), or the leader finished, not yet reaped.
    [ "$now" = "$leader_start" ] && [ -z "$(start_of "$leader")" ] || return 0
    bound=-
  elif [ -n "$waiter" ] && [ "$(start_of "$waiter")" = "$waiter_start" ]; then
    bound=- # reaped just now: the waiter is writing the end down
  else
    case "$ended" in '' | *[!0-9]*) return 0 ;; esac
    if [ -z "$boot" ]; then
      while read -r key value; do
        if [ "$key" = btime ]; then boot=$value; fi
      done < /proc/stat
    fi
    hz=${hz:-$(getconf CLK_TCK 2>/dev/null)}
    case "$boot$hz" in '' | *[!0-9]*) return 0 ;; esac
    bound=$(((ended + 1 - boot) * hz))
  fi
  notes=$((notes + 1))
  orphaned="$orphaned $leader:$bound:$1:$notes"
}

# What the running jobs hold now (Linux): for each job found alive (its command leads a process
# group: launch.sh), "mem <group> <kB>", the anonymous memory of its processes, a page they share
# counted once. route counts a lease's claim only beyond what its job holds: the host's available
# memory already lacks that part, and counting it twice kept a host that had room "full" until
# the job ended. RssAnon counted a page a forked child shares copy-on-write with its parent once
# per process: a job that filled 200 MiB and forked 4 workers (a DataLoader, a multiprocessing
# pool) held "1 GB", and route put more on the host than fits. Pss_Anon (smaps_rollup, Linux 5.8)
# splits a shared page among its sharers, so the group's sum counts it once. File pages are left
# out: the host counts them as available. One pass over /proc, shell built-ins only; no line for a
# group where one of its processes cannot say (an older kernel, another user's process): route
# then counts the whole claim.
# A witnessed group whose leader is gone (orphan, above): "group:<id> <group> <processes>", then
# its memory in one line.
job_memory() {
  [ -n "$groups$orphaned" ] && [ -d /proc/self ] || return 0
  for stat_file in /proc/[0-9]*/stat; do
    { read -r stat < "$stat_file"; } 2>/dev/null || continue
    # After the command's name: state, parent, process group.
    group=${stat##*) }
    group=${group#* }
    group=${group#* }
    group=${group%% *}
    case " $groups " in
    *" $group "*) held "$group" ;;
    *) case " $orphaned " in *" $group:"*) member "$group" ;; esac ;;
    esac
  done
  for group in $groups; do
    case "$group" in *[!0-9]*) continue ;; esac
    kb='' unread=''
    eval "kb=\${held_$group:-} unread=\${unread_$group:-}"
    if [ -n "$kb" ] && [ -z "$unread" ]; then printf 'mem %s %s\n' "$group" "$kb"; fi
  done
  counted=''
  for entry in $orphaned; do
    group=${entry%%:*}
    n=${entry##*:}
    id=${entry%:*}
    id=${id##*:}
    witnessed='' count='' kb='' unread=''
    eval "witnessed=\${witness_$n:-} count=\${count_$n:-0} kb=\${kb_$n:-} unread=\${unread_n$n:-}"
    [ -n "$witnessed" ] || continue
    printf 'group:%s %s %s\n' "$id" "$group" "$count"
    case " $counted " in *" $group "*) continue ;; esac # its memory once
    counted="$counted $group"
    if [ -n "$kb" ] && [ -z "$unread" ]; then printf 'mem %s %s\n' "$group" "$kb"; fi
  done
}

# A process of a job found alive ($stat_file, $stat: its own), its memory added to group $1's.
# A zombie holds nothing.
held() {
  state=${stat##*) }
  case "${state%% *}" in Z | X) return 0 ;; esac
  pss_anon "${stat_file%stat}smaps_rollup"
  case "$kb" in
  '' | *[!0-9]*) eval "unread_$1=1" ;;
  *) eval "held_$1=\$((\${held_$1:-0} + kb))" ;;
  esac
}

# A process of orphaned group $1 ($stat_file, $stat: its own): for each note on that group,
# counted, its memory added, and a witness when it started no later than the note's bound. A
# zombie holds nothing.
member() {
  set -f
  # shellcheck disable=SC2086 # splitting the fields is the point
  set -- "$1" ${stat##*) }
  set +f
  case "$2" in Z | X) return 0 ;; esac
  pss_anon "${stat_file%stat}smaps_rollup"
  for entry in $orphaned; do
    case "$entry" in "$1:"*) ;; *) continue ;; esac
    n=${entry##*:}
    bound=${entry#*:}
    bound=${bound%%:*}
    if [ "$bound" = - ] || [ "${21}" -le "$bound" ] 2>/dev/null; then eval "witness_$n=1"; fi
    eval "count_$n=\$((\${count_$n:-0} + 1))"
    case "$kb" in
    '' | *[!0-9]*) eval "unread_n$n=1" ;;
    *) eval "kb_$n=\$((\${kb_$n:-0} + kb))" ;;
    esac
  done
}

# $kb: the Pss_Anon (kB) of smaps_rollup file $1; empty where it does not say (gone, another
# user's, a kernel before 5.8).
pss_anon() {
  kb=
  { while IFS= read -r line; do
    case "$line" in
    Pss_Anon:*)
      # shellcheck disable=SC2086 # "Pss_Anon: <n> kB" into its words
      set -- $line
      kb=$2
      return 0
      ;;
    esac
  done < "$1"; } 2>/dev/null
}

# An argument job:<id> asks after a job by its id (a bg whose pool did not live to hear its pid):
# "job:<id> <pid> <start time>" from its record, and that pid as above; "job:<id> starting" for
# a record with no pid yet; "job:<id> none" for no record.
if [ "$#" -gt 0 ]; then
  printf '@@ pids\n'
  for arg in "$@"; do
    case "$arg" in
    job:*)
      id=${arg#job:}
      case "$id" in '' | *[!A-Za-z0-9_-]*) continue ;; esac
      record="$HOME/.pool/jobs/$id.job"
      if [ ! -f "$record" ]; then
        printf 'job:%s none\n' "$id"
        continue
      fi
      line=$(grep '^pid ' "$record" 2>/dev/null) || line=
      if [ -z "$line" ]; then
        printf 'job:%s starting\n' "$id"
        continue
      fi
      printf 'job:%s %s\n' "$id" "${line#pid }"
      line=${line#pid }
      alive "${line%% *}"
      ;;
    group:*)
      id=${arg#group:}
      case "$id" in '' | *[!A-Za-z0-9_-]*) continue ;; esac
      orphan "$id"
      ;;
    *) alive "$arg" ;;
    esac
  done
  job_memory
fi
printf '@@ end\n'
