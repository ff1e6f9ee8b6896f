# shellcheck shell=sh
# Shell functions the job scripts and probes share (remote/scripts.ts puts this
# file before launch.sh, kill.sh, follow.sh, guard.sh and the jobs, host and pids
# probes as they are sent).

# When process $1 started, as a token to compare: field 22 of /proc/PID/stat
# (clock ticks since boot) on Linux, `ps -o lstart` elsewhere. Nothing for a
# process that is gone or a zombie (finished, not yet reaped): pids are reused,
# so a job's pid counts as its own only while this token still matches. With
# $2 "any", a zombie's too (launch.sh: its own child, not yet waited for).
start_of() {
  if [ -d /proc/self ]; then
    { read -r stat < "/proc/$1/stat"; } 2>/dev/null || return 0
    zombie_too=${2:-}
    set -f
    # shellcheck disable=SC2086 # splitting the fields is the point
    set -- ${stat##*) }
    set +f
    case "$1" in Z | X) [ "$zombie_too" = any ] || return 0 ;; esac
    printf '%s\n' "${20}"
  else
    state=$(ps -o stat= -p "$1" 2>/dev/null) || return 0
    case "$state" in Z*) [ "${2:-}" = any ] || return 0 ;; esac
    # BSD ps writes lstart in the locale's words (`So 29 Nov` in German): the C locale's
    # always, or a job recorded under one locale reads as another process under the next.
    LC_ALL=C ps -o lstart= -p "$1" 2>/dev/null
  fi
}

# This machine, as job records name it: its machine-id, else its kernel's UUID (macOS), else
# its name. A home shared between machines (NFS) holds their records side by side, and a
# record of another machine's job is none of this one's business: its pid means nothing here.
this_machine() {
  for file in /etc/machine-id /var/lib/dbus/machine-id; do
    if [ -r "$file" ] && IFS= read -r id < "$file" && [ -n "$id" ]; then
      printf '%s\n' "$id"
      return 0
    fi
  done
  id=$(sysctl -n kern.uuid 2>/dev/null) || id=
  if [ -n "$id" ]; then printf '%s\n' "$id"; else uname -n; fi
}

# Whether job record $1 was written on a machine other than $2 (this_machine's answer). A
# record without the line (written before pool recorded it) is this machine's.
elsewhere() {
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in "machine "*) [ "${line#machine }" != "$2" ] && return 0 ;; esac
  done < "$1"
  return 1
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

# Waits timed by a `sleep` of their own, never by the wall clock (`date +%s`), which NTP or a
# user may step while we wait: an hour forward cut a job's grace short, an hour back stretched
# it past pool's own deadline. After `timer_start N`, `timer_runs` is true while that sleep runs,
# told by its start token (one that ran out may linger as a zombie, or be reaped and its pid
# handed on); `timer_stop` ends it only while it runs, for the same reason.
timer_start() {
  timer_stop
  sleep "$1" >/dev/null 2>&1 &
  pool_timer=$!
  pool_timer_start=$(start_of "$pool_timer")
}
timer_runs() {
  [ -n "${pool_timer:-}" ] || return 1
  if [ -n "$pool_timer_start" ]; then
    [ "$(start_of "$pool_timer")" = "$pool_timer_start" ]
  else
    kill -0 "$pool_timer" 2>/dev/null
  fi
}
timer_stop() { ! timer_runs || kill "$pool_timer" 2>/dev/null || :; }

# Whether record $1 holds the job's end: its last exit line a whole number 0-255, as pool's parser
# reads it (probes/jobs.ts). An exit line it reads as none (`exit 99999`, cut short) is no end:
# read as ended, a running job would show as lost, be pruned (jobs.sh) or stop being followed.
ended() {
  last=
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in exit | 'exit '*) last=$line ;; esac
  done < "$1"
  [ -n "$last" ] && exit_code_in "$last"
}

# Whether exit line $1 holds an exit code as the parser reads one: one word, a whole number 0-255.
exit_code_in() {
  set -f
  # shellcheck disable=SC2086 # the words of the value, without its blanks
  set -- ${1#exit}
  set +f
  [ "$#" -eq 1 ] || return 1
  code=$1
  case "$code" in '' | *[!0-9]*) return 1 ;; esac
  while :; do case "$code" in 0?*) code=${code#0} ;; *) break ;; esac; done
  [ "${#code}" -le 3 ] && [ "$code" -le 255 ]
}

# The processes that carry a job's marker, one line each: "<pid> <group> <session> <start> <id>",
# only those of the jobs given as arguments (Linux; elsewhere none). launch.sh puts POOL_JOB=<id>
# in its command's environment, and every process the command starts inherits it, whatever group
# or session it moves to: `setsid`, a daemon that forks twice, `tmux new -d` (its server).
# The whole NUL-terminated entry must match (grep -zx), so job 1's marker is never job 12's.
# One grep over every /proc/PID/environ: the kernel lets a user read only their own processes'
# (root: everyone's), and a process whose environ cannot be read is not the job's. Only processes
# of this user count (real uid): for root, another user could put root's marker in their own
# environment, and keep root's lease or take root's kill. Limits: the
# environment as the process was started with (one that clears it, `env -i`, or a sudo that
# resets it, is not seen); a tmux server a job started runs every later session with its marker.
# A zombie is none. The state is read as members_of reads it (pids.sh): after the name's last ") ".
marked() {
  [ -d /proc/self ] || return 0
  marker_lines | tr '\0' '\n' |
    awk -v want=" $* " -v uid="$(id -u)" '
      {
        if (substr($0, 1, 6) != "/proc/") next
        pid = substr($0, 7)
        pid = substr(pid, 1, index(pid, "/") - 1)
        id = $0
        if (pid !~ /^[0-9]+$/ || !sub(/^[^:]*:POOL_JOB=/, "", id)) next
        if (!index(want, " " id " ") || seen[pid, id]++) next
        file = "/proc/" pid "/stat"
        stat = ""
        while ((getline line < file) > 0) stat = stat line "\n"
        close(file)
        if (!sub(/.*\) /, "", stat) || split(stat, field, " ") < 20) next
        if (field[1] == "Z" || field[1] == "X") next
        file = "/proc/" pid "/status"
        owner = ""
        while ((getline line < file) > 0) if (line ~ /^Uid:/) { split(line, ids); owner = ids[2] }
        close(file)
        if (owner != uid) next
        print pid, field[3], field[4], field[20], id
      }'
}

# "/proc/<pid>/environ:POOL_JOB=<id>" for each process whose environment holds a marker: one grep
# over them all where grep reads NUL-ended lines (-z: GNU, BSD, most BusyBox builds); else, as a
# BusyBox built without it would find nothing and say nothing, one small pipe per process.
marker_lines() {
  pattern='POOL_JOB=[A-Za-z0-9_-][A-Za-z0-9_-]*'
  if printf 'x\0' | grep -qazx x 2>/dev/null; then
    printf '%s\n' /proc/[0-9]*/environ | xargs grep -azx "$pattern" /dev/null 2>/dev/null
  else
    for file in /proc/[0-9]*/environ; do
      { tr '\0' '\n' < "$file" | grep -x "$pattern" | sed "s|^|$file:|"; } 2>/dev/null
    done
  fi
}
