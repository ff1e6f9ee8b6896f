#!/bin/sh
# Host probe: everything `pool list` shows, in one round trip.
# Arguments (optional): remote pids of `pool bg` jobs, to report which still run (and since when).
#
# Prints raw sections ("@@ name" then the command's own output) and leaves all
# arithmetic to the parser in host.ts, so the parser is tested on real outputs
# recorded from real systems. POSIX sh: runs under dash, bash, BusyBox and macOS.
LC_ALL=C
export LC_ALL
PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

section() {
  printf '@@ %s\n' "$1"
}

# Copies a file with shell builtins only: on Linux the whole probe then forks
# just once (df), which halves its cost on a busy host.
dump() {
  while IFS= read -r line || [ -n "$line" ]; do
    printf '%s\n' "$line"
  done < "$1"
}

if [ -r /proc/sys/kernel/ostype ]; then
  read -r kernel < /proc/sys/kernel/ostype
else
  kernel=$(uname -s)
fi
section uname
printf '%s\n' "$kernel"

case "$kernel" in
  Darwin)
    section loadavg
    sysctl -n vm.loadavg
    section ncpu
    sysctl -n hw.ncpu
    section memsize
    sysctl -n hw.memsize
    section vm_stat
    vm_stat
    section swapusage
    sysctl vm.swapusage
    section boottime
    sysctl -n kern.boottime
    section now
    date +%s
    section df
    # On APFS, / is the sealed system volume; the user's data lives on the Data volume.
    df -Pk /System/Volumes/Data 2>/dev/null || df -Pk /
    ;;
  *)
    section loadavg
    dump /proc/loadavg
    # The CPUs this shell may run on (what nproc counts), as a list like 0-3,8.
    section cpus_allowed
    while read -r key value; do
      if [ "$key" = "Cpus_allowed_list:" ]; then printf '%s\n' "$value"; fi
    done < /proc/self/status
    section meminfo
    dump /proc/meminfo
    section uptime
    dump /proc/uptime
    section df
    df -Pk /
    ;;
esac

# A GPU tool gets GPU_TOOL_SECONDS: a wedged driver hangs nvidia-smi, and the
# host's load, memory and disk must still come back (exit 124 says it hung).
GPU_TOOL_SECONDS=5
bounded() {
  if command -v timeout >/dev/null 2>&1; then
    timeout "$GPU_TOOL_SECONDS" "$@"
  else
    "$@"
  fi
}
if command -v nvidia-smi >/dev/null 2>&1; then
  section nvidia-smi
  # One line per GPU; MIG instances and missing fields come back as [N/A].
  bounded nvidia-smi --query-gpu=index,name,utilization.gpu,memory.used,memory.total --format=csv,nounits 2>&1
  printf '@@ nvidia-smi-exit\n%s\n' "$?"
fi
if command -v rocm-smi >/dev/null 2>&1; then
  section rocm-smi
  bounded rocm-smi --showproductname --showuse --showmeminfo vram --json 2>&1
  printf '@@ rocm-smi-exit\n%s\n' "$?"
fi
# pool bg's jobs: which of the pids given as arguments still run here, each
# with its start time, so a pid the kernel handed to another process is not
# taken for the job (Linux: field 22 of /proc/PID/stat, in clock ticks since
# boot; elsewhere `ps -o lstart`). A zombie (finished, not yet reaped) is not running.
if [ "$#" -gt 0 ]; then
  section pids
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
section end
