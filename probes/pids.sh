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

# What the running jobs hold now (Linux): for each process in the process group of a job found
# alive (its command leads one: launch.sh), "mem <group> <kB>", its anonymous resident memory
# (RssAnon). route counts a lease's claim only beyond what its job holds: the host's available
# memory already lacks that part, and counting it twice kept a host that had room "full" until
# the job ended. File pages are left out: the host counts them as available. One pass over /proc,
# shell built-ins only; no line where /proc cannot say (route then counts the whole claim).
job_memory() {
  [ -n "$groups" ] && [ -d /proc/self ] || return 0
  for stat_file in /proc/[0-9]*/stat; do
    { read -r stat < "$stat_file"; } 2>/dev/null || continue
    # After the command's name: state, parent, process group.
    group=${stat##*) }
    group=${group#* }
    group=${group#* }
    group=${group%% *}
    case " $groups " in *" $group "*) ;; *) continue ;; esac
    { while IFS= read -r line; do
      case "$line" in
      RssAnon:*)
        # shellcheck disable=SC2086 # "RssAnon: <n> kB" into its words
        set -- $line
        printf 'mem %s %s\n' "$group" "$2"
        ;;
      esac
    done < "${stat_file%stat}status"; } 2>/dev/null
  done
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
    *) alive "$arg" ;;
    esac
  done
  job_memory
fi
printf '@@ end\n'
