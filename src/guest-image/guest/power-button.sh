#!/bin/sh
# busybox acpid runs this (as /etc/acpi/PWRF/00000080) when the ACPI power button is pressed: a clean poweroff.
echo "stratus-guest: power button pressed, powering off" > /dev/console
exec poweroff
