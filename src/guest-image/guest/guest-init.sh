#!/bin/sh
# The Stratus test guest's boot, run by busybox init as sysinit: devices, network by DHCP, metadata from the config
# drive or 169.254.169.254, hostname, SSH keys, dropbear, user_data, then one READY line on the serial console.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
/bin/busybox --install -s

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620 devpts /dev/pts
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/stratus

# Console lines carry the kernel's uptime, so a slow boot step shows in `openstack console log show`.
say() { echo "stratus-guest: [$(cut -d' ' -f1 /proc/uptime)] $*"; }

# Disks, NIC, config drive (virtio or IDE/SCSI CD-ROM) and the ACPI power button; the list is written at build time.
say "init started"
modprobe -a $(cat /etc/guest-modules) || say "some kernel modules did not load"
say "modules loaded"

# The power button powers off cleanly (busybox acpid runs /etc/acpi/PWRF/00000080); hot-plugged disks are logged.
acpid -c /etc/acpi -l /run/acpid.log
uevent /etc/disk-events.sh >/dev/console 2>&1 &

ip link set lo up
hostname stratus-guest
if [ -e /sys/class/net/eth0 ]; then
  ip link set eth0 up
  # Blocks until the first lease (a few tries), then renews in the background; -b keeps trying if there is none yet.
  udhcpc -i eth0 -s /etc/udhcpc.sh -O staticroutes -O mtu -t 5 -T 1 -b -p /run/udhcpc.eth0.pid \
    || say "no DHCP lease on eth0 yet"
else
  say "no eth0"
fi

META=/run/stratus/meta            # "hostname<TAB>name" and "key<TAB>ssh key" lines
USER_DATA=/run/stratus/user-data
: > "$META"

from_config_drive() {
  dev=$(findfs LABEL=config-2 2>/dev/null) || return 1
  mkdir -p /mnt/config
  mount -o ro "$dev" /mnt/config || { say "cannot mount the config drive $dev"; return 1; }
  if [ -f /mnt/config/openstack/latest/meta_data.json ]; then
    awk -f /etc/meta-data.awk /mnt/config/openstack/latest/meta_data.json > "$META"
  fi
  [ -f /mnt/config/openstack/latest/user_data ] && cp /mnt/config/openstack/latest/user_data "$USER_DATA"
  umount /mnt/config
  say "metadata from the config drive $dev"
}

# Debian's busybox wget has no -T (and crashes on it): timeout bounds each request instead.
md_get() { timeout 5 wget -q -O "$2" "http://169.254.169.254/latest/$1" 2>/dev/null; }

# The metadata path may come up after the guest, so keep asking for about 30 s.
from_metadata_service() {
  end=$(( $(cut -d. -f1 /proc/uptime) + 30 ))
  until md_get meta-data/hostname /run/stratus/hostname; do
    [ "$(cut -d. -f1 /proc/uptime)" -ge "$end" ] && { say "no metadata service at 169.254.169.254"; return 1; }
    sleep 1
  done
  printf 'hostname\t%s\n' "$(head -n 1 /run/stratus/hostname)" > "$META"
  if md_get meta-data/public-keys/0/openssh-key /run/stratus/key; then
    printf 'key\t%s\n' "$(head -n 1 /run/stratus/key)" >> "$META"
  fi
  md_get user-data "$USER_DATA" || rm -f "$USER_DATA"
  say "metadata from http://169.254.169.254"
}

from_config_drive || from_metadata_service

TAB=$(printf '\t')
mkdir -p /root/.ssh && chmod 700 /root/.ssh
: > /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys
while IFS="$TAB" read -r kind value; do
  case "$kind" in
    hostname) name=$(echo "$value" | tr -cd 'A-Za-z0-9.-' | cut -c1-63); [ -n "$name" ] && hostname "$name" ;;
    key) printf '%s\n' "$value" >> /root/.ssh/authorized_keys ;;
  esac
done < "$META"
hostname > /etc/hostname
printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n' "$(hostname)" > /etc/hosts

# Host keys are made on the first connection (-R), so boot never waits for key generation.
dropbear -R -p 22 -P /run/dropbear.pid || say "dropbear did not start"

if [ -s "$USER_DATA" ] && [ "$(head -c 2 "$USER_DATA")" = '#!' ]; then
  chmod 700 "$USER_DATA"
  say "running user_data"
  "$USER_DATA"; say "user_data exited with status $?"
fi

say "boot complete"
ip4=$(ip -4 -o addr show dev eth0 2>/dev/null | awk '{ split($4, a, "/"); print a[1]; exit }')
echo "STRATUS-GUEST-READY hostname=$(hostname) ip=${ip4:-none}"
cat /proc/partitions
