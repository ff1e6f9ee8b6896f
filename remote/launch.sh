#!/bin/sh
# Starts a command detached on this host, for `pool bg`: its own session,
# output to ~/.pool/jobs/<id>.log, no terminal and no stdin, so the ssh that
# carried this script returns at once. Prints the job's pid, then its log path.
# Usage: sh -s -- <job id> <command>
set -eu
id=$1
command=$2
dir="$HOME/.pool/jobs"
mkdir -p "$dir"
log="$dir/$id.log"
if command -v setsid >/dev/null 2>&1; then
  setsid sh -c "$command" >"$log" 2>&1 </dev/null &
else
  nohup sh -c "$command" >"$log" 2>&1 </dev/null &
fi
printf '%s\n%s\n' "$!" "$log"
