#!/bin/sh
# What the tests need from the machine, in one list: `deno task test` and `deno task test:vm` run
# this first, and so does .ci/run.
#
#   sh scripts/prereqs.sh [--check] SUITE...     SUITE: test (deno task test), vm (deno task test:vm)
#
# Exits 0 at once when nothing is missing. Otherwise, as root with apt-get, it installs the missing
# packages (--check: never); when it cannot, it stops with one message naming every missing package
# and the command that installs them, exit 1.
set -u

# suite  command (or absolute path) the tests run  Debian package  Fedora package
# One line per command: a package that gives several commands appears once per command.
LIST='
test /usr/sbin/sshd      openssh-server   openssh-server
test ssh                 openssh-client   openssh-clients
test ssh-keygen          openssh-client   openssh-clients
test git                 git              git
test shellcheck          shellcheck       ShellCheck
test unshare             util-linux       util-linux
test flock               util-linux       util-linux
test taskset             util-linux       util-linux
test script              bsdutils         util-linux
test ps                  procps           procps-ng
test zsh                 zsh              zsh
test fish                fish             fish
test tcsh                tcsh             tcsh
test ansible             ansible-core     ansible-core
test pdsh                pdsh             pdsh-rcmd-ssh
test dshbak              pdsh             pdsh
test parallel-ssh        pssh             pssh
test rsync               rsync            rsync
test nodeset             clustershell     clustershell
test sudo                sudo             sudo
vm   debootstrap         debootstrap      debootstrap
vm   qemu-system-x86_64  qemu-system-x86  qemu-system-x86
vm   qemu-img            qemu-utils       qemu-img
vm   mkfs.ext4           e2fsprogs        e2fsprogs
vm   nc                  netcat-openbsd   nmap-ncat
vm   ssh                 openssh-client   openssh-clients
vm   ssh-keygen          openssh-client   openssh-clients
vm   flock               util-linux       util-linux
vm   unshare             util-linux       util-linux
vm   chroot              coreutils        coreutils
vm   git                 git              git
'

install=1
suites=
for word in "$@"; do
  case "$word" in
  --check) install=0 ;;
  test | vm) suites="$suites $word" ;;
  *)
    echo "usage: $0 [--check] test|vm..." >&2
    exit 2
    ;;
  esac
done
[ -n "$suites" ] || suites=" test"

# Puts the system's sbin directories on PATH: a non-login root shell may lack them.
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

present() {
  case "$1" in
  /*) [ -x "$1" ] ;;
  *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

# The packages (column 3 for apt, 4 for dnf) of the commands missing now, each once, in list order.
missing() {
  column=$1
  printf '%s\n' "$LIST" | while read -r suite cmd deb rpm; do
    [ -n "$suite" ] || continue
    case "$suites " in *" $suite "*) ;; *) continue ;; esac
    present "$cmd" && continue
    if [ "$column" = 3 ]; then echo "$deb"; else echo "$rpm"; fi
  done | awk '!seen[$0]++' | tr '\n' ' ' | sed 's/ $//'
}

uid=$(id -u)
need=$(missing 3)
if [ -z "$need" ] && [ "$uid" = 0 ]; then exit 0; fi

# Root with apt: install what is missing, then look again.
tried=
if [ -n "$need" ] && [ "$install" = 1 ] && [ "$uid" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "pool: installing what the tests need: $need" >&2
  log=$(mktemp) || exit 1
  # shellcheck disable=SC2086 # one word per package
  if DEBIAN_FRONTEND=noninteractive apt-get update -q >"$log" 2>&1 &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need >>"$log" 2>&1; then
    need=$(missing 3)
  fi
  # apt's first error says why (a mirror it cannot reach); its last one only that it gave up.
  tried=$(grep '^E:' "$log" | head -n 1)
  [ -n "$tried" ] || tried=$(sed '/^[[:space:]]*$/d' "$log" | tail -n 1)
  rm -f "$log"
  if [ -z "$need" ] && [ "$uid" = 0 ]; then exit 0; fi
fi

# One message: what is missing, and the command that installs it.
{
  [ "$uid" = 0 ] || echo "pool: the tests must run as root (they start sshd in a private mount namespace)"
  if [ -n "$need" ]; then
    echo "pool: the tests need packages that are missing: $need"
    [ -z "$tried" ] || echo "pool: apt-get could not install them: $tried"
    sudo=
    [ "$uid" = 0 ] || sudo="sudo "
    if command -v apt-get >/dev/null 2>&1 || ! command -v dnf >/dev/null 2>&1; then
      echo "Install them with: ${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends $need"
    fi
    if command -v dnf >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
      echo "On Fedora: ${sudo}dnf install -y $(missing 4)"
    fi
  fi
} >&2
exit 1
