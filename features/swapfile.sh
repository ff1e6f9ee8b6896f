# swapfile: absorb a memory spike instead of invoking the OOM killer. Size in $arg (bytes).
is_linux || result skipped "macOS manages its swap"
file=/swapfile-pool
size=${arg:-34359738368}
threshold=32212254720 # 30 GiB
swap_kb=$(awk '$1 == "SwapTotal:" { print $2 }' /proc/meminfo)
if grep -q "^$file " /proc/swaps 2>/dev/null && grep -q "^$file " /etc/fstab 2>/dev/null &&
  [ "$(sysctl -n vm.swappiness 2>/dev/null)" = 10 ]; then
  result already "$file active, vm.swappiness = 10"
fi
if [ $((swap_kb * 1024)) -ge "$threshold" ]; then result already "$((swap_kb / 1048576)) GiB of swap already"; fi
avail_kb=$(df -Pk / | awk 'NR == 2 { print $4 }')
# Leave 10 % of the swapfile's size free on / besides it.
need_kb=$((size / 1024 + size / 10240))
if [ "$avail_kb" -lt "$need_kb" ]; then
  result failed "refused: / has $((avail_kb / 1024)) MiB free, a $((size / 1048576)) MiB swapfile needs $((need_kb / 1024)) MiB"
fi
dry_run && result ok "would create a $((size / 1048576)) MiB $file, add it to /etc/fstab, set vm.swappiness = 10"
if ! grep -q "^$file " /proc/swaps 2>/dev/null; then
  [ -f "$file" ] || must fallocate -l "$size" "$file"
  must chmod 600 "$file"
  must mkswap "$file"
  must swapon "$file"
fi
grep -q "^$file " /etc/fstab || printf '%s none swap sw 0 0\n' "$file" >>/etc/fstab || result failed "cannot edit /etc/fstab"
printf '# Installed by pool init.\nvm.swappiness = 10\n' >/etc/sysctl.d/61-pool-swap.conf || result failed "cannot write sysctl.d"
must sysctl -p /etc/sysctl.d/61-pool-swap.conf
result ok "$((size / 1048576)) MiB $file active, vm.swappiness = 10"
