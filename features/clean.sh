#!/bin/sh
# pool disk cleanup: what `pool clean` runs, and what /etc/cron.daily/disk-cleanup runs daily.
# Usage: pool-disk-cleanup <run|dry-run> [deep: 0|1|auto] [days: 3]
#
# Safe tier (always): journal vacuum, apt autoremove/clean, disabled snap revisions, files older
# than <days> in /var/log, /var/crash, /var/tmp, /tmp, and every home's
# ~/.cache/{uv,pip,puppeteer,mathlib,thumbnails}, and ended `pool bg` jobs under ~/.pool/jobs/. Deep tier (deep=1, or auto when / is at least
# 85 % full): every home's ~/.cache/{huggingface,torch,torch_extensions,npm,yarn,go-build} and
# docker system prune. Age is mtime: atime is unreliable on noatime/relatime mounts. Sizes are the
# blocks a file holds. Empty directories older than <days> go too, except sticky ones.
#
# Prints a line per place, then one summary line:
#   @@ clean <used% before> <used% after> <bytes freed> <bytes free after> <tier>
set -u
LC_ALL=C
export LC_ALL
PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
mode=${1:-run}
deep=${2:-auto}
days=${3:-3}

case "$mode" in run | dry-run) ;; *) echo "usage: $0 <run|dry-run> [0|1|auto] [days]" >&2 && exit 2 ;; esac
case "$days" in '' | *[!0-9]*) echo "days must be a whole number" >&2 && exit 2 ;; esac

if [ "$(uname -s)" != Linux ]; then
  echo "@@ clean - - 0 0 skipped"
  exit 0
fi

used_pct() { df -Pk / | awk 'NR == 2 { sub("%", "", $5); print $5 }'; }
# printf, not print: awk prints large numbers as 3.17e+09 otherwise.
avail_bytes() { df -Pk / | awk 'NR == 2 { printf "%.0f\n", $4 * 1024 }'; }

before_pct=$(used_pct)
before_avail=$(avail_bytes)
if [ "$deep" = auto ]; then
  if [ "$before_pct" -ge 85 ]; then deep=1; else deep=0; fi
fi
tier=safe
[ "$deep" = 1 ] && tier=deep
total=0

