#!/bin/sh
# pool bg's jobs: which of the pids given as arguments still run here, each
# with its start time, so a pid the kernel handed to another process is not
# taken for the job (Linux: field 22 of /proc/PID/stat, in clock ticks since
# boot; elsewhere `ps -o lstart`). A zombie (finished, not yet reaped) is not running.
#
# Sent after probes/host.sh, whose answer it ends (`list`, `route`), and alone by
# `pool leases`, which needs nothing else from a host. POSIX sh, as host.sh.
LC_ALL=C
export LC_ALL
if [ "$#" -gt 0 ]; then
  printf '@@ pids\n'
  for pid in "$@"; do
    if [ -d /proc/self ]; then
      [ -r "/proc/$pid/stat" ] || continue
      read -r stat < "/proc/$pid/stat" || continue
      # The name in parentheses may hold spaces: split what follows the last ") ".
      set -f
      # shellcheck disable=SC2086 # splitting the fields is the point
      set -- ${stat##*) }
      set +f
      case "$1" in Z | X) ;; *) printf '%s %s\n' "$pid" "${20}" ;; esac
    else
      state=$(ps -o stat= -p "$pid" 2>/dev/null) || continue
      case "$state" in Z*) continue ;; esac
      printf '%s %s\n' "$pid" "$(ps -o lstart= -p "$pid")"
    fi
  done
fi
printf '@@ end\n'
