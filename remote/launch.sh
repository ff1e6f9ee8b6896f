#!/bin/sh
# Starts a command detached on this host, for `pool bg`, and keeps its record.
# Usage: sh -s -- <job id> <gpus, or -> with, in the payload ahead of this script,
#   pool_setup=<shell text run just before the command, in its shell: pool's GPU pins; may be empty>
#   pool_command=<the command>
# Not in the argv: those words are the launcher's and the waiter's in `ps`, for anyone on the
# host to read as long as the job runs, and a command can carry a token (remote/detach.ts).
#
# The command runs in a session and process group of its own (setsid, or perl
# on macOS), with no terminal and no stdin, so the ssh that carried this
# script returns at once and `pool kill` can end the command and everything it
# started. A small waiter outside that group stays behind to write down how it
# ended. The command's environment holds POOL_JOB=<id>: what it starts that leaves
# its group (setsid, a daemon) is still found as the job's (Linux: _proc.sh, marked).
# Under ~/.pool/jobs/: <id>.log (its output), <id>.cmd (the command) and <id>.job,
# its record, one fact a line:
#   started <epoch s>
#   machine <id>                where it runs (remote/_proc.sh, this_machine): a home shared
#                               between machines holds their records side by side
#   gpus <i,j>                  when it holds GPUs
#   pid <pid> <start time>      the command: leader of its process group
#   waiter <pid> <start time>   the process that writes the end
#   exit <status>               at the end; 128+n when signal n ended it, then:
#   signal <NAME>
#   ended <epoch s>
# A start time is field 22 of /proc/PID/stat (ticks since boot) on Linux, `ps
# -o lstart` elsewhere: with the pid it names one process, never a recycled pid.
# A launch that fails before the command runs (a full or read-only disk) leaves
# none of these files. An end that cannot be appended to the record goes into a
# copy of it (.<id>.end) put in its place; where that fails too, the job reads
# as lost, and a `pool:` line in its log says why and with what exit it ended.
# Prints "<pid> <start time>", then the log's path.
set -eu
id=$1
gpus=$2
# shellcheck disable=SC2154 # both set by the payload's lines ahead of this script
setup=$pool_setup command=$pool_command
case "$id" in '' | *[!A-Za-z0-9_-]*) echo "pool: bad job id: $id" >&2 && exit 2 ;; esac
# The job's own files are the user's alone; what the command makes is as the user's umask makes
# it (run() puts it back): as ssh host 'nohup cmd &' and `pool on` would.
user_umask=$(umask)
umask 077
dir="$HOME/.pool/jobs"
mkdir -p "$dir"
log="$dir/$id.log"
record="$dir/$id.job"
ready="$dir/$id.ready"
if [ -e "$record" ]; then echo "pool: job $id already exists on this host" >&2 && exit 1; fi

# Until the job has started, a failure (a full or read-only disk) takes back all this makes: a
# record of a job that never ran would read as lost. (No record was there: none is another's.)
undo() { rm -f -- "$dir/$id.cmd" "$record" "$log" "$ready"; }
trap undo EXIT

printf '%s\n' "$command" > "$dir/$id.cmd"
{
  printf 'started %s\n' "$(date +%s)"
  printf 'machine %s\n' "$(this_machine)"
  if [ "$gpus" != - ]; then printf 'gpus %s\n' "$gpus"; fi
} > "$record"
: > "$log"
mkfifo "$ready"

# Writes a line into the job's log, on a line of its own: the log is where its output goes.
note() {
  gap=
  if [ -n "$(tail -c 1 "$log" 2>/dev/null)" ]; then gap='
'; fi
  printf '%s%s\n' "$gap" "$1" >> "$log" 2>/dev/null || :
}

# Writes the job's end ($end) into its record. Where it cannot be appended (the record made
# read-only, a full disk), a copy of the record with the end takes its place; where that fails
# too, the end is lost (the job reads as lost) and its log, the one place left, says so.
record_end() {
  if why=$({ printf '%s' "$end" >> "$record"; } 2>&1); then return 0; fi
  why=${why##*: }
  copy="$dir/.$id.end"
  if ( { awk '{ print }' "$record" && printf '%s' "$end"; } > "$copy" &&
    mv -f "$copy" "$record") 2>/dev/null; then
    note "pool: could not append the end (exit $status) to $record: $why; wrote the record anew with it"
  else
    rm -f "$copy"
    note "pool: could not record exit $status in $record: $why"
  fi
}

run() {
  shell=${SHELL:-/bin/sh}
  # Its marker (POOL_JOB, remote/_proc.sh's marked), in the command's environment alone: what
  # it starts carries it even out of its group, and the waiter's own `date` does not.
  {
    POOL_JOB=$id
    export POOL_JOB
    umask "$user_umask"
    __pool_start_grouped "$shell" -c "$setup$command"
  } </dev/null >>"$log" 2>&1 &
  pid=$!
  # Not yet waited for, so even a command that is already over is still there to be read.
  line="pid $pid $(start_of "$pid" any)"
  if ! why=$({ printf '%s\n' "$line" >> "$record"; } 2>&1); then
    # Not in its record, the job could be neither listed nor killed: it goes, and so does the launch.
    kill -s KILL -- "-$pid" 2>/dev/null || kill -s KILL "$pid" 2>/dev/null || :
    wait "$pid" || :
    printf 'failed %s\n' "${why##*: }" > "$ready"
    exit 1
  fi
  printf '%s\n' "$line" > "$ready"
  set +e
  wait "$pid"
  status=$?
  end="exit $status
"
  if [ "$status" -gt 128 ]; then end="${end}signal $(kill -l "$status")
"; fi
  end="${end}ended $(date +%s)
"
  record_end
}

# The waiter: a subshell with nothing of the ssh session's open.
( run ) </dev/null >/dev/null 2>&1 &
waiter=$!
read -r word rest < "$ready"
if [ "$word" = failed ]; then
  wait "$waiter" || :
  echo "pool: could not record the job's start in $record: $rest" >&2 && exit 1
fi
pid=${rest%% *}
case "$rest" in *' '*) start=${rest#* } ;; *) start= ;; esac
# It runs: from here on, nothing of it is taken back.
trap - EXIT
rm -f "$ready"
# Without it the job still runs, and its pid is recorded: not worth ending it for.
printf 'waiter %s %s\n' "$waiter" "$(start_of "$waiter" any)" >> "$record" || :
printf '%s %s\n%s\n' "$pid" "$start" "$log"
