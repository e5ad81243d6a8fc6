#!/bin/sh
# Run by busybox uevent for every kernel event: says on the console when a whole disk comes or goes (hot-plug).
[ "$SUBSYSTEM" = block ] && [ "$DEVTYPE" = disk ] || exit 0
case "$DEVNAME" in loop*|ram*) exit 0 ;; esac
case "$ACTION" in
  add) echo "stratus-guest: disk added /dev/$DEVNAME ($(( $(cat "/sys/class/block/$DEVNAME/size" 2>/dev/null || echo 0) / 2048 )) MiB)" ;;
  remove) echo "stratus-guest: disk removed /dev/$DEVNAME" ;;
esac