# Old files under a directory: counted by the blocks they hold (a sparse file frees what it holds,
# not its apparent size), and deleted unless dry-run. find and `stat -c`, which BusyBox has as well
# as GNU. Never follows symlinks, never leaves the directory's filesystem. find deletes them itself
# (-delete: GNU find removes each entry relative to its own folder): an rm handed a whole path
# would follow a folder a user swapped for a link meanwhile (/tmp/x/d -> /etc), as root. A file
# some process still holds open (a daemon's current log) stays: deleting it frees nothing and
# loses what it writes next.
# Empty directories go once they are as old as the files would be, except sticky ones: programs
# make those (/tmp/.X11-unix, /tmp/.ICE-unix) and expect them to be there. A young empty directory
# is someone's work in progress.
sweep() {
  dir=$1 label=${2:-$1}
  [ -d "$dir" ] || return 0
  # shellcheck disable=SC2046 # one `! -path P` per open file: paths of /proc's fd links
  counted=$(find "$dir" -xdev -type f -mtime +"$days" $(held_open "$dir") -exec stat -c '%b %B' {} + 2>/dev/null |
    awk '{ n++; s += $1 * $2 } END { printf "%d %.0f\n", n, s }')
  count=${counted%% *}
  bytes=${counted##* }
  dirs=$(find "$dir" -xdev -mindepth 1 -type d -empty -mtime +"$days" ! -perm -1000 2>/dev/null | wc -l)
  [ "$count" -gt 0 ] || [ "$dirs" -gt 0 ] || return 0
  also=
  [ "$dirs" -eq 0 ] || also=", $dirs empty directories"
  if [ "$mode" = run ] && [ "$find_deletes" = yes ]; then
    # shellcheck disable=SC2046 # one `! -path P` per open file: paths of /proc's fd links
    find "$dir" -xdev -type f -mtime +"$days" $(held_open "$dir") -delete 2>/dev/null
    find "$dir" -xdev -mindepth 1 -depth -type d -empty -mtime +"$days" ! -perm -1000 -delete 2>/dev/null
    echo "removed $count files, $bytes bytes$also: $label"
  elif [ "$mode" = run ]; then
    # A find without -delete (some BusyBox builds): rm, handed whole paths.
    # shellcheck disable=SC2046 # one `! -path P` per open file: paths of /proc's fd links
    find "$dir" -xdev -type f -mtime +"$days" $(held_open "$dir") -exec rm -f {} + 2>/dev/null
    find "$dir" -xdev -mindepth 1 -depth -type d -empty -mtime +"$days" ! -perm -1000 -exec rmdir {} + 2>/dev/null
    echo "removed $count files, $bytes bytes$also: $label"
  else
    echo "would remove $count files, $bytes bytes$also: $label"
  fi
  total=$((total + bytes))
}

# Whether this find deletes by itself: tried on a file of our own (BusyBox may be built without).
find_deletes=no
if [ "$mode" = run ] && probe=$(mktemp 2>/dev/null); then
  find "$probe" -delete 2>/dev/null
  if [ -e "$probe" ]; then rm -f "$probe"; else find_deletes=yes; fi
fi

# The files processes hold open, one a line, read once (root sees every /proc/PID/fd).
# shellcheck disable=SC2012 # the link targets are what is read, and a target with a newline
# only fails to match (its file is then judged by age alone)
opened=$(ls -l /proc/[0-9]*/fd/ 2>/dev/null | sed -n 's/^l.* -> \(\/.*\)$/\1/p' | sort -u)

# `! -path FILE` for each file under $1 that a process holds open. Paths with spaces or glob
# characters are left to the age test: they cannot be words here.
held_open() {
  case "$1" in /*) ;; *) return 0 ;; esac
  printf '%s\n' "$opened" | while IFS= read -r target; do
    case "$target" in
      "$1"/*) case "$target" in *[[:space:]*?[]*) ;; *) printf '! -path %s\n' "$target" ;; esac ;;
    esac
  done
}

# The real path of <home>/<rel>, if no part of it below the home is a symlink. Root sweeps users'
# folders: a user's ~/.cache -> /usr/lib must not have root delete system files.
home_path() {
  real_home=$(cd -P -- "$1" 2>/dev/null && pwd) || return 1
  real=$(cd -P -- "$1/$2" 2>/dev/null && pwd) || return 1
  [ "$real" = "$real_home/$2" ] && echo "$real"
}

# A cache in a user's home, swept from inside it, so that a link swapped in after the check
# leads nowhere.
sweep_home() {
  if ! real=$(home_path "$1" "$2"); then
    [ ! -e "$1/$2" ] || echo "skipped $1/$2: a symlink leads out of the home"
    return 0
  fi
  cd -P -- "$real" 2>/dev/null || return 0
  sweep . "$1/$2"
  cd /
}

homes() {
  [ -d /root ] && echo /root
  for h in /home/*; do [ -d "$h" ] && echo "$h"; done
}

# Safe tier.
if command -v journalctl >/dev/null 2>&1; then
  if [ "$mode" = run ]; then
    journalctl --vacuum-time="${days}d" >/dev/null 2>&1 && echo "journal vacuumed to ${days} days"
  else
    echo "would vacuum the journal to ${days} days"
  fi
fi
if command -v apt-get >/dev/null 2>&1; then
  if [ "$mode" = run ]; then
    DEBIAN_FRONTEND=noninteractive apt-get autoremove -y -q >/dev/null 2>&1 && echo "apt autoremove done"
    apt-get clean >/dev/null 2>&1 && echo "apt cache cleaned"
  else
    echo "would run apt-get autoremove and apt-get clean"
  fi
fi
if command -v snap >/dev/null 2>&1; then
  snap list --all 2>/dev/null | awk '/disabled/ { print $1, $3 }' | while read -r name rev; do
    if [ "$mode" = run ]; then
      snap remove "$name" --revision="$rev" >/dev/null 2>&1 && echo "removed snap $name revision $rev"
    else
      echo "would remove snap $name revision $rev"
    fi
  done
fi
for dir in /var/crash /var/tmp /tmp; do sweep "$dir"; done
# /var/log, but not the journal (vacuumed above) nor this script's own log.
if [ -d /var/log ]; then
  for entry in /var/log/*; do
    # Nor the login records: their writers never create them again, so logins would go unrecorded.
    case "$entry" in
      /var/log/journal | /var/log/pool-cleanup.log | /var/log/[wb]tmp | /var/log/lastlog | /var/log/faillog) continue ;;
    esac
    if [ -d "$entry" ]; then
      sweep "$entry"
    elif [ -f "$entry" ] && [ -n "$(find "$entry" -mtime +"$days" 2>/dev/null)" ] &&
      ! printf '%s\n' "$opened" | grep -F -x -q -e "$entry"; then
      size=$(stat -c '%b %B' "$entry" 2>/dev/null | awk '{ printf "%.0f\n", $1 * $2 }')
      size=${size:-0}
      if [ "$mode" = run ]; then rm -f "$entry" && echo "removed 1 files, $size bytes: $entry"; else echo "would remove 1 files, $size bytes: $entry"; fi
      total=$((total + size))
    fi
  done
fi
for home in $(homes); do
  for cache in uv pip puppeteer mathlib thumbnails; do sweep_home "$home" ".cache/$cache"; done
done
# `pool bg` jobs that ended more than <days> ago: record, log and command, as `pool jobs --prune`
# removes them. A record without an exit line may still be running: never touched here.
for home in $(homes); do
  jobs=$(home_path "$home" .pool/jobs) || continue
  # From inside the folder, by names: a ~/.pool/jobs swapped for a link after the check (to /etc)
  # must not have root remove files there.
  cd -P -- "$jobs" 2>/dev/null || continue
  [ "$(pwd)" = "$jobs" ] || { cd /; continue; }
  for record in ./*.job; do
    # Plain files only: a FIFO or a link to /dev/zero in a user's folder must not hang root's cron.
    if [ ! -f "$record" ] || [ -L "$record" ]; then continue; fi
    grep -q '^exit ' "$record" 2>/dev/null || continue
    [ -n "$(find "$record" -mtime +"$days" 2>/dev/null)" ] || continue
    job=${record%.job}
    size=0
    for f in "$record" "$job.log" "$job.cmd"; do
      if [ -f "$f" ] && [ ! -L "$f" ]; then size=$((size + $(stat -c %s "$f" 2>/dev/null || echo 0))); fi
    done
    if [ "$mode" = run ]; then
      rm -f -- "$record" "$job.log" "$job.cmd" &&
        echo "removed pool job ${job##*/}, $size bytes: $jobs/${record#./}"
    else
      echo "would remove pool job ${job##*/}, $size bytes: $jobs/${record#./}"
    fi
    total=$((total + size))
  done
  cd /
done

# Deep tier.
if [ "$deep" = 1 ]; then
  for home in $(homes); do
    for cache in huggingface torch torch_extensions npm yarn go-build; do sweep_home "$home" ".cache/$cache"; done
  done
  if command -v docker >/dev/null 2>&1; then
    if [ "$mode" = run ]; then
      docker system prune -f >/dev/null 2>&1 && echo "docker system prune done"
    else
      echo "would run docker system prune"
    fi
  fi
fi

after_pct=$(used_pct)
after_avail=$(avail_bytes)
if [ "$mode" = run ]; then
  # What the disk says, or what we deleted if the disk moved less (other writers, reserved blocks).
  freed=$((after_avail - before_avail))
  [ "$freed" -lt "$total" ] && freed=$total
else
  freed=$total
fi
echo "@@ clean $before_pct $after_pct $freed $after_avail $tier"
