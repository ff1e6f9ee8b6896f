# shellcheck shell=sh
# __pool_start_grouped ARGV...: runs ARGV (exec) as the leader of a process group of
# its own, so that a stop reaches its children, with SIGINT and SIGQUIT back to
# their defaults: a command started with & from a script ignores them, and no
# shell below can undo that, so Ctrl-C, `timeout -s INT` or
# `pool kill --signal INT` would never reach it (Python would get no
# KeyboardInterrupt), where a plain `ssh host cmd` would. GNU env (8.31+) or
# perl sets them back; setsid alone (BusyBox) only groups; with neither, only
# the command itself can be stopped. remote/scripts.ts puts this file before
# supervise.sh and launch.sh as they are sent.
__pool_start_grouped() {
  if command -v setsid >/dev/null 2>&1 && env --default-signal=INT,QUIT true 2>/dev/null; then
    exec env --default-signal=INT,QUIT setsid "$@"
  elif command -v perl >/dev/null 2>&1; then
    exec perl -e '$SIG{INT} = $SIG{QUIT} = "DEFAULT"; setpgrp(0, 0);
      exec @ARGV or die "pool: $ARGV[0]: $!\n"' "$@"
  elif command -v setsid >/dev/null 2>&1; then
    exec setsid "$@"
  fi
  exec "$@"
}

# Whether __pool_start_grouped makes a group here (setsid or perl): then the group is what a
# stop signals, else the command alone.
__pool_groups() {
  command -v setsid >/dev/null 2>&1 || command -v perl >/dev/null 2>&1
}
