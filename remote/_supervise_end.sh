# The end both supervisors share (supervise.sh, supervise_bash.sh): sent after
# either, once it has started the command as __pool_child and set
# __pool_target (-pid, its process group, or the pid alone without one), with
# the real stderr on fd 5 and the real stdout on fd $__pool_out. Ends that
# group — TERM, then KILL 2 s later — when pool signals the supervisor (TERM,
# HUP, INT), in watch mode when its stdin (on fd 3) reaches end of file, and
# in inherit mode when its channel goes; then says "@@pool-NONCE exit N" on
# stderr and exits with N, the command's status. That last word tells the
# command's own exit 255 (a nested ssh that lost its host) from a connection
# that broke: after one, no word comes.

# shellcheck disable=SC2317 # called from the traps below
__pool_exit() {
  # The watcher goes too: it carries the command's text in its argv, and the one that
  # watches sshd would outlive us while a shared connection lives.
  kill "$__pool_watcher" 2>/dev/null
  printf '@@pool-%s exit %s\n' "$__pool_nonce" "$1" >&5
  exit "$1"
}

# shellcheck disable=SC2317 # called from the traps below
__pool_stop() {
  # Stopped so early that the group does not exist yet: the command's process
  # is still on its way to setsid, and that pid alone is it.
  kill -TERM "$__pool_target" 2>/dev/null || kill -TERM "$__pool_child" 2>/dev/null || return 0
  # A process of its own (not a subshell, which would carry the command's text
  # in its argv): KILL in 2 s, unless the group is gone first and it is cancelled.
  sh -c 'sleep 2; kill -KILL "$1"' pool-stop "$__pool_target" >/dev/null 2>&1 5>&- &
  __pool_killer=$!
  wait "$__pool_child"
  kill "$__pool_killer" 2>/dev/null
  # Whatever of the group ignored TERM (the leader is gone, its children may not be).
  kill -KILL "$__pool_target" 2>/dev/null
  return 0
}
__pool_watcher=
trap '__pool_stop; __pool_exit 143' TERM
trap '__pool_stop; __pool_exit 129' HUP
trap '__pool_stop; __pool_exit 130' INT

if [ "$__pool_mode" = watch ]; then
  # pool holds this stdin and never writes: end of file means pool, its ssh or the link is gone.
  (
    while IFS= read -r _; do :; done
    kill -TERM $$
  ) <&3 >/dev/null 2>&1 4>&- 5>&- &
elif command -v perl >/dev/null 2>&1; then
  # The command reads the user's stdin, so no end of file says the link is gone. sshd says it
  # by closing its side of our stdout ($__pool_out) when the channel goes (a shared
  # connection's sshd, our parent, outlives the channel); sshd going says it too. Polled,
  # never written. It holds stdout open, so it goes as soon as the supervisor does, however
  # that went. A perl without IO::Poll (Debian's perl-base alone) watches sshd only.
  # shellcheck disable=SC2016 # perl's own variables
  perl -e '
    my ($sshd, $supervisor) = @ARGV;
    my $poll = eval { require IO::Poll; IO::Poll->new };
    $poll->mask(\*STDOUT => IO::Poll::POLLOUT()) if $poll;
    while (kill(0, $sshd) && kill(0, $supervisor)) {
      if ($poll) {
        $poll->poll(0);
        last if $poll->events(\*STDOUT) & (IO::Poll::POLLERR() | IO::Poll::POLLHUP());
      }
      sleep 2;
    }
    kill "TERM", $supervisor;
  ' "$PPID" $$ </dev/null >&"$__pool_out" 2>/dev/null 3<&- 4>&- 5>&- &
else
  # Without perl: sshd says the link is gone by going (the supervisor's parent: sshd's
  # session, which ends with the connection, not with a shared connection's channel).
  (
    while kill -0 "$PPID" 2>/dev/null; do sleep 2; done
    kill -TERM $$
  ) </dev/null >/dev/null 2>&1 3<&- 4>&- 5>&- &
fi
__pool_watcher=$!
exec 3<&- 4>&-

wait "$__pool_child"
__pool_exit "$?"
