# swapfile: absorb a memory spike instead of invoking the OOM killer. Size in $arg (bytes).
is_linux || result skipped "macOS manages its swap"
file=/swapfile-pool
conf=/etc/sysctl.d/61-pool-swap.conf
mib=1048576
size=$(num "${arg:-34359738368}")
# Whole MiB, so that fallocate and dd make a file of exactly this size.
size=$((size / mib * mib))
[ "$size" -ge $((16 * mib)) ] || result failed "refused: a swapfile under 16 MiB is no use"
threshold=32212254720 # 30 GiB
umask 077

active() { grep -q "^$file " /proc/swaps 2>/dev/null; }
file_size() { num "$(stat -c %s "$file" 2>/dev/null)"; }
in_fstab() { grep -q "^${file}[[:space:]]" /etc/fstab 2>/dev/null; }
swappiness_set() { [ "$(sysctl -n vm.swappiness 2>/dev/null)" = 10 ] && [ -f "$conf" ]; }

if active && [ "$(file_size)" = "$size" ] && in_fstab && swappiness_set; then
  result already "$((size / mib)) MiB $file active, vm.swappiness = 10"
fi
# Swap that is not ours: enough of it and there is nothing to do.
swap_kb=$(num "$(awk '$1 == "SwapTotal:" { print $2 }' /proc/meminfo 2>/dev/null)")
ours_kb=$(num "$(awk -v f="$file" '$1 == f { print $3 }' /proc/swaps 2>/dev/null)")
others_kb=$((swap_kb - ours_kb))
if [ ! -e "$file" ] && [ $((others_kb * 1024)) -ge "$threshold" ]; then
  result already "$((others_kb / 1048576)) GiB of swap already"
fi

# Filesystems whose swapon takes no plain file: say so before writing gigabytes of zeros.
fs=$(stat -f -c %T / 2>/dev/null) || fs=
case "$fs" in
  btrfs | zfs | overlayfs | tmpfs | nfs*) result failed "refused: / is $fs, which takes no swap file made this way" ;;
esac

# Without its fstab line the swapfile is gone at the next boot, and the next init writes it all
# again. NixOS links /etc/fstab into its read-only store: refused before any byte is written.
fstab_writable() { if [ -e /etc/fstab ]; then [ -w /etc/fstab ]; else [ -w /etc ]; fi; }
in_fstab || fstab_writable || result failed "refused: cannot edit /etc/fstab, where the swapfile must be to outlive a reboot"

existing=0
[ -e "$file" ] && existing=$(file_size)
wrong_size=no
[ -e "$file" ] && [ "$existing" != "$size" ] && wrong_size=yes
df_kb=$(df -Pk / 2>/dev/null | awk 'NR == 2 { print $4 }')
[ -n "$df_kb" ] || result failed "cannot read the free space of / (df -Pk /)"
# The space a replaced file gives back counts as free.
avail_kb=$(($(num "$df_kb") + existing / 1024))
# Leave 10 % of the swapfile's size free on / besides it.
need_kb=$((size / 1024 + size / 10240))
if [ -f "$file" ] && [ "$wrong_size" = no ]; then need_kb=0; fi
if [ "$avail_kb" -lt "$need_kb" ]; then
  result failed "refused: / has $((avail_kb / 1024)) MiB free, a $((size / mib)) MiB swapfile needs $((need_kb / 1024)) MiB"
fi
if dry_run; then
  [ "$wrong_size" = yes ] && result ok "would replace the $((existing / mib)) MiB $file with a $((size / mib)) MiB one, in /etc/fstab, vm.swappiness = 10"
  result ok "would create a $((size / mib)) MiB $file, add it to /etc/fstab, set vm.swappiness = 10"
fi

# fallocate is instant; where it is missing or the filesystem refuses it, dd writes the zeros.
made=
make_file() {
  rm -f "$file"
  if [ "${1:-}" != dd ] && has fallocate && fallocate -l "$size" "$file" 2>/dev/null; then
    made=fallocate
    return
  fi
  rm -f "$file"
  made="dd (fallocate failed)"
  [ "${1:-}" = dd ] && made="dd (swapon refused the fallocated file)"
  must dd if=/dev/zero of="$file" bs=1M count=$((size / mib))
}
if [ "$wrong_size" = yes ]; then
  if active; then must swapoff "$file"; fi
  must rm -f "$file"
fi
if ! active; then
  [ -f "$file" ] || make_file
  must chmod 600 "$file"
  must mkswap "$file"
  if ! swapon "$file" 2>/dev/null; then
    # Some filesystems take no swap on a file with unwritten extents: write it out in full, once.
    if [ "$made" = fallocate ]; then
      make_file dd
      must chmod 600 "$file"
      must mkswap "$file"
    fi
    if ! refused=$(swapon "$file" 2>&1); then
      # A file no swapon takes (btrfs, ZFS, overlayfs) is disk space for nothing, and the next
      # init would write all of it again: it goes.
      rm -f "$file"
      result failed "swapon refused $file (${refused:-no reason given}); removed it"
    fi
  fi
fi
if ! in_fstab; then
  # A last line without its newline would take ours onto it, breaking that mount at boot.
  line=$(printf '%s none swap sw 0 0' "$file")
  [ ! -s /etc/fstab ] || [ -z "$(tail -c 1 /etc/fstab)" ] || line="
$line"
  printf '%s\n' "$line" >>/etc/fstab || result failed "cannot edit /etc/fstab"
fi
printf '# Installed by pool init.\nvm.swappiness = 10\n' >"$conf" || result failed "cannot write $conf"
must sysctl -p "$conf"
how=
[ -z "$made" ] || how=", made with $made"
[ "$wrong_size" = no ] || how="$how, replacing a $((existing / mib)) MiB one"
result ok "$((size / mib)) MiB $file active$how, vm.swappiness = 10"
