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
#
# What left the group (setsid, a daemon that forks twice, `tmux new -d`) is found by the job's
# marker instead: launch.sh puts POOL_JOB=<id> in the command's environment, and every process
# carrying it is the job's, in whatever group (_proc.sh's marked says what it cannot see). Looked
# for only once a leader is gone: one read of every process's environment per probe. A job whose
# group cannot be the job's (its number another process's now, no end written, no clock) is
# noted with the bound "x": its marked processes alone count. The line says how many run in all.
# A marked process witnesses the job, and the group too where it runs in it; one outside it does
# not make the group's other processes the job's: were the number another group's now, their
# memory (and their GPUs') would be taken off the job's lease. Where no process vouches for the
# group, the line ends "marked": its marked processes alone count, and the number is not theirs.
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
    if [ "$now" != "$leader_start" ]; then
      bound=x
    else
      [ -z "$(start_of "$leader")" ] || return 0
      bound=-
    fi
  elif [ -n "$waiter" ] && [ "$(start_of "$waiter")" = "$waiter_start" ]; then
    bound=- # reaped just now: the waiter is writing the end down
  else
    bound=x
    case "$ended" in '' | *[!0-9]*) ended= ;; esac
    if [ -n "$ended" ]; then
      if [ -z "$boot" ]; then
        while read -r key value; do
          if [ "$key" = btime ]; then boot=$value; fi
        done < /proc/stat
      fi
      hz=${hz:-$(getconf CLK_TCK 2>/dev/null)}
      case "$boot:$hz" in :* | *: | *[!0-9:]*) ;; *) bound=$(((ended + 1 - boot) * hz)) ;; esac
    fi
  fi
  notes=$((notes + 1))
  orphaned="$orphaned $leader:$bound:$1:$notes"
}

# What the running jobs hold now (Linux), said only when the first argument is `memory` (route
# with --mem; `pool leases` and the rest ask only who lives, and reading what a process holds walks
# its memory map): for each job found alive (its command leads a process group: launch.sh),
# "mem <group> <kB>", the anonymous memory of its processes, a page they share counted once. route
# counts a lease's claim only beyond what its job holds: the host's available memory already lacks
# that part, and counting it twice kept a host that had room "full" until the job ended. RssAnon
# counted a page a forked child shares copy-on-write with its parent once per process: a job that
# filled 200 MiB and forked 4 workers (a DataLoader, a multiprocessing pool) held "1 GB", and route
# put more on the host than fits. Pss_Anon (smaps_rollup, Linux 5.8) splits a shared page among its
# sharers, so the group's sum counts it once. File pages are left out: the host counts them as
# available. No line for a group where one of its processes cannot say (an older kernel, another
# user's process): route then counts the whole claim.
# A witnessed group whose leader is gone (orphan, above), or a job some of whose processes still
# carry its marker: "group:<id> <group> <processes>[ marked]", then their memory in one line; and
# each marked process as "marked <pid> <id>" (host.ts credits its GPU memory to that job alone).
memory=
job_memory() {
  [ -d /proc/self ] || return 0
  wanted=
  if [ -n "$memory" ]; then wanted=$groups; fi
  ids=
  for entry in $orphaned; do
    case "$entry" in *:x:*) ;; *) wanted="$wanted ${entry%%:*}" ;; esac
    id=${entry%:*}
    ids="$ids ${id##*:}"
  done
  # The marked processes of the jobs noted: "pid:id" words, and their pids for members_of.
  marks=' '
  pids=
  if [ -n "$orphaned" ]; then
    # shellcheck disable=SC2086 # ids are plain words
    found=$(marked $ids)
    while read -r pid _ _ _ id; do
      case "$pid" in '' | *[!0-9]*) continue ;; esac
      marks="$marks$pid:$id "
      pids="$pids $pid"
      printf 'marked %s %s\n' "$pid" "$id"
    done <<EOF
$found
EOF
  fi
  [ -n "$wanted$pids" ] || return 0
  members=$(members_of "$wanted" "$pids")
  while read -r pid group state start kb; do
    case "$group" in '' | *[!0-9]*) continue ;; esac
    case "$state" in Z | X) continue ;; esac # a zombie holds nothing
    case " $groups " in
    *" $group "*) held "$group" ;;
    *) member "$group" "$pid" ;;
    esac
  done <<EOF
