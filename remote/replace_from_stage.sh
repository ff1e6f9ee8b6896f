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
how=$1
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

# The mode `ls -ld` shows for $1 ("drwxr-s---"), as chmod's symbols ("u=rwx,g=rx,o=,u-s,g+s,-t").
# Symbols, not a number: GNU chmod keeps a folder's set-group-ID under a number.
mode_of() {
  bits=$(ls -ld -- "$1") || return 1
  bits=${bits#?}
  spec=
  special=
  for who in u g o; do
    perms=
    for _ in 1 2 3; do
      c=${bits%"${bits#?}"}
      bits=${bits#?}
      case $c in
        r | w | x) perms=$perms$c ;;
        s) perms=${perms}x special="$special,$who+s" ;;
        t) perms=${perms}x special="$special,+t" ;;
        S) special="$special,$who+s" ;;
        T) special="$special,+t" ;;
      esac
    done
    spec="$spec,$who=$perms"
  done
  case $special in *u+s*) ;; *) special="$special,u-s" ;; esac
  case $special in *g+s*) ;; *) special="$special,g-s" ;; esac
  case $special in *+t*) ;; *) special="$special,-t" ;; esac
  printf '%s\n' "${spec#,}$special"
}

# A file of this script's own holding $1's time (mtime), or nothing: taken before $1's entries
# move out of it, which changes it.
time_of() {
  [ -n "${refs:-}" ] || return 0
  ref=$(mktemp "$refs/time.XXXXXX" 2>/dev/null) || return 0
  if touch -r "$1" "$ref" 2>/dev/null; then printf '%s\n' "$ref"; else rm -f -- "$ref"; fi
}

# Gives $2 the time kept in $1 (time_of's file, if any), and drops that file.
set_time() {
  [ -n "$1" ] || return 0
  touch -r "$1" "$2" 2>/dev/null
  rm -f -- "$1"
}

# Staged folder $1 into folder $2. Each entry replaces its namesake by a rename (old or new, never
# half of one), all of a folder's in one mv; a folder on both sides is merged and then takes the
# staged one's mode and time, as tar -p gives them. A subshell: its variables are its own.
merge() (
  src=$1
  dst=$2
  # Its mode before pool touches it: entries move out of it only while the owner may write it.
  src_mode=$(mode_of "$src") || exit 1
  # Its time too, before entries moving out of it change it.
  when=$(time_of "$src")
  [ -w "$src" ] || chmod u+w -- "$src" || kept "$dst"
  set --
  for new in "$src"/* "$src"/.[!.]* "$src"/..?*; do
    [ -e "$new" ] || [ -L "$new" ] || continue
    old=$dst/${new##*/}
    if folder "$new" && folder "$old"; then
      merge "$new" "$old" || exit 1
      continue
    fi
    # A folder gives way only when empty (as for rsync and tar); a link, or a file where a folder
    # comes, goes first: mv would put the new copy inside the folder a link points to.
    if folder "$old"; then
      rmdir -- "$old" 2>/dev/null || kept "$old"
    elif [ -L "$old" ] || { folder "$new" && [ -e "$old" ]; }; then
      rm -f -- "$old" || kept "$old"
    fi
    # A folder moving to another parent must be the owner's to write (its `..` changes).
    if folder "$new" && [ ! -w "$new" ]; then
      { chmod u+w -- "$new" && mv -f -- "$new" "$old" && chmod u-w -- "$old"; } || kept "$old"
      continue
    fi
    set -- "$@" "$new"
    if [ "$#" -ge 500 ]; then
      mv -f -- "$@" "$dst/" || kept "$dst"
      set --
    fi
  done
  if [ "$#" -gt 0 ]; then mv -f -- "$@" "$dst/" || kept "$dst"; fi
  chmod -- "$src_mode" "$dst" 2>/dev/null
  set_time "$when" "$dst"
  exit 0
)

if [ "$how" = merge ]; then
  # time_of's files go in a folder of this script's own, removed however the merge ends: one
  # that stopped at an entry it could not put in place left them in /tmp, one per folder.
  refs=$(mktemp -d 2>/dev/null) || refs=
  trap '[ -z "$refs" ] || rm -rf -- "$refs"' EXIT
  # The contents of a folder were sent: DEST takes that folder's mode and time too, as with tar;
  # otherwise DEST's own stay.
  contents=
  for name in "$@"; do if [ "$name" = . ]; then contents=1; fi; done
  if [ -n "$contents" ]; then
    # Removing the stage below changes DEST's time again: set last.
    when=$(time_of "$stage")
    merge "$stage" . || exit 1
    rm -rf -- "$stage"
    set_time "$when" .
    exit 0
  else
    keep=$(mode_of .) || exit 1
    merge "$stage" . || exit 1
    chmod -- "$keep" . 2>/dev/null
  fi
  rm -rf -- "$stage"
  exit 0
fi

for name in "$@"; do
  [ "$name" = . ] || continue
  # The contents: all of DEST goes (but stages: this copy's, and another's into the same
  # DEST, as from a second host sharing this home), and all of the stage comes up; the other
  # NAMEs came in the same stream, so they are in the stage too.
  for old in ./* ./.[!.]* ./..?*; do
    case $old in ./.pool-unpack.*) continue ;; esac
    if [ -e "$old" ] || [ -L "$old" ]; then rm -rf -- "$old" || kept .; fi
  done
  [ -d "$stage" ] || { echo "the new copy was removed from $PWD meanwhile" >&2 && exit 1; }
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
