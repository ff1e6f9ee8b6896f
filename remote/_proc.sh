# shellcheck shell=sh
# Shell functions the job scripts share (remote/scripts.ts puts this file
# before kill.sh, follow.sh and probes/jobs.sh as they are sent).

# When process $1 started, as a token to compare: field 22 of /proc/PID/stat
# (clock ticks since boot) on Linux, `ps -o lstart` elsewhere. Nothing for a
# process that is gone or a zombie (finished, not yet reaped): pids are reused,
# so a job's pid counts as its own only while this token still matches.
start_of() {
  if [ -d /proc/self ]; then
    { read -r stat < "/proc/$1/stat"; } 2>/dev/null || return 0
    set -f
    # shellcheck disable=SC2086 # splitting the fields is the point
    set -- ${stat##*) }
    set +f
    case "$1" in Z | X) return 0 ;; esac
    printf '%s\n' "${20}"
  else
    state=$(ps -o stat= -p "$1" 2>/dev/null) || return 0
    case "$state" in Z*) return 0 ;; esac
    ps -o lstart= -p "$1" 2>/dev/null
  fi
}

# Whether a process of job record $1 is still the one it names (pid and start time).
still_runs() {
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
      'pid '* | 'waiter '*)
        rest=${line#* }
        pid=${rest%% *}
        if [ "$(start_of "$pid")" = "${rest#* }" ]; then return 0; fi
        ;;
    esac
  done < "$1"
  return 1
}
