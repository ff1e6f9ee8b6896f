#!/bin/sh
# pool push/pull over tar, second step, on the side that received (the host for a push, pool's
# machine for a pull): the stream went into STAGE, a folder of its own in DEST, and pool saw both
# ends finish well; now the new copy takes its place. pool decides, not tar here: GNU tar takes a
# stream cut short for a whole one, and unpacking in place would leave a file cut short where its
# old copy was.
#
#   sh -c "<this script>" pool-replace merge|mirror DEST STAGE NAME...
#
# merge: each staged entry replaces its namesake in DEST by a rename (old or new, never half of
# one); a folder on both sides is merged, and takes the staged one's mode and time, as tar -p
# gives them. mirror (--delete): each NAME in DEST gives way to its new copy (NAME "." : all of
# DEST).
set -u
# A CDPATH (a profile's, or the caller's) must not send DEST, and its deletions, elsewhere.
unset CDPATH
mode=$1
cd -- "$2" || exit 1
stage=$3
shift 3
[ -d "$stage" ] || exit 1

# A failure leaves the new copy where it is, and says where.
kept() {
  echo "cannot put the new copy of $1 in place; it is kept in $PWD/$stage" >&2
  exit 1
}

# A folder, not a link to one.
folder() {
  [ -d "$1" ] && [ ! -L "$1" ]
}

# Folder $2 gets folder $1's permission bits, read from `ls -ld` (POSIX has no chmod --reference).
same_mode() {
  bits=$(ls -ld -- "$1") || return 1
  bits=${bits#?}
  m=0
  for b in 256 128 64 32 16 8 4 2 1; do
    c=${bits%"${bits#?}"}
    bits=${bits#?}
    case $c in r | w | x | s | t) m=$((m + b)) ;; esac
    case $c in
      s | S) if [ "$b" -eq 64 ]; then m=$((m + 2048)); else m=$((m + 1024)); fi ;;
      t | T) m=$((m + 512)) ;;
    esac
  done
  chmod "$(printf '%o' "$m")" "$2"
}

# Staged folder $1 into folder $2, entry by entry. A subshell: its variables are its own.
merge() (
  for new in "$1"/* "$1"/.[!.]* "$1"/..?*; do
    [ -e "$new" ] || [ -L "$new" ] || continue
    old=$2/${new##*/}
    if folder "$new" && folder "$old"; then
      merge "$new" "$old" || exit 1
      same_mode "$new" "$old" 2>/dev/null
      touch -r "$new" "$old" 2>/dev/null
    else
      # A folder gives way only when empty (as for rsync and tar). A link goes first: mv would
      # put the new copy inside the folder it points to.
      if folder "$old"; then rmdir -- "$old" 2>/dev/null || kept "$old"; fi
      if [ -L "$old" ]; then rm -f -- "$old" || kept "$old"; fi
      mv -f -- "$new" "$old" || kept "$old"
    fi
  done
)

if [ "$mode" = merge ]; then
  merge "$stage" . || exit 1
  # The contents of a folder were sent: DEST takes that folder's mode and time too.
  for name in "$@"; do
    if [ "$name" = . ]; then
      same_mode "$stage" . 2>/dev/null
      touch -r "$stage" . 2>/dev/null
    fi
  done
  rm -rf -- "$stage"
  exit 0
fi

for name in "$@"; do
  [ "$name" = . ] || continue
  # The contents: all of DEST goes (but the stage), and all of the stage comes up; the other
  # NAMEs came in the same stream, so they are in the stage too.
  for old in ./* ./.[!.]* ./..?*; do
    if [ -e "$old" ] || [ -L "$old" ]; then
      [ "$old" = "./$stage" ] || rm -rf -- "$old" || kept .
    fi
  done
  for new in "$stage"/* "$stage"/.[!.]* "$stage"/..?*; do
    if [ -e "$new" ] || [ -L "$new" ]; then mv -- "$new" . || kept .; fi
  done
  rm -rf -- "$stage"
  exit 0
done
for name in "$@"; do
  rm -rf -- "$name" || kept "$name"
  if [ -e "$stage/$name" ] || [ -L "$stage/$name" ]; then mv -- "$stage/$name" "$name" || kept "$name"; fi
done
rm -rf -- "$stage"
