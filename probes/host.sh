#!/bin/sh
# Host probe: everything `pool list` shows, in one round trip.
# Arguments (optional): remote pids of `pool bg` jobs, to report which still run (and since when):
# probes/mod.ts sends probes/pids.sh after this script, which reads them and ends the answer.
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

# Copies a GPU tool's output (stdin), which is not this script's: a line of it that reads as a
# section ("@@ meminfo", "@@ pids", "@@ end") would stand in for the real one, so such a line
# gets a space before it. Nothing else changes: the parsers trim, and JSON starts no line with @@.
fenced() {
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
      @@*) printf ' %s\n' "$line" ;;
      *) printf '%s\n' "$line" ;;
    esac
  done
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

# The GPU tools get GPU_TOOL_SECONDS between them, timed by _proc.sh's timer (not by the wall
# clock, which NTP may step while they run): a wedged driver hangs
# nvidia-smi, and the host's load, memory and disk must still come back, well within pool's
# deadline for the whole probe (exit 124 says a tool did not finish). A tool writes to a file
# and is watched, never waited on past that: one stuck in the driver ignores TERM, even KILL,
# and `wait` would hang with it. Left behind, it holds nothing of this connection. timeout(1),
# where there is one, still ends a tool that does die. (Its callers put no redirection on
# it: the shell would keep the probe's own stderr aside on a spare descriptor, which the
# tool's watcher would inherit, and the connection would wait for the tool after all.)
GPU_TOOL_SECONDS=5
# The first reading of a bg job's GPU processes (gpu_apps) gets seconds of its own, fewer: the
# GPUs themselves are read after it with all of GPU_TOOL_SECONDS, so a slow driver (8 GPUs, no
# persistence mode: seconds a call) costs the job's credit, never the GPU list.
GPU_APPS_SECONDS=2
# Starts the GPU tools' clock, and picks how timeout(1) ends a tool: GNU's and toybox's -k send
# KILL a second after the TERM, as a tool that ignores TERM (trapped, or a driver call that
# blocks it) would otherwise run on, and ask the driver again on every probe; BusyBox's timeout
# has no -k (and before 1.30 took the seconds as -t: `timeout 5 nvidia-smi` ran no tool at all),
# so each form is tried on `true` before it is used, and none where neither answers (the watcher
# still gives up on the tool in time). In this shell, before the tools it times ($1 seconds, or
# GPU_TOOL_SECONDS); the form is picked once.
gpu_clock() {
  timer_start "${1:-$GPU_TOOL_SECONDS}"
  [ -z "${gpu_timeout_picked:-}" ] || return 0
  gpu_timeout_picked=1
  gpu_timeout=
  command -v timeout >/dev/null 2>&1 || return 0
  if timeout -k 1 1 true >/dev/null 2>&1; then
    gpu_timeout=with_kill
  elif timeout 1 true >/dev/null 2>&1; then
    gpu_timeout=term_only
  fi
}
bounded() {
  # The first tool starts the clock for all of them.
  [ -n "${pool_timer:-}" ] || gpu_clock
  # Nothing left: the tool is not started at all.
  if ! timer_runs; then return 124; fi
  case "$gpu_timeout" in
  with_kill) set -- timeout -k 1 "$GPU_TOOL_SECONDS" "$@" ;;
  term_only) set -- timeout "$GPU_TOOL_SECONDS" "$@" ;;
  esac
  # A private folder (0700, a fresh name) for its files, removed as soon as they are open: a name
  # in the shared /tmp next to a random one is no secret (inotify shows it), and a link planted
  # there had root write the tool's status into any file. Nothing is written by name after that,
  # and a probe cut off meanwhile (the connection gone) leaves nothing behind.
  # The files are made first, quietly, so the call's own redirections find them: a `2>/dev/null`
  # on the call would have the shell keep the probe's stderr aside on a spare descriptor, which
  # the tool's watcher inherits (it forks, never execs), and a stuck tool would then hold the
  # connection open after all (see GPU_TOOL_SECONDS).
  if dir=$(mktemp -d 2>/dev/null); then
    started=
    if { true >"$dir/out" && true >"$dir/status" && true >"$dir/end"; } 2>/dev/null; then
      # shellcheck disable=SC2094 # each file's writer is the tool's side, its reader this shell
      watch_tool "$dir" "$@" 3>"$dir/out" 4>"$dir/status" 5>"$dir/end" \
        6<"$dir/out" 7<"$dir/status" 8<"$dir/end"
      status=$?
      [ -z "$started" ] || return "$status"
    fi
    # Its files could not be made (a full disk): the tool runs as below.
    rm -rf "$dir"
  fi
  # No file to watch: the tool's output fenced as it comes, its status through descriptor 3
  # (neither descriptor left to the tool, or a daemon it leaves would hold them).
  { status=$({ { "$@" 2>&1 </dev/null 3>&- 4>&-; echo "$?" >&3; } | fenced >&4; } 3>&1); } 4>&1
  return "$status"
}
# Runs tool $2… with bounded()'s files open: 3, 4, 5 to write its output, its status, and that
# both are whole; 6, 7, 8 to read them. Their folder $1 is removed once the tool is started (not
# before: its seconds run), and only the descriptors are used.
watch_tool() {
  started=1
  dir=$1
  shift
  # At most 4096 reads of 1 KiB are kept: pool refuses an answer over 1 MiB anyway, and a tool
  # that floods must not fill the disk meanwhile (it ends on its next write once dd has enough).
  # Its status is there once all of its output is (a daemon it left holding the pipe is time).
  (
    { "$@" 2>&1 </dev/null 3>&- 4>&- 5>&-; echo "$?" >&4; } | dd bs=1024 count=4096 >&3 2>/dev/null
    echo end >&5
  ) </dev/null >/dev/null 2>&1 6<&- 7<&- 8<&- &
  watched=$!
  rm -rf "$dir"
  until read -r _ <&8; do
    if ! timer_runs; then
      kill -KILL "$watched" 2>/dev/null
      return 124
    fi
    sleep 0.1 2>/dev/null || sleep 1
  done
  wait "$watched"
  read -r status <&7
  fenced <&6
  return "$status"
}
# A job's processes on the GPUs, for route to count a lease's GPU claim only beyond what its job
# holds there (as pids.sh's `memory` does for RAM): nvidia-smi's memory.used already counts it.
# Asked only where pool asks about jobs (a bg lease on this host), out of the GPU tools' seconds.
# "@@ gpu-apps-before" and "@@ gpu-apps": nvidia-smi's own lines (GPU uuid, pid, MiB or [N/A]),
# read before and after memory.used, only where all three answered; route takes the smaller of
# the two for each job and GPU: memory a job took between the readings is not in memory.used yet,
# and counted off its claim it let two leases' worth onto one GPU (two 100G leases on a 140G GPU).
# "@@ gpu-groups": "<pid> <process group>" for each of their pids. The driver names processes by
# their number in the host's first pid namespace (its inode is fixed: 0xEFFFFFFC): in any other
# (a container), that number is another process or none, so nothing is said, and route counts
# every claim whole.
compute_apps() {
  bounded nvidia-smi --query-compute-apps=gpu_uuid,pid,used_memory --format=csv,noheader,nounits
}
gpu_apps() {
  apps=$(compute_apps) || return 0
  section gpu-apps-before
  printf '%s\n' "$1"
  section gpu-apps
  printf '%s\n' "$apps"
  [ -r /proc/self/stat ] || return 0
  [ "$(readlink "/proc/$$/ns/pid" 2>/dev/null)" = 'pid:[4026531836]' ] || return 0
  section gpu-groups
  while IFS=', ' read -r _ pid _; do
    case "$pid" in '' | *[!0-9]*) continue ;; esac
    pgid_line "$pid"
  done <<EOF
