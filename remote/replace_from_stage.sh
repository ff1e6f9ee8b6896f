#!/bin/sh
# pool push/pull --delete over tar, second step, on the side that received (the host for a push,
# pool's machine for a pull): the stream went into STAGE, a folder of its own in DEST, and pool saw
# both ends finish well; now each NAME in DEST gives way to its new copy from STAGE (NAME "." :
# everything in DEST). pool decides, not tar here: GNU tar takes a stream cut short for a whole one.
#
#   sh -c "<this script>" pool-replace DEST STAGE NAME...
set -u
cd -- "$1" || exit 1
stage=$2
shift 2
[ -d "$stage" ] || exit 1

# A failure leaves the new copy where it is, and says where.
kept() {
  echo "cannot put the new copy of $1 in place; it is kept in $PWD/$stage" >&2
  exit 1
}
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