$members
EOF
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
    witnessed='' own='' count='' kb='' unread='' whose=' marked'
    eval "witnessed=\${witness_$n:-} own=\${own_$n:-}"
    [ -n "$witnessed" ] || continue
    # Marked processes, and where the group is the job's, its other processes too.
    eval "count=\${count_m$n:-0} kb=\${kb_m$n:-} unread=\${unread_m$n:-}"
    if [ -n "$own" ]; then
      whose=''
      eval "count=\$((count + \${count_g$n:-0})) unread=\$unread\${unread_g$n:-}"
      eval "kb=\$((\${kb:-0} + \${kb_g$n:-0}))"
    fi
    printf 'group:%s %s %s%s\n' "$id" "$group" "$count" "$whose"
    # Its memory once, and never into a running job's that has its number now.
    case " $counted $groups " in *" $group "*) continue ;; esac
    counted="$counted $group"
    if [ -n "$memory" ] && [ -n "$kb" ] && [ -z "$unread" ]; then
      printf 'mem %s %s\n' "$group" "$kb"
    fi
  done
}

# The processes of the groups numbered in $1, and those whose pids are in $2, one line each:
# "<pid> <group> <state> <start> <kB>",
# kB its Pss_Anon where $memory asks for it and smaps_rollup says (else nothing). One pass: every
# /proc/PID/stat through one grep, where dash's `read` took a system call per byte (a second
# for 1000 processes on a busy host, and GPU hosts run thousands); xargs, as a host may run more
# than one command line holds. grep puts the file's name before each line: a command's name may
# hold a newline, and the line with its state, parent, group and start (after the name's last
# ") ", with 20 fields) is then not the one that begins with its pid. mawk stops at an input
# file it cannot open (a process gone): it is given none, and a smaps_rollup it cannot read
# is no number.
members_of() {
  printf '%s\n' /proc/[0-9]*/stat | xargs grep '' /dev/null 2>/dev/null |
    awk -v want=" $1 " -v pids=" $2 " -v memory="$memory" '
      function pss_anon(pid, file, line, kb, word) {
        file = "/proc/" pid "/smaps_rollup"
        while ((getline line < file) > 0) {
          if (line ~ /^Pss_Anon:/) {
            split(line, word, " ")
            kb = word[2]
            break
          }
        }
        close(file)
        return kb ~ /^[0-9]+$/ ? kb : ""
      }
      {
        pid = substr($0, 7)
        pid = substr(pid, 1, index(pid, "/") - 1)
        rest = $0
        if (pid !~ /^[0-9]+$/ || !sub(/.*\) /, "", rest)) next
        if (split(rest, field, " ") < 20) next
        if (!index(want, " " field[3] " ") && !index(pids, " " pid " ")) next
        kb = ""
        if (memory != "" && field[1] != "Z" && field[1] != "X") kb = pss_anon(pid)
        print pid, field[3], field[1], field[20], kb
      }'
}

# A process of a job found alive ($kb: its Pss_Anon), its memory added to group $1's.
held() {
  case "$kb" in
  '' | *[!0-9]*) eval "unread_$1=1" ;;
  *) eval "held_$1=\$((\${held_$1:-0} + kb))" ;;
  esac
}

# Process $2 of group $1 ($start: when it started, $kb: its Pss_Anon): for each note on a job whose
# marker it carries, or on that group where its bound is not "x": counted and its memory added (as
# a marked process, or as another of the group's), and a witness: of the job when it carries the
# marker, and of the group (the number is still the job's) when it is in the group and carries the
# marker or started no later than the bound.
member() {
  for entry in $orphaned; do
    n=${entry##*:}
    id=${entry%:*}
    id=${id##*:}
    bound=${entry#*:}
    bound=${bound%%:*}
    in_group=
    case "$entry" in "$1:"*) [ "$bound" = x ] || in_group=1 ;; esac
    case "$marks" in
    *" $2:$id "*)
      eval "witness_$n=1"
      if [ -n "$in_group" ]; then eval "own_$n=1"; fi
      tally "m$n"
      ;;
    *)
      [ -n "$in_group" ] || continue
      if [ "$bound" = - ] || [ "$start" -le "$bound" ] 2>/dev/null; then
        eval "witness_$n=1 own_$n=1"
      fi
      tally "g$n"
      ;;
    esac
  done
}

# One more process, and its memory ($kb), for tally $1.
tally() {
  eval "count_$1=\$((\${count_$1:-0} + 1))"
  case "$kb" in
  '' | *[!0-9]*) eval "unread_$1=1" ;;
  *) eval "kb_$1=\$((\${kb_$1:-0} + kb))" ;;
  esac
}

# An argument job:<id> asks after a job by its id (a bg whose pool did not live to hear its pid):
# "job:<id> <pid> <start time>" from its record, and that pid as above; "job:<id> starting" for
# a record with no pid yet; "job:<id> none" for no record.
if [ "$#" -gt 0 ]; then
  printf '@@ pids\n'
  if [ "$1" = memory ]; then
    memory=1
    shift
  fi
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