$1
$apps
EOF
}

# "<pid> <process group>" of process $1, from /proc/PID/stat: the fields after its name's last ") ".
# Not group_of: jobs.sh and kill.sh have functions of that name that answer otherwise, and a
# payload that put two of these scripts together would get one of them, silently.
pgid_line() {
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 0
  set -f
  # shellcheck disable=SC2086 # the fields, split: state, parent, group
  set -- "$1" ${stat##*) }
  set +f
  if [ "$#" -ge 4 ]; then printf '%s %s\n' "$1" "$4"; fi
}

if command -v nvidia-smi >/dev/null 2>&1; then
  # One line per GPU; missing fields come back as [N/A]. uuid names the GPU to gpu_apps;
  # mig.mode.current is Enabled, Disabled, or [N/A] on a GPU without MIG. A driver from before MIG
  # (R450) knows no such field and refuses the whole query (exit 2): it is asked again without
  # it, and the later section is the one read.
  gpu_fields=index,uuid,name,utilization.gpu,memory.used,memory.total
  # The clocks start here, in this shell: a tool run in $(…) would start one in a subshell.
  apps_before=
  asked_apps=
  if [ "$#" -gt 0 ]; then
    gpu_clock "$GPU_APPS_SECONDS"
    if apps_before=$(compute_apps); then asked_apps=1; fi
  fi
  gpu_clock
  section nvidia-smi
  bounded nvidia-smi --query-gpu="$gpu_fields,mig.mode.current" --format=csv,nounits
  smi=$?
  if [ "$smi" -eq 2 ]; then
    section nvidia-smi
    bounded nvidia-smi --query-gpu="$gpu_fields" --format=csv,nounits
    smi=$?
  fi
  printf '@@ nvidia-smi-exit\n%s\n' "$smi"
  if [ "$smi" -eq 0 ] && [ -n "$asked_apps" ]; then gpu_apps "$apps_before"; fi
fi
if command -v rocm-smi >/dev/null 2>&1; then
  section rocm-smi
  bounded rocm-smi --showproductname --showuse --showmeminfo vram --json
  printf '@@ rocm-smi-exit\n%s\n' "$?"
fi
timer_stop
