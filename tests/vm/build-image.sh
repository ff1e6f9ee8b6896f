#!/usr/bin/env bash
# Builds the throwaway Debian VM image the bootstrap tests boot (never the machine running them).
#
#   tests/vm/build-image.sh [DIR]      (root; default DIR: $POOL_VM_DIR or /var/tmp/pool-vm)
#
# DIR gets base.img (ext4, 4G sparse), vmlinuz, initrd.img, and the root key id_ed25519.
# A stamp of this script's hash makes a second run a no-op. Needs: debootstrap, e2fsprogs,
# openssh-client, util-linux (flock), and the Debian mirror the host's apt uses. busybox is in the
# image for the test of `pool clean` with BusyBox find.
set -euo pipefail
dir=${1:-${POOL_VM_DIR:-/var/tmp/pool-vm}}
mirror=${POOL_VM_MIRROR:-http://deb.debian.org/debian}
stamp=$(sha256sum "$0" | cut -c1-16)
mkdir -p "$dir"
# Test runs side by side share the image: one builds it, the others wait for it.
exec 9>"$dir/.lock"
flock 9
if [ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" = "$stamp" ] && [ -f "$dir/base.img" ]; then
  echo "vm image up to date in $dir"
  exit 0
fi
root="$dir/root"
rm -rf "$root" "$dir/base.img" "$dir/stamp"
trap 'umount "$root/proc" "$root/sys" "$root/dev" 2>/dev/null || true' EXIT

echo "debootstrap into $root (a few minutes)"
debootstrap --variant=minbase \
  --include=systemd-sysv,udev,dbus,openssh-server,iproute2,sudo,cron,kmod,procps,curl,ca-certificates,linux-image-amd64,initramfs-tools,findutils,busybox \
  bookworm "$root" "$mirror" >"$dir/debootstrap.log" 2>&1 || {
  tail -20 "$dir/debootstrap.log"
  exit 1
}

rm -f "$dir/id_ed25519" "$dir/id_ed25519.pub"
ssh-keygen -q -t ed25519 -N "" -f "$dir/id_ed25519"

echo pool-vm >"$root/etc/hostname"
echo "/dev/vda / ext4 rw,errors=remount-ro 0 1" >"$root/etc/fstab"
cat >"$root/etc/systemd/network/20-wired.network" <<'NET'
[Match]
Name=en* eth*

[Network]
DHCP=ipv4
NET

mkdir -p "$root/root/.ssh"
cp "$dir/id_ed25519.pub" "$root/root/.ssh/authorized_keys"
chmod 700 "$root/root/.ssh"
chmod 600 "$root/root/.ssh/authorized_keys"

cat >"$root/etc/initramfs-tools/modules" <<'MODS'
virtio_pci
virtio_blk
ext4
crc32c_generic
MODS
sed -i 's/^MODULES=.*/MODULES=list/' "$root/etc/initramfs-tools/initramfs.conf"

mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
mount --bind /dev "$root/dev"
chroot "$root" /bin/sh -e <<'CHROOT'
systemctl enable systemd-networkd ssh >/dev/null 2>&1
for unit in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer; do
  systemctl mask "$unit" >/dev/null 2>&1 || true
done
# A sudo user without a root login, for the sudo -n path.
useradd -m -s /bin/bash deploy
mkdir -p /home/deploy/.ssh
cp /root/.ssh/authorized_keys /home/deploy/.ssh/authorized_keys
chown -R deploy:deploy /home/deploy/.ssh
chmod 700 /home/deploy/.ssh
echo "deploy ALL=(ALL) NOPASSWD:ALL" >/etc/sudoers.d/deploy
chmod 440 /etc/sudoers.d/deploy
# And one with sudo that needs a password: sudo -n must fail cleanly, never prompt.
useradd -m -s /bin/bash guest
mkdir -p /home/guest/.ssh
cp /root/.ssh/authorized_keys /home/guest/.ssh/authorized_keys
chown -R guest:guest /home/guest/.ssh
echo "guest ALL=(ALL) ALL" >/etc/sudoers.d/guest
chmod 440 /etc/sudoers.d/guest
update-initramfs -u -k all >/dev/null 2>&1
apt-get update -q >/dev/null 2>&1 || true
apt-get clean
CHROOT
umount "$root/proc" "$root/sys" "$root/dev"

# Only now cut the guest off: no resolver, and the mirror's name pointing at qemu's guestfwd,
# which hands each connection to the host's own route to the mirror (port 80 only).
printf '127.0.0.1 localhost pool-vm\n10.0.2.100 %s\n' "$(echo "$mirror" | sed -E 's#^[a-z]+://([^/:]+).*#\1#')" >"$root/etc/hosts"
# No resolver: the guest reaches the mirror through /etc/hosts and qemu's guestfwd only.
rm -f "$root/etc/resolv.conf"
echo "nameserver 127.0.0.1" >"$root/etc/resolv.conf"

cp "$root"/boot/vmlinuz-* "$dir/vmlinuz"
cp "$root"/boot/initrd.img-* "$dir/initrd.img"
mkfs.ext4 -q -F -d "$root" "$dir/base.img" 4G
rm -rf "$root"
echo "$stamp" >"$dir/stamp"
echo "vm image built in $dir"
